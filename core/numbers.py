"""The one number formatter: how junheng writes a number for people.

Every sentence, table, chart label and explanation goes through
:func:`format_number` (or its column form :func:`format_numbers`), so a value
reads the same everywhere: whole numbers without decimals (``21``, ``212,800``),
others with up to ``decimals`` places and no trailing zeros (``0.612``,
``8.5``), an undefined value as the caller's word for it (``—``, ``无法计算``,
``未知``). ``significant=True`` is the style of formula explanations, where a
computed value is shown to four significant digits (``4.524``, ``0.0234``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["format_number", "format_numbers"]

#: whole numbers at or above this are written with decimals (float noise makes
#: them meaningless as integers)
_WHOLE_LIMIT = 1e15


def format_number(
    x: Any,
    *,
    decimals: int = 3,
    grouping: bool = True,
    significant: bool = False,
    undefined: str = "—",
) -> str:
    """``x`` as a person writes it.

    >>> format_number(212800), format_number(0.61234), format_number(None)
    ('212,800', '0.612', '—')
    >>> format_number(4.52381, significant=True), format_number(9850, significant=True)
    ('4.524', '9850')
    >>> format_number(20000, grouping=False), format_number(float("nan"), undefined="无法计算")
    ('20000', '无法计算')
    """
    if x is None:
        return undefined
    if isinstance(x, bool):
        return "是" if x else "否"
    try:
        x = float(x)
    except (TypeError, ValueError, OverflowError):
        return undefined
    if not math.isfinite(x):
        return undefined
    if x.is_integer() and abs(x) < _WHOLE_LIMIT:
        n = int(x)
        if grouping and (not significant or abs(n) >= 10_000):
            return f"{n:,}"
        return str(n)
    if significant:
        if abs(x) >= 100:
            return _strip(f"{x:,.2f}" if grouping else f"{x:.2f}")
        return f"{x:.4g}" if abs(x) >= 1 else f"{x:.3g}"
    return _strip(f"{x:,.{decimals}f}" if grouping else f"{x:.{decimals}f}")


def format_numbers(
    values: Any, *, decimals: int = 3, grouping: bool = True, undefined: str = "—"
) -> list[str]:
    """:func:`format_number` of every value of a column, whole numbers converted at once
    (a national batch formats tens of thousands of county values)."""
    a = np.asarray(values, dtype=float).reshape(-1)
    out = np.full(a.size, undefined, dtype=object)
    finite = np.isfinite(a)
    whole = finite & (a == np.trunc(np.where(finite, a, 0.0))) & (np.abs(a) < _WHOLE_LIMIT)
    if grouping:
        out[whole] = [f"{n:,}" for n in a[whole].astype(np.int64).tolist()]
    else:
        out[whole] = a[whole].astype(np.int64).astype(str)
    rest = finite & ~whole
    spec = f",.{decimals}f" if grouping else f".{decimals}f"
    out[rest] = [_strip(format(x, spec)) for x in a[rest].tolist()]
    return out.tolist()


def _strip(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text
