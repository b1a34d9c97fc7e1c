"""The plan of a batch of counties, end to end, checked by the engine itself.

1. evaluate the input (``engine.evaluate``) — what fails, and every value the engine read;
2. :mod:`~junheng.plan.problem`: the requirements and levers; :mod:`~junheng.plan.choice`:
   what each school leaves at its k-of-n floor; :mod:`~junheng.plan.solve`: whole-unit
   additions, CVs, teacher moves;
3. :mod:`~junheng.plan.apply`: the records after the plan; evaluate them again with the same
   engine and ruleset (the counties the plan changes: evaluation is per county, the others
   keep their verdict). The statuses a plan reports after are that evaluation's. A county
   whose school-based criteria a move broke (never seen; kept as a guarantee) is planned
   again without moves and checked again;
4. per county: additions, moves, CVs and criteria before and after, the requirements no
   lever reaches, the county criteria left as actions with their gap, the costs.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .. import __version__
from ..bulk import gc_paused
from ..domain import STAGES
from ..formula import as_division
from ..inputs import Inputs
from ..issues import InputError
from .apply import apply_solution, changes
from .choice import choose
from .costs import Costs, load_costs
from .model import (
    Addition,
    CountyAction,
    CountyPlan,
    CriterionChange,
    CvChange,
    Move,
    Plan,
    UnreachableItem,
)
from .problem import Problem, Unreachable, build_problem
from .solve import Solution, lever_prices, solve

__all__ = ["METHOD", "plan"]

SCHOOL_KINDS = ("schools", "cv", "composite_cv")

METHOD = {
    "difference_coefficients": (
        "每个指标、每个县×学段：在各校达到自身要求的基础上，若差异系数仍超限，按学生加权差异系数的"
        "二阶锥约束求最小新增（注水法：先补最低的学校），以二分法求精确最优；九年一贯制等跨学段学校的"
        "共享资源按学生数分摊，同时计入两个学段，两学段依次求解直至都不超限（块坐标法）"
    ),
    "k_of_n": (
        "“n 项至少 k 项达标、其余不低于要求的一定比例”：每校保留在下限的指标按节省费用最多者选择"
        "（贪心，计入同校另一学段已需的数量）；与连续松弛下界的差距见 bench/README.md"
    ),
    "integers": (
        "教师、教室、册、台等按整数计，面积、金额按整平方米、整元计：连续解向上取整；取整后仍超限的"
        "县逐个单位补足，多取的逐个收回"
    ),
    "teachers": (
        "教师按人计：先在县域同学段内交流轮岗（调出学校保留自身全部要求），再在职培养，最后招聘"
    ),
    "verification": "方案应用后的数据由同一引擎、同一规则集重新评估；“方案后”的结论均为该评估结果",
}


def plan(
    engine: Any,
    ruleset_id: str,
    schools: Inputs | Sequence[Mapping[str, Any]] | str,
    county: Any = None,
    *,
    costs: Costs | str | None = None,
    budget: float | None = None,
) -> Plan:
    """The least-cost additions that make every county's school-based criteria pass.

    ``engine``: a :class:`junheng.Engine` (only its public methods are used);
    ``schools``/``county``: what :meth:`Engine.load` takes, or its :class:`Inputs`;
    ``costs``: a :class:`~junheng.plan.costs.Costs`, a costs file path, or None (the
    defaults). Raises :class:`~junheng.issues.InputError` for bad data or a bad costs file.
    """
    # bulk work over a batch of records: the cyclic collector would walk them all again and
    # again while the plan allocates its rows (as every bulk stage of the engine, paused)
    with gc_paused():
        return _plan(engine, ruleset_id, schools, county, costs=costs, budget=budget)


def _plan(engine, ruleset_id, schools, county, *, costs, budget) -> Plan:
    started = time.perf_counter()
    rs = engine.ruleset(ruleset_id)
    if not isinstance(costs, Costs):
        costs = load_costs(costs, school_fields=engine.registry.school_fields)
    if isinstance(schools, Inputs):
        inputs = schools
    else:
        inputs = engine.load(schools, county, ruleset=rs.id)
    if inputs.has_errors:
        raise InputError(inputs.errors)
    records = inputs.schools if isinstance(inputs.schools, list) else list(inputs.schools)
    counties = list(inputs.counties)
    before = engine.evaluate(rs.id, inputs)
    problem = build_problem(
        rs,
        before,
        records,
        costs,
        functions=engine.registry.functions,
        apportioned=engine.registry.names.apportioned,
        source=_source(inputs),
        pulled=inputs.columns if getattr(inputs.columns, "records", None) is records else None,
    )
    hire = _salaries(problem, counties, costs)
    prices = lever_prices(problem, costs, hire)
    bounds, unreachable = choose(problem, prices)
    solution = solve(problem, bounds, costs, {"hire": hire})
    after, new_records, changed = _verify(engine, rs, problem, solution, records, counties, inputs)[
        :3
    ]
    results = _after(before, changed)
    failing = _broken(problem, results, unreachable)
    if failing.any():
        solution = solve(problem, bounds, costs, {"hire": hire}, move_counties=~failing)
        after, new_records, changed = _verify(
            engine, rs, problem, solution, records, counties, inputs
        )
        results = _after(before, changed)
    unreachable += _short(problem, solution)
    county_plans = _county_plans(
        engine, rs, problem, solution, before, results, costs, hire, prices, unreachable
    )
    provenance = {
        "engine": "junheng",
        "engine_version": __version__,
        "ruleset_id": rs.id,
        "ruleset_sha256": before.provenance.get("ruleset_sha256"),
        "inputs": before.provenance.get("inputs"),
        "costs_file": costs.file,
        "costs_sha256": costs.file_sha256,
        "planned_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "plan_seconds": round(time.perf_counter() - started, 6),
        # counties whose primary and junior CVs were solved together, by how
        "coupled_counties": {
            **{k: v for k, v in solution.coupled.items() if k != "in_turn_county_index"},
            "in_turn_codes": [
                problem.units.codes[c] for c in solution.coupled.get("in_turn_county_index", [])
            ],
        },
    }
    result = Plan(
        ruleset=rs.describe(),
        costs=costs,
        counties=tuple(county_plans),
        provenance=provenance,
        method=METHOD,
        schools_after=new_records,
        counties_after=counties,
        report_before=before,
        report_after=after,
        titles=_titles(rs, engine, problem),
        trace={"problem": problem, "solution": solution, "bounds": bounds, "hire": hire},
    )
    if budget is not None:
        from .budget import order_by_budget

        result = order_by_budget(result, budget)
    return result


def _source(inputs: Inputs) -> tuple[str | None, Sequence[int] | None]:
    read = inputs.school_read
    return (read.file, read.rows) if read is not None else (None, None)


def _titles(rs: Any, engine: Any, problem: Problem) -> dict[str, str]:
    """Chinese titles of every id a plan row may name."""
    out = {f: engine.registry.names.label(f) for f in problem.fields}
    out |= {i: ind.meta.title for i, ind in rs.indicators.items()}
    out |= {r: rule.meta.title for r, rule in rs.school_rules.items()}
    out |= {c: item.meta.title for c, item in rs.county_items.items()}
    return out


def _salaries(problem: Problem, counties: Sequence[Mapping[str, Any]], costs: Costs) -> np.ndarray:
    """Yearly salary of a new teacher per county: the county's own average teacher salary
    (latest ``finance`` year) unless the costs file gives one, else the default."""
    lever = costs.levers.get("hire")
    default = lever.cost if lever is not None else 0.0
    out = np.full(len(problem.units.codes), default)
    if costs.hire_from_file:
        return out
    by_code = {str(c.get("county_code")): c for c in counties}
    for k, code in enumerate(problem.units.codes):
        rows = [r for r in (by_code.get(code) or {}).get("finance") or [] if isinstance(r, Mapping)]
        rows = [r for r in rows if isinstance(r.get("teacher_avg_salary_yuan"), (int, float))]
        if rows:
            latest = max(rows, key=lambda r: r.get("year") or 0)
            out[k] = float(latest["teacher_avg_salary_yuan"])
    return out


def _verify(engine, rs, problem, solution, records, counties, inputs):
    """The records after the plan, and the engine's verdict on them, county by county.

    Evaluation is per county (CVs, items, verdicts), so only the counties the plan changes
    are evaluated again; the others keep the verdict of the evaluation before the plan.
    Returns (the evaluation of the changed counties or None, the records after the plan,
    the re-evaluated county results by code)."""
    edits = changes(problem, solution)
    new_records = apply_solution(records, edits)
    changed = [new_records[r] for r in sorted(edits)]
    # the changed records on their own: only what a record can get wrong by itself (the
    # cross-record checks — central schools, duplicate ids — hold as for the input)
    issues = engine.validate(changed) if changed else []
    errors = [i for i in issues if i.is_error and i.code.startswith("schema.")]
    if errors:
        raise RuntimeError(
            "方案应用后的学校数据未通过校验（这是 junheng 的缺陷）："
            + "; ".join(e.message for e in errors[:5])
        )
    touched = {str(records[r].get("county_code")) for r in edits}
    subset = [rec for rec in new_records if str(rec.get("county_code")) in touched]
    after = None
    by_code: dict[str, Any] = {}
    if subset:
        after = engine.evaluate(
            rs.id,
            subset,
            [c for c in counties if str(c.get("county_code")) in touched],
            validate_input=False,
            data_issues=inputs.issues,
            provenance={**inputs.provenance, "plan": "方案应用后的数据（方案改动的县）"},
        )
        by_code = {c.county_code: c for c in after.counties}
    return after, new_records, by_code


def school_based(rs: Any) -> set[str]:
    """Ids of the county items built from a school rule (``all_schools``): planned where a
    lever reaches their rule, reported as county actions otherwise."""
    return {cid for cid, item in rs.county_items.items() if item.kind == "all_schools"}


def _is_school_based(crit: Any) -> bool:
    """The criteria a plan must make pass: each school's verdict and every CV."""
    return crit.kind in SCHOOL_KINDS


