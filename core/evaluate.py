"""Evaluate a batch of schools (any number of counties) against one compiled ruleset.

Pipeline, one way only: units (stage split, apportion, fold/exclude) →
indicators (compiled formulas over whole columns) → school checks and school
rules → weighted CVs per county × stage → county items, multi-year rules,
vetoes, score tree → verdict per county. Columns throughout; the only
per-county Python work is assembling the criteria list for the report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from .bulk import RecordColumns, gc_paused
from .fields import county_fields
from .formula import as_division, at_least, at_most, kleene_and, prev_name, truth
from .results import (
    CountyResult,
    Criterion,
    GroupResult,
    IndicatorStat,
    Report,
    SchoolTable,
    ScoreLine,
    ScoreResult,
    _b,
    _f,
    _json_floats,
)
from .ruleset import STAGE_TITLES, STAGES, Ruleset, RulesetError, indicator_order
from .stats import weighted_cv
from .units import Units, build_units

NAN = float("nan")


def county_scalar_names() -> list[str]:
    """County record names visible to formulas: ``items``, ``survey``, ``vetoes`` keys, flattened."""
    names = []
    for f in county_fields():
        head, _, rest = f.path.partition(".")
        if head in ("items", "survey", "vetoes") and rest and "." not in rest:
            names.append(rest)
    return names


def finance_field_names() -> list[str]:
    return [
        f.path.split(".", 1)[1]
        for f in county_fields()
        if f.path.startswith("finance[].") and not f.path.endswith(".year")
    ]


def _stage_array(units: Units, value: Any) -> np.ndarray:
    """Broadcast a per-stage value (StageValue or None) onto the units."""
    if value is None:
        return np.full(units.size, NAN)
    p = NAN if value.primary is None else value.primary
    j = NAN if value.junior is None else value.junior
    return np.where(units.stage == 0, p, j)


def _ceil(x: np.ndarray) -> np.ndarray:
    # 1e-9 keeps 3.0000000001 (float noise) from becoming 4 teachers
    return np.ceil(x - 1e-9)


def evaluate(
    ruleset: Ruleset,
    schools: Sequence[Mapping[str, Any]],
    counties: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    data_issues: Sequence[Any] = (),
    provenance: Mapping[str, Any] | None = None,
    columns: RecordColumns | None = None,
) -> Report:
    """Evaluate ``schools`` (validated records) and the county records keyed by county code.

    ``columns``: fields already pulled from these very records (see :func:`build_units`).
    """
    counties = counties or {}
    with gc_paused():
        units = build_units(
            schools,
            ruleset.preparation,
            ruleset.stages,
            fields=_fields_read(ruleset),
            columns=columns,
        )
        env: dict[str, Any] = dict(units.columns)
        for name, value in ruleset.parameters.items():
            env[name] = _stage_array(units, value)

        table = _school_checks(ruleset, units, env)
        groups = _group_stats(ruleset, units, env)
        county_results = _counties(ruleset, units, table, groups, counties)
    return Report(
        ruleset=ruleset,
        counties=tuple(county_results),
        schools=table,
        data_issues=tuple(data_issues),
        provenance=dict(provenance or {}),
    )


def _fields_read(rs: Ruleset) -> frozenset[str]:
    """School field names the ruleset's school-level formulas read (``school_x`` → ``x``)."""
    names: set[str] = set()
    for ind in rs.indicators.values():
        names |= ind.formula.names
        if ind.shortfall is not None:
            names |= ind.shortfall.names
    for rule in rs.school_rules.values():
        if rule.formula is not None:
            names |= rule.formula.names
    return frozenset(names | {n.removeprefix("school_") for n in names})


# ---------------------------------------------------------------------------
# Schools


