"""Group statistics per county × stage: each indicator's student-weighted CV, the composite CV,
the number of schools and students taking part.

Groups are keyed ``county_index * 2 + stage`` (primary, junior interleaved), computed
for every county at once with ``np.bincount`` (:func:`junheng.stats.weighted_cv`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..ruleset import Ruleset
from ..stats import weighted_cv
from ..units import Units

__all__ = ["group_stats"]


def group_stats(rs: Ruleset, units: Units, env: Mapping[str, Any]) -> dict[str, Any]:
    """``{"stats": {indicator: GroupStats}, "counts", "students", "composite"}`` per group."""
    n_g = len(units.county_codes) * 2
    key = units.county_index * 2 + units.stage.astype(np.int64)
    weights = np.nan_to_num(units.columns["students"])
    cv_ids = [i for i, ind in rs.indicators.items() if ind.cv_limit is not None]
    if rs.composite_cv:
        cv_ids += [i for i in rs.composite_cv.indicators if i not in cv_ids]
    stats = {i: weighted_cv(env[i], weights, key, n_g, units.included) for i in cv_ids}
    inc = units.included.astype(float)
    counts = np.bincount(key, weights=inc, minlength=n_g)
    students = np.bincount(key, weights=weights * inc, minlength=n_g)
    composite = None
    if rs.composite_cv:
        composite = np.mean(np.vstack([stats[i].cv for i in rs.composite_cv.indicators]), axis=0)
    return {"stats": stats, "counts": counts, "students": students, "composite": composite}
