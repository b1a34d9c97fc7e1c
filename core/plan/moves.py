"""Teachers: moves between schools (交流轮岗) first where cheaper, then develop, then hire.

For one teacher kind (the kind an indicator counts: teachers above the required degree,
backbone teachers, PE and arts teachers, or all full-time teachers), the counts each
school's stage must reach come from :mod:`junheng.plan.solve`. Here they are filled:

* **moves**: within a county and stage, a school that has more teachers of the kind than
  its own requirements need gives them to a school that needs them. A donor keeps what
  every one of its requirements asks (its threshold or 85 % floor of this kind, the counts
  of every kind contained in its teachers, its student–teacher ratio), and gives from the
  top: the donor whose value is highest gives first, which also lowers the CV. A move is
  used only where it is cheaper than what it replaces (a hire, or a develop). If the CV of
  a group would rise above its limit, its donors keep at least ``(1 + c²)·mean`` — above
  that, every teacher given lowers the CV — and a group still above its limit gets no
  moves. Plans are whole people; each move names its school of origin and destination.
* **develop** (upgrade a degree, train a backbone teacher, promote a title) as many as the
  school has teachers not yet of the kind, where cheaper than a hire;
* **hire** the rest. A new teacher of a kind is counted in every kind containing it.

A moved teacher is a teacher of the kind moved and of every kind containing it; where the
donor's other kinds would then exceed its remaining teachers (all its teachers hold the
degree, say), the moved teacher carries those kinds too, and the receiving school's counts
rise with them. The engine checks the result (``junheng.plan``): should a county fail
because of a move, it is planned again without moves.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .costs import Costs, teacher_hierarchy
from .problem import Problem
from .solve import FieldPlan, cv_groups, values_of
from .waterfill import group_cv

__all__ = ["plan_teachers"]

NAN = float("nan")


def _ancestors(kind: str, parent: Mapping[str, str]) -> list[str]:
    out = []
    while kind in parent:
        kind = parent[kind]
        out.append(kind)
    return out


def plan_teachers(
    problem: Problem,
    field: str,
    before: np.ndarray,
    need: np.ndarray,
    target: np.ndarray,
    for_cv: np.ndarray,
    cv_by: np.ndarray,
    working: dict[str, np.ndarray],
    state: dict[str, np.ndarray],
    needs: Mapping[str, np.ndarray],
    costs: Costs,
    prices: Mapping[str, np.ndarray],
    move_counties: np.ndarray | None,
    received: np.ndarray,
) -> FieldPlan:
    """Fill one teacher kind's additions; update every kind's counts in ``state``.

    ``received``: units that received teachers of a kind planned before (they give none:
    a school is not both sent teachers and asked to send some); updated here."""
    units = problem.units
    parent = teacher_hierarchy()
    ups = _ancestors(field, parent)
    n = units.size
    raise_ = np.maximum(np.nan_to_num(target - before), 0.0)
    dev = costs.develop_lever(field)
    hire = costs.lever("hire")
    move = costs.lever("move")
    hire_price = (
        prices["hire"] * (costs.salary_years if hire.recurrent else 1.0)
        if hire is not None
        else np.full(len(units.codes), np.inf)
    )[units.county]
    dev_price = np.full(n, costs.objective(dev)) if dev is not None else np.full(n, np.inf)
    teachers = state["teachers"]
    own = state[field]
    cap = np.maximum(np.nan_to_num(teachers - own), 0.0) if dev is not None else np.zeros(n)
    use_dev = dev_price < hire_price
    dev_slots = np.where(use_dev, np.minimum(raise_, cap), 0.0)
    hire_slots = raise_ - dev_slots  # hire, or a move where hiring is off (price inf)
    pairs: list[tuple[int, int, int, dict[str, int]]] = []
    if move is not None and raise_.any():
        pairs = _moves(
            problem,
            field,
            ups,
            raise_,
            dev_slots,
            hire_slots,
            dev_price,
            hire_price,
            costs.objective(move),
            target,
            state,
            needs,
            move_counties,
            received,
        )
    moved_in = np.zeros(n)
    for _, r, k, _ in pairs:
        moved_in[r] += k
    received |= moved_in > 0
    # moves fill the dearest slots first
    from_hire = np.where(hire_price >= dev_price, np.minimum(moved_in, hire_slots), 0.0)
    from_dev = np.minimum(moved_in - from_hire, dev_slots)
    from_hire = moved_in - from_dev
    hire_n = hire_slots - from_hire
    dev_n = dev_slots - from_dev
    adds: dict[str, np.ndarray] = {}
    if dev is not None:
        adds[dev.id] = dev_n
    if hire is not None:
        adds["hire"] = hire_n
    elif np.any(hire_n > 0):
        # no hire lever: what moves could not bring stays missing (the check will say so)
        hire_n = np.zeros(n)
    # receivers
    own += moved_in + dev_n + hire_n
    for up in ups:
        state[up] += moved_in + hire_n
    if field == "backbone_teachers_city" and "backbone_teachers_county" in state:
        county = state["backbone_teachers_county"]
        np.maximum(county, own, out=county)
    # donors and what they carry
    out_of: dict[int, int] = {}
    for d, _, k, _ in pairs:
        out_of[d] = out_of.get(d, 0) + k
    for d, k in out_of.items():
        own[d] -= k
        for up in ups:
            state[up][d] -= k
    pairs = _carry(pairs, field, ups, parent, state)
    working[field] = own
    after = own.copy()
    return FieldPlan(
        field=field,
        scope="unit",
        before=before,
        need=need,
        target=after,
        adds=adds,
        for_cv=for_cv,
        cv_by=cv_by,
        moves=tuple((d, r, k, c) for d, r, k, c in pairs),
    )


def _carry(pairs, field, ups, parent, state):
    """Kinds a donor would hold more of than its remaining teachers go with the movers."""
    others = [g for g in parent if g != field and g not in ups]
    # parents before children (a county-level backbone clipped before the city-level one)
    depth = {g: len(_ancestors(g, parent)) for g in others}
    out = [(d, r, k, {}) for d, r, k, _ in pairs]
    by_donor: dict[int, list[int]] = {}
    for i, (d, *_rest) in enumerate(out):
        by_donor.setdefault(d, []).append(i)
    for g in sorted(others, key=depth.get):
        col, top = state[g], state[parent[g]]
        for d, idx in by_donor.items():
            over = col[d] - top[d]
            if not over > 0:
                continue
            col[d] -= over
            left = round(over)
            for i in idx:
                _dd, r, k, carried = out[i]
                take = min(left, k)
                if take <= 0:
                    continue
                carried[g] = carried.get(g, 0) + take
                state[g][r] += take
                left -= take
    return [(d, r, k, c) for d, r, k, c in out]


def _moves(
    problem: Problem,
    field: str,
    ups: list[str],
    raise_: np.ndarray,
    dev_slots: np.ndarray,
    hire_slots: np.ndarray,
    dev_price: np.ndarray,
    hire_price: np.ndarray,
    move_price: float,
    target: np.ndarray,
    state: Mapping[str, np.ndarray],
    needs: Mapping[str, np.ndarray],
    move_counties: np.ndarray | None,
    received: np.ndarray,
) -> list[tuple[int, int, int, dict[str, int]]]:
    units = problem.units
    n = units.size
    ok = units.included & (units.students > 0)
    if move_counties is not None:
        ok &= move_counties[units.county]
    # what a move may replace at each receiver (dearest first): hires, then develops
    slots_h = np.where(ok & (hire_price > move_price), hire_slots, 0.0)
    slots_d = np.where(ok & (dev_price > move_price), dev_slots, 0.0)
    if not (slots_h.any() or slots_d.any()):
        return []
    receivers = raise_ > 0
    own = state[field]
    teachers = state["teachers"]

    def need_of(kind: str) -> np.ndarray:
        v = needs.get(kind)
        return np.zeros(n) if v is None else np.nan_to_num(v, nan=0.0)

    floor_all = np.zeros(n)
    for kind in state:
        floor_all = np.maximum(floor_all, need_of(kind))
    surplus = own - np.maximum(need_of(field), 0.0)
    surplus = np.minimum(surplus, teachers - floor_all)
    for up in ups:
        surplus = np.minimum(surplus, state[up] - need_of(up))
    surplus = np.where(
        ok & ~receivers & ~received & np.isfinite(surplus), np.floor(surplus + 1e-9), 0.0
    )
    surplus = np.maximum(surplus, 0.0)
    cv_inds = [a for a in problem.additive.values() if a.field == field and a.cv_limit]
    pairs = _allocate(problem, field, surplus, slots_h, slots_d, own, target)
    if not cv_inds or not pairs:
        return pairs
    bad = _failing_groups(problem, cv_inds, target, pairs)
    if bad.size:
        keep = _cv_keep(problem, cv_inds, target)
        tighter = np.where(np.isin(units.group, bad), np.minimum(surplus, own - keep), surplus)
        tighter = np.maximum(np.floor(tighter + 1e-9), 0.0)
        pairs = _allocate(problem, field, tighter, slots_h, slots_d, own, target)
        bad = _failing_groups(problem, cv_inds, target, pairs)
        if bad.size:
            pairs = [p for p in pairs if units.group[p[0]] not in set(bad.tolist())]
    return pairs


def _allocate(problem, field, surplus, slots_h, slots_d, own, target):
    """Pair gifts (highest-valued donors first) with slots (hires before develops), per group."""
    units = problem.units
    group = units.group
    value = _value(problem, field, own)
    demand = np.bincount(group, weights=slots_h + slots_d, minlength=len(units.codes) * 2)
    cap = np.minimum(surplus, demand[group])
    gift_unit = np.repeat(np.arange(units.size), cap.astype(np.int64))
    if gift_unit.size == 0:
        return []
    offset = np.arange(gift_unit.size) - np.repeat(
        np.cumsum(cap.astype(np.int64)) - cap.astype(np.int64), cap.astype(np.int64)
    )
    prio = value[gift_unit] - offset * _step(problem, field)[gift_unit]
    order = np.lexsort((-prio, group[gift_unit]))
    gift_unit = gift_unit[order]
    h = slots_h.astype(np.int64)
    d = slots_d.astype(np.int64)
    slot_unit = np.concatenate(
        [np.repeat(np.arange(units.size), h), np.repeat(np.arange(units.size), d)]
    )
    slot_rank = np.concatenate([np.zeros(h.sum()), np.ones(d.sum())])
    slot_order = np.lexsort((value[slot_unit], slot_rank, group[slot_unit]))
    slot_unit = slot_unit[slot_order]
    supply = np.bincount(group[gift_unit], minlength=demand.size)
    moves = np.minimum(supply, demand).astype(np.int64)
    take_g = _first_k(group[gift_unit], moves)
    take_s = _first_k(group[slot_unit], moves)
    donors, recvs = gift_unit[take_g], slot_unit[take_s]
    counts: dict[tuple[int, int], int] = {}
    for a, b in zip(donors.tolist(), recvs.tolist(), strict=True):
        counts[(a, b)] = counts.get((a, b), 0) + 1
    return [(a, b, k, {}) for (a, b), k in counts.items()]


def _first_k(sorted_groups: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Mask of the first ``k[g]`` items of each group in an array sorted by group."""
    if sorted_groups.size == 0:
        return np.zeros(0, dtype=bool)
    starts = np.r_[0, np.nonzero(np.diff(sorted_groups))[0] + 1]
    rank = np.arange(sorted_groups.size) - np.repeat(
        starts, np.diff(np.r_[starts, sorted_groups.size])
    )
    return rank < k[sorted_groups]