def _school_checks(rs: Ruleset, units: Units, env: dict[str, Any]) -> SchoolTable:
    size = units.size
    value: dict[str, np.ndarray] = {}
    threshold: dict[str, np.ndarray] = {}
    met: dict[str, np.ndarray] = {}
    shortfall: dict[str, np.ndarray] = {}
    detail: dict[str, np.ndarray] = {}
    applies: dict[str, np.ndarray] = {}

    for iid in indicator_order(rs):
        ind = rs.indicators[iid]
        v = ind.formula.evaluate(env, size)
        env[iid] = v
        if ind.threshold is None:
            continue
        thr = _stage_array(units, ind.threshold)
        ok = at_least(v, thr) if ind.direction == "min" else at_most(v, thr)
        m = np.where(np.isnan(v) | np.isnan(thr), NAN, ok.astype(float))
        value[iid], threshold[iid], met[iid] = v, thr, m
        shortfall[iid] = _shortfall(ind, v, thr, m, env, size)

    for rid, rule in rs.school_rules.items():
        in_stage = np.isin(units.stage, [STAGES.index(s) for s in rule.stages])
        if rule.kind == "k_of_n":
            v, m, s, d = _k_of_n(rs, rule, met, value, threshold)
            value[rid], threshold[rid] = v, np.full(size, float(rule.min_met))
            met[rid], shortfall[rid], detail[rid] = m, s, d
        else:
            m = truth(rule.formula.evaluate(env, size))
            value[rid], threshold[rid], met[rid] = m, np.full(size, 1.0), m
            shortfall[rid] = np.where(m == 1.0, 0.0, np.where(m == 0.0, 1.0, NAN))
        met[rid] = np.where(in_stage, met[rid], NAN)
        applies[rid] = in_stage

    # a rule that does not apply to a unit's stage neither passes nor fails it
    verdict = [np.where(applies.get(c, True), met[c], 1.0) for c in rs.school_verdict if c in met]
    passed = kleene_and(verdict) if verdict else np.full(size, NAN)
    passed = np.where(units.included, np.broadcast_to(passed, (size,)), NAN)
    return SchoolTable(
        units=units,
        ruleset=rs,
        check_ids=tuple(c for c in rs.checks if c in met),
        value=value,
        threshold=threshold,
        met=met,
        shortfall=shortfall,
        detail=detail,
        passed=passed,
        env=env,
    )


def _shortfall(ind, v, thr, m, env, size) -> np.ndarray:
    """The gap in the indicator's natural unit for the whole school (teachers, m², yuan, rooms)."""
    if ind.shortfall is not None:
        gap = ind.shortfall.evaluate({**env, "threshold": thr}, size)
    else:
        div = as_division(ind.formula)
        if div is not None:
            num, den, scale = div
            need = thr * env[den] / scale
            gap = need - env[num] if ind.direction == "min" else env[num] - need
        else:
            gap = thr - v if ind.direction == "min" else v - thr
    gap = np.maximum(gap, 0.0)
    if ind.integer_shortfall:
        gap = _ceil(gap)
    return np.where(m == 1.0, 0.0, np.where(m == 0.0, gap, NAN))


def _k_of_n(rs, rule, met, value, threshold):
    """At least ``min_met`` of the indicators met and every unmet one ≥ ``rest_min_ratio`` of its requirement."""
    ms = np.vstack([met[i] for i in rule.indicators])
    n = len(rule.indicators)
    count = (ms == 1.0).sum(axis=0).astype(float)
    undef = np.isnan(ms).sum(axis=0)
    ratios = []
    for i in rule.indicators:
        ind = rs.indicators[i]
        with np.errstate(divide="ignore", invalid="ignore"):
            r = value[i] / threshold[i] if ind.direction == "min" else threshold[i] / value[i]
        ratios.append(r)
    rs_arr = np.vstack(ratios)
    low = (ms == 0.0) & ~at_least(rs_arr, rule.rest_min_ratio)
    n_low = low.sum(axis=0)
    fail = (n_low > 0) | (count + undef < rule.min_met)
    ok = (undef == 0) & (count >= rule.min_met) & ~fail
    m = np.where(fail, 0.0, np.where(ok, 1.0, NAN))
    need = np.maximum(np.maximum(rule.min_met - count, 0), n_low).astype(float)
    short = np.where(m == 1.0, 0.0, np.where(m == 0.0, need, NAN))
    detail = np.full(count.size, None, dtype=object)
    partial = np.nonzero((count < n) & ~np.isnan(m))[0]
    titles = [rs.indicators[i].meta.title for i in rule.indicators]
    for k in partial.tolist():
        misses = [
            f"{titles[j]}为要求的{rs_arr[j, k] * 100:.1f}%"
            for j in range(n)
            if ms[j, k] == 0.0 and math.isfinite(rs_arr[j, k])
        ]
        detail[k] = f"{n}项中{int(count[k])}项达标；" + "；".join(misses)
    return count, m, short, detail


