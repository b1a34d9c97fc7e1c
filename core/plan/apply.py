"""The school records as they would be after a plan: the what-if that ``--apply-to`` writes.

Only the records a plan changes are copied (a national batch keeps its other ~200,000
records as they are); each changed value keeps the record's shape — a stage count in its
stage block, a school-wide asset at the top — and its type (a whole number stays an
integer). The engine evaluates these records again to check the plan.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..domain import STAGES
from .problem import Problem
from .solve import Solution

__all__ = ["apply_solution", "changes"]


def changes(problem: Problem, solution: Solution) -> dict[int, dict[str, int]]:
    """Record index → {field path: whole units added (negative: moved away)} for every
    value the plan changes."""
    out: dict[int, dict[str, float]] = {}
    units = problem.units
    for field, plan in solution.fields.items():
        model = problem.fields[field]
        if model.kind == "teacher":
            continue  # teacher kinds below, all at once (a move changes several)
        delta = np.round(np.nan_to_num(plan.target - model.base))
        for e in np.nonzero(delta > 0)[0].tolist():
            if model.scope == "school":
                out.setdefault(e, {})[field] = int(delta[e])
            else:
                r, s = int(units.record[e]), STAGES[int(units.stage[e])]
                out.setdefault(r, {})[f"{s}.{field}"] = int(delta[e])
    for kind, before in problem.teacher_counts.items():
        after = solution.side.get(kind)
        if after is None:
            continue
        delta = np.round(np.where(np.isfinite(before) & np.isfinite(after), after - before, 0.0))
        for u in np.nonzero(delta != 0)[0].tolist():
            r, s = int(units.record[u]), STAGES[int(units.stage[u])]
            out.setdefault(r, {})[f"{s}.{kind}"] = int(delta[u])
    return out


def apply_solution(
    records: Sequence[Mapping[str, Any]], edits: Mapping[int, Mapping[str, int]]
) -> list[Mapping[str, Any]]:
    """``records`` with ``edits`` (whole units added to each value) applied; unchanged
    records are the same objects."""
    out = list(records)
    for r, values in edits.items():
        rec = dict(records[r])
        for path, value in values.items():
            if "." in path:
                stage, name = path.split(".", 1)
                block = dict(rec.get(stage) or {})
                block[name] = block[name] + value
                rec[stage] = block
            else:
                rec[path] = rec[path] + value  # an int stays an int; 112.5 m² + 80 = 192.5
        out[r] = rec
    return out
