"""The verdict of each county: its criteria, CV groups and score, read from the recorded values.

Everything here reads what :mod:`~junheng.evaluate.schools`, :mod:`~junheng.evaluate.groups`
and :mod:`~junheng.evaluate.county` computed; the only per-county Python work of
an evaluation is this assembly. It is tuned for national batches (~3,000
counties): arrays become Python lists once, parts shared by every county (CV
criterion specs, formatted values) are built once, and frozen criteria that are
the same in many counties are shared.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from ..domain import STAGE_TITLES, STAGES
from ..formula import at_most
from ..results import (
    CountyResult,
    CountyTable,
    Criterion,
    GroupResult,
    IndicatorStat,
    SchoolTable,
    as_float,
    json_floats,
)
from ..ruleset import Ruleset
from ..units import Units
from . import sentences
from .score import score_result

__all__ = ["county_results"]

NAN = float("nan")


def county_results(
    rs: Ruleset,
    units: Units,
    table: SchoolTable,
    groups: Mapping[str, Any],
    values: CountyTable,
    counties: Mapping[str, Mapping[str, Any]],
) -> list[CountyResult]:
    codes = units.county_codes
    n_c = len(codes)
    present = (groups["counts"].reshape(n_c, 2) > 0).tolist()
    # the loop below reads one element at a time: Python lists, not numpy scalars
    school_counts = {k: v.tolist() for k, v in _school_counts(units, table.passed).items()}
    school_counts["unverified"] = _unverified_units(rs, units).tolist()
    groups = _as_lists(rs, groups)
    cv_specs = _cv_specs(rs, groups)
    env = values.env
    multi = {
        rid: {
            "met": env[rid].tolist(),
            "years_met": (values.multi_year[rid].met == 1.0).sum(axis=0).tolist(),
        }
        for rid in rs.multi_year
    }
    item_met = {rid: env[rid].tolist() for rid in rs.county_items}
    item_texts = {rid: sentences.fmt_all(v) for rid, v in values.item_values.items()}
    item_values = {rid: json_floats(v) for rid, v in values.item_values.items()}
    veto_applies = {rid: v.tolist() for rid, v in values.veto_applies.items()}
    score_pts = None
    if values.score_points is not None:
        score_pts = {rid: v.tolist() for rid, v in values.score_points.items()}
    veto_criteria = {rid: _veto_criteria(veto) for rid, veto in rs.vetoes.items()}
    readers = _multi_year_readers(rs)
    multi_ids = tuple(rs.multi_year)
    has_record = values.has_record.tolist()
    item_criteria: dict[tuple[Any, ...], Criterion] = {}

    results = []
    for c, code in enumerate(codes):
        crit: list[Criterion] = []
        rec = counties.get(code)
        years = {rid: values.multi_year[rid].year_results(c) for rid in multi_ids}
        if rs.school_verdict:
            crit.append(_schools_criterion(rs, school_counts, c))
        crit += _cv_criteria(cv_specs, groups, c, present[c])
        for rid, res in multi.items():
            rule = rs.multi_year[rid]
            if not rule.required:
                continue
            crit.append(
                Criterion(
                    id=rid,
                    kind="multi_year",
                    title=rule.meta.title,
                    status=_status(res["met"][c]),
                    source=rule.meta.source,
                    value=as_float(res["years_met"][c]),
                    limit=float(rule.min_years_met),
                    unit="年",
                    detail=sentences.multi_year_detail(rule, years[rid], has_record[c]),
                    owner=rule.meta.owner,
                    unverified=rule.meta.unverified,
                    evidence=sentences.year_evidence(years[rid]),
                    years=years[rid],
                    document=rule.meta.document,
                    clause=rule.meta.clause,
                )
            )
        for rid, item in rs.county_items.items():
            if not item.required:
                continue
            m = item_met[rid][c]
            val = item_values.get(rid)
            value = val[c] if val is not None else None
            status = _status(m)
            detail = sentences.item_detail(
                item, m, value, has_record[c], item_texts[rid][c] if rid in item_texts else ""
            )
            evidence = _evidence(readers[rid], years) if rid in readers else ()
            key = (rid, status, value, detail, evidence)
            shared = item_criteria.get(key)
            if shared is None:  # frozen: counties in the same situation share one
                shared = item_criteria[key] = Criterion(
                    id=rid,
                    kind="county_item",
                    title=item.meta.title,
                    status=status,
                    source=item.meta.source,
                    value=value,
                    limit=item.threshold,
                    unit=item.unit if item.kind != "all_schools" else "所未达标学校",
                    detail=detail,
                    owner=item.meta.owner,
                    category=item.category or None,
                    unverified=item.meta.unverified,
                    evidence=evidence,
                    document=item.meta.document,
                    clause=item.meta.clause,
                )
            crit.append(shared)
        for rid in rs.vetoes:
            a = veto_applies[rid][c]
            status = "not_evaluated" if a != a else ("failed" if a == 1.0 else "met")
            shared = veto_criteria[rid][status, has_record[c]]
            evidence = _evidence(readers[rid], years) if rid in readers else ()
            crit.append(attrs.evolve(shared, evidence=evidence) if evidence else shared)
        score_res = None
        if score_pts is not None:
            score_res, score_crit = score_result(rs, score_pts, c)
            crit += score_crit
        results.append(
            CountyResult(
                county_code=code,
                name=(rec or {}).get("name"),
                has_county_record=rec is not None,
                passed=all(x.status == "met" for x in crit),
                criteria=tuple(crit),
                groups=tuple(_group_results(rs, groups, c, present[c])),
                score=score_res,
            )
        )
    return results


def _multi_year_readers(rs: Ruleset) -> dict[str, Any]:
    """Which multi-year rules each county item and veto reads (its evidence comes from them)."""
    names = {
        n: rid for rid in rs.multi_year for n in (rid, f"{rid}_years_met", f"{rid}_years_missed")
    }
    out: dict[str, Any] = {}
    formulas = {rid: item.formula for rid, item in rs.county_items.items()}
    formulas |= {rid: veto.when for rid, veto in rs.vetoes.items()}
    for rid, formula in formulas.items():
        read = sorted({names[n] for n in (formula.names if formula else ()) if n in names})
        if read:
            out[rid] = tuple(read)
    return out


def _evidence(rules: Sequence[str], years: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(e for rid in rules for e in sentences.year_evidence(years[rid]))


def _veto_criteria(veto: Any) -> dict[tuple[str, bool], Criterion]:
    """The criterion of a veto for each (status, county record given): the same for every
    county in that situation, and frozen, so built once and shared."""
    return {
        (status, has_record): Criterion(
            id=veto.meta.id,
            kind="veto",
            title=veto.meta.title,
            status=status,
            source=veto.meta.source,
            detail=sentences.veto_detail(veto, status, has_record),
            owner=veto.meta.owner,
            unverified=veto.meta.unverified,
            document=veto.meta.document,
            clause=veto.meta.clause,
        )
        for status in ("failed", "met", "not_evaluated")
        for has_record in (True, False)
    }


@attrs.frozen
class _StatLists:
    """:class:`~junheng.stats.GroupStats` as Python lists (one value per group), converted
    once for all counties: ``cv`` raw (NaN: undefined), the ``*_json`` ones with None,
    ``met`` the CV against the stage's limit (None: no limit or CV undefined)."""

    cv: list[float]
    mean_json: list[float | None]
    sd_json: list[float | None]
    cv_json: list[float | None]
    schools: list[int]
    undefined: list[int]
    met: list[bool | None]
    cv_text: list[str]  # as :func:`sentences.fmt` writes it