# ---------------------------------------------------------------------------
# Groups (county × stage)


def _group_stats(rs: Ruleset, units: Units, env: Mapping[str, Any]):
    n_c = len(units.county_codes)
    key = units.county_index * 2 + units.stage.astype(np.int64)
    n_g = n_c * 2
    weights = np.nan_to_num(units.columns["students"])
    cv_ids = [i for i, ind in rs.indicators.items() if ind.cv_limit is not None]
    if rs.composite_cv:
        cv_ids += [i for i in rs.composite_cv.indicators if i not in cv_ids]
    stats = {i: weighted_cv(env[i], weights, key, n_g, units.included) for i in cv_ids}
    inc = units.included.astype(float)
    counts = np.bincount(key, weights=inc, minlength=n_g)
    students = np.bincount(key, weights=weights * inc, minlength=n_g)
    composite = None
    if rs.composite_cv:
        composite = np.mean(np.vstack([stats[i].cv for i in rs.composite_cv.indicators]), axis=0)
    return {"stats": stats, "counts": counts, "students": students, "composite": composite}


# ---------------------------------------------------------------------------
# Counties


def _county_env(rs: Ruleset, units: Units, counties, groups) -> dict[str, np.ndarray]:
    codes = units.county_codes
    n_c = len(codes)
    env: dict[str, Any] = {}
    for name in county_scalar_names():
        env[name] = np.full(n_c, NAN)
    for name in finance_field_names():
        env[name] = np.full(n_c, NAN)
    for k, code in enumerate(codes):
        rec = counties.get(code) or {}
        for block in ("items", "survey", "vetoes"):
            for name, v in (rec.get(block) or {}).items():
                if name in env and isinstance(v, (int, float, bool)):
                    env[name][k] = float(v)
        fin = sorted(rec.get("finance") or [], key=lambda r: r.get("year", 0))
        if fin:
            for name, v in fin[-1].items():
                if name in env and isinstance(v, (int, float)):
                    env[name][k] = float(v)
    for i, st in groups["stats"].items():
        for s, stage in enumerate(STAGES):
            env[f"cv_{stage}_{i}"] = st.cv[s::2]
    comp = groups["composite"]
    for s, stage in enumerate(STAGES):
        env[f"composite_cv_{stage}"] = comp[s::2] if comp is not None else np.full(n_c, NAN)
    for name, value in rs.parameters.items():
        env[name] = np.full(n_c, NAN if value is None or value.primary is None else value.primary)
    return env


def _aggregate_units(units: Units, m: np.ndarray) -> np.ndarray:
    """Per county: 1 if every included unit is 1, 0 if any is 0, else undefined."""
    n_c = len(units.county_codes)
    inc = units.included
    ci = units.county_index
    zeros = np.bincount(ci, weights=(inc & (m == 0.0)).astype(float), minlength=n_c)
    nans = np.bincount(ci, weights=(inc & np.isnan(m)).astype(float), minlength=n_c)
    total = np.bincount(ci, weights=inc.astype(float), minlength=n_c)
    return np.where(zeros > 0, 0.0, np.where((nans > 0) | (total == 0), NAN, 1.0))


def _multi_year(rs: Ruleset, units: Units, counties) -> dict[str, dict[str, np.ndarray]]:
    codes = units.county_codes
    out = {}
    fields = finance_field_names()
    for rid, rule in rs.multi_year.items():
        per_year = []
        for k in range(rule.years):
            env: dict[str, Any] = {}
            for f in fields:
                env[f] = np.full(len(codes), NAN)
                env[prev_name(f)] = np.full(len(codes), NAN)
            for c, code in enumerate(codes):
                fin = {r.get("year"): r for r in (counties.get(code) or {}).get("finance") or []}
                if not fin:
                    continue
                year = max(fin) - k
                cur, prev = fin.get(year, {}), fin.get(year - 1, {})
                for f in fields:
                    if isinstance(cur.get(f), (int, float)):
                        env[f][c] = cur[f]
                    if isinstance(prev.get(f), (int, float)):
                        env[prev_name(f)][c] = prev[f]
            for name, value in rs.parameters.items():
                env[name] = np.full(len(codes), NAN if value is None else value.primary)
            per_year.append(truth(rule.condition.evaluate(env, len(codes))))
        mat = np.vstack(per_year)
        years_met = (mat == 1.0).sum(axis=0).astype(float)
        years_missed = (mat == 0.0).sum(axis=0).astype(float)
        undef = np.isnan(mat).sum(axis=0)
        met = np.where(
            years_met >= rule.min_years_met,
            1.0,
            np.where(years_missed > rule.years - rule.min_years_met, 0.0, NAN),
        )
        met = np.where((undef > 0) & (years_met < rule.min_years_met) & (met != 0.0), NAN, met)
        out[rid] = {
            "met": met,
            "years_met": years_met,
            "years_missed": years_missed,
            "undefined": undef.astype(float),
            "matrix": mat,
        }
    return out


