"""The row spec: what one unit of the report's ``schools`` array holds, in what order.

One definition drives every writer of the array — :meth:`SchoolTable.iter_dicts`
(plain Python data), the streamed JSON report (bytes formatted straight from
the columns) and :meth:`Check.to_dict` — and a test holds it against
``schemas/report.schema.json``. A unit is::

    {"id", "name", "county_code", "school_type", "stage", "passed",
     "checks": {CHECK_ID: {"value", "threshold", "met", "shortfall", "unit",
                           "detail" (only where the check explains itself)}}}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from ..domain import STAGES
from .values import json_bools, json_floats

if TYPE_CHECKING:
    from .schools import SchoolTable

__all__ = [
    "CHECK_COLUMNS",
    "CHECK_DETAIL",
    "CHECK_UNIT",
    "UNIT_CHECKS",
    "UNIT_COLUMNS",
    "Column",
    "Indexed",
    "check_columns",
    "python_values",
    "unit_columns",
]


@attrs.frozen
class Column:
    """A key of the row and the kind of its values: ``text``, ``bool`` (true/false/null)
    or ``number`` (null when undefined)."""

    key: str
    kind: str


#: a unit's own keys, in order; then :data:`UNIT_CHECKS`
UNIT_COLUMNS: tuple[Column, ...] = (
    Column("id", "text"),
    Column("name", "text"),
    Column("county_code", "text"),
    Column("school_type", "text"),
    Column("stage", "text"),
    Column("passed", "bool"),
)
UNIT_CHECKS = "checks"
#: a check object's keys from the result columns, in order; then :data:`CHECK_UNIT`
#: (the check's unit, the same for every unit) and :data:`CHECK_DETAIL` (optional)
CHECK_COLUMNS: tuple[Column, ...] = (
    Column("value", "number"),
    Column("threshold", "number"),
    Column("met", "bool"),
    Column("shortfall", "number"),
)
CHECK_UNIT = "unit"
CHECK_DETAIL = "detail"


@attrs.frozen
class Indexed:
    """A text column whose values repeat: the distinct values and each unit's index."""

    distinct: Sequence[str]
    index: np.ndarray


def unit_columns(table: SchoolTable, idx: np.ndarray) -> dict[str, Any]:
    """The :data:`UNIT_COLUMNS` of the units ``idx``: text as lists or :class:`Indexed`,
    ``passed`` as its float column (1 / 0 / NaN)."""
    u = table.units
    return {
        "id": u.ids[idx].tolist(),
        "name": u.names[idx].tolist(),
        "county_code": Indexed(u.county_codes, u.county_index[idx]),
        "school_type": u.school_types[idx].tolist(),
        "stage": Indexed(STAGES, u.stage[idx]),
        "passed": table.passed[idx],
    }


def check_columns(table: SchoolTable, cid: str, idx: np.ndarray) -> dict[str, np.ndarray]:
    """The :data:`CHECK_COLUMNS` of check ``cid`` for the units ``idx`` (float columns)."""
    columns = {"value": table.value, "threshold": table.threshold, "met": table.met}
    columns["shortfall"] = table.shortfall
    return {c.key: columns[c.key][cid][idx] for c in CHECK_COLUMNS}


def python_values(column: Column, values: Any) -> list[Any]:
    """A column as JSON-ready Python values."""
    if isinstance(values, Indexed):
        distinct = np.array(list(values.distinct), dtype=object)
        return distinct[np.asarray(values.index, dtype=np.intp)].tolist()
    if column.kind == "bool":
        return json_bools(values)
    if column.kind == "number":
        return json_floats(values)
    return list(values)


def check_dict(values: Mapping[str, Any], unit: str, detail: str | None) -> dict[str, Any]:
    """One check object from its column values (the key order of the spec)."""
    d = {c.key: values[c.key] for c in CHECK_COLUMNS}
    d[CHECK_UNIT] = unit
    if detail:
        d[CHECK_DETAIL] = detail
    return d
