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
    "Document",
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
class Document:
    """A document a ruleset cites (``[documents.KEY]``): who issued it, its name and number.

    Rules cite it by key (``cite = "KEY"``, ``clause = "…"``); every report shows
    :attr:`citation` and the clause, never the key alone.
    """

    key: str
    issuer: str
    title: str
    kind: str
    number: str | None = None
    date: str | None = None
    repository_source: str | None = None
    url: str | None = None
    note: str | None = None

    @property
    def citation(self) -> str:
        """How a reader finds it: issuer, title in 《》 and the number, e.g.
        教育部《县域义务教育优质均衡发展督导评估办法》（教督〔2017〕6号）."""
        number = f"（{self.number}）" if self.number else ""
        return f"{self.issuer}《{self.title}》{number}"

    def cite(self, clause: str | None) -> str:
        """The citation of a clause of this document (the ``source`` rules show)."""
        return f"{self.citation}{clause}" if clause else self.citation

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "issuer": self.issuer,
            "title": self.title,
            "kind": self.kind,
            "citation": self.citation,
        }
        for key in ("number", "date", "repository_source", "url", "note"):
            value = getattr(self, key)
            if value:
                d[key] = value
        return d


@attrs.frozen
class RuleMeta:
    """What every rule carries: identity, title, provenance.

    ``source`` is what readers see: the cited document's name and number with the
    clause (``cite`` + ``clause`` resolved at load), or the rule's own ``source`` text.
    """

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
    #: the key of the cited document (``[documents.KEY]``) and the clause, when cited so
    document: str | None = None
    clause: str | None = None
    #: the stages whose number no source gives (``unverified = ["junior"]``); empty when
    #: ``unverified`` is true for the whole rule or false
    unverified_stages: tuple[str, ...] = ()

    def unverified_for(self, stage: str | None) -> bool:
        """Whether the number is unverified for this stage (None: for any stage)."""
        if not self.unverified:
            return False
        return not self.unverified_stages or stage is None or stage in self.unverified_stages

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "title": self.title, "source": self.source}
        if self.document:
            d["document"] = self.document
        if self.clause:
            d["clause"] = self.clause
        if self.unverified:
            d["unverified"] = True
        if self.unverified_stages:
            d["unverified_stages"] = list(self.unverified_stages)
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
    #: the document and clause the CV limit cites (``cv_cite`` / ``cv_clause``), when cited so
    cv_document: str | None = None
    cv_clause: str | None = None


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
    #: whether bonus points count toward ``pass_min`` (``[score] bonus_counts_toward_pass``);
    #: false: the pass mark is judged on the points without the bonus
    bonus_counts_toward_pass: bool = True
    #: the ruleset's reading of its document where the document is ambiguous
    note: str | None = None
    document: str | None = None
    clause: str | None = None


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
    #: no document gives these choices: the ruleset's assumption (with ``note`` saying so)
    unverified: bool = False
    note: str | None = None
    document: str | None = None
    clause: str | None = None


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
    #: the documents its rules cite (``[documents]``, a child's merged over its parents')
    documents: Mapping[str, Document] = attrs.field(factory=dict, eq=False)
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
        return sum(1 for m in metas if m.unverified) + int(self.preparation.unverified)

    def describe(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "version": self.version,
            "source": self.source,
            "basis": self.basis,
        }
        if self.documents:
            d["documents"] = {k: doc.to_json() for k, doc in self.documents.items()}
        return d
