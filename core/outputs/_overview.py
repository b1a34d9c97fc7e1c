"""The overview of a batch of counties — what a city (市级复核) or province (省级评估) office
reads first, before any single county's report.

:func:`overview` builds it once from the :class:`~junheng.results.Report`; the HTML, XLSX
(县域汇总) and Markdown writers lay it out. It holds:

* how many counties pass, fail and could not be judged (a county that fails no
  criterion but cannot pass because some could not be evaluated, e.g. no county data);
* one line per county — verdict, failed criteria by kind, the vetoes that apply, failing
  school units, the difference coefficient furthest past (or closest to) its limit —
  failing counties first, then those not judged, then those that pass, each in code order;
* per indicator × stage (and the composite CV) every county's CV against the limit;
* the criteria that fail most often across the batch.

A report of one county has no overview (:func:`overview` returns None): its own
report already starts with its verdict.
"""

from __future__ import annotations

from collections import Counter

import attrs
import numpy as np

from ..domain import STAGES
from ..results import CountyResult, Report
from . import _view as v

__all__ = ["CountyLine", "CvSeries", "FrequentFailure", "Overview", "WorstCv", "overview"]

STATUS_TITLES = {"failed": "未通过", "not_evaluated": "未能认定", "passed": "通过"}
_STATUS_ORDER = {"failed": 0, "not_evaluated": 1, "passed": 2}


@attrs.frozen
class WorstCv:
    """The CV of one county furthest past its limit (or, when all are met, closest to it)."""

    stage: str
    title: str
    cv: float
    limit: float
    met: bool | None

    @property
    def text(self) -> str:
        """``小学 生均体育运动场馆面积 0.612（限值 ≤ 0.5）``."""
        return (
            f"{v.stage_title(self.stage)} {self.title} {self.cv:.3f}（限值 ≤ {v.num(self.limit)}）"
        )


@attrs.frozen
class CountyLine:
    """One county's row of the overview table."""

    county: CountyResult
    status: str  # failed | not_evaluated | passed
    #: (kind, number of failed criteria of that kind), in KIND_TITLES order
    failed_by_kind: tuple[tuple[str, int], ...]
    vetoes: tuple[str, ...]  # titles of the vetoes that apply
    failing_units: int
    worst: WorstCv | None

    @property
    def code(self) -> str:
        return self.county.county_code

    @property
    def name(self) -> str:
        return self.county.name or self.county.county_code

    @property
    def status_title(self) -> str:
        return STATUS_TITLES[self.status]

    @property
    def failed_text(self) -> str:
        """``校际差异系数 1、县级指标 2`` (empty when nothing failed)."""
        return "、".join(f"{v.KIND_TITLES.get(k, k)} {n}" for k, n in self.failed_by_kind)

    def failed_of(self, kind: str) -> int:
        return dict(self.failed_by_kind).get(kind, 0)


@attrs.frozen
class CvSeries:
    """One indicator × stage (or the composite CV) across the counties that have the stage."""

    stage: str
    indicator: str  # indicator id, or "composite_cv"
    title: str
    limit: float | None
    #: (county code, county name, CV, met) per county, in report order
    points: tuple[tuple[str, str, float | None, bool | None], ...]

    @property
    def over(self) -> list[tuple[str, str, float]]:
        """(code, name, CV) of the counties past the limit, worst first."""
        bad = [(c, n, cv) for c, n, cv, met in self.points if met is False and cv is not None]
        return sorted(bad, key=lambda p: -p[2])

    @property
    def worst(self) -> tuple[str, str, float] | None:
        """(code, name, CV) of the county with the largest CV."""
        known = [(c, n, cv) for c, n, cv, _ in self.points if cv is not None]
        return max(known, key=lambda p: p[2]) if known else None

    @property
    def judged(self) -> int:
        """Counties with a CV for this indicator and stage."""
        return sum(1 for _, _, cv, _ in self.points if cv is not None)


@attrs.frozen
class FrequentFailure:
    """A criterion and the counties that fail it."""

    id: str
    title: str
    kind: str
    stage: str | None
    counties: tuple[tuple[str, str], ...]  # (code, name) of each county, in report order

    @property
    def count(self) -> int:
        return len(self.counties)


@attrs.frozen
class Overview:
    lines: tuple[CountyLine, ...]  # failing counties first
    counts: dict[str, int]  # status → number of counties
    kinds: tuple[str, ...]  # criterion kinds the batch judges, in KIND_TITLES order
    series: tuple[CvSeries, ...]
    frequent: tuple[FrequentFailure, ...]  # most counties first

    @property
    def total(self) -> int:
        return len(self.lines)


