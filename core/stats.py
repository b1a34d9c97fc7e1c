"""Group statistics: the student-weighted difference coefficient (差异系数) per county × stage.

For the schools i of one group with value x_i and students p_i (P = Σ p_i)::

    mean = Σ p_i·x_i / P
    S    = sqrt(Σ p_i·(x_i − mean)² / P)
    CV   = S / mean

computed for every group at once with ``np.bincount``. A group in which an
included school with students has an undefined value gets an undefined CV:
leaving that school out would silently change the county's figure.
"""

from __future__ import annotations

import attrs
import numpy as np


@attrs.frozen
class GroupStats:
    """Per-group arrays (length = number of groups)."""

    mean: np.ndarray
    sd: np.ndarray
    cv: np.ndarray
    schools: np.ndarray  # units with weight > 0 that entered the statistic
    undefined: np.ndarray  # included units with weight > 0 and an undefined value


def weighted_cv(
    values: np.ndarray, weights: np.ndarray, groups: np.ndarray, n_groups: int, mask: np.ndarray
) -> GroupStats:
    """Weighted mean, SD and CV of ``values`` per group over the units where ``mask`` holds."""
    w = np.where(mask & (weights > 0), weights, 0.0)
    active = w > 0
    bad = active & ~np.isfinite(values)
    ok = active & ~bad
    x = np.where(ok, values, 0.0)
    wk = np.where(ok, w, 0.0)
    total = np.bincount(groups, weights=wk, minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.bincount(groups, weights=wk * x, minlength=n_groups) / total
        dev = x - mean[groups]
        var = np.bincount(groups, weights=wk * dev * dev, minlength=n_groups) / total
        sd = np.sqrt(var)
        cv = np.where(mean > 0, sd / mean, np.nan)
    undefined = np.bincount(groups, weights=bad.astype(float), minlength=n_groups)
    cv = np.where(undefined > 0, np.nan, cv)
    schools = np.bincount(groups, weights=ok.astype(float), minlength=n_groups)
    return GroupStats(mean=mean, sd=sd, cv=cv, schools=schools, undefined=undefined)
