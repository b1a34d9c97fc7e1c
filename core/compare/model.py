"""The typed comparison of two evaluation reports (attrs, frozen) and its JSON form.

``old`` is the earlier evaluation (last year's, or before rectification), ``new`` the later
one. Every change kind is a stable machine string (the JSON document, described by
``schemas/compare.schema.json``); :mod:`junheng.compare.labels` gives each its Chinese
words. Values that a report does not hold (a criterion without a limit, a check that is
undefined) are ``None`` (JSON ``null``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

__all__ = [
    "SCHEMA_VERSION",
    "Comparison",
    "CountyComparison",
    "CountyOnlyIn",
    "CriterionChange",
    "CvChange",
    "GapChange",
    "InputChange",
    "RulesetInfo",
    "SchoolComparison",
    "SchoolOnlyIn",
    "Side",
]

#: the version of the comparison document's shape (``schemas/compare.schema.json``)
SCHEMA_VERSION = 1

Verdict = Literal["failed_to_passed", "passed_to_failed", "unchanged"]
CriterionKind = Literal[
    "newly_met", "newly_failed", "still_failed", "newly_not_evaluated", "only_old", "only_new"
]
CvKind = Literal[
    "newly_met",
    "newly_failed",
    "still_met",
    "still_failed",
    "undetermined",
    "no_limit",
    "only_old",
    "only_new",
]
GapKind = Literal["closed", "reduced", "grown", "new", "now_met", "undetermined"]
Movement = Literal["closer", "further", "same"]


def _plain(value: Any) -> Any:
    if attrs.has(type(value)):
        return {k: _plain(v) for k, v in attrs.asdict(value, recurse=False).items()}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


@attrs.frozen
class RulesetInfo:
    """The ruleset one report was evaluated with (``ruleset`` and ``provenance``)."""

    id: str
    title: str
    version: str
    #: SHA-256 of the resolved ruleset content (two files of the same id and version that
    #: differ in one number differ here)
    sha256: str | None


@attrs.frozen
class Side:
    """One of the two reports, as far as the comparison needs it."""

    #: the file given, or ``OLD`` / ``NEW`` for a document passed in memory
    file: str
    ruleset: RulesetInfo
    engine_version: str | None
    evaluated_at: str | None
    counties: int
    #: school units (school × stage) evaluated
    schools: int
    #: every county passed
    passed: bool


@attrs.frozen
class InputChange:
    """One input of the evaluations (``schools``, ``county``, …) and whether it changed."""

    name: str
    old_file: str | None
    old_sha256: str | None
    new_file: str | None
    new_sha256: str | None

    @property
    def status(self) -> Literal["same", "changed", "only_old", "only_new", "unknown"]:
        if self.old_file is None and self.old_sha256 is None:
            return "only_new"
        if self.new_file is None and self.new_sha256 is None:
            return "only_old"
        if self.old_sha256 is None or self.new_sha256 is None:
            return "unknown"  # e.g. the bundled sample: named, not hashed
        return "same" if self.old_sha256 == self.new_sha256 else "changed"


@attrs.frozen
class CriterionChange:
    """A county criterion whose status changed, or that is still failed (with the movement
    of its value against its requirement), or that only one report has."""

    id: str
    kind: str
    title: str
    change: CriterionKind
    old_status: str | None
    new_status: str | None
    stage: str | None = None
    unit: str | None = None
    old_value: float | None = None
    new_value: float | None = None
    old_limit: float | None = None
    new_limit: float | None = None
    #: still failed: is the value closer to its requirement than before (|value − limit|)
    movement: Movement | None = None


@attrs.frozen
class CvChange:
    """One difference coefficient (indicator × stage, or a stage's composite) before and after,
    against its limit."""

    stage: str
    #: the indicator id; ``composite`` for the stage's composite CV
    indicator: str
    title: str
    change: CvKind
    old_cv: float | None
    new_cv: float | None
    old_limit: float | None
    new_limit: float | None
    old_met: bool | None
    new_met: bool | None

    @property
    def delta(self) -> float | None:
        """new − old (negative: the schools grew more alike)."""
        if self.old_cv is None or self.new_cv is None:
            return None
        return self.new_cv - self.old_cv

    @property
    def crossed(self) -> bool:
        """The CV crossed its limit (either way)."""
        return self.change in ("newly_met", "newly_failed")


@attrs.frozen
class CountyComparison:
    """One county in both reports: its verdict, its criteria and its CVs, before and after."""

    county_code: str
    name: str | None
    old_passed: bool
    new_passed: bool
    newly_met: tuple[CriterionChange, ...] = ()
    newly_failed: tuple[CriterionChange, ...] = ()
    still_failed: tuple[CriterionChange, ...] = ()
    newly_not_evaluated: tuple[CriterionChange, ...] = ()
    #: ids of the criteria not evaluated in both reports (missing data both times)
    still_not_evaluated: tuple[str, ...] = ()
    criteria_only_old: tuple[CriterionChange, ...] = ()
    criteria_only_new: tuple[CriterionChange, ...] = ()
    #: every CV of both reports, in report order
    cv: tuple[CvChange, ...] = ()

    @property
    def verdict(self) -> Verdict:
        if self.old_passed == self.new_passed:
            return "unchanged"
        return "failed_to_passed" if self.new_passed else "passed_to_failed"

    @property
    def cv_crossed(self) -> tuple[CvChange, ...]:
        return tuple(c for c in self.cv if c.crossed)

    @property
    def changed(self) -> bool:
        """Anything a reader must see: a verdict, a status, a CV across its limit, a rule
        added or removed, a still-failed value that moved."""
        return bool(
            self.verdict != "unchanged"
            or self.newly_met
            or self.newly_failed
            or self.newly_not_evaluated
            or self.criteria_only_old
            or self.criteria_only_new
            or self.cv_crossed
            or any(c.movement in ("closer", "further") for c in self.still_failed)
        )

    def to_dict(self) -> dict[str, Any]:
        out = _plain(self)
        out["verdict"] = self.verdict
        for item, cv in zip(out["cv"], self.cv, strict=True):
            item["delta"] = cv.delta
        return out


@attrs.frozen
class CountyOnlyIn:
    """A county that only one of the reports evaluated."""

    county_code: str
    name: str | None
    passed: bool


@attrs.frozen
class GapChange:
    """One check of one school unit whose gap changed.

    ``closed``: failed → met; ``reduced`` / ``grown``: failed both times, the shortfall
    smaller / larger; ``new``: met (or undefined) → failed; ``now_met``: undefined → met;
    ``undetermined``: met or failed → undefined (data now missing). Shortfalls are in the
    check's real unit for the whole school (``unit``: 人, m², 元, 间, 项).
    """

    check: str
    title: str
    unit: str | None
    change: GapKind
    old_met: bool | None
    new_met: bool | None
    old_shortfall: float | None
    new_shortfall: float | None
    old_value: float | None
    new_value: float | None
    old_threshold: float | None
    new_threshold: float | None


@attrs.frozen
class SchoolComparison:
    """A school unit (school × stage) in both reports whose result changed."""

    id: str
    stage: str
    name: str | None
    county_code: str | None
    old_passed: bool | None
    new_passed: bool | None
    gaps: tuple[GapChange, ...] = ()

    def of(self, change: GapKind) -> tuple[GapChange, ...]:
        """The gaps of one kind (``closed``, ``reduced``, …)."""
        return tuple(g for g in self.gaps if g.change == change)


@attrs.frozen
class SchoolOnlyIn:
    """A school unit that only one of the reports evaluated."""

    id: str
    stage: str
    name: str | None
    county_code: str | None
    school_type: str | None
    passed: bool | None
    #: ids of its failed checks in the report that has it
    failed_checks: tuple[str, ...] = ()
    #: the other report lists it as not evaluated (a teaching point, a special school): why
    excluded_reason: str | None = None


@attrs.frozen
class Comparison:
    """Everything ``junheng compare OLD NEW`` found."""

    old: Side
    new: Side
    #: sentences the reader must see first: a different ruleset (id, version, content), a
    #: different junheng, NEW evaluated before OLD, both evaluations alike
    notes: tuple[str, ...]
    inputs: tuple[InputChange, ...]
    counties: tuple[CountyComparison, ...]
    counties_only_old: tuple[CountyOnlyIn, ...]
    counties_only_new: tuple[CountyOnlyIn, ...]
    #: the school units in both reports whose result changed, in NEW's order
    schools: tuple[SchoolComparison, ...]
    schools_only_old: tuple[SchoolOnlyIn, ...]
    schools_only_new: tuple[SchoolOnlyIn, ...]
    #: school units in both reports with no change
    schools_unchanged: int
    #: school check ids only one report has (a ruleset change)
    checks_only_old: tuple[str, ...] = ()
    checks_only_new: tuple[str, ...] = ()

    @property
    def same_ruleset(self) -> bool:
        a, b = self.old.ruleset, self.new.ruleset
        return a.id == b.id and a.version == b.version and a.sha256 == b.sha256

    def gap_count(self, change: GapKind) -> int:
        return sum(1 for s in self.schools for g in s.gaps if g.change == change)

    def summary(self) -> dict[str, int]:
        """The counts a reader looks at first."""
        verdicts = [c.verdict for c in self.counties]
        return {
            "counties": len(self.counties),
            "failed_to_passed": verdicts.count("failed_to_passed"),
            "passed_to_failed": verdicts.count("passed_to_failed"),
            "criteria_newly_met": sum(len(c.newly_met) for c in self.counties),
            "criteria_newly_failed": sum(len(c.newly_failed) for c in self.counties),
            "cv_newly_met": sum(1 for c in self.counties for v in c.cv if v.change == "newly_met"),
            "cv_newly_failed": sum(
                1 for c in self.counties for v in c.cv if v.change == "newly_failed"
            ),
            "schools_changed": len(self.schools),
            "schools_unchanged": self.schools_unchanged,
            "gaps_closed": self.gap_count("closed"),
            "gaps_reduced": self.gap_count("reduced"),
            "gaps_grown": self.gap_count("grown"),
            "gaps_new": self.gap_count("new"),
            "schools_only_old": len(self.schools_only_old),
            "schools_only_new": len(self.schools_only_new),
        }

    def to_dict(self) -> dict[str, Any]:
        """The comparison document (``schemas/compare.schema.json``)."""
        a, b = self.old.ruleset, self.new.ruleset
        return {
            "schema_version": SCHEMA_VERSION,
            "old": _plain(self.old),
            "new": _plain(self.new),
            "ruleset": {
                "same": self.same_ruleset,
                "same_id": a.id == b.id,
                "same_version": a.version == b.version,
                "same_content": a.sha256 == b.sha256,
            },
            "notes": list(self.notes),
            "inputs": [{**_plain(i), "status": i.status} for i in self.inputs],
            "summary": self.summary(),
            "counties": [c.to_dict() for c in self.counties],
            "counties_only_old": _plain(self.counties_only_old),
            "counties_only_new": _plain(self.counties_only_new),
            "schools": _plain(self.schools),
            "schools_only_old": _plain(self.schools_only_old),
            "schools_only_new": _plain(self.schools_only_new),
            "checks_only_old": list(self.checks_only_old),
            "checks_only_new": list(self.checks_only_new),
        }
