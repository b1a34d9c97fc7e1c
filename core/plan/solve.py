"""From bounds to whole-unit additions: each lever field's counts, the CVs, then teacher moves.

The fields are planned one after the other (school-wide assets, then teacher kinds from the
innermost — city-level backbone before county-level, every kind before the total of
teachers — so that what a hire adds to the kinds containing it is seen by those kinds'
requirements). For each field:

1. **requirements**: every unit's element (the school, or the school's stage for a teacher
   count) must reach the largest count any requirement asks of it — the thresholds and
   85 % floors chosen by :mod:`junheng.plan.choice`, a student–teacher ratio, a rule's
   count — rounded up to whole units;
2. **difference coefficients**: for each indicator of the field with a CV limit, every
   county × stage group whose CV is still above its limit is solved to optimality by
   :func:`junheng.plan.waterfill.solve_levels` from those counts as floors. A school-wide
   asset of a nine-year school raises both its stage parts: where both stage groups of a
   county need more, :func:`junheng.plan.waterfill.solve_shared` takes one stage's own
   optimum if it keeps the other within its limit, else solves the two jointly (Newton on
   the KKT system), else — never needed in the benchmark — the groups in turn (feasible).
   The continuous levels are rounded up to whole units (raising a school below the mean
   only lowers the CV), a group that rounding still leaves above its limit gets one unit at
   a time where it lowers the CV most, and coarse units rounded up more than needed are
   taken back one at a time while the CV stays within its limit;
3. **teachers**: :mod:`junheng.plan.moves` replaces what it can of the additions by moves
   from schools above their own requirements, then splits the rest into develop (as far
   as the school has teachers to develop) and hire.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from .choice import count_needed, whole_above
from .costs import Costs, teacher_hierarchy
from .problem import Problem
from .waterfill import group_cv, solve_levels, solve_shared

__all__ = ["CvSolve", "FieldPlan", "Solution", "field_order", "solve"]

NAN = float("nan")
_TOL = 1e-9
#: units added one at a time to a group rounding left above its limit
MAX_REPAIR_STEPS = 2000


@attrs.frozen
class FieldPlan:
    """What the plan does to one lever field."""

    field: str
    scope: str
    before: np.ndarray  # the count when this field's turn came (per element)
    need: np.ndarray  # what the requirements ask (per element; NaN: nothing)
    target: np.ndarray  # the count after the plan (per element)
    #: per lever id: units added at each element (develop, hire or the asset itself)
    adds: Mapping[str, np.ndarray]
    #: part of the addition (per element) that only a difference coefficient asks for
    for_cv: np.ndarray
    #: the CV indicators that raised each element (ids, joined by commas; "" none)
    cv_by: np.ndarray
    #: teacher moves: (from unit, to unit, count, {other kind carried: count})
    moves: tuple[tuple[int, int, int, Mapping[str, int]], ...] = ()


@attrs.frozen
class CvSolve:
    """One indicator's CV stage in the counties where it had to add: the continuous problem
    solved (floors, coefficients, limits) and its answer, for benchmarks and explanations.
    Arrays are per unit of those counties; ``start``/``cont``/``final`` are the unit's
    element counts (at the floors, the continuous optimum, the whole-unit plan)."""

    indicator: str
    field: str
    scope: str
    group: np.ndarray  # county × stage key
    limit: np.ndarray  # per unit: its group's CV limit
    element: np.ndarray
    p: np.ndarray
    floor: np.ndarray
    coef: np.ndarray
    start: np.ndarray
    cont: np.ndarray
    final: np.ndarray


@attrs.frozen
class Solution:
    fields: Mapping[str, FieldPlan]
    #: the count of every lever field after the plan, per element
    final: Mapping[str, np.ndarray]
    #: every teacher kind's count per unit after the plan
    side: Mapping[str, np.ndarray]
    #: per indicator and unit: the value bound the plan had to reach (after the choice)
    bounds: Mapping[str, np.ndarray] = attrs.field(factory=dict)
    #: every CV stage that added something (:class:`CvSolve`)
    cv_solves: tuple[CvSolve, ...] = ()
    #: counties whose two stage groups were solved together: by one stage's own optimum,
    #: by Newton on the joint KKT system, by the fallback (groups in turn; and which)
    coupled: Mapping[str, Any] = attrs.field(factory=dict)


def field_order(problem: Problem) -> list[str]:
    """Assets first, then teacher kinds innermost first, then the total of teachers."""
    parent = teacher_hierarchy()

    def depth(kind: str) -> int:
        d = 0
        while kind in parent:
            kind, d = parent[kind], d + 1
        return d

    assets = [f for f, m in problem.fields.items() if m.kind != "teacher"]
    teachers = [f for f, m in problem.fields.items() if m.kind == "teacher"]
    return assets + sorted(teachers, key=lambda f: (-depth(f), f))


def element_needs(problem: Problem, bounds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per lever field and element: the largest count any requirement asks (NaN: none)."""
    needs: dict[str, np.ndarray] = {}

    def put(field: str, per_unit: np.ndarray) -> None:
        model = problem.fields[field]
        size = problem.units.n_records if model.scope == "school" else problem.units.size
        out = needs.setdefault(field, np.full(size, NAN))
        ok = np.isfinite(per_unit) & problem.units.included
        np.fmax.at(out, model.element[ok], per_unit[ok])

    for iid, b in bounds.items():
        if iid in problem.additive:
            put(problem.additive[iid].field, count_needed(problem, iid, b))
        elif iid in problem.inverse:
            put(problem.inverse[iid].field, count_needed(problem, iid, b))
    for c in problem.counts:
        model = problem.fields[c.field]
        put(c.field, whole_above(model.base[model.element], c.need))
    return needs


