"""The JSON report (CONTRACT.md shape, described by ``schemas/report.schema.json``).

UTF-8, serialised with orjson (a national report is hundreds of MiB: the
standard library takes ~30 s for 210,000 schools). The ``schools`` array is
streamed: :func:`write` serialises everything else once (two-space indentation),
then the schools a chunk at a time, each school unit one compact line formatted
straight from the result columns (``grep`` finds a school's whole result), so the
~3 million check dicts of a national report are never built. A second thread
writes each chunk while the next is formatted. The file parses to exactly
``report.to_dict()`` (``tests/test_report_json.py`` holds the two side by side).
Undefined values are ``null``. Without orjson the standard library renders the
same document (all indented) in one piece.
"""

from __future__ import annotations

import io
import json
import re
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any

import attrs
import numpy as np

from ..bulk import gc_paused
from ..results import Report, SchoolTable
from ..results.rows import (
    CHECK_COLUMNS,
    CHECK_DETAIL,
    CHECK_UNIT,
    UNIT_CHECKS,
    UNIT_COLUMNS,
    Indexed,
    check_columns,
    unit_columns,
)
from ..text import scrub

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency; json is the fallback
    orjson = None

_MARK = "\x00junheng:schools\x00"  # stands in for the schools array while the rest is dumped


def _default(obj: Any) -> Any:
    item = getattr(obj, "item", None)  # numpy scalars
    if callable(item):
        return item()
    raise TypeError(f"Type is not JSON serializable: {type(obj).__name__}")


def render(report: Report) -> bytes:
    """The whole report as bytes (what :func:`write` streams)."""
    buffer = io.BytesIO()
    write(report, buffer)
    return buffer.getvalue()


def write(report: Report, out: IO[bytes]) -> None:
    """Stream the report to the binary file ``out``."""
    if orjson is None:  # pragma: no cover - orjson is a dependency
        doc = report.to_dict()
        text = json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False, default=_default)
        out.write(text.encode("utf-8"))
        return
    option = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
    with gc_paused(), ThreadPoolExecutor(1, thread_name_prefix="junheng-json") as writer:
        doc = report.to_dict(schools=False)
        doc["schools"] = _MARK
        # the top-level key sits at indent 2 after a real newline, which no string
        # value can contain unescaped: this split point is unique
        key = b'\n  "schools": '
        try:
            whole = orjson.dumps(doc, default=_default, option=option)
        except orjson.JSONEncodeError:  # a lone surrogate in some text: put out as U+FFFD
            whole = orjson.dumps(scrub(doc), default=_default, option=option)
        del doc  # ~90 MiB of dicts for a national batch: not kept while the schools stream
        # the parts around the schools are written as views of the one dump: slicing or
        # joining bytes would copy ~120 MiB (the peak RSS of a national report)
        at = whole.index(key + orjson.dumps(_MARK)) + len(key)
        view = memoryview(whole)
        head, tail = view[:at], view[at + len(orjson.dumps(_MARK)) :]
        pending = writer.submit(out.write, head)
        table = report.schools
        included = np.nonzero(table.units.included)[0]
        layout = _layout(table, included)
        opening = b"[\n    "
        for start in range(0, included.size, _CHUNK):
            lines = _school_lines(table, included[start : start + _CHUNK], layout)
            block = opening + b",\n    ".join(lines)
            pending.result()  # the file write runs beside the next chunk's formatting
            pending = writer.submit(out.write, block)
            opening = b",\n    "
        pending.result()
        out.write(b"[]" if opening.startswith(b"[") else b"\n  ]")
        out.write(tail)


# --------------------------------------------------------------------------- school lines
#
# One school unit per line, in the shape of junheng.results.rows (the same spec
# SchoolTable.iter_dicts follows), formatted without building its ~14 dicts: each
# column becomes JSON tokens in one C-level call (orjson on a float array; a lookup
# for booleans and for the whole object of a yes/no rule), and a bytes %-template
# fills a line per unit. tests/test_report_json.py proves the file parses to to_dict().

_CHUNK = 8192
_BOOL_TOKENS = np.array([b"false", b"true", b"null"], dtype=object)  # by 0 / 1 / undefined
# what JSON escapes inside a string, and the lone surrogates UTF-8 cannot encode
_MUST_ESCAPE = re.compile('["\\\\\x00-\x1f\ud800-\udfff]')


def _literal(value: str) -> bytes:
    """``value`` as a JSON string, safe inside a %-template."""
    return orjson.dumps(value).replace(b"%", b"%%")


@attrs.frozen
class _Layout:
    """The line template of one report and the checks written as one token each."""

    template: bytes
    #: checks whose columns are all 0, 1 or undefined (the yes/no rules): each unit's
    #: whole object is one of 81, picked by a code
    ternary: dict[str, np.ndarray]


_TEMPLATE = {"text": b'"%s"', "bool": b"%s", "number": b"%s"}


