"""What a plan is: per county the additions, the moves, the CVs and criteria before and after.

Frozen attrs objects with ``to_dict`` giving the plan document (``schemas/report.schema.json``,
``$defs/plan``). Every status after the plan is the engine's own verdict on the records with
the plan applied, never the planner's expectation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

__all__ = [
    "Addition",
    "CountyAction",
    "CountyPlan",
    "CriterionChange",
    "CvChange",
    "Move",
    "Plan",
    "UnreachableItem",
]


@attrs.frozen
class Addition:
    """Add ``amount`` ``unit`` of ``lever`` at a school (a stage of it for teachers)."""

    school_id: str
    school_name: str
    stage: str | None  # None: a school-wide asset
    lever: str
    title: str
    field: str
    amount: float
    unit: str
    unit_cost: float
    cost: float  # amount × unit cost (a yearly figure where ``recurrent``)
    recurrent: bool
    category: str
    #: the indicators and rules this addition serves
    serves: tuple[str, ...]
    #: requirement | cv | requirement+cv: why the school gets it
    reason: str
    owner: str | None
    #: the school's count of the field before and after the plan
    before: float | None = None
    after: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self, recurse=False) | {"serves": list(self.serves)}


@attrs.frozen
class Move:
    """Move ``count`` teachers of kind ``field`` from one school's stage to another's."""

    from_id: str
    from_name: str
    to_id: str
    to_name: str
    stage: str
    field: str
    title: str
    count: int
    unit_cost: float
    cost: float
    #: other kinds the moved teachers hold and take with them (the donor had no others)
    carries: Mapping[str, int] = attrs.field(factory=dict)
    owner: str | None = None
    #: why the receiving school needs them: requirement | cv | requirement+cv
    reason: str = "requirement"

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self, recurse=False) | {"carries": dict(self.carries)}


@attrs.frozen
class CvChange:
    indicator: str
    stage: str
    title: str
    limit: float | None
    before: float | None
    after: float | None
    met_before: bool | None
    met_after: bool | None

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class CriterionChange:
    id: str
    kind: str
    title: str
    school_based: bool
    before: str  # met | failed | not_evaluated
    after: str

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class UnreachableItem:
    """A school requirement no enabled lever can meet (the plan cannot close it)."""

    criterion: str
    school_id: str
    school_name: str
    stage: str
    item: str
    title: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class CountyAction:
    """A county criterion school additions do not reach, with its gap (not optimised)."""

    id: str
    kind: str
    title: str
    value: float | None
    limit: float | None
    unit: str | None
    owner: str | None
    detail: str
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class CountyPlan:
    county_code: str
    name: str | None
    #: nothing_needed | planned | partly_unreachable
    status: str
    additions: tuple[Addition, ...]
    moves: tuple[Move, ...]
    cvs: tuple[CvChange, ...]
    criteria: tuple[CriterionChange, ...]
    unreachable: tuple[UnreachableItem, ...]
    county_actions: tuple[CountyAction, ...]
    one_off_cost: float
    yearly_cost: float
    #: one-off + yearly × salary_years: what the plan minimises
    total_cost: float
    #: what "fix every reported shortfall" would cost (the engine's gaps × unit costs)
    naive_cost: float
    cost_by_category: Mapping[str, float]
    #: school-based criteria met after the plan (the engine's verdict)
    school_based_met: bool
    passed_after: bool
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "county_code": self.county_code,
            "name": self.name,
            "status": self.status,
            "school_based_met": self.school_based_met,
            "passed_after": self.passed_after,
            "one_off_cost": self.one_off_cost,
            "yearly_cost": self.yearly_cost,
            "total_cost": self.total_cost,
            "naive_cost": self.naive_cost,
            "cost_by_category": dict(self.cost_by_category),
            "additions": [a.to_dict() for a in self.additions],
            "moves": [m.to_dict() for m in self.moves],
            "cvs": [c.to_dict() for c in self.cvs],
            "criteria": [c.to_dict() for c in self.criteria],
            "unreachable": [u.to_dict() for u in self.unreachable],
            "county_actions": [a.to_dict() for a in self.county_actions],
            "notes": list(self.notes),
        }


@attrs.frozen
class Plan:
    """A plan for every county of the input (``junheng.plan.plan``)."""

    ruleset: Mapping[str, Any]
    costs: Any  # junheng.plan.costs.Costs
    counties: tuple[CountyPlan, ...]
    provenance: Mapping[str, Any]
    method: Mapping[str, Any]
    #: the school records after the plan (same shape as the input), and the county records
    schools_after: Sequence[Mapping[str, Any]] = attrs.field(repr=False, eq=False)
    counties_after: Sequence[Mapping[str, Any]] = attrs.field(repr=False, eq=False)
    #: the evaluations before and after (junheng.Report), for writers that need more
    report_before: Any = attrs.field(default=None, repr=False, eq=False)
    report_after: Any = attrs.field(default=None, repr=False, eq=False)
    #: the budget ordering (``budget=`` given), else None
    budget: Mapping[str, Any] | None = None
    #: Chinese title of every rule id a row names (indicators, school rules, county items)
    titles: Mapping[str, str] = attrs.field(factory=dict)
    #: how the plan was computed (the problem, the solution with its CV solves) — for the
    #: benchmark and for debugging; not part of the plan document
    trace: Mapping[str, Any] | None = attrs.field(default=None, repr=False, eq=False)

    @property
    def school_based_met(self) -> bool:
        """Every county meets every school-based criterion after the plan."""
        return all(c.school_based_met for c in self.counties)

    def county(self, code: str) -> CountyPlan:
        for c in self.counties:
            if c.county_code == code:
                return c
        raise KeyError(code)

    def to_dict(self) -> dict[str, Any]:
        doc = {
            "kind": "junheng.plan",
            "ruleset": dict(self.ruleset),
            "provenance": dict(self.provenance),
            "method": dict(self.method),
            "costs": self.costs.to_dict(),
            "school_based_met": self.school_based_met,
            "one_off_cost": sum(c.one_off_cost for c in self.counties),
            "yearly_cost": sum(c.yearly_cost for c in self.counties),
            "total_cost": sum(c.total_cost for c in self.counties),
            "naive_cost": sum(c.naive_cost for c in self.counties),
            "counties": [c.to_dict() for c in self.counties],
        }
        if self.budget is not None:
            doc["budget"] = dict(self.budget)
        return doc