def _order_items(rs: Ruleset) -> list[str]:
    ids = list(rs.county_items)
    done: list[str] = []
    pending = ids[:]
    while pending:
        progressed = False
        for rid in list(pending):
            item = rs.county_items[rid]
            deps = (item.formula.names if item.formula else frozenset()) & set(ids)
            if deps <= set(done):
                done.append(rid)
                pending.remove(rid)
                progressed = True
        if not progressed:
            raise RulesetError([f"{rs.id}: 县级指标之间存在循环引用: {', '.join(pending)}"])
    return done


def _counties(
    rs: Ruleset, units: Units, table: SchoolTable, groups, counties
) -> list[CountyResult]:
    codes = units.county_codes
    n_c = len(codes)
    env = _county_env(rs, units, counties, groups)
    env["schools_all_passed"] = _aggregate_units(units, table.passed)
    env["school_count"] = np.bincount(
        units.county_index, weights=units.included.astype(float), minlength=n_c
    )

    # CV criteria per county × stage
    cv_flags = []
    for i, ind in rs.indicators.items():
        if ind.cv_limit is None:
            continue
        for s, stage in enumerate(STAGES):
            lim = ind.cv_limit.get(stage)
            if lim is not None:
                cv = groups["stats"][i].cv[s::2]
                cv_flags.append(np.where(np.isnan(cv), NAN, at_most(cv, lim).astype(float)))
    if rs.composite_cv:
        for s, stage in enumerate(STAGES):
            lim = rs.composite_cv.limit.get(stage)
            if lim is not None:
                cv = groups["composite"][s::2]
                cv_flags.append(np.where(np.isnan(cv), NAN, at_most(cv, lim).astype(float)))
    env["cv_all_met"] = kleene_and(cv_flags) if cv_flags else np.full(n_c, 1.0)

    multi = _multi_year(rs, units, counties)
    for rid, res in multi.items():
        env[rid] = res["met"]
        # a count is only known when every year is: a year without data could be a
        # missed one, so "missed in 2 of 3 years" is undefined, never silently false
        incomplete = res["undefined"] > 0
        env[f"{rid}_years_met"] = np.where(incomplete, NAN, res["years_met"])
        env[f"{rid}_years_missed"] = np.where(incomplete, NAN, res["years_missed"])

    item_values: dict[str, np.ndarray] = {}
    item_met: dict[str, np.ndarray] = {}
    for rid in _order_items(rs):
        item = rs.county_items[rid]
        if item.kind == "value":
            v = item.formula.evaluate(env, n_c)
            ok = (
                at_least(v, item.threshold)
                if item.direction == "min"
                else at_most(v, item.threshold)
            )
            m = np.where(np.isnan(v), NAN, ok.astype(float))
            item_values[rid] = v
        elif item.kind == "when":
            m = truth(item.formula.evaluate(env, n_c))
        elif item.kind == "all_schools":
            col = table.passed if item.check == "verdict" else table.met[item.check]
            m = _aggregate_units(units, col)
            fails = np.bincount(
                units.county_index,
                weights=(units.included & (col == 0.0)).astype(float),
                minlength=n_c,
            )
            item_values[rid] = fails
        else:
            m = np.full(n_c, NAN)
        item_met[rid] = m
        env[rid] = m

    veto_applies = {rid: truth(v.when.evaluate(env, n_c)) for rid, v in rs.vetoes.items()}
    score_pts = _score(rs, env, counties, codes) if rs.score else None

    results = []
    present = (groups["counts"].reshape(n_c, 2) > 0).tolist()
    # the loop below reads one element at a time: Python lists, not numpy scalars
    school_counts = {k: v.tolist() for k, v in _school_counts(units, table.passed).items()}
    groups = _as_lists(rs, groups)
    cv_specs = _cv_specs(rs, groups)
    multi = {rid: {k: _as_list(v) for k, v in res.items()} for rid, res in multi.items()}
    item_met = {rid: v.tolist() for rid, v in item_met.items()}
    item_texts = {rid: _fmt_list(v) for rid, v in item_values.items()}
    item_values = {rid: _json_floats(v) for rid, v in item_values.items()}
    veto_applies = {rid: v.tolist() for rid, v in veto_applies.items()}
    if score_pts is not None:
        score_pts = {rid: v.tolist() for rid, v in score_pts.items()}
    veto_criteria = {rid: _veto_criteria(rid, veto) for rid, veto in rs.vetoes.items()}
    item_criteria: dict[tuple[Any, ...], Criterion] = {}
    for c, code in enumerate(codes):
        crit: list[Criterion] = []
        rec = counties.get(code)
        if rs.school_verdict:
            crit.append(_schools_criterion(rs, school_counts, c))
        crit += _cv_criteria(cv_specs, groups, c, present[c])
        for rid, res in multi.items():
            rule = rs.multi_year[rid]
            if not rule.required:
                continue
            status = _status(res["met"][c])
            crit.append(
                Criterion(
                    id=rid,
                    kind="multi_year",
                    title=rule.meta.title,
                    status=status,
                    source=rule.meta.source,
                    value=_f(res["years_met"][c]),
                    limit=float(rule.min_years_met),
                    unit="年",
                    detail=_multi_detail(rule, res, c, rec),
                    owner=rule.meta.owner,
                    unverified=rule.meta.unverified,
                )
            )
        for rid, item in rs.county_items.items():
            if not item.required:
                continue
            m = item_met[rid][c]
            val = item_values.get(rid)
            value = val[c] if val is not None else None
            status = _status(m)
            detail = _item_detail(
                item, m, value, rec, item_texts[rid][c] if rid in item_texts else ""
            )
            key = (rid, status, value, detail)
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
                )
            crit.append(shared)
        for rid in rs.vetoes:
            a = veto_applies[rid][c]
            status = "not_evaluated" if a != a else ("failed" if a == 1.0 else "met")
            crit.append(veto_criteria[rid][status, rec is None])
        score_res = None
        if score_pts is not None:
            score_res, score_crit = _score_result(rs, score_pts, c)
            crit += score_crit
        passed = all(x.status == "met" for x in crit)
        results.append(
            CountyResult(
                county_code=code,
                name=(rec or {}).get("name"),
                has_county_record=rec is not None,
                passed=passed,
                criteria=tuple(crit),
                groups=tuple(_group_results(rs, groups, c, present[c])),
                score=score_res,
            )
        )
    return results