def _after(before, changed: Mapping[str, Any]) -> list[Any]:
    """The county results after the plan: re-evaluated where the plan changed something."""
    return [changed.get(c.county_code, c) for c in before.counties]


def _broken(
    problem: Problem, after: Sequence[Any], unreachable: Sequence[Unreachable]
) -> np.ndarray:
    """Counties where the planner expected every school-based criterion to pass and the
    engine says one does not (only a move can cause that: they are planned without moves)."""
    stuck = {int(problem.units.county[u.unit]) for u in unreachable if u.criterion == "schools"}
    out = np.zeros(len(problem.units.codes), dtype=bool)
    for k, c in enumerate(after):
        if k in stuck:
            continue
        if any(_is_school_based(x) and x.status != "met" for x in c.criteria):
            out[k] = True
    return out


def _short(problem: Problem, solution: Solution) -> list[Unreachable]:
    """Units whose element ended below what its requirements ask (no lever could fill it)."""
    out = []
    for field, fp in solution.fields.items():
        model = problem.fields[field]
        final = solution.final[field]
        gap = np.nan_to_num(fp.need) - final
        for u in np.nonzero(problem.units.included & (gap[model.element] > 1e-9))[0].tolist():
            out.append(
                Unreachable(
                    u,
                    field,
                    field,
                    f"可用措施不足以补足 {field}（招聘已关闭且可交流的教师不够，或措施已关闭）",
                    "schools",
                )
            )
    return out