def _cv_met(cv: np.ndarray, limits: Mapping[str, float | None]) -> list[bool | None]:
    """Per group (county × stage, interleaved): CV within the stage's limit, or None."""
    out = np.full(cv.size, None, dtype=object)
    for s, stage in enumerate(STAGES):
        lim = limits.get(stage)
        if lim is not None:
            part = cv[s::2]
            out[s::2] = np.where(np.isnan(part), None, at_most(part, lim))
    return out.tolist()


def _as_lists(rs: Ruleset, groups: Mapping[str, Any]) -> dict[str, Any]:
    """``groups`` with every per-group array as a list (for per-county indexing)."""
    stats = {}
    for i, st in groups["stats"].items():
        cv_limit = rs.indicators[i].cv_limit
        stats[i] = _StatLists(
            cv=st.cv.tolist(),
            mean_json=json_floats(st.mean),
            sd_json=json_floats(st.sd),
            cv_json=json_floats(st.cv),
            schools=st.schools.astype(int).tolist(),
            undefined=st.undefined.astype(int).tolist(),
            met=_cv_met(st.cv, {s: cv_limit.get(s) if cv_limit else None for s in STAGES}),
            cv_text=sentences.fmt_all(st.cv),
        )
    out = {
        k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in groups.items() if k != "stats"
    }
    out["stats"] = stats
    composite = groups["composite"]
    if composite is not None and rs.composite_cv:
        out["composite_met"] = _cv_met(composite, {s: rs.composite_cv.limit.get(s) for s in STAGES})
        out["composite_text"] = sentences.fmt_all(composite)
    return out


