"""Request bodies: the JSON envelope or the multipart upload, read within the size limit.

Two shapes carry the same request (docs/http.md):

- ``application/json``: ``{"ruleset": ID, "schools": [...], "county": {...} | [...]}``
  (``explain`` adds ``school_id`` or ``county_code`` and ``stage``); the records go to
  ``engine.load`` as they are;
- ``multipart/form-data``: files ``schools`` and ``county`` (``.json``, ``.csv``,
  ``.xlsx`` — whatever the engine's readers read) and text fields for the rest; the
  files are kept in memory here and written to a private temporary directory only for
  the moment the engine's readers read them (:mod:`junheng.serve.work`).

The body is counted while it streams in and refused with 413 the moment it passes the
limit (before anything is parsed; a ``Content-Length`` past it is refused unread).
Anything else — another media type (415), JSON that does not parse, a missing or
mistyped envelope key, a broken multipart body (400) — is a :class:`Problem`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from typing import Any

import attrs
import orjson
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from junheng import DataIssue

from .problems import Problem

__all__ = ["DataRequest", "Upload", "read_data_request", "read_json_body"]

#: a file part's media type → the extension its reader is chosen by, when its name has none
_EXTENSION_OF_MEDIA = {
    "application/json": ".json",
    "text/csv": ".csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}
_TEXT_FIELD_BYTES = 64 * 1024


@attrs.frozen
class Upload:
    """One uploaded file: the name its issues will show, and its bytes."""

    name: str
    data: bytes = attrs.field(repr=False)


@attrs.frozen
class DataRequest:
    """What a validate / evaluate / explain request asks for."""

    ruleset: str | None
    schools: list[Any] | Upload
    county: Any = None  # a record, a list of records, an Upload or None
    fields: Mapping[str, str] = attrs.field(factory=dict)  # school_id, county_code, stage


def _issue(code: str, field: str, detail: str, found: Any = None, expected: Any = None):
    return DataIssue(
        "error",
        code,
        f"请求的 {field}: {detail}",
        field=field,
        found=found,
        expected=expected,
        detail=detail,
    )


async def _limited(request: Request, limit: int) -> AsyncIterator[bytes]:
    """The body's chunks; :class:`Problem` 413 the moment their total passes ``limit``."""
    length = request.headers.get("content-length")
    if length is not None and length.strip().isdigit() and int(length) > limit:
        raise _too_large(limit, int(length))
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit:
            raise _too_large(limit, None)
        yield chunk


def _too_large(limit: int, length: int | None) -> Problem:
    mib = limit / (1024 * 1024)
    said = f"（Content-Length {length} 字节）" if length is not None else ""
    return Problem(
        "too-large",
        f"请求体超过上限 {mib:g} MiB{said}；请拆分数据或请管理员调大 --max-body-mb。",
        extra={"max_body_bytes": limit},
    )


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_json_body(request: Request, limit: int) -> Any:
    """The JSON body, parsed (400 when it does not parse)."""
    chunks = [chunk async for chunk in _limited(request, limit)]
    try:
        return orjson.loads(b"".join(chunks))
    except orjson.JSONDecodeError as exc:
        raise Problem("bad-request", f"请求体不是合法的 JSON：{exc}") from None


async def read_data_request(
    request: Request, limit: int, *, ruleset_required: bool, explain: bool = False
) -> DataRequest:
    """The request's envelope and data, from either body shape."""
    media = media_type(request)
    if media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    ):
        body = await read_json_body(request, limit)
        return _from_json(body, ruleset_required=ruleset_required, explain=explain)
    if media == "multipart/form-data":
        return await _from_multipart(
            request, limit, ruleset_required=ruleset_required, explain=explain
        )
    raise Problem(
        "unsupported-media-type",
        f"不支持的请求媒体类型 {media or '（未给出 Content-Type）'}；"
        "请使用 application/json 或 multipart/form-data。",
        extra={"accepted": ["application/json", "multipart/form-data"]},
    )


def _allowed(explain: bool) -> tuple[str, ...]:
    return ("ruleset", "schools", "county") + (
        ("school_id", "county_code", "stage") if explain else ()
    )


