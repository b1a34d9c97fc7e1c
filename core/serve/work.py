"""The work of a request, off the event loop: a bounded queue in front of a small thread pool.

Evaluation is CPU-bound Python. Under the GIL a second thread in the same process
would not evaluate faster, only slow both down, so each worker process runs
``threads`` evaluations (default 1) in a :class:`~concurrent.futures.ThreadPoolExecutor`
and the cores are used by ``junheng serve --workers N`` processes, each with its own
:class:`junheng.Engine` (plugins loaded once per process). The thread matters because
the event loop stays free: ``/healthz`` and the read-only endpoints answer while an
evaluation runs (the interpreter hands the GIL to the loop every few milliseconds).

Admission is counted before the body is read: at most ``queue`` data requests per
worker are in memory, running or waiting, and one past that is answered 503 with
``Retry-After``. Each is answered within ``time_limit`` seconds (503 past it); an
evaluation already running cannot be interrupted in a thread, so its slot stays
taken until it ends, and the queue bound stays true.

Uploaded files live in a private temporary directory only while the engine's readers
read them; it is gone before the evaluation starts. Records from a JSON body go to
``engine.load`` as they are.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import attrs

from junheng import DataIssue, Engine, InputError, Inputs, PluginError, Report
from junheng.explain import explain_county, explain_school
from junheng.issues import count_issues
from junheng.outputs import render, writers_of
from junheng.ruleset import Ruleset, RulesetError

from .bodies import DataRequest, Upload
from .problems import Problem

__all__ = ["Rendered", "Service"]


@attrs.frozen
class Rendered:
    """A report rendered in one format: its bytes, media type and file name."""

    data: bytes = attrs.field(repr=False)
    media_type: str
    extension: str
    passed: bool


class Service:
    """One worker's engine, pool and queue (created when the application starts)."""

    def __init__(self, *, queue: int = 64, threads: int = 1, time_limit: float = 120.0):
        self.engine = Engine()
        self.capacity = queue
        self.threads = threads
        self.time_limit = time_limit
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="junheng-eval")
        self.admitted = 0
        self.running = 0
        self._seconds: deque[float] = deque(maxlen=32)

    # -- the queue ------------------------------------------------------------------------

    def queue_state(self) -> dict[str, int]:
        return {
            "running": self.running,
            "waiting": max(0, self.admitted - self.running),
            "capacity": self.capacity,
            "threads": self.threads,
        }

    def retry_after(self) -> int:
        """Seconds until a slot is likely free: the recent mean time × the queue ahead."""
        mean = sum(self._seconds) / len(self._seconds) if self._seconds else 1.0
        return max(1, math.ceil(mean * self.admitted / self.threads))

    @contextlib.asynccontextmanager
    async def slot(self):
        """Admit one data request (503 when the queue is full); yields a runner."""
        if self.admitted >= self.capacity:
            raise Problem(
                "busy",
                f"服务繁忙：已有 {self.admitted} 个请求在处理或排队（上限 {self.capacity}），请稍后重试。",
                headers={"Retry-After": str(self.retry_after())},
            )
        self.admitted += 1
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        submitted: list[Future] = []

        def release(_: Any = None) -> None:
            self.admitted -= 1

        async def run(fn: Callable[..., Any], *args: Any) -> Any:
            remaining = self.time_limit - (time.monotonic() - started)
            future = self.pool.submit(self._timed, fn, *args)
            submitted.append(future)
            future.add_done_callback(lambda f: loop.call_soon_threadsafe(release))
            try:
                return await asyncio.wait_for(
                    asyncio.shield(asyncio.wrap_future(future)), max(remaining, 0.001)
                )
            except TimeoutError:
                future.cancel()  # not started yet: it never will; running: it ends on its own
                raise Problem(
                    "time-limit",
                    f"请求超过处理时限 {self.time_limit:g} 秒，已放弃；请拆分数据后重试。",
                    headers={"Retry-After": str(self.retry_after())},
                ) from None

        try:
            yield run
        finally:
            if not submitted:
                release()

    def _timed(self, fn: Callable[..., Any], *args: Any) -> Any:
        self.running += 1
        started = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self._seconds.append(time.perf_counter() - started)
            self.running -= 1

    def close(self) -> None:
        """Wait for the evaluations under way, then stop the pool."""
        self.pool.shutdown(wait=True, cancel_futures=False)

    # -- the jobs (each runs in the pool) ---------------------------------------------------

    def ruleset(self, ruleset_id: str) -> Ruleset:
        """The compiled ruleset; 404 for an id no installed plugin gives."""
        if ruleset_id not in self.engine.ruleset_ids():
            known = ", ".join(self.engine.ruleset_ids())
            raise Problem(
                "unknown-ruleset",
                f"未知的规则集 '{ruleset_id}'（可用：{known}）",
                extra={"rulesets": self.engine.ruleset_ids()},
            )
        try:
            return self.engine.ruleset(ruleset_id)
        except RulesetError as exc:  # an installed ruleset that does not compile: not the data
            raise Problem("internal-error", "规则集无法加载：" + "；".join(exc.problems)) from None

    def load(self, request: DataRequest, ruleset: str | None) -> tuple[Inputs, dict[str, Any]]:
        """The request's data loaded and validated; the provenance to report them by."""
        with _files(request) as (schools, county, names):
            inputs = self.engine.load(schools, county, ruleset=ruleset)
        provenance: dict[str, Any] = {}
        if names:
            hashes = inputs.provenance.get("inputs", {})
            provenance["inputs"] = {
                kind: {"file": name, "sha256": hashes.get(kind, {}).get("sha256")}
                for kind, name in names.items()
            }
        return inputs, provenance

    def validate(self, request: DataRequest) -> dict[str, Any]:
        """What ``junheng validate --format json`` prints, and ``valid``."""
        if request.ruleset is not None:
            self.ruleset(request.ruleset)
        inputs, _ = self.load(request, request.ruleset)
        errors, warnings = count_issues(inputs.issues)
        return {
            "valid": errors == 0,
            "errors": errors,
            "warnings": warnings,
            "issues": [i.to_dict() for i in inputs.issues],
        }

    def report(self, request: DataRequest) -> Report:
        """The evaluated report (422 with every issue when the data have errors)."""
        rs = self.ruleset(str(request.ruleset))
        inputs, provenance = self.load(request, rs.id)
        if inputs.has_errors:
            raise _invalid(inputs.issues)
        with _engine_errors("评估"):
            return self.engine.evaluate(rs.id, inputs, provenance=provenance)

    def evaluate(self, request: DataRequest, fmt: str) -> Rendered:
        """The report in ``fmt``: the bytes ``junheng evaluate --format FMT`` writes."""
        report = self.report(request)
        writer = writers_of(report)[fmt]
        data = render(report, fmt)  # every writer is free of process-wide state
        return Rendered(data, writer.media_type, writer.extension, bool(report.passed))

    def explain(self, request: DataRequest) -> dict[str, Any]:
        """The reasoning chain of one school or one county (``junheng explain --format json``)."""
        report = self.report(request)
        school_id = request.fields.get("school_id")
        if school_id is not None:
            stage = request.fields.get("stage")
            try:
                return explain_school(report, school_id, stage)
            except KeyError:
                where = f"（学段 {stage}）" if stage else ""
                raise _invalid(
                    [
                        _unknown(
                            "unknown_school",
                            "school_id",
                            f"学校 {school_id}{where} 不在学校数据中",
                            school_id,
                        )
                    ]
                ) from None
        code = str(request.fields.get("county_code"))
        try:
            return explain_county(report, code)
        except KeyError:
            known = [c.county_code for c in report.counties]
            raise _invalid(
                [
                    _unknown(
                        "unknown_county",
                        "county_code",
                        f"县（区）代码 {code} 不在学校数据中（有：{', '.join(known) or '无'}）",
                        code,
                        known,
                    )
                ]
            ) from None

    def plan(self, request: DataRequest, fmt: str) -> Rendered:
        """The remediation plan in ``fmt``: what ``junheng plan --format FMT`` writes (the
        default unit costs; a costs file is the CLI's, not a request's)."""
        from junheng.plan import plan as make_plan
        from junheng.plan.report import render_plan

        rs = self.ruleset(str(request.ruleset))
        inputs, _ = self.load(request, rs.id)
        if inputs.has_errors:
            raise _invalid(inputs.issues)
        with _engine_errors("规划"):
            result = make_plan(self.engine, rs.id, inputs)
        data = render_plan(result, fmt)
        return Rendered(data, PLAN_MEDIA[fmt], PLAN_EXTENSIONS[fmt], bool(result.school_based_met))

    def formats(self) -> dict[str, Any]:
        """The engine's report formats (format → Writer); a folder format (``parquet``) is
        written to disk only, never served."""
        return {k: w for k, w in self.engine.registry.writers.items() if w.files is None}