def _veto_criteria(rid: str, veto: Any) -> dict[tuple[str, bool], Criterion]:
    """The criterion of a veto for each (status, county record missing): the same for every
    county in that situation, and frozen, so built once and shared."""
    out = {}
    for status in ("failed", "met", "not_evaluated"):
        for no_record in (False, True):
            if status == "failed":
                detail = "一票否决：该情形存在"
            elif status == "met":
                detail = "未发生"
            elif no_record:
                detail = "缺少判断所需数据（未提供县级数据）"
            else:
                detail = f"缺少判断所需数据：{', '.join(sorted(veto.when.names))}"
            out[status, no_record] = Criterion(
                id=rid,
                kind="veto",
                title=veto.meta.title,
                status=status,
                source=veto.meta.source,
                detail=detail,
                owner=veto.meta.owner,
                unverified=veto.meta.unverified,
            )
    return out


def _as_list(a: Any) -> Any:
    return a.tolist() if isinstance(a, np.ndarray) and a.ndim == 1 else a


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
    cv_text: list[str]  # as :func:`_fmt` writes it


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
            mean_json=_json_floats(st.mean),
            sd_json=_json_floats(st.sd),
            cv_json=_json_floats(st.cv),
            schools=st.schools.astype(int).tolist(),
            undefined=st.undefined.astype(int).tolist(),
            met=_cv_met(st.cv, {s: cv_limit.get(s) if cv_limit else None for s in STAGES}),
            cv_text=_fmt_list(st.cv),
        )
    out = {**{k: _as_list(v) for k, v in groups.items() if k != "stats"}, "stats": stats}
    composite = groups["composite"]
    if composite is not None and rs.composite_cv:
        out["composite_met"] = _cv_met(composite, {s: rs.composite_cv.limit.get(s) for s in STAGES})
        out["composite_text"] = _fmt_list(composite)
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


