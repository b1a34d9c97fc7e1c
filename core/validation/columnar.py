"""The schema step on Arrow columns: which rows break the schema, decided column by column.

For school records read from a table (:class:`~junheng.tables.TableColumns`) the
JSON Schema of the engine's registry is applied to whole columns: each field's
type (from the column's Arrow type, and for float columns of integer fields
whether each value is whole), bounds, enumeration, pattern and length; required
fields (top level, and within a stage block the row has); columns the schema does
not know. NaN and infinity are refused as in the record path. Only the rows this
flags are built as records and explained by :func:`~junheng.validation.schema.schema_issues`
— jsonschema, the reference — so the messages are the record path's own.

A keyword this module does not evaluate (a plugin's field may use any) flags every
row holding a value in that field: slower, never wrong. Text checks (pattern,
length) run once per distinct value with Python's ``re`` and ``len``, as jsonschema
does. ``tests/test_columnar_validation.py`` proves on generated tables that this
path and the record path report the same issues.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..domain import STAGES
from ..tables import TableColumns, pyarrow

__all__ = ["invalid_rows"]

#: keywords that assert nothing (annotations) or that this module evaluates
_ANNOTATIONS = frozenset({"title", "description", "$comment", "default", "examples", "format"})
_EVALUATED = frozenset(
    {
        "type",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "enum",
        "const",
        "pattern",
        "minLength",
        "maxLength",
    }
)


def invalid_rows(columns: TableColumns, schema: Mapping[str, Any]) -> np.ndarray:
    """Per row: does the record of that row break ``schema`` (a school schema)?"""
    table = columns.table
    n = table.num_rows
    bad = np.zeros(n, dtype=bool)
    props: Mapping[str, Any] = schema.get("properties", {})
    closed = schema.get("additionalProperties", True) is False
    for name in table.column_names:
        head, dot, key = name.partition(".")
        if dot and head in STAGES:
            block = props.get(head)
            if not isinstance(block, Mapping):  # a stage the schema does not have
                prop, shut = None, closed
            else:
                prop = block.get("properties", {}).get(key)
                shut = block.get("additionalProperties", True) is False
        else:
            prop, shut = props.get(name), closed
        col = columns.column(name)
        if col.null_count == n:
            continue
        present = col.is_valid().to_numpy(zero_copy_only=False)
        if prop is None:
            if shut:
                bad |= present
            continue
        bad |= present & _leaf_bad(col, prop)
    for name in schema.get("required", ()):
        if name in STAGES:
            bad |= ~columns.has_block(name)
        else:
            col = columns.column(name)
            bad |= True if col is None else ~col.is_valid().to_numpy(zero_copy_only=False)
    for stage in STAGES:
        block = props.get(stage)
        if not isinstance(block, Mapping):
            continue
        has = columns.has_block(stage)
        if not has.any():
            continue
        for name in block.get("required", ()):
            col = columns.column(f"{stage}.{name}")
            missing = True if col is None else ~col.is_valid().to_numpy(zero_copy_only=False)
            bad |= has & missing
    return bad


def _leaf_bad(col: Any, prop: Mapping[str, Any]) -> np.ndarray:
    """Per row (values present): does the value break the field's schema ``prop``?"""
    pa = pyarrow()
    t = pa.types
    n = len(col)
    if any(k not in _ANNOTATIONS and k not in _EVALUATED and not k.startswith("x-") for k in prop):
        return np.ones(n, dtype=bool)  # a keyword not evaluated here: jsonschema decides
    types = prop.get("type")
    types = set(types) if isinstance(types, list) else {types} if types else None
    kind = col.type
    if t.is_integer(kind) or t.is_floating(kind):
        values = col.cast(pa.float64()).to_numpy(zero_copy_only=False)
        with np.errstate(invalid="ignore"):
            finite = np.isfinite(values)
            bad = ~finite  # NaN, infinity: refused as in the record path
            if types is not None:
                if t.is_integer(kind):
                    ok = bool(types & {"integer", "number"})
                    bad |= not ok
                else:
                    whole = finite & (values == np.floor(values))
                    ok_type = np.full(n, "number" in types) | (whole & ("integer" in types))
                    bad |= ~ok_type
            bad |= _bounds(values, prop)
        if "enum" in prop or "const" in prop:
            bad |= _not_in(col, prop)
        return bad
    if t.is_boolean(kind):
        bad = np.full(n, types is not None and "boolean" not in types)
        if "enum" in prop or "const" in prop:
            bad |= _not_in(col, prop)
        return bad
    if t.is_string(kind):
        bad = np.full(n, types is not None and "string" not in types)
        if "enum" in prop or "const" in prop:
            bad |= _not_in(col, prop)
        if any(k in prop for k in ("pattern", "minLength", "maxLength")):
            bad |= _text_bad(col, prop)
        return bad
    if t.is_null(kind):
        return np.zeros(n, dtype=bool)
    return np.ones(n, dtype=bool)  # nothing else reaches here (the reader refuses it)


def _bounds(values: np.ndarray, prop: Mapping[str, Any]) -> np.ndarray:
    bad = np.zeros(values.size, dtype=bool)
    for keyword, breaks in (
        ("minimum", np.less),
        ("maximum", np.greater),
        ("exclusiveMinimum", np.less_equal),
        ("exclusiveMaximum", np.greater_equal),
    ):
        limit = prop.get(keyword)
        if isinstance(limit, (int, float)) and not isinstance(limit, bool):
            bad |= breaks(values, float(limit))
    return bad


def _not_in(col: Any, prop: Mapping[str, Any]) -> np.ndarray:
    """Values outside ``enum`` / ``const``, compared as JSON compares them (a true is not 1)."""
    pa = pyarrow()
    import pyarrow.compute as pc

    allowed = list(prop["enum"]) if "enum" in prop else [prop["const"]]
    bad = np.zeros(len(col), dtype=bool)
    if "enum" in prop and "const" in prop:
        bad |= _not_in(col, {"const": prop["const"]})
    is_bool = pa.types.is_boolean(col.type)
    is_text = pa.types.is_string(col.type)
    keep = [
        v
        for v in allowed
        if (isinstance(v, bool) == is_bool)
        and (isinstance(v, str) if is_text else isinstance(v, (int, float)))
    ]
    if not keep:
        return ~np.zeros(len(col), dtype=bool)
    inside = pc.is_in(col, value_set=pa.array(keep, type=col.type if not is_bool else pa.bool_()))
    return bad | ~inside.fill_null(True).to_numpy(zero_copy_only=False)


def _text_bad(col: Any, prop: Mapping[str, Any]) -> np.ndarray:
    """Pattern and length as jsonschema judges them: lengths in code points (Arrow's
    ``utf8_length``), a pattern with Python's ``re`` once per distinct text."""
    pa = pyarrow()
    import pyarrow.compute as pc

    n = len(col)
    bad = np.zeros(n, dtype=bool)
    low, high = prop.get("minLength"), prop.get("maxLength")
    if isinstance(low, int) or isinstance(high, int):
        length = pc.utf8_length(col).fill_null(0).to_numpy(zero_copy_only=False)
        if isinstance(low, int):
            bad |= length < low
        if isinstance(high, int):
            bad |= length > high
    pattern = prop.get("pattern")
    if isinstance(pattern, str):
        regex = re.compile(pattern)
        distinct = pc.unique(col).to_pylist()
        wrong = [t for t in distinct if t is not None and regex.search(t) is None]
        if wrong:
            hit = pc.is_in(col, value_set=pa.array(wrong, type=pa.string()))
            bad |= hit.fill_null(False).to_numpy(zero_copy_only=False)
    return bad
