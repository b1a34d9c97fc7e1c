"""The ASGI application: routes, the API key, and the edge that turns every error into a problem.

Starlette, not FastAPI: FastAPI's value is generating the OpenAPI document from
pydantic models, and here the document must be the project's own JSON Schemas
(:mod:`junheng.serve.openapi`), so FastAPI would add pydantic and a second source of
truth for nothing. Starlette is what FastAPI is built on: routing, requests,
responses and the multipart parser, with a fast start (the whole service starts in
well under a second; most of it is the engine loading its plugins).

The edge (:class:`Edge`, the outermost layer) checks the API key (``/healthz`` is
open, for load balancers) and catches everything: a :class:`Problem` becomes its
``application/problem+json``; any other exception — a junheng bug, never the data —
is logged with its traceback on the server and answered 500 内部错误 without one.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import quote

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from junheng.county_template import build_county_template, county_rows
from junheng.template import build_template, template_fields

from . import views
from .bodies import read_data_request
from .config import ServeConfig, read_api_keys
from .docs_page import docs_page
from .openapi import openapi_document
from .problems import MEDIA_TYPE, Problem, problem_body
from .work import PLAN_MEDIA, Service

__all__ = ["Edge", "app_from_environment", "create_app"]

log = logging.getLogger("junheng.serve")

_OPEN_PATHS = frozenset({"/healthz"})


def _json(doc: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(doc, option=orjson.OPT_NON_STR_KEYS),
        status_code=status,
        media_type="application/json",
        headers=dict(headers or {}),
    )


def content_disposition(kind: str, name: str, fallback: str) -> str:
    """``attachment; filename="report.xlsx"; filename*=UTF-8''%E8%AF%84…``: an ASCII name
    for old clients and the Chinese one as RFC 5987 / RFC 6266 ``filename*``."""
    ascii_name = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in fallback
    )
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


class Edge:
    """Outermost ASGI layer: the API key, and a problem+json answer for anything raised."""

    def __init__(self, app: Any, keys: tuple[bytes, ...] = ()) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if self.keys and path not in _OPEN_PATHS and not self._authorised(scope):
            await _send_problem(
                send,
                Problem(
                    "unauthorized",
                    "缺少或错误的 API 密钥：请在 Authorization: Bearer KEY 或 X-API-Key 头中给出。",
                    headers={"WWW-Authenticate": 'Bearer realm="junheng"'},
                ),
                path,
            )
            return
        started = False

        async def tracked(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Problem as problem:
            if not started:
                await _send_problem(send, problem, path)
        except Exception:
            log.exception("internal error answering %s %s", scope.get("method"), path)
            if not started:
                await _send_problem(
                    send,
                    Problem(
                        "internal-error",
                        "内部错误 (internal error)：这是 junheng 的缺陷，不是数据的问题；详情已记录在服务日志中。",
                    ),
                    path,
                )

    def _authorised(self, scope: Any) -> bool:
        given: list[bytes] = []
        for name, value in scope.get("headers", []):
            if name == b"authorization" and value[:7].lower() == b"bearer ":
                given.append(value[7:].strip())
            elif name == b"x-api-key":
                given.append(value.strip())
        ok = False
        for candidate in given:
            for key in self.keys:  # every comparison runs: no early exit on a match
                ok |= hmac.compare_digest(candidate, key)
        return ok


async def _send_problem(send: Any, problem: Problem, path: str) -> None:
    body = problem.body(path)
    headers = [
        (b"content-type", MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in problem.headers.items()),
    ]
    if problem.status in (413, 401):
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def create_app(config: ServeConfig | None = None) -> Starlette:
    """The application for one worker process: one :class:`~junheng.Engine`, created at
    startup (plugins loaded once), its pool stopped at shutdown after the work under way."""
    config = config or ServeConfig()
    keys = read_api_keys(config.api_key_file) if config.api_key_file else ()
    state: dict[str, Any] = {}

    def service() -> Service:
        return state["service"]

    def document() -> dict[str, Any]:
        if "openapi" not in state:
            state["openapi"] = openapi_document(service().engine, api_key=bool(keys))
        return state["openapi"]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        state["service"] = Service(
            queue=config.queue, threads=config.threads, time_limit=config.time_limit
        )
        try:
            yield
        finally:
            await run_in_threadpool(state["service"].close)

    async def healthz(request: Request) -> Response:
        return _json(views.health(service().engine, service().queue_state()))

    async def rulesets(request: Request) -> Response:
        return _json(await run_in_threadpool(views.ruleset_list, service().engine))

    async def ruleset(request: Request) -> Response:
        rid = request.path_params["id"]

        def detail() -> dict[str, Any]:
            return views.ruleset_detail(service().engine, service().ruleset(rid))

        return _json(await run_in_threadpool(detail))

    async def validate(request: Request) -> Response:
        async with service().slot() as run:
            data = await read_data_request(request, config.max_body_bytes, ruleset_required=False)
            return _json(await run(service().validate, data))

    async def evaluate(request: Request) -> Response:
        fmt = request.query_params.get("format", "json")
        formats = service().formats()
        if fmt not in formats:
            raise Problem(
                "bad-request",
                f"不支持的报告格式 {fmt}（可用：{', '.join(formats)}）",
                extra={"formats": list(formats)},
            )
        async with service().slot() as run:
            data = await read_data_request(request, config.max_body_bytes, ruleset_required=True)
            rendered = await run(service().evaluate, data, fmt)
        name = f"评估报告-{data.ruleset}{rendered.extension}"
        fallback = f"report-{data.ruleset}{rendered.extension}"
        kind = "attachment" if fmt == "xlsx" else "inline"
        return Response(
            rendered.data,
            media_type=rendered.media_type,
            headers={
                "Content-Disposition": content_disposition(kind, name, fallback),
                "X-Junheng-Passed": "true" if rendered.passed else "false",
            },
        )

    async def explain(request: Request) -> Response:
        async with service().slot() as run:
            data = await read_data_request(
                request, config.max_body_bytes, ruleset_required=True, explain=True
            )
            return _json(await run(service().explain, data))

    async def plan(request: Request) -> Response:
        fmt = request.query_params.get("format", "json")
        if fmt not in PLAN_MEDIA:
            raise Problem(
                "bad-request",
                f"不支持的规划格式 {fmt}（可用：{', '.join(PLAN_MEDIA)}）",
                extra={"formats": list(PLAN_MEDIA)},
            )
        async with service().slot() as run:
            data = await read_data_request(request, config.max_body_bytes, ruleset_required=True)
            rendered = await run(service().plan, data, fmt)
        name = f"整改方案-{data.ruleset}{rendered.extension}"
        fallback = f"plan-{data.ruleset}{rendered.extension}"
        return Response(
            rendered.data,
            media_type=rendered.media_type,
            headers={
                "Content-Disposition": content_disposition(
                    "attachment" if fmt == "xlsx" else "inline", name, fallback
                ),
                "X-Junheng-Passed": "true" if rendered.passed else "false",
            },
        )

    async def template(request: Request) -> Response:
        rid = request.path_params["ruleset"]
        kind = request.query_params.get("kind", "schools")
        fmt = request.query_params.get("format", "xlsx")
        if kind not in ("schools", "county"):
            raise Problem("bad-request", f"kind 应为 schools 或 county，而不是 {kind}")
        if fmt not in ("xlsx", "csv"):
            raise Problem("bad-request", f"format 应为 xlsx 或 csv，而不是 {fmt}")

        def build() -> bytes:
            rs = service().ruleset(rid)
            engine = service().engine
            if kind == "county":  # junheng template --county --ruleset RID
                year = request.query_params.get("year")
                if year is not None and not (year.isdigit() and 2000 <= int(year) <= 2100):
                    raise Problem(
                        "bad-request", f"year 应为 2000 到 2100 之间的年份，而不是 {year}"
                    )
                evaluation_year = int(year) if year else date.today().year - 1
                rows = county_rows(
                    rs, engine.registry.names, engine.registry.county_fields, evaluation_year
                )
                return build_county_template(fmt, rows, f"{rs.title}（{rs.id}）")
            fields = template_fields(engine.required_fields(rs), engine.registry.school_fields)
            return build_template(fmt, fields)

        data = await run_in_threadpool(build)
        media = (
            "text/csv; charset=utf-8"
            if fmt == "csv"
            else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        title, english = ("县域", "county") if kind == "county" else ("学校", "schools")
        return Response(
            data,
            media_type=media,
            headers={
                "Content-Disposition": content_disposition(
                    "attachment",
                    f"{title}数据采集表-{rid}.{fmt}",
                    f"{english}-template-{rid}.{fmt}",
                )
            },
        )

    async def openapi(request: Request) -> Response:
        return _json(document())

    async def docs(request: Request) -> Response:
        if "docs" not in state:
            state["docs"] = docs_page(document())
        return Response(state["docs"], media_type="text/html; charset=utf-8")

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        kind = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "bad-request")
        detail = {
            404: f"没有这个地址 {request.url.path}（接口列表见 /docs）",
            405: f"{request.url.path} 不支持 {request.method}",
        }.get(exc.status_code, str(exc.detail))
        return Response(
            problem_body(kind, detail, instance=request.url.path),
            status_code=exc.status_code if kind != "bad-request" else 400,
            media_type=MEDIA_TYPE,
            headers=dict(exc.headers or {}),
        )

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/v1/rulesets", rulesets, methods=["GET"]),
        Route("/v1/rulesets/{id}", ruleset, methods=["GET"]),
        Route("/v1/validate", validate, methods=["POST"]),
        Route("/v1/evaluate", evaluate, methods=["POST"]),
        Route("/v1/explain", explain, methods=["POST"]),
        Route("/v1/plan", plan, methods=["POST"]),
        Route("/v1/templates/{ruleset}", template, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/docs", docs, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes, lifespan=lifespan, exception_handlers={HTTPException: http_error}
    )
    # outermost but for Starlette's own error middleware, which it leaves nothing to catch
    app.add_middleware(Edge, keys=keys)
    return app


def app_from_environment() -> Starlette:
    """The application with the settings ``junheng serve`` put in the environment
    (uvicorn's factory for each worker process)."""
    return create_app(ServeConfig.from_environment())
