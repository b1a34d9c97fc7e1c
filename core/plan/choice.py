"""Which indicator each school leaves at its lower floor under a k-of-n rule (6 of 7, rest ≥ 85 %).

A unit under ``k_of_n`` must meet ``min_met`` of its ``n`` indicators in full and the others at
least ``rest_min_ratio`` of the requirement, so it may leave ``n − min_met`` of them at the
lower floor. Which ones is the combinatorial part of a plan. The choice here is greedy by
what the relaxation saves at that school: for each indicator, the cost of bringing the
unit to the full requirement minus the cost of bringing it to the floor (counts of the
indicator's cheapest lever × unit cost, each rounded up to whole units); the ``n − min_met``
largest savings are relaxed. An indicator no lever can move must be met already, or be one
of the relaxed ones and already at its floor; otherwise the rule is unreachable at that unit.

For a school-wide asset of a nine-year school both stage parts need the same school count,
so a second pass measures each unit's savings above what the school's other stage already
needs. What the choice does not see — that a difference coefficient may lift a relaxed
school anyway — is what the measured gap to the relaxation's lower bound covers
(``bench/plan.py``, docs/plan.md).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .problem import Problem, Unreachable

__all__ = ["choose", "count_needed", "whole_above"]

NAN = float("nan")
#: as :mod:`junheng.evaluate.schools` rounds shortfalls: float noise never adds a unit
_EPS = 1e-9


def count_needed(problem: Problem, iid: str, bound: np.ndarray) -> np.ndarray:
    """Per unit: the lever count its element must reach for indicator ``iid`` to meet ``bound``
    (NaN where there is no bound)."""
    if iid in problem.additive:
        a = problem.additive[iid]
        model = problem.fields[a.field]
        base = model.base[model.element]
        with np.errstate(divide="ignore", invalid="ignore"):
            raw = base + (bound - a.value) / a.coef
    else:
        inv = problem.inverse[iid]
        model = problem.fields[inv.field]
        base = model.base[model.element]
        with np.errstate(divide="ignore", invalid="ignore"):
            raw = base + (inv.numerator / bound - inv.denominator) / model.share
    return np.where(np.isfinite(bound), whole_above(base, raw), NAN)


def whole_above(base: np.ndarray, value: np.ndarray) -> np.ndarray:
    """The least ``base + k`` (k a whole number) at least ``value``: additions are whole units
    even where the record's count is not (112.5 m² of sports ground + 80 m²)."""
    delta = value - base
    return base + np.ceil(delta - _EPS * np.maximum(1.0, np.abs(delta)))


def choose(
    problem: Problem, price: Mapping[str, np.ndarray]
) -> tuple[dict[str, np.ndarray], list[Unreachable]]:
    """The value bound of every unit for every plannable indicator after the k-of-n choices
    (together with the direct requirements), and the units where a rule cannot be met.

    ``price``: per lever field, the cost of one unit of its cheapest lever at each unit.
    """
    rs = problem.ruleset
    bounds = {k: v.copy() for k, v in problem.bounds.items()}
    unreachable: list[Unreachable] = []
    for rid, where in problem.k_of_n.items():
        rule = rs.school_rules[rid]
        chosen, bad = _choose_rule(problem, rule, where, bounds, price)
        # second pass: each unit's savings above what its school's other stage needs
        trial = _with_choice(problem, rule, where, bounds, chosen)
        chosen, bad = _choose_rule(problem, rule, where, trial, price)
        bounds = _with_choice(problem, rule, where, bounds, chosen)
        for u in np.nonzero(bad)[0].tolist():
            unreachable.append(
                Unreachable(
                    u,
                    rid,
                    rule.meta.title,
                    "达不到要求的指标没有可用的措施，且超过可保留在下限的项数",
                    "schools",
                )
            )
    return bounds, unreachable


def _with_choice(problem, rule, where, bounds, chosen) -> dict[str, np.ndarray]:
    out = dict(bounds)
    for k, iid in enumerate(rule.indicators):
        if iid not in problem.additive and iid not in problem.inverse:
            continue
        full, floor = _full_and_floor(problem, rule, iid)
        target = np.where(where, np.where(chosen[k], floor, full), NAN)
        prev = out.get(iid, np.full(problem.units.size, NAN))
        better = np.fmax if problem.ruleset.indicators[iid].direction == "min" else np.fmin
        out[iid] = better(prev, target)
    return out


