"""JSON files: strictly parsed, then the array of school objects (or county objects) taken as is.

Strict JSON: no ``NaN``/``Infinity``, numbers that overflow are refused, nesting
past the parser's limit is an error, and an object repeating a key is an error
(checked for files up to ``Limits.duplicate_key_check_bytes``;
larger files are parsed straight from their bytes — by msgspec when the
``junheng[fastjson]`` extra is installed, else by orjson — where the last of
repeated keys wins). JSON values are not coerced: the validator checks them.
"""

from __future__ import annotations

import codecs
import json
import math
import re
from typing import Any

from ..bulk import gc_paused
from .encoding import decode_text
from .source import ReadContext, ReadResult, failed, mib

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency; json is the fallback
    orjson = None

__all__ = ["read_json"]


def read_json(data: bytes, ctx: ReadContext) -> ReadResult:
    """School records (``ctx.kind == "schools"``) or county records from a JSON file's bytes."""
    from_json = _counties_from_json if ctx.kind == "county" else _schools_from_json
    with gc_paused():
        parsed = _parse_large_json(data, ctx.limits.duplicate_key_check_bytes)
        if parsed is None:
            text = decode_text(data, ctx)
            if text is None:
                return failed(ctx)
            parsed = _parse_json(text, ctx, ctx.limits.duplicate_key_check_bytes)
            if parsed is None:
                return failed(ctx)
        doc, duplicates = parsed
        result = from_json(doc, ctx)
        if duplicates:
            _report_duplicate_keys(result, duplicates, ctx)
        if len(data) > ctx.limits.duplicate_key_check_bytes and result.records:
            ctx.warning(
                "duplicate_key_unchecked",
                f"文件大于 {mib(ctx.limits.duplicate_key_check_bytes)}，未检查对象中重复的键"
                "（一个键重复出现时取最后一个值）；如有疑问，请分成较小的文件检查。",
            )
    return result


class _JsonConstant(ValueError):
    """NaN, Infinity or -Infinity in a JSON file (Python's json accepts them; JSON does not)."""


def _reject_constant(name: str) -> Any:
    raise _JsonConstant(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 overflows to inf
        raise _JsonConstant(text)
    return value


def _loads(
    text: str, duplicates: list[tuple[dict[str, Any], list[str]]] | None, check_bytes: int
) -> Any:
    """Parse JSON strictly: no NaN/Infinity; duplicated keys collected into ``duplicates``.

    Up to ``check_bytes`` the standard library parses with a hook
    that notes every object repeating a key. Larger files go to orjson when
    installed (several times faster on national files; it keeps the last value of
    a repeated key); whatever orjson refuses is parsed again by :func:`json.loads`,
    so what is accepted and the error positions reported are the standard library's.
    """
    if orjson is not None and len(text) > check_bytes:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs) and duplicates is not None:
            seen: set[str] = set()
            repeated = [k for k, _ in pairs if k in seen or seen.add(k)]  # type: ignore[func-returns-value]
            duplicates.append((obj, repeated))
        return obj

    return json.loads(
        text,
        parse_constant=_reject_constant,
        parse_float=_finite_float,
        object_pairs_hook=pairs_hook,
    )


def _parse_large_json(
    data: bytes, check_bytes: int
) -> tuple[Any, list[tuple[dict[str, Any], list[str]]]] | None:
    """A large UTF-8 file parsed straight from its bytes (msgspec, else orjson), or None.

    Decoding a national file to ``str`` first costs a second copy of it and makes
    orjson encode it back to UTF-8 (2.3 s instead of 0.9 s for 210,000 schools).
    msgspec (the optional ``junheng[fastjson]`` extra) builds the same dicts faster
    and in less memory than orjson (``bench/json_decode.py``, 210,000 schools: decoded
    in 0.72–0.76 s against 0.97–5.4 s, peak RSS 897 MiB against 1,351 MiB), and keeps
    integers past 64 bits exact as the standard library does (orjson makes them floats).
    None (a small file, one not in UTF-8, anything the parser refuses — including
    numbers out of range and nesting too deep) sends the file down the text path,
    whose decoding and error messages are the reference.
    """
    if len(data) <= check_bytes:
        return None
    body = data.removeprefix(codecs.BOM_UTF8)
    msgspec = _msgspec()
    if msgspec is not None:
        try:
            return msgspec.json.decode(body), []
        except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
            return None
    if orjson is None:
        return None
    try:
        return orjson.loads(body), []
    except orjson.JSONDecodeError:
        return None


def _msgspec() -> Any:
    """The msgspec module when the ``junheng[fastjson]`` extra is installed, else None
    (imported on the first large file only)."""
    try:
        import msgspec
    except ImportError:
        return None
    return msgspec