def _layout(table: SchoolTable, included: np.ndarray) -> _Layout:
    own = b",".join(_literal(c.key) + b":" + _TEMPLATE[c.kind] for c in UNIT_COLUMNS)
    parts = [b"{" + own + b"," + _literal(UNIT_CHECKS) + b":{"]
    ternary = {}
    for k, cid in enumerate(table.check_ids):
        unit = b"," + orjson.dumps(CHECK_UNIT) + b":" + orjson.dumps(table.unit_of(cid))
        key = (b"," if k else b"") + _literal(cid) + b":"
        columns = check_columns(table, cid, included)
        if cid not in table.detail and all(_zero_one(columns[c.key]) for c in CHECK_COLUMNS):
            ternary[cid] = _objects(unit)  # filled in by %s: not escaped
            parts.append(key + b"%s")
        else:
            fields = b",".join(_literal(c.key) + b":%s" for c in CHECK_COLUMNS)
            tail = b"%s}" if cid in table.detail else unit.replace(b"%", b"%%") + b"}"
            parts.append(key + b"{" + fields + tail)
    parts.append(b"}}")
    return _Layout(b"".join(parts), ternary)


_FLOAT_01 = (b"0.0", b"1.0", b"null")


def _zero_one(a: np.ndarray) -> bool:
    a = np.asarray(a, dtype=float)
    return bool(np.all((a == 0.0) | (a == 1.0) | np.isnan(a)))


def _objects(unit: bytes) -> np.ndarray:
    """The 81 objects of a yes/no check, indexed by the trits of its CHECK_COLUMNS
    (value·27 + threshold·9 + met·3 + shortfall; each 0, 1 or 2 for undefined), then
    its unit, written as orjson writes them."""
    out = []
    for code in range(81):
        trits = (code // 27, code // 9 % 3, code // 3 % 3, code % 3)
        items = [
            orjson.dumps(c.key) + b":" + (_BOOL_TOKENS[t] if c.kind == "bool" else _FLOAT_01[t])
            for c, t in zip(CHECK_COLUMNS, trits, strict=True)
        ]
        out.append(b"{" + b",".join(items) + unit + b"}")
    return np.array(out, dtype=object)


def _trit(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    return np.where(np.isnan(a), 2, a).astype(np.intp)


def _tokens(kind: str, values) -> list[bytes]:
    if isinstance(values, Indexed):
        return _indexed(_string_tokens(list(values.distinct)), values.index)
    if kind == "text":
        return _string_tokens(values)
    if kind == "bool":
        return _bool_tokens(values)
    return _float_tokens(values)


def _school_lines(table: SchoolTable, idx: np.ndarray, layout: _Layout) -> list[bytes]:
    own = unit_columns(table, idx)
    columns = [_tokens(c.kind, own[c.key]) for c in UNIT_COLUMNS]
    for cid in table.check_ids:
        values = check_columns(table, cid, idx)
        objects = layout.ternary.get(cid)
        if objects is not None:
            code = np.zeros(idx.size, dtype=np.intp)
            for c in CHECK_COLUMNS:
                code = code * 3 + _trit(values[c.key])
            columns.append(objects[code].tolist())
            continue
        columns += [_tokens(c.kind, values[c.key]) for c in CHECK_COLUMNS]
        if cid in table.detail:
            unit = b"," + orjson.dumps(CHECK_UNIT) + b":" + orjson.dumps(table.unit_of(cid))
            detail = b"," + orjson.dumps(CHECK_DETAIL) + b":"
            columns.append(
                [
                    unit + detail + orjson.dumps(text) if text else unit
                    for text in table.detail[cid][idx].tolist()
                ]
            )
    return [layout.template % row for row in zip(*columns, strict=True)]


def _float_tokens(a: np.ndarray) -> list[bytes]:
    """JSON numbers (NaN and ±inf → null), exactly as orjson writes Python floats."""
    text = orjson.dumps(
        np.ascontiguousarray(a, dtype=np.float64), option=orjson.OPT_SERIALIZE_NUMPY
    )
    return text[1:-1].split(b",") if len(text) > 2 else []


def _bool_tokens(a: np.ndarray) -> list[bytes]:
    a = np.asarray(a, dtype=float)
    return _BOOL_TOKENS[np.where(np.isnan(a), 2, a == 1.0).astype(np.intp)].tolist()


def _string_tokens(values: list) -> list[bytes]:
    """The inside of each JSON string (between the quotes)."""
    if set(map(type, values)) <= {str}:  # C-level check: the usual all-text column
        texts = values
    else:
        texts = ["" if v is None else str(v) for v in values]
    if not _MUST_ESCAPE.search("".join(texts)):
        # nothing to escape: a JSON string's inside is the text itself; NUL (absent,
        # as just checked) separates them for one C-level split
        return "\x00".join(texts).encode("utf-8").split(b"\x00") if texts else []
    return [orjson.dumps(_encodable(t))[1:-1] for t in texts]


def _encodable(text: str) -> str:
    """``text`` with lone surrogates as U+FFFD (validated data holds none; a record passed
    with ``validate_input=False`` or a plugin's text might)."""
    return _SURROGATE.sub("\ufffd", text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _indexed(tokens: list[bytes], index: np.ndarray) -> list[bytes]:
    return np.array(tokens, dtype=object)[np.asarray(index, dtype=np.intp)].tolist()