def solve(
    problem: Problem,
    bounds: Mapping[str, np.ndarray],
    costs: Costs,
    prices: Mapping[str, np.ndarray],
    *,
    move_counties: np.ndarray | None = None,
) -> Solution:
    """The whole-unit plan of every lever field.

    ``prices``: per lever id, the cost of one unit at each county (``hire`` differs by
    county: a county's own teacher salary). ``move_counties``: counties where teachers may
    be moved (default all; the verification re-plans a county without moves if ever needed).
    """
    from .moves import plan_teachers

    needs = element_needs(problem, bounds)
    # every teacher kind's counts, shared by the kinds' plans (a hire or a move of one kind
    # changes the kinds containing it)
    side = {k: v.copy() for k, v in problem.teacher_counts.items()}
    working = {
        f: side[f] if m.kind == "teacher" else m.base.copy() for f, m in problem.fields.items()
    }
    plans: dict[str, FieldPlan] = {}
    received = np.zeros(problem.units.size, dtype=bool)  # units teachers were moved to
    solves: list[CvSolve] = []
    coupled = {"one_binds": 0, "newton": 0, "in_turn": 0}
    for field in field_order(problem):
        model = problem.fields[field]
        before = working[field].copy()
        need = needs.get(field, np.full(before.size, NAN))
        target = np.fmax(before, need)
        target = np.where(np.isnan(target), before, target)
        target, for_cv, cv_by = _cv_stage(problem, field, target, solves, coupled)
        if model.kind == "teacher":
            plan = plan_teachers(
                problem,
                field,
                before,
                need,
                target,
                for_cv,
                cv_by,
                working,
                side,
                needs,
                costs,
                prices,
                move_counties,
                received,
            )
        else:
            lever = costs.asset_lever(field)
            adds = {lever.id: target - before} if lever is not None else {}
            plan = FieldPlan(field, model.scope, before, need, target, adds, for_cv, cv_by)
            working[field] = target
        plans[field] = plan
    return Solution(
        fields=plans,
        final=working,
        side=side,
        bounds=dict(bounds),
        cv_solves=tuple(solves),
        coupled=coupled,
    )


# --------------------------------------------------------------------------- the CV stage


