"""Result values as JSON has them: undefined (NaN) is ``null``, truth is true / false / ``null``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["as_bool", "as_float", "json_bools", "json_floats"]


def as_float(x: Any) -> float | None:
    """A JSON-safe float: NaN/inf (undefined) become None."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def as_bool(x: Any) -> bool | None:
    """1.0 → True, 0.0 → False, NaN (undefined) → None."""
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else bool(x)


def json_floats(a: Any) -> list[float | None]:
    """Floats as Python values; NaN and ±inf (undefined) as None."""
    a = np.asarray(a, dtype=float)
    finite = np.isfinite(a)
    if finite.all():
        return a.tolist()
    out = a.astype(object)
    out[~finite] = None
    return out.tolist()


_BOOL_OR_NONE = np.array([False, True, None], dtype=object)


def json_bools(a: Any) -> list[bool | None]:
    """1.0 → True, NaN → None, anything else → False."""
    a = np.asarray(a, dtype=float)
    code = np.where(np.isnan(a), 2, a == 1.0).astype(np.intp)
    return _BOOL_OR_NONE[code].tolist()