def _parse_json(
    text: str, ctx: ReadContext, check_bytes: int
) -> tuple[Any, list[tuple[dict[str, Any], list[str]]]] | None:
    """The parsed document and the objects with repeated keys, or None after an issue."""
    duplicates: list[tuple[dict[str, Any], list[str]]] = []
    try:
        return _loads(text, duplicates, check_bytes), duplicates
    except json.JSONDecodeError as exc:
        ctx.error(
            "parse",
            f"不是有效的 JSON：第{exc.lineno}行第{exc.colno}列 {exc.msg}"
            "（文件可能不完整或并非 JSON）。",
            found=f"line {exc.lineno} column {exc.colno}",
        )
    except _JsonConstant as exc:
        line, col = _position(text, re.search(rf"(?<![\w.]){re.escape(str(exc))}(?![\w.])", text))
        what = (
            "不是 JSON 允许的数值"
            if str(exc).lstrip("-") in ("NaN", "Infinity")
            else "超出可表示的数值范围"
        )
        ctx.error(
            "parse",
            f"不是有效的 JSON：第{line}行第{col}列 {exc} {what}，请填写数字或留空（null）。",
            found=str(exc),
            expected="number",
        )
    except RecursionError:
        ctx.error("parse", "不是有效的 JSON：数组或对象嵌套过深（文件可能已损坏）。")
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        ctx.error("parse", f"不是有效的 JSON：{exc}。")
    return None


def _position(text: str, match: re.Match[str] | None) -> tuple[int, int]:
    if match is None:
        return 1, 1
    before = text[: match.start()]
    return before.count("\n") + 1, match.start() - (before.rfind("\n") + 1) + 1


def _report_duplicate_keys(
    result: ReadResult, duplicates: list[tuple[dict[str, Any], list[str]]], ctx: ReadContext
) -> None:
    """One located error per object that repeats a key (record position, id, field path)."""
    where = {id(obj): keys for obj, keys in duplicates}
    matched: set[int] = set()
    for record, row in zip(result.records, result.rows, strict=True):
        stack: list[tuple[Any, str, int]] = [(record, "", 0)]
        while stack:
            node, path, depth = stack.pop()
            if isinstance(node, dict):
                for key in where.get(id(node), []):
                    matched.add(id(node))
                    full = f"{path}.{key}" if path else key
                    rid = record.get("id") or record.get("county_code")
                    ctx.error(
                        "duplicate_key",
                        f"键“{key}”在同一对象中出现多次，无法确定取哪个值。",
                        row=row,
                        record_id=str(rid) if isinstance(rid, (str, int)) else None,
                        field=full,
                        found=key,
                    )
                if depth < 8:
                    stack.extend(
                        (v, f"{path}.{k}" if path else str(k), depth + 1) for k, v in node.items()
                    )
            elif isinstance(node, list) and depth < 8:
                stack.extend((v, f"{path}[{i}]", depth + 1) for i, v in enumerate(node))
    if len(matched) < len(where):  # e.g. a repeated key in the wrapper object
        ctx.error("duplicate_key", "JSON 中有对象的键重复出现，无法确定取哪个值。")


def _schools_from_json(doc: Any, ctx: ReadContext) -> ReadResult:
    if isinstance(doc, dict) and isinstance(doc.get("schools"), list):
        others = [k for k in doc if k != "schools"]
        if others:
            county = "county" in others
            ctx.warning(
                "ignored_part",
                f"JSON 中除 schools 外的部分（{'、'.join(map(str, others[:5]))}）未作为学校数据读入"
                + ("；县级数据请用 --county 提供（可以就是这个文件）" if county else "")
                + "。",
                found=others[:5],
            )
        doc = doc["schools"]
    if not isinstance(doc, list):
        ctx.error(
            "parse",
            f"JSON 顶层应为学校记录的数组（array），实际是{_json_kind(doc)}。",
            found=_json_kind(doc),
            expected="array",
        )
        return failed(ctx)
    return _json_objects(doc, ctx, "学校记录")


def _counties_from_json(doc: Any, ctx: ReadContext) -> ReadResult:
    if isinstance(doc, dict) and isinstance(doc.get("schools"), list) and "county" in doc:
        doc = doc["county"]  # one file holding both: {"schools": [...], "county": {...}}
    if isinstance(doc, dict):
        doc = [doc]
    if not isinstance(doc, list):
        ctx.error(
            "parse",
            f"JSON 顶层应为县域数据对象（object）或其数组，实际是{_json_kind(doc)}。",
            found=_json_kind(doc),
            expected="object",
        )
        return failed(ctx)
    return _json_objects(doc, ctx, "县域数据")


def _json_objects(items: list[Any], ctx: ReadContext, what: str) -> ReadResult:
    if items and set(map(type, items)) == {dict}:  # C-level check: the usual file
        return ReadResult(items, ctx.issues, list(range(1, len(items) + 1)), ctx.file, ctx.row_unit)
    records: list[dict[str, Any]] = []
    rows: list[int] = []
    for pos, item in enumerate(items, start=1):
        if isinstance(item, dict):
            records.append(item)
            rows.append(pos)
        else:
            ctx.error(
                "parse",
                f"{what}应为对象（object），实际是{_json_kind(item)}，已跳过。",
                row=pos,
                found=_json_kind(item),
                expected="object",
            )
    if not items:
        ctx.error("parse", f"文件中没有{what}。")
    return ReadResult(records, ctx.issues, rows, ctx.file, ctx.row_unit)


def _json_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "对象（object）"
    if isinstance(value, list):
        return "数组（array）"
    if isinstance(value, str):
        return "文本（string）"
    if isinstance(value, bool):
        return "布尔值（boolean）"
    if isinstance(value, (int, float)):
        return "数字（number）"
    return "空值（null）"