#: the formats of a plan (``junheng plan --format``)
PLAN_MEDIA = {
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
}
PLAN_EXTENSIONS = {"json": ".json", "xlsx": ".xlsx", "html": ".html", "md": ".md"}


def _unknown(code: str, field: str, detail: str, found: Any, expected: Any = None) -> DataIssue:
    return DataIssue(
        "error", code, detail, field=field, found=found, expected=expected, detail=detail
    )


def _invalid(issues: Any) -> Problem:
    issues = list(issues)
    errors, warnings = count_issues(issues)
    return Problem(
        "invalid-data",
        f"数据有 {errors} 个错误、{warnings} 个警告，未评估；每个问题见 issues（文件、行、学校、字段）。",
        issues=issues,
    )


@contextlib.contextmanager
def _engine_errors(work: str) -> Iterator[None]:
    """What the engine refuses while it works (``work``: 评估, 规划) as the answer: data it
    cannot use → 422 with every issue; a plugin that failed → the plugin named."""
    try:
        yield
    except InputError as exc:
        raise _invalid(exc.issues) from None
    except PluginError as exc:
        raise Problem(
            "internal-error",
            f"插件 {exc.plugin} 出错，{work}已停止 (plugin failed): {exc.message}",
        ) from None


@contextlib.contextmanager
def _files(request: DataRequest) -> Iterator[tuple[Any, Any, dict[str, str]]]:
    """The request's schools and county as the engine loads them: records as they are,
    uploads as files in a private temporary directory (mode 0700), removed on leaving."""
    uploads = {
        kind: value
        for kind, value in (("schools", request.schools), ("county", request.county))
        if isinstance(value, Upload)
    }
    if not uploads:
        yield request.schools, request.county, {}
        return
    with tempfile.TemporaryDirectory(prefix="junheng-serve-") as folder:
        paths: dict[str, Any] = {}
        for kind, upload in uploads.items():
            place = Path(folder, kind)
            place.mkdir(mode=0o700)
            path = place / upload.name
            with open(path, "xb") as fh:
                fh.write(upload.data)
            paths[kind] = path
        yield (
            paths.get("schools", request.schools),
            paths.get("county", request.county),
            {kind: u.name for kind, u in uploads.items()},
        )