def _cv_stage(
    problem: Problem,
    field: str,
    target: np.ndarray,
    solves: list[CvSolve],
    coupled: dict[str, int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    start = target.copy()
    cv_by = np.full(target.size, "", dtype=object)
    for a in problem.additive.values():
        if a.field != field or a.cv_limit is None:
            continue
        new = _cv_one(problem, a, target, solves, coupled)
        raised = new > target
        cv_by[raised] = [f"{x},{a.id}" if x else a.id for x in cv_by[raised]]
        target = new
    return target, target - start, cv_by


def cv_groups(problem: Problem, a: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Units taking part in indicator ``a``'s CVs: (unit indices, group key, limit per key)."""
    units = problem.units
    n_g = len(units.codes) * 2
    limits = np.full(n_g, NAN)
    for s in (0, 1):
        lim = a.cv_limit[s]
        if lim is not None:
            limits[s::2] = lim
    key = units.group
    take = units.included & (units.students > 0) & np.isfinite(limits[key])
    idx = np.nonzero(take)[0]
    return idx, key[idx], limits


def values_of(problem: Problem, a: Any, counts: np.ndarray) -> np.ndarray:
    model = problem.fields[a.field]
    return a.value + a.coef * (counts[model.element] - model.base[model.element])


def _cv_one(
    problem: Problem, a: Any, target: np.ndarray, solves: list[CvSolve], coupled: dict[str, int]
) -> np.ndarray:
    model = problem.fields[a.field]
    idx, key, limits = cv_groups(problem, a)
    if idx.size == 0:
        return target
    present, gid = np.unique(key, return_inverse=True)
    lim = limits[present]
    p = problem.units.students[idx]
    elem = model.element[idx]
    base = model.base[elem]
    x = a.value[idx]
    coef = a.coef[idx]

    def cvs(counts: np.ndarray) -> np.ndarray:
        return group_cv(gid, p, x + coef * (counts[elem] - base), present.size)

    failing = cvs(target) > lim * (1 + _TOL)
    if not failing.any():
        return target
    start = target.astype(float).copy()
    floor = x + coef * (start[elem] - base)
    e = p * coef  # weighted value one unit of the lever adds to the unit
    emax = np.zeros(present.size)
    np.maximum.at(emax, gid, e)
    ratio = np.where(e > 0, emax[gid] / e, 1.0)
    # 1. every failing group on its own, exactly
    cont = start.copy()
    sub = failing[gid]
    keys, g_sub = np.unique(gid[sub], return_inverse=True)
    zz, L1, M1 = solve_levels(g_sub, p[sub], floor[sub], ratio[sub], lim[keys], levels=True)
    own_L = np.full(present.size, np.nan)
    own_M = np.full(present.size, np.nan)
    own_L[keys], own_M[keys] = L1, M1
    with np.errstate(divide="ignore", invalid="ignore"):
        implied = base[sub] + (zz - x[sub]) / coef[sub]
    np.fmax.at(cont, elem[sub], implied)
    unit_implied = np.full(idx.size, np.nan)  # what each unit's own group asks of its element
    unit_implied[sub] = implied
    # 2. a county whose stage groups share schools and both bind: one problem
    if model.scope == "school":
        violated = cvs(cont) > lim * (1 + _TOL)
        cont = solve_shared(
            gid,
            present,
            failing,
            violated,
            elem,
            p,
            floor,
            coef,
            lim,
            start,
            cont,
            (own_L, own_M, unit_implied),
            coupled,
        )
    # 3. whole units: round up, then repair and trim
    target = np.maximum(target, whole_above(model.base, cont))
    target = _repair(problem, a, target, idx, gid, lim)
    solved = np.zeros(present.size, dtype=bool)
    solved[keys] = True
    target = _trim(problem, a, target, cont, start, idx, gid, lim, solved)
    county = present[gid] // 2
    mine = np.isin(county, np.unique(present[keys] // 2))
    solves.append(
        CvSolve(
            indicator=a.id,
            field=a.field,
            scope=model.scope,
            group=present[gid][mine],
            limit=lim[gid][mine],
            element=elem[mine],
            p=p[mine],
            floor=floor[mine],
            coef=coef[mine],
            start=start[elem[mine]],
            cont=cont[elem[mine]],
            final=target[elem[mine]].astype(float),
        )
    )
    return target


def _repair(problem, a, target, idx, gid, lim) -> np.ndarray:
    """One unit at a time where it lowers a still-failing group's CV the most."""
    model = problem.fields[a.field]
    p = problem.units.students[idx]
    elem = model.element[idx]
    n_g = lim.size
    for _ in range(MAX_REPAIR_STEPS):
        z = values_of(problem, a, target)[idx]
        cv = group_cv(gid, p, z, n_g)
        failing = np.nonzero(cv > lim * (1 + _TOL))[0]
        if failing.size == 0:
            break
        for g in failing.tolist():
            members = np.nonzero(gid == g)[0]
            pm, zm, cm = p[members], z[members], a.coef[idx[members]]
            P = pm.sum()
            s1, s2 = (pm * zm).sum(), (pm * zm * zm).sum()
            s1n = s1 + pm * cm
            s2n = s2 + pm * (2 * zm * cm + cm * cm)
            mean = s1n / P
            with np.errstate(invalid="ignore", divide="ignore"):
                cvn = np.sqrt(np.maximum(s2n / P - mean * mean, 0.0)) / mean
            best = members[int(np.nanargmin(cvn))]
            target[elem[best]] += 1
    return target


def _trim(problem, a, target, cont, start, idx, gid, lim, solved) -> np.ndarray:
    """Take back units that rounding added beyond need while every CV stays within its limit.

    Only coarse units (teachers, rooms: one unit moves a school's value by more than 0.1 % of
    the group mean) are worth it; each trial is checked on the county's own units (both stage
    groups: a school-wide unit reaches both)."""
    model = problem.fields[a.field]
    p = problem.units.students[idx]
    elem = model.element[idx]
    base = model.base[elem]
    x, coef = a.value[idx], a.coef[idx]
    z = x + coef * (target[elem] - base)
    for g in np.nonzero(solved)[0].tolist():
        members = np.nonzero(gid == g)[0]
        mean = np.average(z[members], weights=p[members])
        if not np.any(coef[members] > 1e-3 * abs(mean)):
            continue  # fine units (m², yuan): rounding costs less than one unit a school
        # the county's units: this group and any group sharing an element with it
        els = np.unique(elem[members])
        near = np.nonzero(np.isin(elem, els))[0]
        local = np.unique(np.concatenate([members, np.nonzero(np.isin(gid, gid[near]))[0]]))
        keys, lg = np.unique(gid[local], return_inverse=True)
        excess = target[elem[members]] - cont[elem[members]]
        for k in np.argsort(-excess).tolist():
            el = elem[members[k]]
            if excess[k] < 1e-9 or target[el] - 1 < start[el]:
                continue
            target[el] -= 1
            zl = x[local] + coef[local] * (target[elem[local]] - base[local])
            if np.any(group_cv(lg, p[local], zl, keys.size) > lim[keys] * (1 + _TOL)):
                target[el] += 1
        z[local] = x[local] + coef[local] * (target[elem[local]] - base[local])
    return target


def lever_prices(problem: Problem, costs: Costs, hire: np.ndarray) -> dict[str, np.ndarray]:
    """Per lever field: the objective cost of one unit of its cheapest lever at each unit."""
    out: dict[str, np.ndarray] = {}
    county = problem.units.county
    for field, model in problem.fields.items():
        options: list[np.ndarray] = []
        if model.kind == "teacher":
            dev = costs.develop_lever(field)
            if dev is not None:
                options.append(np.full(problem.units.size, costs.objective(dev)))
            h = costs.lever("hire")
            if h is not None:
                options.append(hire[county] * (costs.salary_years if h.recurrent else 1.0))
            mv = costs.lever("move")
            if not options and mv is not None:
                options.append(np.full(problem.units.size, costs.objective(mv)))
        else:
            lever = costs.asset_lever(field)
            if lever is not None:
                options.append(np.full(problem.units.size, costs.objective(lever)))
        if options:
            out[field] = np.min(np.vstack(options), axis=0)
    return out