def _status(m: float) -> str:
    if math.isnan(m):
        return "not_evaluated"
    return "met" if m == 1.0 else "failed"


def _school_counts(units: Units, passed: np.ndarray) -> dict[str, np.ndarray]:
    """Per county: included units, failed units, undetermined units."""
    n_c = len(units.county_codes)
    inc = units.included
    ci = units.county_index

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(ci, weights=mask.astype(float), minlength=n_c).astype(int)

    return {
        "n": count(inc),
        "failed": count(inc & (passed == 0.0)),
        "undefined": count(inc & np.isnan(passed)),
    }


def _unverified_units(rs: Ruleset, units: Units) -> np.ndarray:
    """Per county: included units judged by a rule of the school verdict whose number no
    source gives for the unit's stage (the ``schools`` criterion says so)."""
    n_c = len(units.county_codes)
    stages = [s for s in STAGES if _verdict_unverified(rs, s)]
    if not stages:
        return np.zeros(n_c, dtype=int)
    mask = units.included & np.isin(units.stage, [STAGES.index(s) for s in stages])
    return np.bincount(units.county_index, weights=mask.astype(float), minlength=n_c).astype(int)


def _verdict_unverified(rs: Ruleset, stage: str) -> bool:
    for rid in rs.school_verdict:
        rule = rs.indicators.get(rid) or rs.school_rules.get(rid)
        if rule is not None and rule.meta.unverified_for(stage):
            return True
    return False


def _schools_criterion(rs: Ruleset, counts: Mapping[str, Any], c: int) -> Criterion:
    n, n_fail, n_undef = (int(counts[k][c]) for k in ("n", "failed", "undefined"))
    m = 0.0 if n_fail else (NAN if n_undef or n == 0 else 1.0)
    verdict = rs.raw.get("school_verdict", {})
    return Criterion(
        id="schools",
        kind="schools",
        title=verdict.get("title", "每所学校达到评估标准"),
        status=_status(m),
        source=verdict.get("source", rs.source),
        value=float(n_fail),
        limit=0.0,
        unit="所",
        detail=sentences.schools_detail(n, n_fail, n_undef),
        unverified=bool(counts["unverified"][c]),
        document=verdict.get("cite"),
        clause=verdict.get("clause"),
    )


@attrs.frozen
class _CvSpec:
    """What a county's CV criterion of one indicator × stage shares with every county."""

    stage: str
    s: int
    id: str
    title: str
    source: str
    limit: float
    owner: str | None
    unverified: bool
    stats: _StatLists | None  # the indicator's; None for the composite CV
    words: str  # 差异系数 / 综合差异系数
    document: str | None = None
    clause: str | None = None