def _county_plans(
    engine, rs, problem, solution, before, after, costs, hire, prices, unreachable
) -> list[CountyPlan]:
    from .rows import addition_rows, move_rows

    units = problem.units
    adds = addition_rows(engine, problem, solution, costs, hire)
    moves = move_rows(engine, problem, solution, costs)
    naive = _naive(problem, before, prices)
    items = school_based(rs)
    adds_by: dict[int, list[Addition]] = {}
    for k, a in adds:
        adds_by.setdefault(k, []).append(a)
    moves_by: dict[int, list[Move]] = {}
    for k, m in moves:
        moves_by.setdefault(k, []).append(m)
    lost_by: dict[int, list[Unreachable]] = {}
    for u in unreachable:
        lost_by.setdefault(int(units.county[u.unit]), []).append(u)
    out = []
    # frozen, and the same in most counties (met before and after): built once, shared
    shared: dict[tuple[str, str, str, str, str], CriterionChange] = {}

    def change(x: Any, y: Any) -> CriterionChange:
        key = (x.id, x.kind, x.title, x.status, y.status)
        got = shared.get(key)
        if got is None:
            got = shared[key] = CriterionChange(
                id=x.id,
                kind=x.kind,
                title=x.title,
                school_based=_is_school_based(x),
                before=x.status,
                after=y.status,
            )
        return got

    for k, code in enumerate(units.codes):
        cb, ca = before.counties[k], after[k]
        crit = tuple(change(x, y) for x, y in zip(cb.criteria, ca.criteria, strict=True))
        cvs = tuple(
            CvChange(
                indicator=x.id.split(".", 2)[-1] if x.kind == "cv" else "composite",
                stage=x.stage or "",
                title=x.title,
                limit=x.limit,
                before=x.value,
                after=y.value,
                met_before=None if x.status == "not_evaluated" else x.status == "met",
                met_after=None if y.status == "not_evaluated" else y.status == "met",
            )
            for x, y in zip(cb.criteria, ca.criteria, strict=True)
            if x.kind in ("cv", "composite_cv")
        )
        additions = tuple(adds_by.get(k, ()))
        county_moves = tuple(moves_by.get(k, ()))
        one_off = sum(a.cost for a in additions if not a.recurrent) + sum(
            m.cost for m in county_moves
        )
        yearly = sum(a.cost for a in additions if a.recurrent)
        by_cat: dict[str, float] = {}
        for a in additions:
            cat = a.category + ("（每年）" if a.recurrent else "")
            by_cat[cat] = by_cat.get(cat, 0.0) + a.cost
        if county_moves:
            by_cat["教师交流轮岗"] = by_cat.get("教师交流轮岗", 0.0) + sum(
                m.cost for m in county_moves
            )
        school_met = all(c.after == "met" for c in crit if c.school_based)
        nothing = all(c.before == "met" for c in crit if c.school_based) and not additions
        lost = tuple(_unreachable_item(units, u) for u in lost_by.get(k, ()))
        lost += tuple(_cv_unreachable(problem, y) for y in ca.criteria if _cv_failed(y))
        status = (
            "nothing_needed" if nothing else ("planned" if school_met else "partly_unreachable")
        )
        actions = tuple(
            CountyAction(
                id=y.id,
                kind=y.kind,
                title=y.title,
                value=y.value,
                limit=y.limit,
                unit=y.unit,
                owner=y.owner,
                detail=y.detail,
                note=_action_note(y, county_moves, items),
            )
            for y in ca.criteria
            if y.status != "met" and not _is_school_based(y)
        )
        out.append(
            CountyPlan(
                county_code=code,
                name=cb.name,
                status=status,
                additions=additions,
                moves=county_moves,
                cvs=cvs,
                criteria=crit,
                unreachable=lost,
                county_actions=actions,
                one_off_cost=float(one_off),
                yearly_cost=float(yearly),
                total_cost=float(one_off + yearly * costs.salary_years),
                naive_cost=float(naive[k]),
                cost_by_category=by_cat,
                school_based_met=school_met,
                passed_after=ca.passed,
            )
        )
    return out


