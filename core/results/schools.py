"""Per-school results: columns for the whole batch, typed objects built only when asked for.

:class:`SchoolTable` holds one row per school × stage unit as columns (values,
requirements, met, shortfalls, details) and :attr:`SchoolTable.env`, every
value a school formula read — the record the explanations substitute from.
:meth:`SchoolTable.rows` builds :class:`SchoolResult` objects lazily;
:meth:`SchoolTable.iter_dicts` gives the report's ``schools`` array as plain
data, shaped by :mod:`junheng.results.rows`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs
import numpy as np

from ..domain import STAGES
from ..ruleset import Ruleset
from ..units import Units
from .rows import (
    CHECK_COLUMNS,
    UNIT_CHECKS,
    UNIT_COLUMNS,
    check_columns,
    check_dict,
    python_values,
    unit_columns,
)
from .values import as_bool, as_float

__all__ = ["Check", "SchoolResult", "SchoolTable"]

_CHECK_KEYS = tuple(c.key for c in CHECK_COLUMNS)


@attrs.frozen
class Check:
    """One school check: value against requirement, and the gap in real units."""

    id: str
    title: str
    value: float | None
    threshold: float | None
    met: bool | None
    shortfall: float | None
    unit: str
    value_unit: str
    source: str
    formula: str | None = None
    detail: str | None = None
    #: the values the check's formula read for this school × stage (name → value; None if
    #: undefined) — what ``junheng explain`` substitutes into the formula; not in the JSON
    inputs: Mapping[str, float | None] = attrs.field(factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The check object of the report's ``schools`` array (:mod:`junheng.results.rows`)."""
        return check_dict(
            {c.key: getattr(self, c.key) for c in CHECK_COLUMNS}, self.unit, self.detail
        )


@attrs.frozen
class SchoolResult:
    id: str
    name: str
    stage: str
    county_code: str
    school_type: str
    passed: bool | None
    checks: Mapping[str, Check]
    students: float | None

    @property
    def failed_checks(self) -> list[Check]:
        return [c for c in self.checks.values() if c.met is False]


