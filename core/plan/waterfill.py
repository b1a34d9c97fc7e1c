"""The continuous core of the planner: the least additions that bring a group's CV under its limit.

One indicator, one group *g* (a county × stage), units *u* with students ``p_u``, values
``f_u`` after the additions their own requirements force (thresholds, the 85 % floor of a
k-of-n rule), and ``κ_u`` the cost of raising unit *u*'s value by one for one student
(yuan per student and value unit: the lever's unit cost over the value one lever unit adds
for the unit's students). The problem::

    minimise   Σ_u κ_u · p_u · (z_u − f_u)
    subject to z_u ≥ f_u,   CV_g(z) = sqrt(Σ p (z − m)² / P) / m ≤ c,   m = Σ p z / P

is convex (the CV constraint is a second-order cone: ‖√p·(z − m)‖ ≤ c·√P·m). Its KKT
conditions, with ``M = (1 + c²)·m`` and ``τ ≥ 0`` from the CV multiplier, give every unit
in closed form::

    z_u = max(f_u, M − τ·κ_u)

— *water-filling*: the cheapest units (κ minimal: every single-stage school) are filled
to one common level ``L = M − τ·κ_min``; a unit whose value is dearer per student (a
nine-year school's primary part, when a school-wide asset also raises its junior part:
κ is the lever cost over the primary share) is filled to ``M − (M − L)·r_u`` with
``r_u = κ_u / κ_min ≥ 1``, lower than ``L``. Writing the units by ``L``:

* for a given ``L``, ``M`` is the unique root of ``M = (1 + c²)·m(z(L, M))`` (the right side
  decreases in ``M``), found by bisection — only in groups that have a unit with
  ``r > 1``; otherwise ``z = max(f, L)`` and ``M`` plays no part;
* ``L`` is found by bisection on ``CV(z(L)) = c`` between ``min f`` (where ``z = f`` and the
  CV fails) and a level where it passes.

A point where both hold satisfies the KKT conditions of a convex problem with a strictly
feasible point (all units equal: CV 0), so it is the optimum.

**Coupled groups.** A school-wide asset of a nine-year school raises its primary *and* its
junior part, so when both stage groups of a county need more than their floors the two
problems are one: minimise Σ ρ·y_s over the schools' additions ``y_s`` with both CVs within
their limits. Its KKT conditions give every school in closed form from four numbers —
each group's multiplier ``α_g`` and ``M_g = (1 + c_g²)·m_g``::

    y_s = max(0, (Σ_u α_g(u)·e_u·(M_g(u) − f_u) − ρ) / Σ_u α_g(u)·e_u·coef_u)

(sums over the school's units, ``e_u = p_u·coef_u``; a single-stage school has one term and
is water-filled as above). :func:`solve_coupled` solves the four equations (``M_g`` as
defined, ``CV_g = c_g``) by a damped Newton method with a finite-difference Jacobian,
started from the groups solved one at a time; it converges in a few steps to residuals of
10⁻¹² (``tests/test_plan_waterfill.py`` compares it with a general SOCP solver) and says
when it did not, so the caller falls back to solving the groups in turn (feasible). Every group is solved at
once: each bisection step is a handful of whole-array operations with ``np.bincount`` over
the group keys. The level returned is the feasible end of the bracket (CV ≤ c).

:func:`solve_levels` is the whole module's job; :func:`group_cv` is the CV it uses, the same
formula as :func:`junheng.stats.weighted_cv` (``tests/test_plan_waterfill.py`` checks both
against a general SOCP solver).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "BISECTION_STEPS",
    "group_cv",
    "solve_coupled",
    "solve_levels",
    "solve_shared",
]

#: bisection steps (each halves the bracket: 2⁻⁶⁰ of it is far below any unit of a count)
BISECTION_STEPS = 60
#: block-coordinate passes between the stage groups of a school-wide asset (the fallback)
MAX_COUPLING_PASSES = 30
#: a CV within its limit up to binary rounding (as the engine compares)
_TOL = 1e-9


def _means(group: np.ndarray, p: np.ndarray, z: np.ndarray, n: int, P: np.ndarray):
    m = np.bincount(group, weights=p * z, minlength=n) / P
    return m


def group_cv(group: np.ndarray, p: np.ndarray, z: np.ndarray, n: int) -> np.ndarray:
    """The student-weighted CV of ``z`` per group (NaN where a group's mean is not positive)."""
    P = np.bincount(group, weights=p, minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        m = np.bincount(group, weights=p * z, minlength=n) / P
        d = z - m[group]
        var = np.bincount(group, weights=p * d * d, minlength=n) / P
        return np.where(m > 0, np.sqrt(var) / m, np.nan)


def solve_levels(
    group: np.ndarray,
    p: np.ndarray,
    floor: np.ndarray,
    ratio: np.ndarray,
    limit: np.ndarray,
    *,
    steps: int = BISECTION_STEPS,
    levels: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The optimal values ``z`` (one per unit, ``z ≥ floor``) with every group's CV ≤ its limit.

    ``group``: each unit's group, ``0 … G−1``; ``p``: students (> 0); ``floor``: the value
    each unit must reach anyway; ``ratio``: ``κ_u / min κ`` of its group (≥ 1; 1 for every
    unit whose lever cost per student is the group's cheapest); ``limit``: the CV limit of
    each group (> 0). Groups already within their limit come back at their floors.
    ``levels=True`` also returns each group's ``L`` and ``M`` (NaN where nothing was added).
    """
    group = np.asarray(group, dtype=np.int64)
    n = int(limit.size)
    p = np.asarray(p, dtype=float)
    f = np.asarray(floor, dtype=float)
    r = np.asarray(ratio, dtype=float)

    def done(z: np.ndarray, L: np.ndarray | None = None, M: np.ndarray | None = None):
        if not levels:
            return z
        nan = np.full(n, np.nan)
        return z, nan if L is None else L, nan if M is None else M

    if group.size == 0:
        return done(f.copy())
    P = np.bincount(group, weights=p, minlength=n)
    c2 = limit * limit
    tol = 1e-12 * np.maximum(limit, 1.0)
    failing = group_cv(group, p, f, n) > limit + tol
    if not failing.any():
        return done(f.copy())
    hetero = np.bincount(group, weights=(r > 1.0 + 1e-12).astype(float), minlength=n) > 0

    def values(L: np.ndarray, M: np.ndarray) -> np.ndarray:
        Lg, Mg = L[group], M[group]
        return np.maximum(f, np.where(r > 1.0, Mg - (Mg - Lg) * r, Lg))

    hsel = hetero[group]
    hg, hp, hf, hr = group[hsel], p[hsel], f[hsel], r[hsel]

    def fixed_mean(L: np.ndarray) -> np.ndarray:
        """``M`` with ``M = (1 + c²)·m(z(L, M))`` per group (``L`` where no unit has r > 1).

        The right side is piecewise linear and decreasing in ``M``: Newton's method is exact
        on each piece, kept inside a shrinking bracket (bisection where a step leaves it)."""
        M = L.copy()
        if not hetero.any():
            return M
        Lh = L[hg]
        lo = L.copy()
        hi = np.maximum((1.0 + c2) * _means(group, p, np.maximum(f, L[group]), n, P), lo)
        M = hi.copy()
        for _ in range(steps):
            Mh = M[hg]
            z = np.maximum(hf, np.where(hr > 1.0, Mh - (Mh - Lh) * hr, Lh))
            m = np.bincount(hg, weights=hp * z, minlength=n) / P
            h = (1.0 + c2) * m - M
            free = (z > hf) & (hr > 1.0)
            slope = (
                -(1.0 + c2)
                * np.bincount(hg, weights=np.where(free, hp * (hr - 1.0), 0.0), minlength=n)
                / P
                - 1.0
            )
            done = np.abs(h) <= 1e-14 * np.maximum(np.abs(M), 1.0)
            if np.all(~hetero | done):
                break
            lo = np.where(h > 0, M, lo)
            hi = np.where(h > 0, hi, M)
            with np.errstate(divide="ignore", invalid="ignore"):
                step = M - h / slope
            inside = (step >= lo) & (step <= hi)
            M = np.where(done, M, np.where(inside, step, 0.5 * (lo + hi)))
        return np.where(hetero, M, L)

    fmin = np.full(n, np.inf)
    np.minimum.at(fmin, group, f)
    fmax = np.full(n, -np.inf)
    np.maximum.at(fmax, group, f)
    fmin = np.where(np.isfinite(fmin), fmin, 0.0)
    fmax = np.where(np.isfinite(fmax), fmax, 0.0)

    def cv_at(L: np.ndarray) -> np.ndarray:
        return group_cv(group, p, values(L, fixed_mean(L)), n)

    lo = fmin.copy()
    hi = fmax.copy()
    # a level where the CV passes: at max f every cheapest unit is level with the highest;
    # groups with dearer units may need more (doubling, bounded)
    for _ in range(64):
        bad = failing & ~(cv_at(hi) <= limit + tol)
        if not bad.any():
            break
        hi = np.where(bad, np.maximum(hi * 2.0, hi + 1.0), hi)
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        ok = cv_at(mid) <= limit
        lo = np.where(ok, lo, mid)
        hi = np.where(ok, mid, hi)
    L = np.where(failing, hi, fmin)
    M = fixed_mean(L)
    z = values(L, M)
    z = np.where(failing[group], z, f)
    return done(z, np.where(failing, L, np.nan), np.where(failing, M, np.nan))


def solve_coupled(
    element: np.ndarray,
    group: np.ndarray,
    p: np.ndarray,
    floor: np.ndarray,
    coef: np.ndarray,
    limit: np.ndarray,
    start: np.ndarray,
    *,
    levels: tuple[np.ndarray, np.ndarray] | None = None,
    # a few steps usually; a stage barely above its limit (a tiny multiplier) can take
    # a hundred damped ones (seen once in the national benchmark)
    iterations: int = 200,
    tol: float = 1e-12,
) -> np.ndarray | None:
    """The optimal additions ``y`` (per element, ≥ 0) of one county's coupled groups, or None
    if Newton's method did not converge.

    Per unit: ``element`` (its school, 0 … S−1), ``group`` (0 … G−1, G = 2 for primary and
    junior), students ``p``, value at the floors ``floor``, value added per unit of the lever
    ``coef``; ``limit``: each group's CV limit; ``start``: additions per element (e.g. the
    groups solved in turn); ``levels``: each group's own ``L`` and ``M`` if already known
    (:func:`solve_levels` with ``levels=True``). Newton starts from each group's own
    optimum, then from the parameters read off ``start``. Every element's lever costs the same (one county, one
    lever).
    """
    n_el = int(element.max()) + 1 if element.size else 0
    n_g = int(limit.size)
    e = p * coef
    emax = np.zeros(n_g)
    np.maximum.at(emax, group, e)
    P = np.bincount(group, weights=p, minlength=n_g)
    c2 = limit * limit

    def additions(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        L, D = theta[:n_g], np.exp(theta[n_g:])
        M = L + D
        alpha = 1.0 / (emax * D)
        w = alpha[group] * e
        num = np.bincount(element, weights=w * (M[group] - floor), minlength=n_el) - 1.0
        den = np.bincount(element, weights=w * coef, minlength=n_el)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.where(den > 0, num / den, 0.0)
        return np.maximum(y, 0.0), M

    def residual(theta: np.ndarray) -> np.ndarray:
        y, M = additions(theta)
        z = floor + coef * y[element]
        m = np.bincount(group, weights=p * z, minlength=n_g) / P
        d = z - m[group]
        sd = np.sqrt(np.bincount(group, weights=p * d * d, minlength=n_g) / P)
        return np.concatenate([(M - (1.0 + c2) * m) / m, sd / m - limit])

    # start: each group's own optimum (its L and M), the others ignored
    if levels is None:
        ratio = np.where(e > 0, emax[group] / e, 1.0)
        _, L0, M0 = solve_levels(group, p, floor, ratio, limit, levels=True)
    else:
        L0, M0 = levels
    z0 = floor + coef * start[element]
    m0 = np.bincount(group, weights=p * z0, minlength=n_g) / P
    L0 = np.where(np.isfinite(L0), L0, z0.min())
    M0 = np.where(np.isfinite(M0), M0, (1.0 + c2) * m0)
    starts = [np.concatenate([L0, np.log(np.maximum(M0 - L0, 1e-9 * np.abs(M0)))])]
    # second start: read the parameters off the feasible additions ``start``
    raised = (start[element] > 0) & (e >= emax[group] * (1 - 1e-12))
    L1 = np.full(n_g, np.inf)
    np.minimum.at(L1, group[raised], z0[raised])
    zmin = np.full(n_g, np.inf)
    np.minimum.at(zmin, group, z0)
    L1 = np.where(np.isfinite(L1), L1, zmin)
    M1 = (1.0 + c2) * m0
    starts.append(np.concatenate([L1, np.log(np.maximum(M1 - L1, 1e-9 * np.abs(M1)))]))
    for theta in starts:
        y = _newton(theta, residual, additions, iterations, tol)
        if y is not None:
            return y
    return None


def _newton(theta, residual, additions, iterations: int, tol: float) -> np.ndarray | None:
    """Damped Newton on the KKT residual from ``theta``; the additions, or None."""
    with np.errstate(all="ignore"):
        return _newton_steps(theta, residual, additions, iterations, tol)


def _newton_steps(theta, residual, additions, iterations: int, tol: float) -> np.ndarray | None:
    r = residual(theta)
    for _ in range(iterations):
        if np.all(np.isfinite(r)) and np.abs(r).max() < tol:
            return additions(theta)[0]
        jac = np.empty((r.size, theta.size))
        for k in range(theta.size):
            h = 1e-7 * max(1.0, abs(theta[k]))
            t2 = theta.copy()
            t2[k] += h
            jac[:, k] = (residual(t2) - r) / h
        try:
            step = np.linalg.solve(jac, -r)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(jac, -r, rcond=None)[0]
        a = 1.0
        while a > 1e-8:
            t2 = theta + a * step
            r2 = residual(t2)
            if np.all(np.isfinite(r2)) and np.abs(r2).max() < np.abs(r).max() * (1 - 1e-4 * a):
                break
            a *= 0.5
        else:
            return None
        theta, r = t2, r2
    if np.all(np.isfinite(r)) and np.abs(r).max() < tol:
        return additions(theta)[0]
    return None


def solve_shared(
    gid, present, failing, violated, elem, p, floor, coef, lim, start, cont, own, tally
):
    """Counties whose two stage groups share schools and both need more than their floors.

    Per unit of one indicator's CV groups: ``gid`` its group (``present[gid]`` the county ×
    stage key), ``elem`` its school, students ``p``, value at the floors ``floor``, ``coef``;
    per group: ``failing`` at the floors, ``violated`` after each was solved alone, ``lim``;
    per element: ``start`` (the floors' counts) and ``cont`` (counts after the groups were
    solved alone, updated here); ``own``: each group's ``L``, ``M`` and each unit's own ask;
    ``tally`` counts how each county was solved.

    If one group's own optimum already keeps the other within its limit, it is the optimum
    (the other limit is not binding: its multiplier is 0); otherwise both bind and they are
    solved jointly (:func:`~junheng.plan.waterfill.solve_coupled`); should Newton's method
    not converge, the groups are solved in turn until both pass (feasible, not optimal)."""
    own_L, own_M, unit_implied = own
    county = present[gid] // 2
    shared = np.bincount(elem, minlength=start.size) > 1  # an element with two units here
    for c in np.unique(county).tolist():
        mine = county == c
        groups = np.unique(gid[mine])
        if groups.size < 2 or not shared[elem[mine]].any():
            continue
        both = failing[groups].all() or violated[groups].any()
        if not both:
            continue
        local_el, el_idx = np.unique(elem[mine], return_inverse=True)
        local_g = np.searchsorted(groups, gid[mine])
        y = _one_binds(el_idx, local_g, p[mine], floor[mine], coef[mine], lim[groups],
                       unit_implied[mine] - start[elem[mine]], local_el.size)  # fmt: skip
        if y is not None:
            cont[local_el] = start[local_el] + y
            tally["one_binds"] += 1
            continue
        y = solve_coupled(
            el_idx,
            local_g,
            p[mine],
            floor[mine],
            coef[mine],
            lim[groups],
            cont[local_el] - start[local_el],
            levels=(own_L[groups], own_M[groups]),
        )
        if y is not None:
            cont[local_el] = start[local_el] + y
            tally["newton"] += 1
        else:  # not converged: the groups in turn until both pass (feasible)
            tally["in_turn"] += 1
            tally.setdefault("in_turn_county_index", []).append(int(c))
            cont[local_el] = (
                _in_turn(
                    el_idx,
                    local_g,
                    p[mine],
                    floor[mine],
                    coef[mine],
                    lim[groups],
                    cont[local_el] - start[local_el],
                )
                + start[local_el]
            )
    return cont


def _one_binds(el, g, p, floor, coef, lim, asked, n_el):
    """The cheapest group's own optimum that keeps every other group within its limit."""
    best = None
    for k in range(lim.size):
        own = (g == k) & np.isfinite(asked)
        if not own.any():
            continue
        y = np.zeros(n_el)
        np.maximum.at(y, el[own], asked[own])
        if np.all(group_cv(g, p, floor + coef * y[el], lim.size) <= lim * (1 + _TOL)):
            if best is None or y.sum() < best.sum():
                best = y
    return best


def _in_turn(el, g, p, floor, coef, lim, y):
    """Block coordinates: each group solved with the other's additions as floors."""
    e = p * coef
    emax = np.zeros(lim.size)
    np.maximum.at(emax, g, e)
    ratio = np.where(e > 0, emax[g] / e, 1.0)
    y = y.copy()
    for _ in range(MAX_COUPLING_PASSES):
        z = floor + coef * y[el]
        bad = group_cv(g, p, z, lim.size) > lim * (1 + _TOL)
        if not bad.any():
            break
        sub = bad[g]
        keys, gs = np.unique(g[sub], return_inverse=True)
        zz = solve_levels(gs, p[sub], z[sub], ratio[sub], lim[keys])
        np.fmax.at(y, el[sub], y[el[sub]] + (zz - z[sub]) / coef[sub])
    return y