def _full_and_floor(problem: Problem, rule, iid: str) -> tuple[np.ndarray, np.ndarray]:
    ind = problem.ruleset.indicators[iid]
    t = (
        problem.additive[iid].threshold
        if iid in problem.additive
        else problem.inverse[iid].threshold
    )
    if ind.direction == "min":
        return t, t * rule.rest_min_ratio
    return t, t / rule.rest_min_ratio


def _choose_rule(problem, rule, where, bounds, price):
    n_u = problem.units.size
    n = len(rule.indicators)
    free = n - rule.min_met
    saving = np.zeros((n, n_u))
    fixed_fail = np.zeros((n, n_u), dtype=bool)
    floor_fail = np.zeros((n, n_u), dtype=bool)
    for k, iid in enumerate(rule.indicators):
        ind = problem.ruleset.indicators[iid]
        plannable = iid in problem.additive or iid in problem.inverse
        if not plannable:
            value = problem.values.get(iid)
            if value is None:
                continue
            t = problem.thresholds[iid]
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = value / t if ind.direction == "min" else t / value
            met = np.isfinite(ratio) & (ratio >= 1.0 - _EPS)
            fixed_fail[k] = ~met
            floor_fail[k] = ~(np.isfinite(ratio) & (ratio >= rule.rest_min_ratio - _EPS))
            saving[k] = np.where(met, 0.0, np.inf)
            continue
        field = (
            problem.additive[iid].field if iid in problem.additive else problem.inverse[iid].field
        )
        full, floor = _full_and_floor(problem, rule, iid)
        direct = problem.bounds.get(iid)
        if direct is not None:
            better = np.fmax if ind.direction == "min" else np.fmin
            full, floor = better(full, direct), better(floor, direct)
        need_full = count_needed(problem, iid, full)
        need_floor = count_needed(problem, iid, floor)
        other = _others_need(problem, field, bounds, iid)
        base = np.fmax(other, problem.fields[field].base[problem.fields[field].element])
        cost_full = np.maximum(np.nan_to_num(need_full) - base, 0.0)
        cost_floor = np.maximum(np.nan_to_num(need_floor) - base, 0.0)
        saving[k] = (cost_full - cost_floor) * np.nan_to_num(price.get(field, np.zeros(n_u)))
    # the largest savings are relaxed (an unmet indicator without a lever first: inf)
    order = np.argsort(-saving, axis=0, kind="stable")
    chosen = np.zeros((n, n_u), dtype=bool)
    for rank in range(free):
        pick = order[rank]
        ok = saving[pick, np.arange(n_u)] > 0
        chosen[pick[ok], np.nonzero(ok)[0]] = True
    bad = (fixed_fail & ~chosen).any(axis=0) | (floor_fail & chosen).any(axis=0)
    bad |= (fixed_fail & floor_fail).any(axis=0)
    return chosen, where & bad


def _others_need(problem, field, bounds, iid) -> np.ndarray:
    """What the other stage of the same school already needs of a school-wide field."""
    model = problem.fields[field]
    n_u = problem.units.size
    if model.scope != "school":
        return np.zeros(n_u)
    b = bounds.get(iid)
    if b is None:
        return np.zeros(n_u)
    need = np.nan_to_num(count_needed(problem, iid, b), nan=-np.inf)
    best = np.full(problem.units.n_records, -np.inf)
    np.maximum.at(best, model.element, need)
    # the other unit of the element: the element's max over the units other than u
    second = np.full(problem.units.n_records, -np.inf)
    top_unit = np.full(problem.units.n_records, -1)
    order = np.argsort(need)
    top_unit[model.element[order]] = order
    masked = np.where(np.arange(n_u) == top_unit[model.element], -np.inf, need)
    np.maximum.at(second, model.element, masked)
    out = np.where(
        np.arange(n_u) == top_unit[model.element], second[model.element], best[model.element]
    )
    return np.where(np.isfinite(out), out, 0.0)
