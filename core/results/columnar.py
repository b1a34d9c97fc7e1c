"""The results as Arrow tables (pandas and polars from them): the schools table and the county table.

The schools table has one row per evaluated school × stage unit (the JSON report's
``schools`` array): ``id``, ``name``, ``county_code``, ``school_type``, ``stage``,
``passed``, ``students``, then for every check ``<check>.value``,
``<check>.threshold``, ``<check>.met``, ``<check>.shortfall`` (undefined: null) and,
for the rules that explain themselves, ``<check>.detail``. It is built from the
result columns directly, no per-school object.

The county table has one row per county: ``county_code``, ``name``,
``has_county_record``, ``passed``, ``failed_criteria`` (the ids, in report
order), ``not_evaluated`` (likewise), then for every criterion
``<criterion>.status`` (met / failed / not_evaluated), ``<criterion>.value`` and
``<criterion>.limit``.

pyarrow is the ``junheng[arrow]`` extra; pandas and polars are used only when asked
for. Each missing one is an ImportError naming what to install.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..domain import STAGES
from ..tables import missing_arrow

if TYPE_CHECKING:
    from .report import Report
    from .schools import SchoolTable

__all__ = ["counties_arrow", "frame", "schools_arrow"]


def _pa() -> Any:
    try:
        import pyarrow as pa
    except ImportError:
        raise ImportError(missing_arrow("表格形式的结果")) from None
    return pa


def _floats(pa: Any, values: np.ndarray) -> Any:
    values = np.asarray(values, dtype=float)
    return pa.array(values, type=pa.float64(), mask=np.isnan(values))


def _bools(pa: Any, values: np.ndarray) -> Any:
    values = np.asarray(values, dtype=float)
    return pa.array(values == 1.0, type=pa.bool_(), mask=np.isnan(values))


def schools_arrow(table: SchoolTable, *, included_only: bool = True) -> Any:
    """The schools table (see the module docs) as a ``pyarrow.Table``."""
    pa = _pa()
    u = table.units
    idx = np.nonzero(u.included)[0] if included_only else np.arange(u.size)
    codes = pa.array(list(u.county_codes), type=pa.string())
    columns: dict[str, Any] = {
        "id": pa.array(u.ids[idx], type=pa.string()),
        "name": pa.array(u.names[idx], type=pa.string()),
        "county_code": codes.take(pa.array(u.county_index[idx])),
        "school_type": pa.array(u.school_types[idx], type=pa.string()),
        "stage": pa.array(list(STAGES), type=pa.string()).take(
            pa.array(u.stage[idx].astype(np.int64))
        ),
        "passed": _bools(pa, table.passed[idx]),
        "students": _floats(pa, u.columns["students"][idx]),
    }
    if not included_only:
        columns["included"] = pa.array(u.included[idx])
        columns["excluded_reason"] = pa.array(u.excluded_reason[idx].tolist(), type=pa.string())
    for cid in table.check_ids:
        columns[f"{cid}.value"] = _floats(pa, table.value[cid][idx])
        columns[f"{cid}.threshold"] = _floats(pa, table.threshold[cid][idx])
        columns[f"{cid}.met"] = _bools(pa, table.met[cid][idx])
        columns[f"{cid}.shortfall"] = _floats(pa, table.shortfall[cid][idx])
        detail = table.detail.get(cid)
        if detail is not None:
            columns[f"{cid}.detail"] = pa.array(detail[idx].tolist(), type=pa.string())
    return pa.table(columns)


def counties_arrow(report: Report) -> Any:
    """The county table (see the module docs) as a ``pyarrow.Table``."""
    pa = _pa()
    counties = report.counties
    order: dict[str, None] = {}
    keys: dict[tuple[str, str | None], str] = {}
    for county in counties:
        for c in county.criteria:
            if (c.id, c.stage) not in keys:
                keys[c.id, c.stage] = _key(c)
                order.setdefault(keys[c.id, c.stage], None)
    columns: dict[str, Any] = {
        "county_code": pa.array([c.county_code for c in counties], type=pa.string()),
        "name": pa.array([c.name for c in counties], type=pa.string()),
        "has_county_record": pa.array([c.has_county_record for c in counties], type=pa.bool_()),
        "passed": pa.array([c.passed for c in counties], type=pa.bool_()),
        "failed_criteria": pa.array(
            [[_key(k) for k in c.criteria if k.status == "failed"] for c in counties],
            type=pa.list_(pa.string()),
        ),
        "not_evaluated": pa.array(
            [[_key(k) for k in c.criteria if k.status == "not_evaluated"] for c in counties],
            type=pa.list_(pa.string()),
        ),
    }
    # one pass over the criteria objects: (column prefix → status, value, limit lists)
    position = {key: k for k, key in enumerate(order)}
    width = len(order)
    status: list[list[Any]] = [[None] * len(counties) for _ in range(width)]
    value: list[list[Any]] = [[None] * len(counties) for _ in range(width)]
    limit: list[list[Any]] = [[None] * len(counties) for _ in range(width)]
    for row, county in enumerate(counties):
        for c in county.criteria:
            k = position[keys[c.id, c.stage]]
            status[k][row] = c.status
            value[k][row] = c.value
            limit[k][row] = c.limit
    for key, k in position.items():
        columns[f"{key}.status"] = pa.array(status[k], type=pa.string())
        columns[f"{key}.value"] = _numbers(pa, value[k])
        columns[f"{key}.limit"] = _numbers(pa, limit[k])
    return pa.table(columns)


def _key(criterion: Any) -> str:
    """A criterion's column prefix: its id (stage-bound ones carry their stage already,
    ``cv.primary`` …; one that does not gets it appended)."""
    if criterion.stage and criterion.stage not in criterion.id.split("."):
        return f"{criterion.id}.{criterion.stage}"
    return criterion.id


def _numbers(pa: Any, values: list[Any]) -> Any:
    """A float column from criterion values (None, NaN and anything not a number: null)."""
    try:
        return _floats(pa, np.array([np.nan if v is None else v for v in values], dtype=float))
    except (TypeError, ValueError):
        return _floats(pa, np.array([_number(v) for v in values], dtype=float))


def _number(value: Any) -> float:
    if value is None or isinstance(value, bool):
        return np.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan


def frame(table: Any, library: str) -> Any:
    """An Arrow table as a pandas or polars DataFrame (ImportError naming the package)."""
    if library == "pandas":
        try:
            import pandas  # noqa: F401
        except ImportError:
            raise ImportError("to_pandas() 需要 pandas：pip install pandas") from None
        return table.to_pandas()
    try:
        import polars
    except ImportError:
        raise ImportError("to_polars() 需要 polars：pip install polars") from None
    return polars.from_arrow(table)