def _worst(county: CountyResult) -> WorstCv | None:
    best: tuple[float, WorstCv] | None = None
    for g in county.groups:
        items = [(st.title, st.cv, st.limit, st.met) for st in g.indicators.values()]
        items.append(("综合差异系数", g.composite_cv, g.composite_limit, g.composite_met))
        for title, cv, limit, met in items:
            if cv is None or not limit:
                continue
            ratio = cv / limit
            if best is None or ratio > best[0]:
                best = (ratio, WorstCv(g.stage, title, cv, limit, met))
    return None if best is None else best[1]


def _failing_units(report: Report) -> dict[str, int]:
    """Failing included school units per county code, counted on the columns."""
    t = report.schools
    u = t.units
    if u.size == 0:
        return {}
    mask = (t.passed == 0.0) & u.included
    counts = np.bincount(u.county_index[mask], minlength=len(u.county_codes))
    return dict(zip(u.county_codes, counts.tolist(), strict=True))


def overview(report: Report) -> Overview | None:
    """The overview of a report of several counties; None for one county (or none)."""
    if len(report.counties) < 2:
        return None
    order = list(v.KIND_TITLES)
    failing = _failing_units(report)
    lines = []
    kinds_seen: set[str] = set()
    frequent: dict[str, list[tuple[str, str]]] = {}
    meta: dict[str, tuple[str, str, str | None]] = {}
    for county in report.counties:
        failed = county.failed_criteria
        kinds_seen.update(c.kind for c in county.criteria)
        by_kind = Counter(c.kind for c in failed)
        if county.passed:
            status = "passed"
        else:
            status = "failed" if failed else "not_evaluated"
        name = county.name or county.county_code
        for c in failed:
            frequent.setdefault(c.id, []).append((county.county_code, name))
            meta.setdefault(c.id, (c.title, c.kind, c.stage))
        lines.append(
            CountyLine(
                county=county,
                status=status,
                failed_by_kind=tuple(
                    (k, by_kind[k]) for k in sorted(by_kind, key=lambda k: _rank(order, k))
                ),
                vetoes=tuple(c.title for c in county.vetoes if c.status == "failed"),
                failing_units=failing.get(county.county_code, 0),
                worst=_worst(county),
            )
        )
    lines.sort(key=lambda line: _STATUS_ORDER[line.status])  # stable: code order kept
    counts = {s: 0 for s in STATUS_TITLES}
    for line in lines:
        counts[line.status] += 1
    ranked = sorted(frequent.items(), key=lambda kv: -len(kv[1]))  # stable: first seen first
    return Overview(
        lines=tuple(lines),
        counts=counts,
        kinds=tuple(sorted(kinds_seen, key=lambda k: _rank(order, k))),
        series=_series(report),
        frequent=tuple(FrequentFailure(cid, *meta[cid], tuple(names)) for cid, names in ranked),
    )


def _rank(order: list[str], kind: str) -> int:
    return order.index(kind) if kind in order else len(order)


def _series(report: Report) -> tuple[CvSeries, ...]:
    rs = report.ruleset
    found: dict[tuple[str, str], list[tuple[str, str, float | None, bool | None]]] = {}
    titles: dict[tuple[str, str], str] = {}
    limits: dict[tuple[str, str], float | None] = {}
    for county in report.counties:
        code, name = county.county_code, county.name or county.county_code
        for g in county.groups:
            for iid, st in g.indicators.items():
                key = (g.stage, iid)
                found.setdefault(key, []).append((code, name, st.cv, st.met))
                titles.setdefault(key, st.title)
                if limits.get(key) is None:
                    limits[key] = st.limit
            if g.composite_cv is not None or g.composite_limit is not None:
                key = (g.stage, "composite_cv")
                found.setdefault(key, []).append((code, name, g.composite_cv, g.composite_met))
                titles.setdefault(key, "综合差异系数")
                if limits.get(key) is None:
                    limits[key] = g.composite_limit
    indicator_order = [*rs.indicators, "composite_cv"]

    def rank(key: tuple[str, str]) -> tuple[int, int]:
        stage, iid = key
        pos = indicator_order.index(iid) if iid in indicator_order else len(indicator_order)
        return (STAGES.index(stage) if stage in STAGES else len(STAGES), pos)

    return tuple(
        CvSeries(stage, iid, titles[(stage, iid)], limits[(stage, iid)], tuple(points))
        for (stage, iid), points in sorted(found.items(), key=lambda kv: rank(kv[0]))
        if any(cv is not None for _, _, cv, _ in points)
    )
