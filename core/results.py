"""Typed evaluation results (attrs, frozen) and their JSON form (CONTRACT.md report shape).

Per-school results stay columnar in :class:`SchoolTable`; :meth:`SchoolTable.rows`
builds :class:`SchoolResult` objects only when someone asks for them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

import attrs
import numpy as np

from .ruleset import STAGES, Ruleset
from .units import Units

STATUS_TITLES = {"met": "达标", "failed": "未达标", "not_evaluated": "未评估"}


def _f(x: Any) -> float | None:
    """A JSON-safe float: NaN/inf (undefined) become None."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _b(x: Any) -> bool | None:
    """1.0 → True, 0.0 → False, NaN (undefined) → None."""
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else bool(x)


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
        d = {
            "value": self.value,
            "threshold": self.threshold,
            "met": self.met,
            "shortfall": self.shortfall,
            "unit": self.unit,
        }
        if self.detail:
            d["detail"] = self.detail
        return d


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
            value=_f(self.value[cid][i]),
            threshold=_f(self.threshold[cid][i]),
            met=_b(self.met[cid][i]),
            shortfall=_f(self.shortfall[cid][i]),
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
        return _f(a if a.ndim == 0 else a[i])

    def row(self, i: int) -> SchoolResult:
        u = self.units
        return SchoolResult(
            id=u.ids[i],
            name=u.names[i],
            stage=STAGES[int(u.stage[i])],
            county_code=u.county_codes[int(u.county_index[i])],
            school_type=u.school_types[i],
            passed=_b(self.passed[i]),
            checks={cid: self._check(cid, i) for cid in self.check_ids},
            students=_f(u.columns["students"][i]),
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
        time, with whole-column conversions (undefined → None). (The JSON writer
        formats the same rows straight from the columns.)
        """
        u = self.units
        included = np.nonzero(u.included)[0]
        units = {cid: self.unit_of(cid) for cid in self.check_ids}
        stage_names = np.array(STAGES, dtype=object)
        codes = np.array(u.county_codes, dtype=object)
        for start in range(0, included.size, chunk_size):
            idx = included[start : start + chunk_size]
            per_check = []
            for cid in self.check_ids:
                unit = units[cid]
                checks = [
                    {"value": v, "threshold": t, "met": m, "shortfall": s, "unit": unit}
                    for v, t, m, s in zip(
                        _json_floats(self.value[cid][idx]),
                        _json_floats(self.threshold[cid][idx]),
                        _json_bools(self.met[cid][idx]),
                        _json_floats(self.shortfall[cid][idx]),
                        strict=True,
                    )
                ]
                det = self.detail.get(cid)
                if det is not None:
                    for k, text in enumerate(det[idx].tolist()):
                        if text:
                            checks[k]["detail"] = text
                per_check.append(checks)
            yield [
                {
                    "id": sid,
                    "name": name,
                    "county_code": code,
                    "school_type": school_type,
                    "stage": stage,
                    "passed": passed,
                    "checks": dict(zip(self.check_ids, row, strict=True)),
                }
                for sid, name, code, school_type, stage, passed, row in zip(
                    u.ids[idx].tolist(),
                    u.names[idx].tolist(),
                    codes[u.county_index[idx]].tolist(),
                    u.school_types[idx].tolist(),
                    stage_names[u.stage[idx]].tolist(),
                    _json_bools(self.passed[idx]),
                    zip(*per_check, strict=True) if per_check else ((),) * idx.size,
                    strict=True,
                )
            ]

    def unit_of(self, cid: str) -> str:
        """The unit of check ``cid``'s shortfall (an indicator's total unit; ``项`` for rules)."""
        ind = self.ruleset.indicators.get(cid)
        if ind is None:
            return "项"
        return ind.total_unit or ind.unit


def _json_floats(a: np.ndarray) -> list[float | None]:
    """Floats as Python values; NaN and ±inf (undefined) as None."""
    a = np.asarray(a, dtype=float)
    finite = np.isfinite(a)
    if finite.all():
        return a.tolist()
    out = a.astype(object)
    out[~finite] = None
    return out.tolist()


_BOOL_OR_NONE = np.array([False, True, None], dtype=object)


def _json_bools(a: np.ndarray) -> list[bool | None]:
    """1.0 → True, NaN → None, anything else → False."""
    a = np.asarray(a, dtype=float)
    code = np.where(np.isnan(a), 2, a == 1.0).astype(np.intp)
    return _BOOL_OR_NONE[code].tolist()


@attrs.frozen
class Criterion:
    """One county-level criterion of the verdict."""

    id: str
    kind: str  # schools | cv | composite_cv | county_item | multi_year | veto | score | score_floor
    title: str
    status: str  # met | failed | not_evaluated
    source: str = ""
    stage: str | None = None
    value: float | None = None
    limit: float | None = None
    unit: str | None = None
    detail: str = ""
    owner: str | None = None
    category: str | None = None
    unverified: bool = False

    def to_dict(self) -> dict[str, Any]:
        d = {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "status": self.status,
            "source": self.source,
        }
        # spelled out, not a getattr loop: a national report has ~200,000 criteria
        if self.stage is not None:
            d["stage"] = self.stage
        if self.value is not None:
            d["value"] = self.value
        if self.limit is not None:
            d["limit"] = self.limit
        if self.unit is not None:
            d["unit"] = self.unit
        if self.owner is not None:
            d["owner"] = self.owner
        if self.category is not None:
            d["category"] = self.category
        if self.detail:
            d["detail"] = self.detail
        if self.unverified:
            d["unverified"] = True
        return d


@attrs.frozen
class IndicatorStat:
    id: str
    title: str
    mean: float | None
    sd: float | None
    cv: float | None
    limit: float | None
    met: bool | None
    schools: int
    undefined: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "mean": self.mean,
            "sd": self.sd,
            "cv": self.cv,
            "limit": self.limit,
            "met": self.met,
            "schools": self.schools,
            "undefined": self.undefined,
        }


@attrs.frozen
class GroupResult:
    stage: str
    schools: int
    students: float
    indicators: Mapping[str, IndicatorStat]
    composite_cv: float | None
    composite_limit: float | None
    composite_met: bool | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "schools": self.schools,
            "students": self.students,
            "indicators": {k: v.to_dict() for k, v in self.indicators.items()},
            "composite_cv": self.composite_cv,
            "composite_limit": self.composite_limit,
            "composite_met": self.composite_met,
        }


@attrs.frozen
class ScoreLine:
    id: str
    title: str
    parent: str | None
    max_points: float
    points: float | None
    bonus: bool
    floor: float | None
    source: str
    kind: str

    def to_dict(self) -> dict[str, Any]:
        d = {
            "id": self.id,
            "title": self.title,
            "parent": self.parent,
            "max_points": self.max_points,
            "points": self.points,
            "bonus": self.bonus,
            "kind": self.kind,
            "source": self.source,
        }
        if self.floor is not None:
            d["floor"] = self.floor
        return d


@attrs.frozen
class ScoreResult:
    title: str
    total: float | None
    known_points: float
    pass_min: float | None
    passed: bool | None
    lines: tuple[ScoreLine, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "total": self.total,
            "known_points": self.known_points,
            "pass_min": self.pass_min,
            "passed": self.passed,
            "nodes": [line.to_dict() for line in self.lines],
        }


@attrs.frozen
class CountyResult:
    county_code: str
    name: str | None
    has_county_record: bool
    passed: bool
    criteria: tuple[Criterion, ...]
    groups: tuple[GroupResult, ...]
    score: ScoreResult | None

    @property
    def failed_criteria(self) -> list[Criterion]:
        return [c for c in self.criteria if c.status == "failed"]

    @property
    def not_evaluated(self) -> list[Criterion]:
        return [c for c in self.criteria if c.status == "not_evaluated"]

    @property
    def vetoes(self) -> list[Criterion]:
        return [c for c in self.criteria if c.kind == "veto"]

    def to_dict(self) -> dict[str, Any]:
        # each criterion converted once; the lists that repeat one get their own copy
        # (criterion dicts hold only scalars, so a shallow copy is a full one)
        criteria = [c.to_dict() for c in self.criteria]
        pairs = list(zip(self.criteria, criteria, strict=True))
        return {
            "county_code": self.county_code,
            "name": self.name,
            "has_county_record": self.has_county_record,
            "passed": self.passed,
            "failed_criteria": [dict(d) for c, d in pairs if c.status == "failed"],
            "not_evaluated": [dict(d) for c, d in pairs if c.status == "not_evaluated"],
            "vetoes": [dict(d) for c, d in pairs if c.kind == "veto"],
            "criteria": criteria,
            "groups": [g.to_dict() for g in self.groups],
            "score": self.score.to_dict() if self.score else None,
        }


@attrs.frozen
class Report:
    """Everything one evaluation produced."""

    ruleset: Ruleset
    counties: tuple[CountyResult, ...]
    schools: SchoolTable
    data_issues: tuple[Any, ...]
    provenance: Mapping[str, Any]
    # extra titled blocks from plugins (``junheng_report_sections``, see hookspecs):
    # dicts {"id", "title", "rows", optional "columns", "note", "plugin"}
    sections: tuple[Mapping[str, Any], ...] = ()

    @property
    def passed(self) -> bool:
        return bool(self.counties) and all(c.passed for c in self.counties)

    def county(self, code: str) -> CountyResult:
        for c in self.counties:
            if c.county_code == code:
                return c
        raise KeyError(code)

    def rules_catalogue(self) -> dict[str, Any]:
        """Static facts about each school check: title, formula, unit, source."""
        rs = self.ruleset
        out: dict[str, Any] = {}
        for cid in rs.checks:
            if cid in rs.indicators:
                ind = rs.indicators[cid]
                out[cid] = {
                    **ind.meta.to_json(),
                    "kind": "indicator",
                    "formula": ind.formula.text,
                    "unit": ind.unit,
                    "total_unit": ind.total_unit or ind.unit,
                    "direction": ind.direction,
                    "threshold": ind.threshold.to_json() if ind.threshold else None,
                }
            else:
                r = rs.school_rules[cid]
                out[cid] = {**r.meta.to_json(), "kind": r.kind}
                if r.kind == "k_of_n":
                    out[cid].update(
                        indicators=list(r.indicators),
                        min_met=r.min_met,
                        rest_min_ratio=r.rest_min_ratio,
                    )
                else:
                    out[cid]["formula"] = r.formula.text if r.formula else None
        return out

    def to_dict(self, *, schools: bool = True) -> dict[str, Any]:
        """The CONTRACT.md report as plain data. ``schools=False`` leaves the ``schools``
        array empty (the JSON writer streams it from :meth:`SchoolTable.iter_dicts`)."""
        return {
            "ruleset": {**self.ruleset.describe(), "unverified": self.ruleset.unverified_count()},
            "provenance": dict(self.provenance),
            "counties": [c.to_dict() for c in self.counties],
            "schools": self.schools.to_list() if schools else [],
            "excluded_schools": self.schools.excluded(),
            "rules": self.rules_catalogue(),
            "data_issues": [
                i.to_dict() if hasattr(i, "to_dict") else dict(i) for i in self.data_issues
            ],
            "sections": [dict(s) for s in self.sections],
        }