def _unreachable_item(units, u: Unreachable) -> UnreachableItem:
    return UnreachableItem(
        criterion=u.criterion,
        school_id=str(units.ids[u.unit]),
        school_name=str(units.names[u.unit]),
        stage=STAGES[int(units.stage[u.unit])],
        item=u.item,
        title=u.title,
        reason=u.reason,
    )


def _cv_failed(crit: Any) -> bool:
    return crit.kind in ("cv", "composite_cv") and crit.status != "met"


def _cv_unreachable(problem: Problem, crit: Any) -> UnreachableItem:
    """A CV the plan could not bring within its limit, and why."""
    if crit.kind == "composite_cv":
        reason = (
            "综合差异系数（各单项差异系数的平均）不在方案求解范围内；各单项差异系数已按其限值求解"
        )
    else:
        iid = crit.id.split(".", 2)[-1]
        ind = problem.ruleset.indicators.get(iid)
        if iid in problem.additive:
            reason = "差异系数未能降到限值以内（可用措施不足）"
        elif ind is not None and (as_division(ind.formula) or ("", "", 0))[1] != "students":
            reason = (
                f"指标公式「{ind.formula.text}」不是「字段 / 在校生数」的形式，差异系数无法求解"
            )
        else:
            field = (
                as_division(ind.formula)[0] if ind is not None and as_division(ind.formula) else iid
            )
            reason = f"没有可用的措施增加「{field}」（单价文件中已关闭或未给出单价）"
    return UnreachableItem(
        criterion=crit.id,
        school_id="",
        school_name="（全县）",
        stage=crit.stage or "",
        item=crit.id,
        title=crit.title,
        reason=reason,
    )


def _action_note(crit: Any, moves: Sequence[Move], items: set[str]) -> str:
    n = sum(m.count for m in moves)
    if crit.id == "teacher_rotation" and n:
        return f"本方案安排县域内交流轮岗 {n} 人次，可计入当年交流轮岗人数（比例未计算）"
    if crit.id in items:
        return "由学校条件构成的县级指标：未达标学校的原因见“学校层面无法达到的要求”"
    return "县级事项：不由学校新增资源达到，未纳入费用优化"


def _naive(problem: Problem, before, prices: Mapping[str, np.ndarray]) -> np.ndarray:
    """Per county: every reported shortfall of a lever indicator × its cheapest unit cost."""
    table = before.schools
    units = problem.units
    total = np.zeros(len(units.codes))
    for iid in (*problem.additive, *problem.inverse):
        field = (problem.additive.get(iid) or problem.inverse.get(iid)).field
        if iid not in table.shortfall or field not in prices:
            continue
        short = np.nan_to_num(np.asarray(table.shortfall[iid], dtype=float))
        met = np.asarray(table.met[iid])
        mask = units.included & (met == 0.0)
        if problem.fields[field].scope == "school":
            # a school-wide shortfall is reported for the school: counted once per school
            short = np.where(mask, short, 0.0)
            best = np.zeros(units.n_records)
            np.maximum.at(best, units.record, short * prices[field])
            rec_county = np.zeros(units.n_records, dtype=np.int64)
            rec_county[units.record] = units.county
            total += np.bincount(rec_county, weights=best, minlength=total.size)
        else:
            total += np.bincount(
                units.county,
                weights=np.where(mask, short * prices[field], 0.0),
                minlength=total.size,
            )
    return total
