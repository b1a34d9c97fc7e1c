"""``--budget``: the plan's actions in the order that closes the most items per yuan.

A plan is grouped into *packages*, each closing something a county is judged on:

* a **school package** — everything the plan adds at (and moves to) one school for its own
  requirements — closes that school's failing stage units (each counts as one);
* a **CV package** — everything added for one difference coefficient beyond the schools'
  own requirements — closes that CV (one item); it comes after the school packages of its
  county, whose additions are its floors.

Packages are ordered by items closed per yuan (a package that costs nothing first), the CV
packages after every school package, and taken in that order while the running total
stays within the budget: what the budget reaches is that prefix. Costs are the plan's total
costs (yearly ones × ``salary_years``). Ordering, not a new optimisation: the plan itself is
the least-cost way to close everything.
"""

from __future__ import annotations

from typing import Any

import attrs

from .model import Plan

__all__ = ["order_by_budget"]


def order_by_budget(plan: Plan, budget: float) -> Plan:
    years = plan.costs.salary_years
    packages: list[dict[str, Any]] = []
    units_failing: dict[str, int] = {}  # school id → its stage units failing before the plan
    if plan.report_before is not None:
        table = plan.report_before.schools
        for i in (table.passed == 0.0).nonzero()[0].tolist():
            sid = str(table.units.ids[i])
            units_failing[sid] = units_failing.get(sid, 0) + 1
    for c in plan.counties:
        school: dict[str, dict[str, Any]] = {}
        cv: dict[str, dict[str, Any]] = {}
        for a in c.additions:
            cost = a.cost * (years if a.recurrent else 1.0)
            if "requirement" in a.reason or not a.serves:
                pk = school.setdefault(
                    a.school_id,
                    {"kind": "school", "target": a.school_id, "title": a.school_name, "cost": 0.0},
                )
                pk["cost"] += cost
            else:
                key = a.serves[-1]
                pk = cv.setdefault(
                    key,
                    {"kind": "cv", "target": key, "title": plan.titles.get(key, key), "cost": 0.0},
                )
                pk["cost"] += cost
        for m in c.moves:
            pk = school.setdefault(
                m.to_id, {"kind": "school", "target": m.to_id, "title": m.to_name, "cost": 0.0}
            )
            pk["cost"] += m.cost
        for sid, pk in school.items():
            pk["closes"] = units_failing.get(sid, 0)
        n_cv = {cv_.indicator for cv_ in c.cvs if cv_.met_before is False and cv_.met_after}
        for key, pk in cv.items():
            pk["closes"] = 1 if key in n_cv else 0
        for pk in (*school.values(), *cv.values()):
            pk["county_code"] = c.county_code
            packages.append(pk)
    school_first = sorted(
        (p for p in packages if p["kind"] == "school"), key=_per_yuan, reverse=True
    )
    cvs = sorted((p for p in packages if p["kind"] == "cv"), key=_per_yuan, reverse=True)
    ordered = school_first + cvs
    total = 0.0
    steps = []
    for rank, pk in enumerate(ordered, start=1):
        total += pk["cost"]
        steps.append(
            {
                "rank": rank,
                **{k: pk[k] for k in ("county_code", "kind", "target", "title", "closes")},
                "cost": pk["cost"],
                "cumulative": total,
                "within": total <= budget + 1e-6,
            }
        )
    within = [s for s in steps if s["within"]]
    summary = {
        "budget": budget,
        "steps": steps,
        "closed_within": sum(s["closes"] for s in within),
        "closed_total": sum(s["closes"] for s in steps),
        "spent_within": within[-1]["cumulative"] if within else 0.0,
        "note": (
            "按每元完成的达标项目数排序（学校学段达标各计 1 项，差异系数各计 1 项；差异系数的新增排在"
            "本县学校自身要求之后）；预算内可完成的为排序靠前、累计费用不超过预算的部分"
        ),
    }
    return attrs.evolve(plan, budget=summary)


def _per_yuan(pk: dict[str, Any]) -> float:
    return float("inf") if pk["cost"] <= 0 else pk["closes"] / pk["cost"]