def _value(problem: Problem, field: str, counts: np.ndarray) -> np.ndarray:
    """The first indicator of this kind's value at each unit with these counts (per student)."""
    for a in problem.additive.values():
        if a.field == field:
            return values_of(problem, a, counts)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.nan_to_num(counts / np.maximum(problem.units.students, 1.0))


def _step(problem: Problem, field: str) -> np.ndarray:
    for a in problem.additive.values():
        if a.field == field:
            return np.nan_to_num(a.coef)
    return 1.0 / np.maximum(problem.units.students, 1.0)


def _after(problem: Problem, target: np.ndarray, pairs) -> np.ndarray:
    out = target.astype(float).copy()
    for d, _r, k, _ in pairs:
        out[d] -= k
    return out


def _failing_groups(problem: Problem, cv_inds, target, pairs) -> np.ndarray:
    after = _after(problem, target, pairs)
    bad: list[np.ndarray] = []
    for a in cv_inds:
        idx, key, limits = cv_groups(problem, a)
        present, gid = np.unique(key, return_inverse=True)
        z = values_of(problem, a, after)[idx]
        cv = group_cv(gid, problem.units.students[idx], z, present.size)
        bad.append(present[cv > limits[present] * (1 + 1e-9)])
    return np.unique(np.concatenate(bad)) if bad else np.zeros(0, np.int64)


def _cv_keep(problem: Problem, cv_inds, target) -> np.ndarray:
    """Per unit: the count above which every teacher given lowers its group's CV."""
    keep = np.zeros(problem.units.size)
    for a in cv_inds:
        idx, key, limits = cv_groups(problem, a)
        present, gid = np.unique(key, return_inverse=True)
        p = problem.units.students[idx]
        z = values_of(problem, a, target)[idx]
        mean = np.bincount(gid, weights=p * z) / np.bincount(gid, weights=p)
        M = (1 + limits[present] ** 2) * mean
        model = problem.fields[a.field]
        with np.errstate(divide="ignore", invalid="ignore"):
            count = model.base[model.element[idx]] + (M[gid] - a.value[idx]) / a.coef[idx]
        np.maximum.at(keep, idx, np.ceil(np.nan_to_num(count) - 1e-9))
    return keep
