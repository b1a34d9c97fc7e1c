"""The ruleset model: what a loaded, resolved and compiled ruleset is made of.

Frozen attrs objects, one per kind of rule (indicator, school rule, composite CV,
county item, multi-year rule, veto, score node), each carrying its
:class:`RuleMeta` (id, Chinese title, source clause, ``unverified``, responsible
office, the file each key came from). Formulas are already compiled
(:class:`~junheng.formula.Formula`), so nothing here can fail at evaluation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ..domain import STAGES
from ..formula import Formula

__all__ = [
    "CompositeCV",
    "CountyItem",
    "EvaluationOrder",
    "Indicator",
    "MultiYearRule",
    "Preparation",
    "RuleMeta",
    "Ruleset",
    "RulesetError",
    "SchoolRule",
    "Score",
    "ScoreNode",
    "StageValue",
    "Veto",
]


class RulesetError(ValueError):
    """A ruleset that cannot be loaded; ``problems`` lists every located message."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@attrs.frozen
class StageValue:
    """A number that may differ by stage (``{primary = 4.2, junior = 5.3}``) or not."""

    primary: float | None
    junior: float | None

    def get(self, stage: str) -> float | None:
        return self.primary if stage == "primary" else self.junior

    @classmethod
    def parse(cls, raw: Any) -> StageValue | None:
        if raw is None:
            return None
        if isinstance(raw, Mapping):
            return cls(_opt_float(raw.get("primary")), _opt_float(raw.get("junior")))
        return cls(float(raw), float(raw))

    def to_json(self) -> Any:
        if self.primary == self.junior:
            return self.primary
        return {"primary": self.primary, "junior": self.junior}


def _opt_float(v: Any) -> float | None:
    return None if v is None else float(v)


@attrs.frozen
class RuleMeta:
    """What every rule carries: identity, title, provenance."""

    id: str
    title: str
    source: str
    unverified: bool = False
    owner: str | None = None
    note: str | None = None
    origin: str | None = None  # file that (last) defined the rule
    # key -> file that gave that key's value, where a child ruleset overrode only
    # some keys (e.g. only ``threshold``); ``rulesets show --resolved`` prints it
    key_origins: Mapping[str, str] = attrs.field(factory=dict, eq=False, hash=False)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "title": self.title, "source": self.source}
        if self.unverified:
            d["unverified"] = True
        if self.owner:
            d["owner"] = self.owner
        if self.note:
            d["note"] = self.note
        return d


@attrs.frozen
class Indicator:
    """A per-school (per stage) quantity with an optional per-stage requirement and CV limit."""

    meta: RuleMeta
    formula: Formula
    unit: str
    total_unit: str | None
    direction: str  # "min": value >= threshold; "max": value <= threshold
    threshold: StageValue | None
    shortfall: Formula | None
    integer_shortfall: bool
    cv_limit: StageValue | None
    cv_source: str | None


@attrs.frozen
class SchoolRule:
    """A per-school rule combining indicators (``k_of_n``) or any boolean formula."""

    meta: RuleMeta
    kind: str  # "k_of_n" | "formula"
    indicators: tuple[str, ...] = ()
    min_met: int = 0
    rest_min_ratio: float = 0.0
    formula: Formula | None = None
    stages: tuple[str, ...] = STAGES


@attrs.frozen
class CompositeCV:
    meta: RuleMeta
    indicators: tuple[str, ...]
    limit: StageValue


@attrs.frozen
class CountyItem:
    """A county-level criterion: a value against a threshold, a boolean, or all schools meeting a check."""

    meta: RuleMeta
    category: str
    kind: str  # "value" | "when" | "all_schools" | "manual"
    formula: Formula | None = None
    threshold: float | None = None
    direction: str = "min"
    unit: str | None = None
    check: str | None = None
    required: bool = True


@attrs.frozen
class MultiYearRule:
    """A condition judged for each of the last ``years`` fiscal years (e.g. 三个增长)."""

    meta: RuleMeta
    years: int
    condition: Formula
    min_years_met: int
    required: bool = True
    #: the condition's top-level ``and`` parts, each compiled on its own, so a year that
    #: misses can say which part it missed (a condition without ``and``: itself)
    parts: tuple[Formula, ...] = ()


@attrs.frozen
class Veto:
    meta: RuleMeta
    when: Formula


@attrs.frozen
class ScoreNode:
    """A node of the score tree; leaves score by formula, by condition, or from the county's self-assessment."""

    meta: RuleMeta
    parent: str | None
    points: float
    kind: str  # "sum" | "when" | "formula" | "assessed"
    formula: Formula | None = None
    bonus: bool = False
    floor: float | None = None


@attrs.frozen
class Score:
    title: str
    source: str
    pass_min: float | None
    bonus_max: float
    nodes: tuple[ScoreNode, ...]


@attrs.frozen
class Preparation:
    """How records become evaluation units before any rule runs."""

    teaching_points: str = "exclude"  # exclude | fold | include
    special_education: str = "exclude"  # exclude | include
    min_students: int = 0  # units with fewer students leave checks and CVs
    #: teaching points with fewer students leave checks and CVs; the others are treated
    #: as ``teaching_points`` says (some provinces do not count "不足50人的教学点")
    exclude_teaching_points_below: int = 0
    apportion: str = "students"
    source: str = ""


@attrs.frozen
class EvaluationOrder:
    """Rule ids sorted so that each comes after the rules its formula reads."""

    indicators: tuple[str, ...] = ()
    school_rules: tuple[str, ...] = ()
    county_items: tuple[str, ...] = ()


@attrs.frozen
class Ruleset:
    """A loaded, resolved and compiled ruleset."""

    id: str
    title: str
    basis: str
    source: str
    version: str
    effective_year: int | None
    extends: str | None
    files: tuple[str, ...]
    stages: tuple[str, ...]
    preparation: Preparation
    parameters: Mapping[str, StageValue]
    parameter_meta: Mapping[str, RuleMeta]
    indicators: Mapping[str, Indicator]
    school_rules: Mapping[str, SchoolRule]
    school_verdict: tuple[str, ...]
    composite_cv: CompositeCV | None
    county_items: Mapping[str, CountyItem]
    multi_year: Mapping[str, MultiYearRule]
    vetoes: Mapping[str, Veto]
    score: Score | None
    raw: Mapping[str, Any] = attrs.field(repr=False, eq=False)
    #: the order rules are evaluated in (each after the rules it reads), fixed at load
    order: EvaluationOrder = attrs.field(factory=lambda: EvaluationOrder(), eq=False)
    #: the ids of the ``extends`` chain, root first, ending with this ruleset's id
    lineage: tuple[str, ...] = ()

    @property
    def checks(self) -> tuple[str, ...]:
        """Ids reported in each school's ``checks``: thresholded indicators, then school rules."""
        ind = tuple(k for k, v in self.indicators.items() if v.threshold is not None)
        return ind + tuple(self.school_rules)

    def unverified_count(self) -> int:
        metas = [i.meta for i in self.indicators.values()]
        metas += [r.meta for r in self.school_rules.values()]
        metas += [c.meta for c in self.county_items.values()]
        metas += [m.meta for m in self.multi_year.values()]
        metas += [v.meta for v in self.vetoes.values()]
        metas += list(self.parameter_meta.values())
        if self.score:
            metas += [n.meta for n in self.score.nodes]
        if self.composite_cv:
            metas.append(self.composite_cv.meta)
        return sum(1 for m in metas if m.unverified)

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "version": self.version,
            "source": self.source,
            "basis": self.basis,
        }
