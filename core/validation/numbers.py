"""Numbers as Python callers give them: what JSON Schema cannot judge, judged here.

* An integer beyond float range (``10**400``) cannot be compared, summed or divided
  as a float; read as NaN or infinity it would be a silently wrong number. The fast
  schema backend refuses those of up to 4,300 digits by their bounds; beyond that it
  passes them as valid and jsonschema cannot even print them.
* NaN and infinity (``float('nan')``, ``Decimal('NaN')``, ``numpy.nan``): JSON has
  neither, and jsonschema's bounds let NaN through (every comparison with it is
  false). Refused: a NaN would make a check silently undefined.
* numpy scalars (``numpy.int64``: what pandas hands out) and ``Decimal`` are the
  numbers they hold: :func:`plain` gives the record with Python numbers, which the
  schema judges. Evaluation reads them through numpy, which takes them as they are.

Searched record by record, so never on the fast path: county records (a handful)
always; a school record when the fast backend does not pass it (before jsonschema
sees it); every school record only when a rule or evaluation met a number beyond
float range (:class:`~junheng.bulk.NumberTooLarge`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from ..issues import DataIssue
from ..text import huge_integer
from .where import Where

__all__ = ["huge_integer_issues", "is_huge", "number_issues", "plain"]

#: floats stop near 1.8e308 = 2**1024
_FLOAT_BITS = 1024


def is_huge(value: Any) -> bool:
    """An int (not a bool) beyond float range."""
    return type(value) is int and value.bit_length() >= _FLOAT_BITS


def plain(value: Any) -> Any:
    """``value`` with numpy scalars and Decimals as Python numbers (nested mappings and
    lists copied only where something changed; the caller's record is never modified)."""
    if isinstance(value, Mapping):
        items = {k: plain(v) for k, v in value.items()}
        changed = type(value) is not dict or any(items[k] is not v for k, v in value.items())
        return items if changed else value
    if isinstance(value, list):
        items = [plain(v) for v in value]
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    if isinstance(value, Decimal):
        if not value.is_finite():
            return float(value)  # NaN / infinity: refused by number_issues
        return int(value) if value == value.to_integral_value() else float(value)
    item = getattr(value, "item", None)  # a numpy scalar (numpy.int64, numpy.float32 …)
    if callable(item) and type(value).__module__ == "numpy":
        return item()
    return value


def number_issues(record: Any, where: Where, index: int) -> list[DataIssue]:
    """The errors of the numbers in one record (the ``index``-th) no schema can judge:
    integers beyond float range, NaN, infinity."""
    if not isinstance(record, Mapping):
        return []
    issues = []
    for path, value in _numbers(record, ""):
        field = where.catalogue.get(path) if "[" not in path else None
        unit = f"（{field.unit}）" if field and field.unit else ""
        if is_huge(value):
            detail = f"值 {huge_integer(value)}{unit}过大，不是可用的数字；请检查该单元格。"
            found: Any = huge_integer(value)
        else:
            detail = f"值 {value} 不是数字（NaN 或无穷大），应填写具体数值{unit}或留空。"
            found = str(value)
        issues.append(
            where.issue(
                "error",
                "schema.type",
                detail,
                index,
                record,
                path,
                found=found,
                expected="有限的数字",
            )
        )
    return issues


def huge_integer_issues(records: Sequence[Any], where: Where) -> dict[int, list[DataIssue]]:
    """Record index → its :func:`number_issues`, for the records that have some."""
    found = {index: number_issues(record, where, index) for index, record in enumerate(records)}
    return {index: issues for index, issues in found.items() if issues}


def _numbers(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(path, value) of each integer beyond float range and each non-finite float."""
    if isinstance(value, float):
        if not math.isfinite(value):
            yield path, value
    elif isinstance(value, Decimal):
        if not value.is_finite():
            yield path, value
    elif is_huge(value):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _numbers(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _numbers(item, f"{path}[{i}]")
