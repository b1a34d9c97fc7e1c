"""The score sheet of each county: points per node, the total, and the criteria they decide.

Reads the points :mod:`~junheng.evaluate.county` computed for every node; a bonus item
without a score adds nothing (it can only raise a total, so a missing one never lets a
county pass), the bonus is capped at ``bonus_max``, and the pass mark is judged on the
total with the bonus or without it (``[score] bonus_counts_toward_pass``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ..formula import at_least
from ..results import Criterion, ScoreLine, ScoreResult, as_bool, as_float
from ..ruleset import Ruleset
from . import sentences

__all__ = ["score_result"]

NAN = float("nan")


def _status(m: float) -> str:
    if math.isnan(m):
        return "not_evaluated"
    return "met" if m == 1.0 else "failed"


def score_result(
    rs: Ruleset, pts: Mapping[str, list[float]], c: int
) -> tuple[ScoreResult, list[Criterion]]:
    """County ``c``'s score sheet and its criteria: the total against the pass mark (with
    or without the bonus, as the ruleset reads its document) and each node's floor."""
    sc = rs.score
    roots = [n for n in sc.nodes if n.parent is None]
    base = sum(pts[n.meta.id][c] for n in roots if not n.bonus)
    # a bonus item without a score adds nothing: it can only raise a total, so treating
    # it as 0 never lets a county pass on missing data
    bonus = sum(float(np.nan_to_num(pts[n.meta.id][c])) for n in roots if n.bonus)
    bonus = min(bonus, sc.bonus_max)
    total = base + bonus if roots else NAN
    known = sum(float(np.nan_to_num(pts[n.meta.id][c])) for n in sc.nodes if n.kind != "sum")
    lines = tuple(
        ScoreLine(
            id=n.meta.id,
            title=n.meta.title,
            parent=n.parent,
            max_points=n.points,
            points=as_float(pts[n.meta.id][c]),
            bonus=n.bonus,
            floor=n.floor,
            source=n.meta.source,
            kind=n.kind,
            document=n.meta.document,
            clause=n.meta.clause,
        )
        for n in sc.nodes
    )
    crit = []
    passed = None
    # the points judged against the pass mark: without the bonus where the ruleset reads
    # its document so (``[score] bonus_counts_toward_pass = false``)
    counted = total if sc.bonus_counts_toward_pass else total - bonus
    if sc.pass_min is not None:
        m = NAN if math.isnan(counted) else float(at_least(counted, sc.pass_min))
        passed = as_bool(m)
        missing = [n.meta.id for n in sc.nodes if n.kind != "sum" and math.isnan(pts[n.meta.id][c])]
        crit.append(
            Criterion(
                id="score.total",
                kind="score",
                title=f"{sc.title}总分",
                status=_status(m),
                source=sc.source,
                value=as_float(counted),
                limit=sc.pass_min,
                unit="分",
                detail=sentences.score_total_detail(
                    total, sc.pass_min, known, missing, bonus, sc.bonus_counts_toward_pass
                ),
                document=sc.document,
                clause=sc.clause,
            )
        )
    for n in sc.nodes:
        if n.floor is None:
            continue
        v = pts[n.meta.id][c]
        m = NAN if math.isnan(v) else float(at_least(v, n.floor))
        crit.append(
            Criterion(
                id=f"score.{n.meta.id}",
                kind="score_floor",
                title=f"{n.meta.title}得分",
                status=_status(m),
                source=n.meta.source,
                value=as_float(v),
                limit=n.floor,
                unit="分",
                detail=sentences.score_floor_detail(v, n.floor),
                document=n.meta.document,
                clause=n.meta.clause,
            )
        )
    return (
        ScoreResult(
            title=sc.title,
            total=as_float(total),
            known_points=known,
            pass_min=sc.pass_min,
            passed=passed,
            lines=lines,
            bonus_counts_toward_pass=sc.bonus_counts_toward_pass,
            bonus_points=bonus,
            note=sc.note,
        ),
        crit,
    )