@attrs.frozen
class SchoolTable:
    """Per-unit check results as columns (one row per school × stage)."""

    units: Units
    ruleset: Ruleset
    check_ids: tuple[str, ...]
    value: Mapping[str, np.ndarray]
    threshold: Mapping[str, np.ndarray]
    met: Mapping[str, np.ndarray]
    shortfall: Mapping[str, np.ndarray]
    detail: Mapping[str, np.ndarray]  # object arrays or absent
    passed: np.ndarray  # 1.0 / 0.0 / NaN; NaN also for excluded units
    env: Mapping[str, np.ndarray] = attrs.field(repr=False)

    def __len__(self) -> int:
        return self.units.size

    def _check(self, cid: str, i: int) -> Check:
        rs = self.ruleset
        if cid in rs.indicators:
            ind = rs.indicators[cid]
            meta, unit, vunit, formula = (
                ind.meta,
                ind.total_unit or ind.unit,
                ind.unit,
                ind.formula.text,
            )
            names = ind.formula.names
        else:
            rule = rs.school_rules[cid]
            meta, unit, vunit = rule.meta, "项", "项"
            formula = rule.formula.text if rule.formula else None
            names = rule.formula.names if rule.formula else frozenset(rule.indicators)
        det = self.detail.get(cid)
        return Check(
            id=cid,
            title=meta.title,
            value=as_float(self.value[cid][i]),
            threshold=as_float(self.threshold[cid][i]),
            met=as_bool(self.met[cid][i]),
            shortfall=as_float(self.shortfall[cid][i]),
            unit=unit,
            value_unit=vunit,
            source=meta.source,
            formula=formula,
            detail=None if det is None else det[i],
            inputs={n: self._input(n, i) for n in sorted(names)},
        )

    def _input(self, name: str, i: int) -> float | None:
        col = self.env.get(name)
        if col is None:
            return None
        a = np.asarray(col, dtype=float)
        return as_float(a if a.ndim == 0 else a[i])

    def row(self, i: int) -> SchoolResult:
        u = self.units
        return SchoolResult(
            id=u.ids[i],
            name=u.names[i],
            stage=STAGES[int(u.stage[i])],
            county_code=u.county_codes[int(u.county_index[i])],
            school_type=u.school_types[i],
            passed=as_bool(self.passed[i]),
            checks={cid: self._check(cid, i) for cid in self.check_ids},
            students=as_float(u.columns["students"][i]),
        )

    def rows(self, *, included_only: bool = True) -> Iterator[SchoolResult]:
        for i in range(self.units.size):
            if self.units.included[i] or not included_only:
                yield self.row(i)

    def find(self, school_id: str) -> list[int]:
        return [int(i) for i in np.nonzero(self.units.ids == school_id)[0]]

    def excluded(self) -> list[dict[str, Any]]:
        u = self.units
        return [
            {
                "id": u.ids[i],
                "name": u.names[i],
                "stage": STAGES[int(u.stage[i])],
                "reason": u.excluded_reason[i],
                **({"folded_into": u.folded_into[i]} if u.folded_into[i] else {}),
            }
            for i in np.nonzero(~u.included)[0]
        ]

    def to_list(self) -> list[dict[str, Any]]:
        """The report's ``schools`` array; built from columns without per-check objects."""
        return [row for chunk in self.iter_dicts() for row in chunk]

    def iter_dicts(self, chunk_size: int = 8192) -> Iterator[list[dict[str, Any]]]:
        """The ``schools`` array of :meth:`to_list` in lists of up to ``chunk_size`` rows.

        For consumers that stream a national report as plain data: the ~3 million
        check dicts never exist at once. Columns become Python values a chunk at a
        time, with whole-column conversions (undefined → None), in the shape of
        :mod:`junheng.results.rows` (the JSON writer formats the same rows as bytes).
        """
        included = np.nonzero(self.units.included)[0]
        units = {cid: self.unit_of(cid) for cid in self.check_ids}
        for start in range(0, included.size, chunk_size):
            idx = included[start : start + chunk_size]
            own = unit_columns(self, idx)
            keys = [c.key for c in UNIT_COLUMNS]
            rows = [
                dict(zip(keys, values, strict=True))
                for values in zip(
                    *(python_values(c, own[c.key]) for c in UNIT_COLUMNS), strict=True
                )
            ]
            per_check = []
            for cid in self.check_ids:
                cols = check_columns(self, cid, idx)
                det = self.detail.get(cid)
                details = det[idx].tolist() if det is not None else [None] * idx.size
                per_check.append(
                    [
                        check_dict(dict(zip(_CHECK_KEYS, values, strict=True)), units[cid], d)
                        for *values, d in zip(
                            *(python_values(c, cols[c.key]) for c in CHECK_COLUMNS),
                            details,
                            strict=True,
                        )
                    ]
                )
            for row, checks in zip(
                rows, zip(*per_check, strict=True) if per_check else ((),) * idx.size, strict=True
            ):
                row[UNIT_CHECKS] = dict(zip(self.check_ids, checks, strict=True))
            yield rows

    def to_arrow(self, *, included_only: bool = True) -> Any:
        """The schools table as a ``pyarrow.Table`` (:mod:`junheng.results.columnar`; the
        ``junheng[arrow]`` extra): one row per evaluated unit, four columns per check.
        ``included_only=False`` adds the excluded units (``included``, ``excluded_reason``)."""
        from .columnar import schools_arrow

        return schools_arrow(self, included_only=included_only)

    def to_pandas(self, *, included_only: bool = True) -> Any:
        """:meth:`to_arrow` as a pandas DataFrame (needs pandas too)."""
        from .columnar import frame

        return frame(self.to_arrow(included_only=included_only), "pandas")

    def to_polars(self, *, included_only: bool = True) -> Any:
        """:meth:`to_arrow` as a polars DataFrame (needs polars too)."""
        from .columnar import frame

        return frame(self.to_arrow(included_only=included_only), "polars")

    def unit_of(self, cid: str) -> str:
        """The unit of check ``cid``'s shortfall (an indicator's total unit; ``项`` for rules)."""
        ind = self.ruleset.indicators.get(cid)
        if ind is None:
            return "项"
        return ind.total_unit or ind.unit
