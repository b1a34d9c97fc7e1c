"""A solution as rows people read: one addition per school, lever and stage; one row per move.

Each addition says what it serves (the indicators and rules of its field that asked for it,
and the CVs that raised it further), why (a requirement, a CV, or both), and the
responsible office (``owner``) of the first rule it serves that names one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..domain import STAGES
from .choice import count_needed
from .costs import Costs
from .model import Addition, Move
from .problem import Problem
from .solve import Solution

__all__ = ["addition_rows", "move_rows"]


def _label(engine: Any, field: str) -> str:
    return engine.registry.names.label(field)


def _sources(problem: Problem, field: str, bounds_need: dict[str, np.ndarray]):
    """(item id, owner, per-element count it asks) for every requirement on ``field``."""
    model = problem.fields[field]
    size = problem.units.n_records if model.scope == "school" else problem.units.size
    rs = problem.ruleset
    out = []
    for iid, need in bounds_need.items():
        holder = problem.additive.get(iid) or problem.inverse.get(iid)
        if holder is None or holder.field != field:
            continue
        per = np.full(size, -np.inf)
        ok = problem.units.included & np.isfinite(need)
        np.maximum.at(per, model.element[ok], need[ok])
        out.append((iid, rs.indicators[iid].meta.owner, per))
    for c in problem.counts:
        if c.field != field:
            continue
        per = np.full(size, -np.inf)
        ok = problem.units.included & np.isfinite(c.need)
        np.maximum.at(per, model.element[ok], np.ceil(c.need[ok] - 1e-9))
        out.append((c.rule, c.owner, per))
    return out


def addition_rows(
    engine: Any, problem: Problem, solution: Solution, costs: Costs, hire: np.ndarray
) -> list[tuple[int, Addition]]:
    """(county index, addition) for every lever unit the plan adds."""
    units = problem.units
    rec_county = np.zeros(units.n_records, dtype=np.int64)
    rec_county[units.record] = units.county
    rec_unit = np.zeros(units.n_records, dtype=np.int64)
    rec_unit[units.record] = np.arange(units.size)
    bounds_need = {
        iid: count_needed(problem, iid, b)
        for iid, b in solution.bounds.items()
        if iid in problem.additive or iid in problem.inverse
    }
    rows: list[tuple[int, Addition]] = []
    for field, fp in solution.fields.items():
        model = problem.fields[field]
        sources = _sources(problem, field, bounds_need)
        cv_owner = {
            a.id: a.owner for a in problem.additive.values() if a.field == field and a.cv_limit
        }
        for lever_id, amounts in fp.adds.items():
            lever = costs.levers[lever_id]
            for e in np.nonzero(np.nan_to_num(amounts) > 0.5)[0].tolist():
                if model.scope == "school":
                    county = int(rec_county[e])
                    u = int(rec_unit[e])
                    stage = None
                else:
                    county = int(units.county[e])
                    u = e
                    stage = STAGES[int(units.stage[e])]
                before = float(fp.before[e])
                serves = [sid for sid, _, per in sources if per[e] > before + 1e-9]
                cv = [c for c in str(fp.cv_by[e]).split(",") if c]
                owner = next(
                    (o for sid, o, per in sources if per[e] > before + 1e-9 and o), None
                ) or next((cv_owner[c] for c in cv if cv_owner.get(c)), None)
                reason = (
                    "+".join(r for r, on in (("requirement", bool(serves)), ("cv", bool(cv))) if on)
                    or "requirement"
                )
                unit_cost = float(hire[county]) if lever_id == "hire" else lever.cost
                amount = float(round(amounts[e]))  # whole units (float noise of m² bases)
                rows.append(
                    (
                        county,
                        Addition(
                            school_id=str(units.ids[u]),
                            school_name=str(units.names[u]),
                            stage=stage,
                            lever=lever_id,
                            title=lever.title
                            + (
                                ""
                                if lever.kind in ("asset", "stage")
                                else f"（{_label(engine, field)}）"
                            ),
                            field=field,
                            amount=amount,
                            unit=lever.unit,
                            unit_cost=unit_cost,
                            cost=amount * unit_cost,
                            recurrent=lever.recurrent,
                            category=lever.category,
                            serves=tuple(dict.fromkeys([*serves, *cv])),
                            reason=reason,
                            owner=owner,
                            before=before,
                            after=float(solution.final[field][e])
                            if model.kind != "teacher"
                            else float(fp.target[e]),
                        ),
                    )
                )
    return rows


def move_rows(
    engine: Any, problem: Problem, solution: Solution, costs: Costs
) -> list[tuple[int, Move]]:
    units = problem.units
    lever = costs.levers.get("move")
    rows: list[tuple[int, Move]] = []
    for field, fp in solution.fields.items():
        owners = [a.owner for a in problem.additive.values() if a.field == field and a.owner] + [
            i.owner for i in problem.inverse.values() if i.field == field and i.owner
        ]
        for d, r, k, carries in fp.moves:
            needed = np.isfinite(fp.need[r]) and fp.need[r] > fp.before[r] + 1e-9
            reason = "+".join(
                w for w, on in (("requirement", needed), ("cv", fp.for_cv[r] > 0)) if on
            )
            rows.append(
                (
                    int(units.county[d]),
                    Move(
                        from_id=str(units.ids[d]),
                        from_name=str(units.names[d]),
                        to_id=str(units.ids[r]),
                        to_name=str(units.names[r]),
                        stage=STAGES[int(units.stage[d])],
                        field=field,
                        title=_label(engine, field),
                        count=int(k),
                        unit_cost=lever.cost if lever else 0.0,
                        cost=k * (lever.cost if lever else 0.0),
                        carries={g: int(n) for g, n in carries.items()},
                        owner=owners[0] if owners else None,
                        reason=reason or "requirement",
                    ),
                )
            )
    return rows
