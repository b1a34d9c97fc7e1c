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


def changes(problem: Problem, solution: Solution) -> dict[int, dict[str, float]]:
    """Record index → {field path: new value} for every value the plan changes."""
    out: dict[int, dict[str, float]] = {}
    units = problem.units
    for field, plan in solution.fields.items():
        model = problem.fields[field]
        if model.kind == "teacher":
            continue  # teacher kinds below, all at once (a move changes several)
        delta = plan.target - model.base
        for e in np.nonzero(np.nan_to_num(delta) > 0)[0].tolist():
            if model.scope == "school":
                out.setdefault(e, {})[field] = float(plan.target[e])
            else:
                r, s = int(units.record[e]), STAGES[int(units.stage[e])]
                out.setdefault(r, {})[f"{s}.{field}"] = float(plan.target[e])
    for kind, before in problem.teacher_counts.items():
        after = solution.side.get(kind)
        if after is None:
            continue
        changed = np.isfinite(before) & np.isfinite(after) & (np.abs(after - before) > 1e-9)
        for u in np.nonzero(changed)[0].tolist():
            r, s = int(units.record[u]), STAGES[int(units.stage[u])]
            out.setdefault(r, {})[f"{s}.{kind}"] = float(after[u])
    return out


def apply_solution(
    records: Sequence[Mapping[str, Any]], edits: Mapping[int, Mapping[str, float]]
) -> list[Mapping[str, Any]]:
    """``records`` with ``edits`` applied; unchanged records are the same objects."""
    out = list(records)
    for r, values in edits.items():
        rec = dict(records[r])
        for path, value in values.items():
            if "." in path:
                stage, name = path.split(".", 1)
                block = dict(rec.get(stage) or {})
                block[name] = _typed(block.get(name), value)
                rec[stage] = block
            else:
                rec[path] = _typed(rec.get(path), value)
        out[r] = rec
    return out


def _typed(old: Any, value: float) -> Any:
    """The new value in the old one's type: an integer stays an integer."""
    if isinstance(old, int) and not isinstance(old, bool) and float(value).is_integer():
        return int(value)
    if float(value).is_integer() and abs(value) < 2**53:
        return int(value) if isinstance(old, int) else float(value)
    return float(value)
