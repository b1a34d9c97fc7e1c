"""RFC 9457 problem details: every error the service answers, as ``application/problem+json``.

A handler raises :class:`Problem`; the edge of the application
(:mod:`junheng.serve.app`) turns it, and anything else that escapes, into one JSON
object ``{"type", "title", "status", "detail", "instance", "issues", "warning_issues",
"errors", "warnings"}``. ``issues`` lists the located errors
(:meth:`junheng.DataIssue.to_dict`: severity, code, message, file, row, record_id,
field, found, expected) — the same issues ``junheng validate`` prints — and is empty
when the problem is not about the data; ``warning_issues`` the warnings that came
with them (a warning alone never fails a request).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from junheng import DataIssue

__all__ = ["MEDIA_TYPE", "PROBLEM_TYPES", "Problem", "issue_dicts", "problem_body"]

MEDIA_TYPE = "application/problem+json"
_BASE = "https://junheng.example/problems/"

#: problem slug → (HTTP status, Chinese title with English); the OpenAPI document and
#: docs/http.md list the same
PROBLEM_TYPES: Mapping[str, tuple[int, str]] = {
    "bad-request": (400, "请求无法读取 (bad request)"),
    "unauthorized": (401, "缺少或错误的 API 密钥 (unauthorized)"),
    "not-found": (404, "不存在 (not found)"),
    "unknown-ruleset": (404, "未知的规则集 (unknown ruleset)"),
    "method-not-allowed": (405, "不支持的请求方法 (method not allowed)"),
    "too-large": (413, "请求体过大 (content too large)"),
    "unsupported-media-type": (415, "不支持的媒体类型 (unsupported media type)"),
    "invalid-data": (422, "数据有错误 (invalid data)"),
    "internal-error": (500, "内部错误 (internal error)"),
    "busy": (503, "服务繁忙 (busy)"),
    "time-limit": (503, "超过处理时限 (time limit exceeded)"),
}


class Problem(Exception):
    """An error answer: ``kind`` a slug of :data:`PROBLEM_TYPES`, ``detail`` a Chinese
    sentence for people, ``issues`` the located data issues, ``headers`` extra headers
    (``Retry-After``, ``WWW-Authenticate``)."""

    def __init__(
        self,
        kind: str,
        detail: str,
        *,
        issues: Iterable[DataIssue | Mapping[str, Any]] = (),
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.kind = kind
        self.status, self.title = PROBLEM_TYPES[kind]
        self.detail = detail
        self.issues = issue_dicts(issues)
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def body(self, instance: str) -> bytes:
        return problem_body(
            self.kind, self.detail, instance=instance, issues=self.issues, extra=self.extra
        )


def issue_dicts(issues: Iterable[DataIssue | Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each issue as the JSON object ``junheng validate --format json`` prints."""
    return [i.to_dict() if isinstance(i, DataIssue) else dict(i) for i in issues]


def problem_body(
    kind: str,
    detail: str,
    *,
    instance: str,
    issues: Iterable[Mapping[str, Any]] = (),
    extra: Mapping[str, Any] | None = None,
) -> bytes:
    """The problem+json document as bytes."""
    status, title = PROBLEM_TYPES[kind]
    every = list(issues)
    errors = [i for i in every if i.get("severity") != "warning"]
    warnings = [i for i in every if i.get("severity") == "warning"]
    doc: dict[str, Any] = {
        "type": _BASE + kind,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "issues": errors,
        "warning_issues": warnings,
        "errors": len(errors),
        "warnings": len(warnings),
        **dict(extra or {}),
    }
    return orjson.dumps(doc, option=orjson.OPT_NON_STR_KEYS)
