"""School checks: every indicator and school rule over whole columns of units.

Indicators are computed in dependency order, each compared with its per-stage
requirement (within binary-rounding tolerance) and, when not met, given its
shortfall in real units for the whole school (teachers, m², yuan, rooms). School
rules follow in dependency order: ``k_of_n`` (e.g. 6 of 7 met and the rest at
least 85 % of the requirement) or a yes/no formula, each read by later rules by
its id. A rule that does not apply to a unit's stage neither passes nor fails it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..domain import STAGES
from ..formula import as_division, at_least, at_most, kleene_and, truth
from ..results import SchoolTable
from ..ruleset import Ruleset
from ..units import Units
from .sentences import k_of_n_details

__all__ = ["school_checks", "stage_array"]

NAN = float("nan")


def stage_array(units: Units, value: Any) -> np.ndarray:
    """Broadcast a per-stage value (StageValue or None) onto the units."""
    if value is None:
        return np.full(units.size, NAN)
    p = NAN if value.primary is None else value.primary
    j = NAN if value.junior is None else value.junior
    return np.where(units.stage == 0, p, j)


def school_checks(rs: Ruleset, units: Units, env: dict[str, Any]) -> SchoolTable:
    """The check columns of every unit; ``env`` (the unit columns) gains every indicator
    and school rule result, and becomes the table's record of what formulas read."""
    size = units.size
    value: dict[str, np.ndarray] = {}
    threshold: dict[str, np.ndarray] = {}
    met: dict[str, np.ndarray] = {}
    shortfall: dict[str, np.ndarray] = {}
    detail: dict[str, np.ndarray] = {}
    applies: dict[str, np.ndarray] = {}

    for iid in rs.order.indicators:
        ind = rs.indicators[iid]
        v = ind.formula.evaluate(env, size)
        env[iid] = v
        if ind.threshold is None:
            continue
        thr = stage_array(units, ind.threshold)
        ok = at_least(v, thr) if ind.direction == "min" else at_most(v, thr)
        m = np.where(np.isnan(v) | np.isnan(thr), NAN, ok.astype(float))
        value[iid], threshold[iid], met[iid] = v, thr, m
        shortfall[iid] = _shortfall(ind, v, thr, m, env, size)

    for rid in rs.order.school_rules:
        rule = rs.school_rules[rid]
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
        env[rid] = met[rid]
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


def _ceil(x: np.ndarray) -> np.ndarray:
    # 1e-9 keeps 3.0000000001 (float noise) from becoming 4 teachers
    return np.ceil(x - 1e-9)


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
    detail[partial] = k_of_n_details(titles, count, ms, rs_arr, partial.tolist())
    return count, m, short, detail
