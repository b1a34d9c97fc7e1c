"""Planner benchmark (issue 14): plan time beside evaluate time, cost against references.

    python bench/plan.py                          # one county + a 15,000-school province
    python bench/plan.py --schools 15000 210000   # + the national batch (~4 GiB, a few minutes)
    python bench/plan.py --bound-counties 0       # skip the (slow) relaxation bounds

One process, ``national.quality.2017``, data from ``bench/generate.py`` (deterministic). For
each size, in the same run: ``evaluate_s`` (``engine.evaluate`` on the loaded inputs, as the
CLI does) and ``plan_s`` (``junheng.plan.plan`` on the same inputs: its own evaluation
before, the solve, the records after, their evaluation, the per-county rows) and their
ratio. Costs, each as a ratio (cvxpy + Clarabel, the ``plan`` extra, as the reference):

* ``continuous``: every CV stage the plan solved (each indicator × county whose CV had to be
  lowered beyond the schools' own requirements), the planner's continuous additions against
  a general SOCP solver's optimum of the same problem (same floors, same limits, coupled
  stage groups together); ``integer`` the whole-unit plan against the same optimum;
* ``bound``: for ``--bound-counties`` counties that need something, the whole plan (k-of-n
  choice, whole units, moves) against the continuous relaxation — every lever continuous,
  every k-of-n choice fractional (b ∈ [0, 1], Σ b ≤ n − k), teacher moves as free flows
  within a county × stage at the move cost, develop caps ignored — which no plan can beat;
* ``naive``: the plan against "fix every reported shortfall" (the engine's gaps × the same
  unit costs), which does not pass where a CV binds.

Last line of output: one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate

from junheng import Engine
from junheng.plan import plan

RULESET = "national.quality.2017"


def _timed(fn, repeat: int = 1) -> tuple[Any, float]:
    out, wall, _ = _clocked(fn, repeat)
    return out, wall


def _clocked(fn, repeat: int = 1) -> tuple[Any, float, float]:
    """(result, median wall seconds, median CPU seconds of this process): on a shared
    machine the CPU time says what the work costs (numpy may use a second thread), the wall time what a user waits."""
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return out, statistics.median(walls), statistics.median(cpus)


def county_figures(engine: Engine, tmp: Path) -> dict[str, Any]:
    """The sample county (45 schools) and the largest county the generator makes (400)."""
    schools, county = engine.sample()
    out: dict[str, Any] = {}
    inputs = engine.load(schools, county, ruleset=RULESET)
    _, out["sample_evaluate_s"] = _timed(lambda: engine.evaluate(RULESET, inputs), 5)
    _, out["sample_plan_s"] = _timed(lambda: plan(engine, RULESET, inputs), 5)
    # one county of 400 schools (the generator's largest): its schools under one code
    generate.main(["--schools", "400", "--out", str(tmp / "county400"), "--seed", "7"])
    schools = json.loads((tmp / "county400" / "schools.json").read_text("utf-8"))
    counties = json.loads((tmp / "county400" / "counties.json").read_text("utf-8"))
    for s in schools:
        s["county_code"] = counties[0]["county_code"]
    inputs = engine.load(schools, counties[0], ruleset=RULESET)
    _, out["county400_evaluate_s"] = _timed(lambda: engine.evaluate(RULESET, inputs), 3)
    result, out["county400_plan_s"] = _timed(lambda: plan(engine, RULESET, inputs), 3)
    out["county400_schools"] = len(inputs.schools)
    out["county400_status"] = [c.status for c in result.counties]
    return out


def batch_figures(engine: Engine, n: int, tmp: Path, args) -> tuple[dict[str, Any], Any]:
    folder = tmp / f"data{n}"
    generate.main(["--schools", str(n), "--out", str(folder)])
    inputs, load_s = _timed(
        lambda: engine.load(folder / "schools.json", folder / "counties.json", ruleset=RULESET)
    )
    _, evaluate_s, evaluate_cpu = _clocked(lambda: engine.evaluate(RULESET, inputs))
    result, plan_s, plan_cpu = _clocked(lambda: plan(engine, RULESET, inputs))
    counties = result.counties
    status: dict[str, int] = {}
    for c in counties:
        status[c.status] = status.get(c.status, 0) + 1
    return {
        "schools": n,
        "counties": len(counties),
        "load_s": round(load_s, 3),
        "evaluate_s": round(evaluate_s, 3),
        "plan_s": round(plan_s, 3),
        "plan_over_evaluate": round(plan_s / evaluate_s, 2),
        "evaluate_cpu_s": round(evaluate_cpu, 3),
        "plan_cpu_s": round(plan_cpu, 3),
        "plan_over_evaluate_cpu": round(plan_cpu / evaluate_cpu, 2),
        "status": status,
        "additions": sum(len(c.additions) for c in counties),
        "moves": sum(m.count for c in counties for m in c.moves),
        "total_cost": sum(c.total_cost for c in counties),
        "naive_cost": sum(c.naive_cost for c in counties),
        "plan_over_naive": round(
            sum(c.total_cost for c in counties) / max(sum(c.naive_cost for c in counties), 1), 3
        ),
        "school_based_met": result.school_based_met,
        "coupled_counties": result.provenance["coupled_counties"],
        # counties where no CV had to be lowered: the plan against fixing every shortfall
        "plan_over_naive_no_cv": round(
            sum(c.total_cost for c in counties if not _cv_bound(c))
            / max(sum(c.naive_cost for c in counties if not _cv_bound(c)), 1),
            3,
        ),
        "counties_cv_bound": sum(1 for c in counties if _cv_bound(c)),
    }, result


def _cv_bound(county: Any) -> bool:
    return any("cv" in a.reason for a in county.additions)


# --------------------------------------------------------------- the continuous reference


def continuous_ratios(result: Any, limit: int) -> dict[str, Any]:
    """Each solved CV stage, county by county, against cvxpy/Clarabel on the same problem."""
    import cvxpy as cp

    rows = []
    for s in result.trace["solution"].cv_solves:
        for county in np.unique(s.group // 2)[:limit].tolist():
            sel = s.group // 2 == county
            el, inv = np.unique(s.element[sel], return_inverse=True)
            start = s.start[sel]
            y = cp.Variable(el.size, nonneg=True)
            cons = []
            for g in np.unique(s.group[sel]).tolist():
                m_ = s.group[sel] == g
                z = s.floor[sel][m_] + cp.multiply(s.coef[sel][m_], y[inv[m_]])
                w = s.p[sel][m_]
                mean = w @ z / w.sum()
                c = s.limit[sel][m_][0]
                cons.append(
                    cp.norm(cp.multiply(np.sqrt(w), z - mean)) <= c * np.sqrt(w.sum()) * mean
                )
            prob = cp.Problem(cp.Minimize(cp.sum(y)), cons)
            prob.solve(solver="CLARABEL")
            if prob.status != "optimal" or prob.value <= 0:
                continue
            per = {}
            for k, e in enumerate(el.tolist()):
                per[e] = k
            first = np.unique(inv, return_index=True)[1]
            mine = float((s.cont[sel][first] - start[first]).sum())
            final = float((s.final[sel][first] - start[first]).sum())
            coupled = np.unique(s.group[sel]).size > 1 and s.scope == "school"
            rows.append(
                {
                    "indicator": s.indicator,
                    "county": int(county),
                    "groups": int(np.unique(s.group[sel]).size),
                    "coupled": bool(coupled),
                    "reference": prob.value,
                    "continuous_ratio": mine / prob.value,
                    "integer_ratio": final / prob.value,
                }
            )
    cont = [r["continuous_ratio"] for r in rows]
    integ = [r["integer_ratio"] for r in rows]
    return {
        "solves": len(rows),
        "coupled": sum(r["coupled"] for r in rows),
        "continuous_ratio_max": max(cont) if cont else None,
        "continuous_ratio_mean": statistics.fmean(cont) if cont else None,
        "integer_ratio_max": max(integ) if integ else None,
        "integer_ratio_mean": statistics.fmean(integ) if integ else None,
    }


def relaxation_bounds(result: Any, n_counties: int) -> dict[str, Any]:
    """The plan of a county against its continuous relaxation (a lower bound on any plan)."""
    import cvxpy as cp

    problem = result.trace["problem"]
    costs = result.costs
    units = problem.units
    move = costs.lever("move")
    rule_id, where = next(iter(problem.k_of_n.items()))
    rule = problem.ruleset.school_rules[rule_id]
    ratios = []
    chosen = [k for k, c in enumerate(result.counties) if c.additions or c.moves][:n_counties]
    salary = result.trace["hire"]  # the yearly salary the plan used, per county
    rows = []
    for k in chosen:
        inc = units.included & (units.students > 0) & (units.county == k)
        idx = np.nonzero(inc)[0]
        cons, cost = [], 0
        count = {}
        fields = sorted({a.field for a in problem.additive.values()})
        for f in fields:
            model = problem.fields[f]
            el, inv = np.unique(model.element[idx], return_inverse=True)
            # variables in units of the field's typical count, costs in 10⁵ yuan: Clarabel
            # mis-reports (unbounded) when yuan of equipment meet yearly salaries unscaled
            scale = max(1.0, float(np.nanmedian(model.base[model.element[idx]])))
            y = scale * cp.Variable(el.size, nonneg=True)
            if model.kind == "teacher":
                dev = costs.develop_lever(f)
                hire = costs.lever("hire")
                options = [costs.objective(dev)] if dev else []
                if hire:
                    options.append(float(salary[k]) * costs.salary_years)
                price = min(options)
            else:
                price = costs.objective(costs.asset_lever(f))
            expr = model.base[model.element[idx]] + y[inv]
            cost = cost + price / 1e5 * cp.sum(y)
            if model.kind == "teacher" and move is not None:
                flow_in = scale * cp.Variable(idx.size, nonneg=True)
                flow_out = scale * cp.Variable(idx.size, nonneg=True)
                for g in np.unique(units.group[idx]).tolist():
                    m_ = units.group[idx] == g
                    cons.append(cp.sum(flow_in[m_]) == cp.sum(flow_out[m_]))
                cons.append(flow_out <= np.nan_to_num(model.base[model.element[idx]]))
                expr = expr + flow_in - flow_out
                cost = cost + costs.objective(move) / 1e5 * cp.sum(flow_out)
            count[f] = expr
        z = {}
        for iid, a in problem.additive.items():
            model = problem.fields[a.field]
            z[iid] = a.value[idx] + cp.multiply(
                a.coef[idx], count[a.field] - model.base[model.element[idx]]
            )
        inds = [i for i in rule.indicators if i in problem.additive]
        b = cp.Variable((idx.size, len(inds)))
        cons += [b >= 0, b <= 1, cp.sum(b, axis=1) <= len(rule.indicators) - rule.min_met]
        applies = where[idx]
        for j, iid in enumerate(inds):
            t = np.nan_to_num(problem.additive[iid].threshold[idx])
            need = cp.multiply(t, 1 - (1 - rule.rest_min_ratio) * b[:, j])
            cons.append(cp.multiply(applies.astype(float), z[iid] - need) >= 0)
        for iid, a in problem.additive.items():
            if a.cv_limit is None:
                continue
            for s in (0, 1):
                lim = a.cv_limit[s]
                m_ = units.stage[idx] == s
                if lim is None or not m_.any():
                    continue
                w = units.students[idx][m_]
                zz = z[iid][m_]
                mean = w @ zz / w.sum()
                cons.append(
                    cp.norm(cp.multiply(np.sqrt(w), zz - mean)) <= lim * np.sqrt(w.sum()) * mean
                )
        prob = cp.Problem(cp.Minimize(cost), cons)
        prob.solve(solver="CLARABEL")
        if prob.status != "optimal":
            print("bound: county", units.codes[k], prob.status, file=sys.stderr)
        c = result.counties[k]
        mine = sum(
            a.cost * (costs.salary_years if a.recurrent else 1.0)
            for a in c.additions
            if a.field in fields
        ) + sum(m.cost for m in c.moves)
        if prob.status == "optimal" and prob.value * 1e5 >= 1.0:  # below a yuan: nothing to do
            ratios.append(mine / (prob.value * 1e5))
            rows.append((units.codes[k], mine, prob.value * 1e5))
            if mine < prob.value * 1e5 * (1 - 1e-6):  # would mean the bound is not one
                print("bound above plan:", units.codes[k], mine, prob.value * 1e5, file=sys.stderr)
    worst = max(rows, key=lambda r: r[1] / r[2]) if rows else None
    return {
        "worst": worst,
        "counties": len(ratios),
        "plan_over_bound_max": max(ratios) if ratios else None,
        "plan_over_bound_mean": statistics.fmean(ratios) if ratios else None,
        "plan_over_bound_median": statistics.median(ratios) if ratios else None,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--schools", type=int, nargs="*", default=[15000])
    ap.add_argument("--reference-counties", type=int, default=1000, help="per CV stage")
    ap.add_argument("--bound-counties", type=int, default=20)
    args = ap.parse_args(argv)
    engine = Engine()
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        figures["county"] = county_figures(engine, tmp)
        print(json.dumps(figures["county"], ensure_ascii=False), flush=True)
        for n in args.schools:
            batch, result = batch_figures(engine, n, tmp, args)
            print(json.dumps(batch, ensure_ascii=False), flush=True)
            if n <= 60000:  # the references are per county: one batch of them is enough
                batch["continuous"] = continuous_ratios(result, args.reference_counties)
                print(json.dumps(batch["continuous"], ensure_ascii=False), flush=True)
                if args.bound_counties:
                    batch["bound"] = relaxation_bounds(result, args.bound_counties)
                    print(json.dumps(batch["bound"], ensure_ascii=False), flush=True)
            batch["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
            figures[str(n)] = batch
            del result
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