def _check_envelope(
    values: Mapping[str, Any], issues: list[DataIssue], *, ruleset_required: bool, explain: bool
) -> tuple[str | None, dict[str, str]]:
    """The ruleset id and the explain fields; each envelope problem added to ``issues``."""
    allowed = _allowed(explain)
    for key in values:
        if key not in allowed:
            issues.append(
                _issue(
                    "request.unknown_key",
                    str(key),
                    f"未知的键 “{key}”（可用：{'、'.join(allowed)}）",
                    key,
                    list(allowed),
                )
            )
    ruleset = values.get("ruleset")
    if ruleset is None and ruleset_required:
        issues.append(
            _issue("request.required", "ruleset", "缺少规则集编号 ruleset", None, "string")
        )
    elif ruleset is not None and not isinstance(ruleset, str):
        issues.append(_issue("request.type", "ruleset", "规则集编号应为字符串", ruleset, "string"))
    fields: dict[str, str] = {}
    if explain:
        for key in ("school_id", "county_code", "stage"):
            value = values.get(key)
            if value is not None and not isinstance(value, str):
                issues.append(_issue("request.type", key, f"{key} 应为字符串", value, "string"))
            elif value is not None:
                fields[key] = value
        if ("school_id" in fields) == ("county_code" in fields):
            issues.append(
                _issue(
                    "request.required",
                    "school_id",
                    "请给出 school_id（学校）或 county_code（县）之一",
                    None,
                    "school_id | county_code",
                )
            )
        if fields.get("stage") not in (None, "primary", "junior"):
            issues.append(
                _issue(
                    "request.enum",
                    "stage",
                    "学段应为 primary 或 junior",
                    fields["stage"],
                    ["primary", "junior"],
                )
            )
    return ruleset, fields


def _bad_envelope(issues: list[DataIssue]) -> Problem:
    return Problem(
        "bad-request", "请求格式不对：" + "；".join(i.detail for i in issues), issues=issues
    )


def _from_json(body: Any, *, ruleset_required: bool, explain: bool) -> DataRequest:
    if not isinstance(body, dict):
        raise Problem(
            "bad-request",
            '请求体应为 JSON 对象 {"ruleset": …, "schools": […], "county": …}',
            issues=[
                _issue(
                    "request.type", "(body)", "请求体应为 JSON 对象", type(body).__name__, "object"
                )
            ],
        )
    issues: list[DataIssue] = []
    ruleset, fields = _check_envelope(
        body, issues, ruleset_required=ruleset_required, explain=explain
    )
    schools = body.get("schools")
    county = body.get("county")
    if not isinstance(schools, list):
        found = "（缺少）" if "schools" not in body else type(schools).__name__
        issues.append(
            _issue("request.type", "schools", "schools 应为学校记录的数组", found, "array")
        )
    if county is not None and not isinstance(county, (dict, list)):
        issues.append(
            _issue(
                "request.type",
                "county",
                "county 应为县域记录（对象）或其数组",
                type(county).__name__,
                "object | array",
            )
        )
    if issues:
        raise _bad_envelope(issues)
    return DataRequest(ruleset, schools, county, fields)


class _Parser(MultiPartParser):
    """Starlette's multipart parser with files kept in memory (the body is bounded already):
    nothing of the request is spooled to the system's temporary directory."""

    spool_max_size = 2**62


async def _from_multipart(
    request: Request, limit: int, *, ruleset_required: bool, explain: bool
) -> DataRequest:
    parser = _Parser(
        request.headers,
        _limited(request, limit),
        max_files=2,
        max_fields=8,
        max_part_size=_TEXT_FIELD_BYTES,
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise Problem("bad-request", f"multipart/form-data 请求体无法解析：{exc}") from None
    try:
        texts: dict[str, Any] = {}
        files: dict[str, Upload] = {}
        issues = []
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                if key in ("schools", "county"):
                    files[key] = Upload(_file_name(value, key), await value.read())
                else:
                    texts[key] = ""  # reported as unknown below
            elif key in ("schools", "county"):
                issues.append(
                    _issue(
                        "request.type",
                        key,
                        f"{key} 应为上传的文件（-F {key}=@文件）",
                        "text",
                        "file",
                    )
                )
            else:
                texts[key] = value
        ruleset, fields = _check_envelope(
            {**texts, **dict.fromkeys(files, True)},
            issues,
            ruleset_required=ruleset_required,
            explain=explain,
        )
        if "schools" not in files and "schools" not in texts:
            issues.append(
                _issue("request.required", "schools", "缺少学校数据文件 schools", None, "file")
            )
        if issues:
            raise _bad_envelope(issues)
        return DataRequest(ruleset, files["schools"], files.get("county"), fields)
    finally:
        await form.close()


def _file_name(upload: UploadFile, kind: str) -> str:
    """A safe file name for an upload: the client's base name (letters, digits, CJK,
    ``-_.``), its extension lowercased; from the part's media type when it has none."""
    raw = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, ext = raw.rpartition(".")
    if not dot:
        stem, ext = raw, ""
    stem = re.sub(r"[^\w\-]+", "_", stem, flags=re.UNICODE).strip("._")[:80] or kind
    ext = re.sub(r"[^A-Za-z0-9]+", "", ext).lower()[:10]
    suffix = (
        f".{ext}"
        if ext
        else _EXTENSION_OF_MEDIA.get((upload.content_type or "").split(";")[0].strip().lower(), "")
    )
    return stem + suffix
