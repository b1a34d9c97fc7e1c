"""Reading a JSON report for comparison: a file (or a document in memory) → the report
document, or every problem of it located (file, JSON path, school or county, what was found,
what is expected).

A report is what ``junheng evaluate --format json`` writes, described by
``schemas/report.schema.json``. This module reads that contract only — never the engine's
results — so a report written by another junheng installation (another machine, last year's
release) compares the same way. What it refuses, with the reason:

- a path that is missing, a folder, unreadable, empty;
- bytes that are not UTF-8 JSON (an XLSX or HTML report, a GB18030 CSV, a truncated file —
  the line where it stops is named);
- JSON that is not a report (school or county data, a comparison, anything else);
- a report of another ``schema_version`` than the one this junheng reads (a report without
  the key was written before it existed: version 1);
- a report that does not satisfy the report schema (every error, up to
  :data:`MAX_ERRORS_PER_FILE`, at its JSON path), or that lists one school unit (id ×
  stage) or one county twice.

jsonschema-rs decides validity fast when it is installed; the errors of an invalid report
come from :mod:`jsonschema`, the reference validator.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
from jsonschema import Draft202012Validator

from ..issues import DataIssue
from ..text import shorten

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency
    orjson = None

try:  # the fast validity check; jsonschema stays the reference for the messages
    import jsonschema_rs
except ImportError:  # pragma: no cover - jsonschema-rs is a dependency
    jsonschema_rs = None

__all__ = [
    "MAX_ERRORS_PER_FILE",
    "MAX_REPORT_BYTES",
    "Source",
    "read_report",
    "report_schema",
    "schema_version",
]

#: the largest report read (a national report of 210,000 schools is about 400 MiB; parsed,
#: a report takes several times its size in memory)
MAX_REPORT_BYTES = 1 << 30

#: schema errors listed per file (an old report fails the same way in thousands of places)
MAX_ERRORS_PER_FILE = 20

#: what every message about a file that is not a report says is expected
EXPECTED = "junheng evaluate 写出的 JSON 报告（--format json）"

#: a report given as a path, a document already parsed, or a Report (anything with to_dict)
Source = Any


@cache
def report_schema() -> dict[str, Any]:
    """``schemas/report.schema.json``, parsed once."""
    text = resources.files("junheng.schemas").joinpath("report.schema.json").read_text("utf-8")
    return json.loads(text)


def schema_version() -> int:
    """The report ``schema_version`` this junheng reads (the schema's ``const``)."""
    return int(report_schema()["properties"]["schema_version"]["const"])


@cache
def _reference() -> Draft202012Validator:
    return Draft202012Validator(report_schema())


@cache
def _fast() -> Any:
    if jsonschema_rs is None:  # pragma: no cover - jsonschema-rs is a dependency
        return None
    try:
        return jsonschema_rs.Draft202012Validator(report_schema())
    except Exception:  # pragma: no cover - a schema the Rust backend cannot compile
        return None


def read_report(source: Source, label: str) -> tuple[dict[str, Any] | None, list[DataIssue]]:
    """The report document of ``source`` and the problems found (errors: the document is
    None). ``label`` names the source in messages when it is not a file (``OLD``, ``NEW``)."""
    if isinstance(source, (str, os.PathLike)):
        file = str(source)
        doc, issues = _parse_file(Path(source), file)
        if issues:
            return None, issues
    else:
        file = label
        doc = source.to_dict() if hasattr(source, "to_dict") else source
        if not isinstance(doc, Mapping):
            return None, [_error("parse", file, f"不是报告：{type(source).__name__}", doc)]
    issues = _check(doc, file)
    return (None, issues) if issues else (dict(doc), [])


# --------------------------------------------------------------------------- the file


def _parse_file(path: Path, file: str) -> tuple[Any, list[DataIssue]]:
    if not path.exists():
        return None, [_error("parse", file, "文件不存在", None, "一个已有的 JSON 报告文件")]
    if path.is_dir():
        return None, [_error("parse", file, "这是一个文件夹，不是报告文件", None)]
    if not path.is_file():  # a device (a link to /dev/zero), a pipe: never read
        return None, [_error("parse", file, "不是普通文件（设备或管道），不读取", None)]
    try:
        size = path.stat().st_size
        if size > MAX_REPORT_BYTES:
            return None, [
                _error(
                    "too_large",
                    file,
                    f"文件过大：{size / 2**20:,.0f} MiB，上限 {MAX_REPORT_BYTES / 2**20:,.0f} MiB",
                    size,
                    MAX_REPORT_BYTES,
                )
            ]
        data = path.read_bytes()
    except OSError as exc:
        return None, [_error("parse", file, f"无法读取（{exc.strerror or exc}）", None)]
    if not data.strip():
        return None, [_error("parse", file, "文件是空的", "空文件")]
    kind = _other_format(data)
    if kind:
        return None, [_error("parse", file, f"这是 {kind}，不是 JSON 报告", kind)]
    if data.startswith(b"\xef\xbb\xbf"):  # a byte-order mark an editor added: still UTF-8
        data = data[3:]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":  # cut inside a character: truncated
            return None, [_truncated(data, file)]
        line = data[: exc.start].count(b"\n") + 1
        return None, [
            _error(
                "encoding",
                file,
                f"第 {line} 行不是 UTF-8 编码（junheng 的 JSON 报告总是 UTF-8）",
                f"字节 {data[exc.start : exc.start + 4].hex(' ')}",
            )
        ]
    try:
        return (orjson.loads(data) if orjson is not None else json.loads(data)), []
    except ValueError as exc:  # orjson.JSONDecodeError and json.JSONDecodeError both
        return None, [_parse_error(data, file, exc)]


def _truncated(data: bytes, file: str) -> DataIssue:
    last = data.rstrip().count(b"\n") + 1
    return _error(
        "parse",
        file,
        f"文件在第 {last} 行中断，JSON 不完整（文件被截断或仍在写入？）",
        f"第 {last} 行后文件结束",
    )


def _other_format(data: bytes) -> str | None:
    """What a file that is clearly not JSON is (a report in another format, data)."""
    head = data.lstrip()[:64].lower()
    if data.startswith(b"PK\x03\x04"):
        return "ZIP 压缩文件（XLSX 报告或 Excel 表格）"
    if head.startswith((b"<!doctype html", b"<html")):
        return "HTML 报告"
    if head.startswith(b"#") or head.startswith(b"|"):
        return "Markdown 文本"
    return None


def _parse_error(data: bytes, file: str, exc: ValueError) -> DataIssue:
    pos = getattr(exc, "pos", None)
    line = getattr(exc, "lineno", None)
    column = getattr(exc, "colno", None)
    message = getattr(exc, "msg", str(exc))
    at_end = pos is not None and not data[pos:].strip()
    if at_end or any(word in message for word in ("end of data", "EOF", "Unterminated")):
        return _truncated(data, file)
    where = f"第 {line} 行第 {column} 列" if line is not None else "某处"
    return _error("parse", file, f"不是有效的 JSON：{where}（{message}）", shorten(message))


# --------------------------------------------------------------------------- the document


def _check(doc: Any, file: str) -> list[DataIssue]:
    if not isinstance(doc, Mapping):
        return [_not_a_report(doc, file)]
    required = report_schema()["required"]
    if not any(key in doc for key in required) or _is_comparison(doc):
        return [_not_a_report(doc, file)]
    version = doc.get("schema_version", 1)
    wanted = schema_version()
    if version != wanted or isinstance(version, bool):
        return [
            _error(
                "schema.const",
                file,
                f"报告格式版本（schema_version）为 {_show(version)}，本版本 junheng 只读取版本 "
                f"{wanted} 的报告；请用同一版本的 junheng 重新评估两份数据后再对比",
                version,
                wanted,
                field="schema_version",
            )
        ]
    issues = _schema_issues(doc, file)
    return issues or _duplicates(doc, file)


def _not_a_report(doc: Any, file: str) -> DataIssue:
    if isinstance(doc, list):
        looks = "学校数据文件（学校记录的数组）" if _records(doc, "school_type") else "一个数组"
        found = "数组（array）"
    elif isinstance(doc, Mapping):
        if _is_comparison(doc):
            looks = "junheng compare 的对比结果"
        elif "items" in doc or "finance" in doc or "vetoes" in doc:
            looks = "县级数据文件"
        elif "school_type" in doc:
            looks = "一条学校记录"
        else:
            looks = "一个没有 ruleset、provenance、counties、schools 的对象"
        found = f"对象，键 {', '.join(list(map(str, doc))[:6])}"
    else:
        looks, found = f"一个 {type(doc).__name__} 值", _show(doc)
    return _error("schema.required", file, f"不是 junheng 评估报告：这是{looks}", found)


def _is_comparison(doc: Mapping[str, Any]) -> bool:
    """What ``junheng compare`` writes: its old / new sides and its summary."""
    return (
        isinstance(doc.get("old"), Mapping)
        and isinstance(doc.get("new"), Mapping)
        and "summary" in doc
    )


def _records(doc: list, key: str) -> bool:
    return bool(doc) and all(isinstance(r, Mapping) and key in r for r in doc[:5])


def _schema_issues(doc: Mapping[str, Any], file: str) -> list[DataIssue]:
    fast = _fast()
    if fast is not None and fast.is_valid(doc):
        return []
    errors = sorted(_reference().iter_errors(doc), key=lambda e: [str(p) for p in e.path])
    if not errors:
        return []
    issues = [_schema_issue(doc, file, e) for e in errors[:MAX_ERRORS_PER_FILE]]
    hidden = len(errors) - len(issues)
    if hidden:  # an old or foreign report fails the same way in thousands of places
        last = issues[-1]
        issues[-1] = attrs.evolve(
            last,
            message=f"{last.message}（另有 {hidden} 处不符合报告格式，未逐一列出）",
            detail=f"{last.detail}（另有 {hidden} 处不符合报告格式，未逐一列出）",
        )
    return issues


_TYPE_WORDS = {
    "object": "对象",
    "array": "数组",
    "string": "字符串",
    "number": "数值",
    "integer": "整数",
    "boolean": "布尔值（true/false）",
    "null": "null",
}


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "布尔值"
    if isinstance(value, (int, float)):
        return "数值"
    if isinstance(value, str):
        return "字符串"
    return "数组" if isinstance(value, list) else "对象"


def _schema_issue(doc: Mapping[str, Any], file: str, error: Any) -> DataIssue:
    path = list(error.path)
    keyword = error.validator
    value = error.validator_value
    found = error.instance
    if keyword == "type":
        types = [value] if isinstance(value, str) else list(value)
        actual = _kind(found) + (f" {_show(found)}" if _scalar(found) else "")
        what = f"应为{'或'.join(_TYPE_WORDS.get(t, t) for t in types)}，实际为{actual}"
        expected: Any = types
    elif keyword == "required":
        missing = [k for k in value if isinstance(found, Mapping) and k not in found]
        what = f"缺少键 {', '.join(missing)}"
        found, expected = None, missing
    elif keyword == "enum":
        what = f"应为 {' / '.join(map(str, value))} 之一，实际为 {_show(found)}"
        expected = value
    elif keyword == "const":
        what = f"应为 {_show(value)}，实际为 {_show(found)}"
        expected = value
    elif keyword in ("minimum", "maximum"):
        what = f"应{'不小于' if keyword == 'minimum' else '不大于'} {value}，实际为 {_show(found)}"
        expected = value
    elif keyword == "pattern":
        what = f"格式不对（应匹配 {value}），实际为 {_show(found)}"
        expected = value
    else:
        what = f"不符合报告格式（{keyword}: {shorten(error.message)}）"
        expected = value if isinstance(value, (str, int, float, bool)) else None
    record, subject = _record_of(doc, path)
    return DataIssue.located(
        "error",
        f"schema.{keyword}",
        what,
        file=file,
        record_id=record,
        subject=subject,
        field=_json_path(path) or "（整个文件）",
        found=found if isinstance(found, (str, int, float, bool)) or found is None else None,
        expected=expected,
    )


def _record_of(doc: Mapping[str, Any], path: list) -> tuple[str | None, str]:
    """The school unit or county an error sits in, for the issue table's record column."""
    if len(path) >= 2 and path[0] in ("schools", "counties") and isinstance(path[1], int):
        try:
            item = doc[path[0]][path[1]]
        except (IndexError, KeyError, TypeError):
            return None, "学校"
        if isinstance(item, Mapping):
            if path[0] == "schools" and isinstance(item.get("id"), str):
                stage = item.get("stage")  # unchecked: the error may be the stage itself
                if isinstance(stage, str) and stage:
                    return f"{item['id']}（{_STAGE.get(stage, stage)}）", "学校"
                return item["id"], "学校"
            if path[0] == "counties" and isinstance(item.get("county_code"), str):
                return item["county_code"], "县"
    return None, "学校"


_STAGE = {"primary": "小学", "junior": "初中"}


def _json_path(path: list) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _duplicates(doc: Mapping[str, Any], file: str) -> list[DataIssue]:
    issues: list[DataIssue] = []
    seen: dict[tuple[str, str], int] = {}
    for k, school in enumerate(doc["schools"]):
        key = (school["id"], school["stage"])
        if key in seen:
            issues.append(
                DataIssue.located(
                    "error",
                    "duplicate_id",
                    f"同一学校学段在报告中出现两次（schools[{seen[key]}] 与 schools[{k}]）",
                    file=file,
                    record_id=f"{key[0]}（{_STAGE.get(key[1], key[1])}）",
                    field=f"schools[{k}]",
                    found=key[0],
                    expected="每个学校学段（学校代码 × 学段）只出现一次",
                )
            )
        seen.setdefault(key, k)
    codes: dict[str, int] = {}
    for k, county in enumerate(doc["counties"]):
        code = county["county_code"]
        if code in codes:
            issues.append(
                DataIssue.located(
                    "error",
                    "duplicate_id",
                    f"同一县在报告中出现两次（counties[{codes[code]}] 与 counties[{k}]）",
                    file=file,
                    record_id=code,
                    subject="县",
                    field=f"counties[{k}]",
                    found=code,
                    expected="每个县只出现一次",
                )
            )
        codes.setdefault(code, k)
    return issues


# --------------------------------------------------------------------------- helpers


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{shorten(value, 40)}"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return _kind(value)


def _error(
    code: str,
    file: str,
    what: str,
    found: Any,
    expected: Any = EXPECTED,
    *,
    field: str | None = None,
) -> DataIssue:
    detail = what if expected is None or expected != EXPECTED else f"{what}；应为 {EXPECTED}"
    return DataIssue.located(
        "error",
        code,
        detail,
        file=file,
        field=field,
        found=found if isinstance(found, (str, int, float, bool)) or found is None else None,
        expected=expected,
    )
