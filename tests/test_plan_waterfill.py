"""The continuous core against a general SOCP solver (cvxpy + Clarabel, the ``plan`` extra).

One group (every school at least its floor, the student-weighted CV at most its limit, some
schools dearer per student — a nine-year school's stage part of a school-wide asset) and two
coupled groups (the primary and junior CVs of one county sharing nine-year schools): the
planner's cost must equal the reference optimum to solver precision, and its CVs must be
within their limits by the engine's own CV formula.
"""

from __future__ import annotations

import numpy as np
import pytest

from junheng.plan.waterfill import group_cv, solve_coupled, solve_levels
from junheng.stats import weighted_cv

cp = pytest.importorskip("cvxpy")
pytest.importorskip("clarabel")


def _reference_one(p, f, r, c):
    z = cp.Variable(p.size)
    P = p.sum()
    m = p @ z / P
    constraints = [z >= f, cp.norm(cp.multiply(np.sqrt(p), z - m)) <= c * np.sqrt(P) * m]
    problem = cp.Problem(cp.Minimize((r * p) @ (z - f)), constraints)
    problem.solve(solver="CLARABEL")
    return problem.value


@pytest.mark.parametrize("seed", range(12))
def test_one_group_is_optimal(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 40))
    p = rng.integers(20, 2000, n).astype(float)
    f = rng.lognormal(2.0, 0.7, n)
    r = np.where(rng.random(n) < 0.3, 1.0 / rng.uniform(0.2, 0.9, n), 1.0)
    c = 0.3
    group = np.zeros(n, dtype=np.int64)
    if group_cv(group, p, f, 1)[0] <= c:
        pytest.skip("this draw already meets its limit")
    z = solve_levels(group, p, f, r, np.array([c]))
    assert np.all(z >= f - 1e-12)
    cv = weighted_cv(z, p, group, 1, np.ones(n, dtype=bool)).cv[0]  # the engine's formula
    assert cv <= c * (1 + 1e-9)
    mine = float((r * p * (z - f)).sum())
    assert mine == pytest.approx(_reference_one(p, f, r, c), rel=1e-5)


def test_a_group_within_its_limit_gets_nothing():
    p = np.array([100.0, 200.0, 300.0])
    f = np.array([10.0, 11.0, 12.0])
    z = solve_levels(np.zeros(3, dtype=np.int64), p, f, np.ones(3), np.array([0.5]))
    assert np.array_equal(z, f)


def test_many_groups_at_once_match_one_at_a_time():
    rng = np.random.default_rng(7)
    sizes = rng.integers(3, 12, 20)
    group = np.repeat(np.arange(20), sizes)
    p = rng.integers(20, 900, group.size).astype(float)
    f = rng.lognormal(2.0, 0.9, group.size)
    r = np.ones(group.size)
    limit = np.full(20, 0.4)
    together = solve_levels(group, p, f, r, limit)
    for g in range(20):
        sel = group == g
        alone = solve_levels(np.zeros(sel.sum(), np.int64), p[sel], f[sel], r[sel], limit[[g]])
        assert np.allclose(together[sel], alone, rtol=1e-9)


def _county(rng, n_p=25, n_j=10, n_s=6):
    """Primary-only, junior-only and nine-year schools sharing a school-wide asset."""
    pp = np.r_[rng.integers(50, 2000, n_p), np.zeros(n_j), rng.integers(50, 800, n_s)]
    pj = np.r_[np.zeros(n_p), rng.integers(100, 2000, n_j), rng.integers(30, 500, n_s)]
    area = rng.lognormal(np.log(12), 0.9, pp.size) * (pp + pj)
    return pp.astype(float), pj.astype(float), area


def _units(pp, pj, area):
    """Units (school × stage) with the value one m² at the school adds (apportioned)."""
    el, g, p, floor, coef = [], [], [], [], []
    total = pp + pj
    for s in range(area.size):
        for stage, w in ((0, pp[s]), (1, pj[s])):
            if w > 0:
                el.append(s)
                g.append(stage)
                p.append(w)
                floor.append(area[s] / total[s])
                coef.append(1.0 / total[s])
    return (np.array(el), np.array(g), np.array(p), np.array(floor), np.array(coef))


@pytest.mark.parametrize("seed", range(6))
def test_coupled_groups_are_optimal(seed):
    rng = np.random.default_rng(100 + seed)
    pp, pj, area = _county(rng)
    limits = np.array([0.5, 0.45])
    el, g, p, floor, coef = _units(pp, pj, area)
    if not all(group_cv(g, p, floor, 2) > limits):
        pytest.skip("this draw does not bind both groups")
    # a feasible start: the groups solved in turn
    y0 = np.zeros(area.size)
    y = solve_coupled(el, g, p, floor, coef, limits, y0 + 0.0)
    assert y is not None and np.all(y >= 0)
    cv = group_cv(g, p, floor + coef * y[el], 2)
    assert np.all(cv <= limits * (1 + 1e-9))
    # reference: the same problem for a general solver
    Y = cp.Variable(area.size)
    constraints = [Y >= 0]
    for stage in (0, 1):
        sel = g == stage
        z = floor[sel] + cp.multiply(coef[sel], Y[el[sel]])
        w = p[sel]
        m = w @ z / w.sum()
        constraints.append(
            cp.norm(cp.multiply(np.sqrt(w), z - m)) <= limits[stage] * np.sqrt(w.sum()) * m
        )
    ref = cp.Problem(cp.Minimize(cp.sum(Y)), constraints)
    ref.solve(solver="CLARABEL")
    assert float(y.sum()) == pytest.approx(ref.value, rel=1e-5)
