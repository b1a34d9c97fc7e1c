"""Bulk work over national batches: fields pulled in one pass, the collector paused.

A national batch is ~210,000 school dicts in, and millions of result dicts out.
None of them form reference cycles, yet every few thousand container
allocations CPython's collector walks the tracked heap again; on a national
batch that walking costs as much as the work itself (orjson parsing the
schools file: 1.7 s with the collector running, 0.9 s paused). The readers,
validation, evaluation and the JSON writer run their bulk work inside
:func:`gc_paused`. Reference counting still frees everything as usual; only the
cycle search is deferred, and the collector's previous state is restored on exit.

Pulling fields out of the dicts is the other bulk cost: :func:`pluck` and
:func:`float_columns` visit each record once for all the keys a stage needs, and
:class:`RecordColumns` keeps what was pulled so validation and evaluation of the
same records share it.
"""

from __future__ import annotations

import contextlib
import gc
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from .text import huge_integer

__all__ = ["NumberTooLarge", "RecordColumns", "float_columns", "gc_paused", "pluck", "to_floats"]


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector for the block (nests; restores the previous state)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def pluck(
    records: Sequence[Mapping[str, Any]], keys: Sequence[str], default: Any = None
) -> list[tuple[Any, ...]]:
    """For each key, the tuple of its values across ``records`` (``default`` where absent).

    Visits each record once: a national batch is memory-bound, so one pass over the
    dicts pulling every key is ~3x faster than one pass per key.
    """
    if not keys:
        return []
    if not records:
        return [() for _ in keys]
    defaults = (default,) * len(keys)
    return list(zip(*[tuple(map(r.get, keys, defaults)) for r in records], strict=True))


def float_columns(
    records: Sequence[Any], keys: Sequence[str], *, where: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Float64 columns for ``keys`` in one pass over ``records``; absent or null is NaN.

    ``where`` (a boolean mask over ``records``) visits only those records, the
    others' rows are NaN: a stage block only some schools have. Validated records
    hold only numbers (or booleans, read as 1/0) in these fields, so the fast path
    is one C-level conversion of the whole table; any other value makes that
    column fall back to a per-value conversion in which it reads as NaN; an integer
    beyond float range raises :class:`NumberTooLarge`.
    """
    if not keys:
        return {}
    if where is not None:
        picked = np.nonzero(where)[0]
        part = float_columns([records[i] for i in picked.tolist()], keys)
        full = {}
        for k, col in part.items():
            full[k] = np.full(len(records), math.nan)
            full[k][picked] = col
        return full
    rows = [tuple(map(r.get, keys)) for r in records]
    try:
        table = np.array(rows, dtype=float).reshape(len(rows), len(keys))
    except (TypeError, ValueError, OverflowError):
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in keys]
        return {k: to_floats(c) for k, c in zip(keys, columns, strict=True)}
    return {k: np.ascontiguousarray(table[:, j]) for j, k in enumerate(keys)}


def to_floats(values: Sequence[Any]) -> np.ndarray:
    """One float64 column from plucked values: None and anything not a number is NaN."""
    try:
        return np.array(values, dtype=float).reshape(len(values))
    except (TypeError, ValueError, OverflowError):
        return np.fromiter((_number(v) for v in values), dtype=float, count=len(values))


class NumberTooLarge(ValueError):
    """An integer beyond float range (``10**400``) where a number is read.

    Never read as NaN or infinity: that would be a silently wrong number. Raised to
    the caller, which settles it with the exact validator (jsonschema locates the
    value; the fast backend passes integers of more than 4,300 digits as valid).
    """


def _number(value: Any) -> float:
    if value is None or isinstance(value, str):
        return math.nan
    try:
        return float(value)
    except OverflowError:
        raise NumberTooLarge(f"数值过大，无法作为数字计算：{huge_integer(value)}") from None
    except (TypeError, ValueError):
        return math.nan


@attrs.define(eq=False)
class RecordColumns:
    """Fields of one list of school records, each pulled at most once and kept.

    Validation and evaluation read largely the same fields of the same records;
    handed the same ``RecordColumns`` (``validate(..., columns=)``,
    ``Engine.evaluate(..., columns=)``) they visit the records once between them,
    which on a national batch saves about a second. Only for records that are not
    modified while it is in use: it holds what the records said when first asked.
    """

    records: Sequence[Mapping[str, Any]]
    _top: dict[str, tuple[Any, ...]] = attrs.field(factory=dict, init=False)
    _floats: dict[str, np.ndarray] = attrs.field(factory=dict, init=False)
    # (stage, field) -> column; (stage, "") -> the has-a-block mask
    _stages: dict[tuple[str, str], np.ndarray] = attrs.field(factory=dict, init=False)

    def values(self, keys: Sequence[str]) -> dict[str, tuple[Any, ...]]:
        """Top-level values per key (None where absent); missing keys pulled in one pass."""
        missing = [k for k in dict.fromkeys(keys) if k not in self._top]
        if missing:
            self._top.update(zip(missing, pluck(self.records, missing), strict=True))
        return {k: self._top[k] for k in keys}

    def floats(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """Top-level numbers per key as float64 columns (absent, null, not a number: NaN).

        Keys already pulled as values are converted; the others are pulled straight
        into one float table (no per-key tuples), in one pass.
        """
        missing = [k for k in dict.fromkeys(keys) if k not in self._floats]
        for k in missing:
            if k in self._top:
                self._floats[k] = to_floats(self._top[k])
        self._floats.update(float_columns(self.records, [k for k in missing if k not in self._top]))
        return {k: self._floats[k] for k in keys}

    def has_block(self, stage: str) -> np.ndarray:
        """Per record: does it have a ``stage`` block that is a mapping?"""
        if (stage, "") not in self._stages:
            blocks = self.values([stage])[stage]
            self._stages[stage, ""] = np.fromiter(
                (b is not None and (type(b) is dict or isinstance(b, Mapping)) for b in blocks),
                bool,
                len(blocks),
            )
        return self._stages[stage, ""]

    def stage_floats(self, stage: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """Numbers inside the ``stage`` block (NaN where a school has no such block)."""
        missing = [k for k in dict.fromkeys(keys) if (stage, k) not in self._stages]
        if missing:
            blocks = self.values([stage])[stage]
            pulled = float_columns(blocks, missing, where=self.has_block(stage))
            for k, col in pulled.items():
                self._stages[stage, k] = col
        return {k: self._stages[stage, k] for k in keys}