def _cv_specs(rs: Ruleset, groups: Mapping[str, Any]) -> list[_CvSpec]:
    """Per stage, the indicators' CV criteria and then the composite CV's, in report order."""
    out = []
    for s, stage in enumerate(STAGES):
        for i, ind in rs.indicators.items():
            lim = ind.cv_limit.get(stage) if ind.cv_limit else None
            if lim is None:
                continue
            out.append(
                _CvSpec(
                    stage=stage,
                    s=s,
                    id=f"cv.{stage}.{i}",
                    title=f"{STAGE_TITLES[stage]}{ind.meta.title}校际差异系数",
                    source=ind.cv_source or ind.meta.source,
                    limit=lim,
                    owner=ind.meta.owner,
                    unverified=ind.meta.unverified_for(stage),
                    stats=groups["stats"][i],
                    words="差异系数",
                    document=ind.cv_document if ind.cv_source else ind.meta.document,
                    clause=ind.cv_clause if ind.cv_source else ind.meta.clause,
                )
            )
        if rs.composite_cv and rs.composite_cv.limit.get(stage) is not None:
            meta = rs.composite_cv.meta
            out.append(
                _CvSpec(
                    stage=stage,
                    s=s,
                    id=f"composite_cv.{stage}",
                    title=f"{STAGE_TITLES[stage]}{meta.title}",
                    source=meta.source,
                    limit=rs.composite_cv.limit.get(stage),
                    owner=None,
                    unverified=meta.unverified,
                    stats=None,
                    words="综合差异系数",
                    document=meta.document,
                    clause=meta.clause,
                )
            )
    return out


def _cv_criteria(specs: list[_CvSpec], groups, c: int, present) -> list[Criterion]:
    out = []
    for spec in specs:
        if not present[spec.s]:
            continue
        g = c * 2 + spec.s
        st = spec.stats
        cv = st.cv[g] if st is not None else groups["composite"][g]
        met = st.met[g] if st is not None else groups["composite_met"][g]
        text = st.cv_text[g] if st is not None else groups["composite_text"][g]
        undefined = st.undefined[g] if st is not None else 0
        out.append(
            Criterion(
                id=spec.id,
                kind="cv" if st is not None else "composite_cv",
                title=spec.title,
                status="not_evaluated" if met is None else ("met" if met else "failed"),
                source=spec.source,
                stage=spec.stage,
                value=as_float(cv),
                limit=spec.limit,
                detail=sentences.cv_detail(
                    spec.stage,
                    spec.words,
                    text,
                    spec.limit,
                    undefined,
                    st.schools[g] if st is not None else None,
                ),
                owner=spec.owner,
                unverified=spec.unverified,
                document=spec.document,
                clause=spec.clause,
            )
        )
    return out


def _group_results(rs: Ruleset, groups, c: int, present) -> list[GroupResult]:
    out = []
    for s, stage in enumerate(STAGES):
        if not present[s]:
            continue
        g = c * 2 + s
        inds = {}
        for i, st in groups["stats"].items():
            ind = rs.indicators[i]
            lim = ind.cv_limit.get(stage) if ind.cv_limit else None
            inds[i] = IndicatorStat(
                id=i,
                title=ind.meta.title,
                mean=st.mean_json[g],
                sd=st.sd_json[g],
                cv=st.cv_json[g],
                limit=lim,
                met=st.met[g],
                schools=st.schools[g],
                undefined=st.undefined[g],
            )
        comp = as_float(groups["composite"][g]) if groups["composite"] is not None else None
        lim = rs.composite_cv.limit.get(stage) if rs.composite_cv else None
        out.append(
            GroupResult(
                stage=stage,
                schools=int(groups["counts"][g]),
                students=float(groups["students"][g]),
                indicators=inds,
                composite_cv=comp,
                composite_limit=lim,
                composite_met=None if comp is None or lim is None else groups["composite_met"][g],
            )
        )
    return out
