"""County results: the criteria of each county's verdict, its CVs and score, and the values used.

:class:`CountyTable` is the county side of the trace (as :attr:`SchoolTable.env
<junheng.results.schools.SchoolTable.env>` is the school side): every value a
county formula read or the engine computed — record items, the latest finance
year, CVs, rule results, multi-year counts — per county, and for each
multi-year rule the years judged with the values of each year. Explanations and
report writers read it; nothing downstream re-evaluates a rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from .values import as_float

__all__ = [
    "CountyResult",
    "CountyTable",
    "Criterion",
    "GroupResult",
    "IndicatorStat",
    "MultiYearTrace",
    "ScoreLine",
    "ScoreResult",
    "YearResult",
]


@attrs.frozen
class YearResult:
    """One year of a multi-year rule: met or not, and the parts of the condition it missed."""

    year: int
    met: bool | None
    missed: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"year": self.year, "met": self.met, "missed": list(self.missed)}


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
    #: the facts behind the status, in Chinese sentences (e.g. which years missed which
    #: part of a multi-year rule); shown in explanations and every report
    evidence: tuple[str, ...] = ()
    #: for a multi-year rule (and a veto on one): each year judged, met or not, and what missed
    years: tuple[YearResult, ...] = ()
    #: the key of the cited document (the ruleset's ``[documents]``) and the clause;
    #: ``source`` already names both in words
    document: str | None = None
    clause: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "status": self.status,
            "source": self.source,
        }
        if self.document is not None:
            d["document"] = self.document
        if self.clause is not None:
            d["clause"] = self.clause
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
        if self.evidence:
            d["evidence"] = list(self.evidence)
        if self.years:
            d["years"] = [y.to_dict() for y in self.years]
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
    document: str | None = None
    clause: str | None = None

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
        if self.document is not None:
            d["document"] = self.document
        if self.clause is not None:
            d["clause"] = self.clause
        return d


@attrs.frozen
class ScoreResult:
    title: str
    total: float | None
    known_points: float
    pass_min: float | None
    passed: bool | None
    lines: tuple[ScoreLine, ...]
    #: whether the bonus points count toward ``pass_min`` (the ruleset's reading), and the
    #: bonus included in ``total``
    bonus_counts_toward_pass: bool = True
    bonus_points: float = 0.0
    #: the ruleset's note on its score (e.g. why it reads the bonus so)
    note: str | None = None

    @property
    def counted(self) -> float | None:
        """The points compared with ``pass_min``: the total, without the bonus when the
        ruleset does not count it."""
        if self.total is None or self.bonus_counts_toward_pass:
            return self.total
        return self.total - self.bonus_points

    def to_dict(self) -> dict[str, Any]:
        d = {
            "title": self.title,
            "total": self.total,
            "known_points": self.known_points,
            "pass_min": self.pass_min,
            "passed": self.passed,
            "nodes": [line.to_dict() for line in self.lines],
            "bonus_counts_toward_pass": self.bonus_counts_toward_pass,
            "bonus_points": self.bonus_points,
        }
        if self.note:
            d["note"] = self.note
        return d


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
class MultiYearTrace:
    """What one multi-year rule saw: per year judged (rows) and county (columns).

    ``years[k, c]`` is the fiscal year judged (``-1``: no data), ``met`` its result
    (1 / 0 / NaN), ``inputs`` the value of every name the condition read that year
    (``x`` and, for ``prev``/``growth``, ``x@prev``), ``parts`` each conjunct of the
    condition (its text, its result), ``part_words`` what failing it means in Chinese.
    """

    years: np.ndarray
    met: np.ndarray
    inputs: Mapping[str, np.ndarray]
    parts: tuple[tuple[str, np.ndarray], ...]
    part_words: tuple[str, ...]

    def year_results(self, c: int) -> tuple[YearResult, ...]:
        """County ``c``'s years, oldest first."""
        out = []
        for k in reversed(range(self.years.shape[0])):
            year = int(self.years[k, c])
            if year < 0:
                continue
            m = self.met[k, c]
            missed = tuple(
                words
                for (_, result), words in zip(self.parts, self.part_words, strict=True)
                if result[k, c] == 0.0
            )
            out.append(YearResult(year, None if m != m else bool(m == 1.0), missed))
        return tuple(out)


@attrs.frozen
class CountyTable:
    """Every county value evaluation used, per county (in ``codes`` order); NaN is undefined."""

    codes: tuple[str, ...]
    has_record: np.ndarray  # bool: a county record was given
    #: every name a county formula may read: record values, CVs, rule results
    env: Mapping[str, np.ndarray] = attrs.field(repr=False)
    #: what each county item measured: its ``value`` formula, or failing units (all_schools)
    item_values: Mapping[str, np.ndarray] = attrs.field(factory=dict, repr=False)
    #: each veto's condition (1 the case exists, 0 it does not, NaN undefined)
    veto_applies: Mapping[str, np.ndarray] = attrs.field(factory=dict, repr=False)
    multi_year: Mapping[str, MultiYearTrace] = attrs.field(factory=dict, repr=False)
    #: points of each score node per county (None: the ruleset has no score)
    score_points: Mapping[str, np.ndarray] | None = attrs.field(default=None, repr=False)

    def index(self, code: str) -> int:
        return self.codes.index(code)

    def value(self, name: str, c: int) -> float | None:
        """The value of ``name`` for county ``c`` (None: undefined or never computed)."""
        col = self.env.get(name)
        return None if col is None else as_float(np.asarray(col, dtype=float)[c])
