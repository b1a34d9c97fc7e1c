"""County values: every name a county formula reads, then the county rules, all counties at once.

The county record gives its ``items``, ``survey`` and ``vetoes`` and the latest
``finance`` year; the groups give each CV; then multi-year rules (each year
judged, each part of the condition recorded), county items in dependency order,
vetoes and the score tree. Everything computed is kept in a
:class:`~junheng.results.CountyTable` — the record explanations and writers read,
so nothing downstream evaluates a rule again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..bulk import NumberTooLarge
from ..domain import STAGES
from ..formula import at_least, at_most, kleene_and, prev_name, truth
from ..names import NameSpace
from ..results import CountyTable, MultiYearTrace, SchoolTable
from ..ruleset import Ruleset
from ..text import huge_integer
from ..units import Units
from .sentences import part_words

__all__ = ["aggregate_units", "county_table"]

NAN = float("nan")


def county_table(
    rs: Ruleset,
    units: Units,
    table: SchoolTable,
    groups: Mapping[str, Any],
    counties: Mapping[str, Mapping[str, Any]],
    names: NameSpace,
) -> CountyTable:
    codes = units.county_codes
    n_c = len(codes)
    records = [counties.get(code) for code in codes]
    env = _record_values(records, names)
    for i, st in groups["stats"].items():
        for s, stage in enumerate(STAGES):
            env[f"cv_{stage}_{i}"] = st.cv[s::2]
    comp = groups["composite"]
    for s, stage in enumerate(STAGES):
        env[f"composite_cv_{stage}"] = comp[s::2] if comp is not None else np.full(n_c, NAN)
    for name, value in rs.parameters.items():
        env[name] = np.full(n_c, NAN if value is None or value.primary is None else value.primary)
    env["schools_all_passed"] = aggregate_units(units, table.passed)
    env["school_count"] = np.bincount(
        units.county_index, weights=units.included.astype(float), minlength=n_c
    )
    env["cv_all_met"] = _cv_all_met(rs, groups, n_c)

    traces = {rid: _multi_year(rs, rule, records, names) for rid, rule in rs.multi_year.items()}
    for rid, trace in traces.items():
        mat = trace.met
        years_met = (mat == 1.0).sum(axis=0).astype(float)
        years_missed = (mat == 0.0).sum(axis=0).astype(float)
        undef = np.isnan(mat).sum(axis=0)
        rule = rs.multi_year[rid]
        met = np.where(
            years_met >= rule.min_years_met,
            1.0,
            np.where(years_missed > rule.years - rule.min_years_met, 0.0, NAN),
        )
        env[rid] = np.where((undef > 0) & (years_met < rule.min_years_met) & (met != 0.0), NAN, met)
        # a count is only known when every year is: a year without data could be a
        # missed one, so "missed in 2 of 3 years" is undefined, never silently false
        env[f"{rid}_years_met"] = np.where(undef > 0, NAN, years_met)
        env[f"{rid}_years_missed"] = np.where(undef > 0, NAN, years_missed)

    item_values: dict[str, np.ndarray] = {}
    for rid in rs.order.county_items:
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
            # a school rule of some stages (``stages = ["primary"]``) is judged on those only
            rule = rs.school_rules.get(item.check)
            judged = units.included
            if rule is not None:
                judged = judged & np.isin(units.stage, [STAGES.index(s) for s in rule.stages])
            m = aggregate_units(units, col, judged)
            item_values[rid] = np.bincount(
                units.county_index,
                weights=(judged & (col == 0.0)).astype(float),
                minlength=n_c,
            )
        else:
            m = np.full(n_c, NAN)
        env[rid] = m

    vetoes = {rid: truth(v.when.evaluate(env, n_c)) for rid, v in rs.vetoes.items()}
    score = _score(rs, env, records) if rs.score else None
    return CountyTable(
        codes=codes,
        has_record=np.array([r is not None for r in records], dtype=bool),
        env=env,
        item_values=item_values,
        veto_applies=vetoes,
        multi_year=traces,
        score_points=score,
    )


def _float(value: int | float) -> float:
    try:
        return float(value)
    except OverflowError:  # never NaN or infinity: the caller locates it
        raise NumberTooLarge(f"数值过大，无法作为数字计算：{huge_integer(value)}") from None


def _record_values(records: list[Any], names: NameSpace) -> dict[str, np.ndarray]:
    """Each county record name as a column: items, survey, vetoes, the latest finance year."""
    n_c = len(records)
    env = {name: np.full(n_c, NAN) for name in (*names.county_record, *names.finance_fields)}
    blocks = {path.split(".", 1)[0] for path in names.county_record.values()}
    for k, rec in enumerate(records):
        if not rec:
            continue
        for block in blocks:
            for name, v in (rec.get(block) or {}).items():
                if name in env and isinstance(v, (int, float, bool)):
                    env[name][k] = _float(v)
        fin = sorted(rec.get("finance") or [], key=lambda r: r.get("year", 0))
        if fin:
            for name, v in fin[-1].items():
                if name in env and isinstance(v, (int, float)) and not isinstance(v, bool):
                    env[name][k] = _float(v)
    return env


def aggregate_units(units: Units, m: np.ndarray, judged: np.ndarray | None = None) -> np.ndarray:
    """Per county: 1 if every included unit (of ``judged``, if given) is 1, 0 if any is 0,
    else undefined."""
    n_c = len(units.county_codes)
    inc = units.included if judged is None else judged
    ci = units.county_index
    zeros = np.bincount(ci, weights=(inc & (m == 0.0)).astype(float), minlength=n_c)
    nans = np.bincount(ci, weights=(inc & np.isnan(m)).astype(float), minlength=n_c)
    total = np.bincount(ci, weights=inc.astype(float), minlength=n_c)
    return np.where(zeros > 0, 0.0, np.where((nans > 0) | (total == 0), NAN, 1.0))


def _cv_all_met(rs: Ruleset, groups: Mapping[str, Any], n_c: int) -> np.ndarray:
    flags = []
    for i, ind in rs.indicators.items():
        if ind.cv_limit is None:
            continue
        for s, stage in enumerate(STAGES):
            lim = ind.cv_limit.get(stage)
            if lim is not None:
                cv = groups["stats"][i].cv[s::2]
                flags.append(np.where(np.isnan(cv), NAN, at_most(cv, lim).astype(float)))
    if rs.composite_cv:
        for s, stage in enumerate(STAGES):
            lim = rs.composite_cv.limit.get(stage)
            if lim is not None:
                cv = groups["composite"][s::2]
                flags.append(np.where(np.isnan(cv), NAN, at_most(cv, lim).astype(float)))
    return kleene_and(flags) if flags else np.full(n_c, 1.0)


def _multi_year(rs: Ruleset, rule: Any, records: list[Any], names: NameSpace) -> MultiYearTrace:
    """The rule judged for each of the last ``years`` fiscal years of every county."""
    n_c = len(records)
    fields = names.finance_fields
    series = [
        {r.get("year"): r for r in (rec.get("finance") or []) if isinstance(r, Mapping)}
        if rec
        else {}
        for rec in records
    ]
    years = np.full((rule.years, n_c), -1, dtype=np.int64)
    met = np.full((rule.years, n_c), NAN)
    read = sorted(rule.condition.names | {n for p in rule.parts for n in p.names})
    inputs = {name: np.full((rule.years, n_c), NAN) for name in read}
    parts = [np.full((rule.years, n_c), NAN) for _ in rule.parts]
    for k in range(rule.years):
        env: dict[str, Any] = {}
        for f in fields:
            env[f] = np.full(n_c, NAN)
            env[prev_name(f)] = np.full(n_c, NAN)
        for c, fin in enumerate(series):
            known = [y for y in fin if isinstance(y, int)]
            if not known:
                continue
            year = max(known) - k
            years[k, c] = year
            cur, prev = fin.get(year, {}), fin.get(year - 1, {})
            for f in fields:
                if _number(cur.get(f)):
                    env[f][c] = _float(cur[f])
                if _number(prev.get(f)):
                    env[prev_name(f)][c] = _float(prev[f])
        for name, value in rs.parameters.items():
            env[name] = np.full(n_c, NAN if value is None else value.primary)
        met[k] = truth(rule.condition.evaluate(env, n_c))
        for name in read:
            if name in env:
                inputs[name][k] = env[name]
        for j, part in enumerate(rule.parts):
            parts[j][k] = truth(part.evaluate(env, n_c))
    return MultiYearTrace(
        years=years,
        met=met,
        inputs=inputs,
        parts=tuple((p.text, arr) for p, arr in zip(rule.parts, parts, strict=True)),
        part_words=tuple(part_words(p.text, names) for p in rule.parts),
    )


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _score(rs: Ruleset, env: Mapping[str, Any], records: list[Any]) -> dict[str, np.ndarray]:
    """Points of every score node per county: leaves by condition, formula or self-assessment
    (``scores.<id>`` of the county record), parents as the capped sum of their children."""
    n_c = len(records)
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
            v = np.array([_assessed((rec or {}).get("scores", {}).get(nid)) for rec in records])
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
    return _float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else NAN