def _schools_criterion(rs: Ruleset, counts: Mapping[str, np.ndarray], c: int) -> Criterion:
    n, n_fail, n_undef = (int(counts[k][c]) for k in ("n", "failed", "undefined"))
    m = 0.0 if n_fail else (NAN if n_undef or n == 0 else 1.0)
    verdict = rs.raw.get("school_verdict", {})
    parts = [f"参评学校（学段）{n} 个，未达标 {n_fail} 个"]
    if n_undef:
        parts.append(f"数据不全无法判定 {n_undef} 个")
    return Criterion(
        id="schools",
        kind="schools",
        title=verdict.get("title", "每所学校达到评估标准"),
        status=_status(m),
        source=verdict.get("source", rs.source),
        value=float(n_fail),
        limit=0.0,
        unit="所",
        detail="，".join(parts),
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
                    unverified=ind.meta.unverified,
                    stats=groups["stats"][i],
                    words="差异系数",
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
        lim = spec.limit
        text = st.cv_text[g] if st is not None else groups["composite_text"][g]
        detail = f"{STAGE_TITLES[spec.stage]}{spec.words} {text}，限值 ≤ {lim}"
        if st is not None and st.undefined[g]:
            detail += f"；{st.undefined[g]} 所学校该项数据缺失或无法计算"
        out.append(
            Criterion(
                id=spec.id,
                kind="cv" if st is not None else "composite_cv",
                title=spec.title,
                status="not_evaluated" if met is None else ("met" if met else "failed"),
                source=spec.source,
                stage=spec.stage,
                value=_f(cv),
                limit=lim,
                detail=detail,
                owner=spec.owner,
                unverified=spec.unverified,
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
        comp = _f(groups["composite"][g]) if groups["composite"] is not None else None
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


def _multi_detail(rule, res, c: int, rec) -> str:
    if rec is None:
        return "未提供县级数据"
    mat = res["matrix"][:, c]
    fin = sorted(r.get("year") for r in rec.get("finance") or [] if "year" in r)
    if not fin:
        return "县级数据中没有经费年度数据 (finance)"
    last = fin[-1]
    parts = []
    for k, v in enumerate(mat.tolist()):
        label = "达到" if v == 1.0 else ("未达到" if v == 0.0 else "数据不全")
        parts.append(f"{last - k}年{label}")
    return (
        f"近{rule.years}年："
        + "，".join(reversed(parts))
        + f"；要求至少 {rule.min_years_met} 年达到"
    )


def _item_detail(item, m: float, val, rec, val_text: str = "") -> str:
    """``val_text``: ``val`` as :func:`_fmt` writes it (formatted for all counties at once)."""
    if rec is None and item.kind != "all_schools":
        return "未提供县级数据"
    if item.kind == "manual":
        return item.meta.note or "需人工认定，规则集未给出可计算的标准"
    if math.isnan(m):
        names = ", ".join(sorted(item.formula.names)) if item.formula else ""
        return f"缺少数据：{names}" if names else "缺少数据"
    if item.kind == "value":
        op = "≥" if item.direction == "min" else "≤"
        unit = item.unit or ""
        return f"实际 {val_text}{unit}，要求 {op} {_fmt(item.threshold)}{unit}"
    if item.kind == "all_schools":
        return f"{int(val)} 所学校（学段）未达到" if val else "所有学校均达到"
    return "达到" if m == 1.0 else "未达到"


def _fmt_list(a: np.ndarray) -> list[str]:
    """:func:`_fmt` of every value, the integers converted in one numpy call."""
    a = np.asarray(a, dtype=float)
    out = np.full(a.size, "无法计算", dtype=object)
    finite = np.isfinite(a)
    whole = finite & (a == np.trunc(np.where(finite, a, 0.0))) & (np.abs(a) < 1e12)
    out[whole] = a[whole].astype(np.int64).astype(str)
    rest = finite & ~whole
    out[rest] = [f"{x:.3f}".rstrip("0").rstrip(".") for x in a[rest].tolist()]
    return out.tolist()


def _fmt(x: Any) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "无法计算"
    x = float(x)
    if x == int(x) and abs(x) < 1e12:
        return str(int(x))
    return f"{x:.3f}".rstrip("0").rstrip(".")


# ---------------------------------------------------------------------------
# Score tree


def _score(rs: Ruleset, env, counties, codes) -> dict[str, np.ndarray]:
    n_c = len(codes)
    pts: dict[str, np.ndarray] = {}
    children: dict[str, list[str]] = {}
    for node in rs.score.nodes:
        if node.parent:
            children.setdefault(node.parent, []).append(node.meta.id)
    nodes = {n.meta.id: n for n in rs.score.nodes}

    def compute(nid: str) -> np.ndarray:
        if nid in pts:
            return pts[nid]
        node = nodes[nid]
        if node.kind == "when":
            v = node.points * truth(node.formula.evaluate(env, n_c))
        elif node.kind == "formula":
            v = np.clip(node.formula.evaluate(env, n_c), 0.0, node.points)
        elif node.kind == "assessed":
            v = np.array(
                [_assessed((counties.get(code) or {}).get("scores", {}).get(nid)) for code in codes]
            )
            v = np.clip(v, 0.0, node.points)
        else:
            kids = [compute(k) for k in children.get(nid, [])]
            v = np.minimum(np.sum(kids, axis=0), node.points) if kids else np.full(n_c, NAN)
        pts[nid] = v
        return v

    for nid in nodes:
        compute(nid)
    return pts


def _assessed(v: Any) -> float:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else NAN


def _score_result(rs: Ruleset, pts, c: int):
    sc = rs.score
    roots = [n for n in sc.nodes if n.parent is None]
    base = sum(pts[n.meta.id][c] for n in roots if not n.bonus)
    # a bonus item without a score adds nothing: it can only raise a total, so treating
    # it as 0 never lets a county pass on missing data
    bonus = sum(float(np.nan_to_num(pts[n.meta.id][c])) for n in roots if n.bonus)
    bonus = min(bonus, sc.bonus_max)
    total = base + bonus if roots else NAN
    known = sum(float(np.nan_to_num(pts[n.meta.id][c])) for n in sc.nodes if n.kind != "sum")
    lines = tuple(
        ScoreLine(
            id=n.meta.id,
            title=n.meta.title,
            parent=n.parent,
            max_points=n.points,
            points=_f(pts[n.meta.id][c]),
            bonus=n.bonus,
            floor=n.floor,
            source=n.meta.source,
            kind=n.kind,
        )
        for n in sc.nodes
    )
    crit = []
    passed = None
    if sc.pass_min is not None:
        m = NAN if math.isnan(total) else float(at_least(total, sc.pass_min))
        passed = _b(m)
        missing = [n.meta.id for n in sc.nodes if n.kind != "sum" and math.isnan(pts[n.meta.id][c])]
        detail = (
            f"总分 {_fmt(total)}，要求 ≥ {_fmt(sc.pass_min)}"
            if not math.isnan(total)
            else f"已得 {_fmt(known)} 分；{len(missing)} 个评分项缺少数据或自评得分：{', '.join(missing[:8])}"
        )
        crit.append(
            Criterion(
                id="score.total",
                kind="score",
                title=f"{sc.title}总分",
                status=_status(m),
                source=sc.source,
                value=_f(total),
                limit=sc.pass_min,
                unit="分",
                detail=detail,
            )
        )
    for n in sc.nodes:
        if n.floor is None:
            continue
        v = pts[n.meta.id][c]
        m = NAN if math.isnan(v) else float(at_least(v, n.floor))
        crit.append(
            Criterion(
                id=f"score.{n.meta.id}",
                kind="score_floor",
                title=f"{n.meta.title}得分",
                status=_status(m),
                source=n.meta.source,
                value=_f(v),
                limit=n.floor,
                unit="分",
                detail=f"得分 {_fmt(v)}，要求 ≥ {_fmt(n.floor)}",
            )
        )
    return (
        ScoreResult(
            title=sc.title,
            total=_f(total),
            known_points=known,
            pass_min=sc.pass_min,
            passed=passed,
            lines=lines,
        ),
        crit,
    )
