"""School records held as Arrow columns: what validation and evaluation read, no dict per school.

A Parquet/Feather file, a ``pyarrow.Table`` or a pandas/polars DataFrame is read
(:mod:`junheng.readers.arrow`) into one *normalised* table: flat columns named by
field path (``id``, ``primary.students``; struct stage blocks flattened), nulls
meaning "absent". :class:`TableColumns` answers what :class:`~junheng.bulk.RecordColumns`
answers for dicts — top-level values, float columns, stage blocks — straight from
the columns. :class:`TableRecords` is the dict view the public API keeps: a
sequence whose items are built only when asked for (validation asks only for the
rows it must explain; a plugin preparing records, or a caller iterating
``inputs.schools``, gets every record).

A row's record has every non-null top-level value, and a stage block (``primary``,
``junior``) exactly when one of that block's columns is non-null in the row,
holding its non-null values: what a CSV row with those cells filled gives.

pyarrow is an optional dependency (``junheng[arrow]``): this module imports it only
when a table is used.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from .bulk import RecordColumns
from .domain import STAGES

__all__ = ["ARROW_EXTRA", "TableColumns", "TableRecords", "is_table", "missing_arrow", "pyarrow"]

#: the pip extra that brings pyarrow (named in every message about its absence)
ARROW_EXTRA = "junheng[arrow]"
_CHUNK = 8192


def pyarrow() -> Any:
    """The pyarrow module (ImportError when the extra is not installed)."""
    import pyarrow as pa

    return pa


def missing_arrow(what: str) -> str:
    """The Chinese sentence for a table input or output without pyarrow installed."""
    return (
        f"{what}需要可选依赖 pyarrow，当前未安装；请安装：pip install '{ARROW_EXTRA}'"
        f"（pyarrow is required: install the {ARROW_EXTRA} extra）。"
    )


def is_table(value: Any) -> bool:
    """A pyarrow Table or RecordBatch, a pandas or a polars DataFrame (checked by the
    type's module, so none of these libraries is imported to find out)."""
    kind = type(value)
    module = kind.__module__.split(".", 1)[0]
    if module == "pyarrow":
        return kind.__name__ in ("Table", "RecordBatch")
    if module in ("pandas", "polars"):
        return kind.__name__ == "DataFrame"
    return False


def _python_values(col: Any) -> tuple[Any, ...]:
    """A column's values as Python objects (None for null), one object per distinct value
    when the column repeats its values (county codes, school types, years: ``to_pylist``
    makes an object per row, ~12 MiB per text column at 210,000 rows). Text, integer and
    yes/no columns only: a dictionary of floats might merge -0.0 into 0.0."""
    pa = pyarrow()
    kind = col.type
    n = len(col)
    if n < _SHARED_FROM or not (
        pa.types.is_string(kind) or pa.types.is_integer(kind) or pa.types.is_boolean(kind)
    ):
        return tuple(col.to_pylist())
    if len(col.slice(0, _SHARED_FROM).unique()) * 4 > _SHARED_FROM:
        return tuple(col.to_pylist())  # mostly distinct (ids, names): nothing to share
    encoded = col.dictionary_encode()
    distinct = encoded.dictionary
    objects = [*distinct.to_pylist(), None]
    indices = encoded.indices.fill_null(len(distinct)).to_numpy(zero_copy_only=False)
    return tuple(map(objects.__getitem__, indices.tolist()))


#: columns shorter than this are converted value by value (also the sample size)
_SHARED_FROM = 4096


def _stage_of(name: str) -> tuple[str, str] | None:
    head, dot, key = name.partition(".")
    return (head, key) if dot and head in STAGES and key else None


class TableRecords(Sequence[Mapping[str, Any]]):
    """The records of a normalised table, each dict built on first access (and kept)."""

    def __init__(self, table: Any) -> None:
        self.table = table
        self._names = list(table.column_names)
        self._built: dict[int, dict[str, Any]] = {}

    def __len__(self) -> int:
        return self.table.num_rows

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        n = len(self)
        i = index + n if index < 0 else index
        if not 0 <= i < n:
            raise IndexError("record index out of range")
        if i not in self._built:
            self.prefetch([i])
        return self._built[i]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for start in range(0, len(self), _CHUNK):
            part = self.table.slice(start, _CHUNK).to_pylist()
            for offset, row in enumerate(part):
                yield self._built.get(start + offset) or self._record(row)

    def prefetch(self, indices: Sequence[int]) -> None:
        """Build the records of these rows in one bulk conversion."""
        wanted = [i for i in dict.fromkeys(indices) if i not in self._built]
        if not wanted:
            return
        rows = self.table.take(wanted).to_pylist()
        for i, row in zip(wanted, rows, strict=True):
            self._built[i] = self._record(row)

    def _record(self, row: Mapping[str, Any]) -> dict[str, Any]:
        record: dict[str, Any] = {}
        for name in self._names:
            value = row[name]
            if value is None:
                continue
            staged = _stage_of(name)
            if staged is None:
                record[name] = value
            else:
                record.setdefault(staged[0], {})[staged[1]] = value
        return record


@attrs.define(eq=False)
class TableColumns(RecordColumns):
    """:class:`~junheng.bulk.RecordColumns` over a normalised Arrow table.

    ``values`` of a stage key gives ``True`` where the row has that block and None
    where not (the block's values are read with :meth:`stage_floats`, or from the
    record); everything else is read from the columns, once, and kept.
    """

    table: Any = None
    _arrays: dict[str, Any] | None = attrs.field(default=None, init=False, repr=False)

    @classmethod
    def of(cls, table: Any) -> TableColumns:
        return cls(TableRecords(table), table)

    def column(self, name: str) -> Any | None:
        """The (single-chunk) Arrow array of a column, or None when the table has none."""
        if self._arrays is None:  # validation and evaluation ask for each column many times
            self._arrays = dict(zip(self.table.column_names, self.table.columns, strict=True))
        col = self._arrays.get(name)
        if col is None or isinstance(col, pyarrow().Array):
            return col
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
        self._arrays[name] = col
        return col

    def values(self, keys: Sequence[str]) -> dict[str, tuple[Any, ...]]:
        n = self.table.num_rows
        for key in dict.fromkeys(keys):
            if key in self._top:
                continue
            if key in STAGES:
                has = self.has_block(key)
                self._top[key] = tuple(np.where(has, True, None).tolist())
                continue
            col = self.column(key)
            self._top[key] = (None,) * n if col is None else _python_values(col)
        return {k: self._top[k] for k in keys}

    def floats(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        for key in dict.fromkeys(keys):
            if key not in self._floats:
                self._floats[key] = self._float(key)
        return {k: self._floats[k] for k in keys}

    def _float(self, name: str) -> np.ndarray:
        pa = pyarrow()
        col = self.column(name)
        n = self.table.num_rows
        if col is None:
            return np.full(n, np.nan)
        kind = col.type
        if not (
            pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)
        ):
            return np.full(n, np.nan)  # text in a number field: the schema step reports it
        out = col.cast(pa.float64()).to_numpy(zero_copy_only=False)
        return np.array(out, dtype=float)  # writable, nulls NaN

    def has_block(self, stage: str) -> np.ndarray:
        if (stage, "") not in self._stages:
            n = self.table.num_rows
            has = np.zeros(n, dtype=bool)
            for name in self.table.column_names:
                staged = _stage_of(name)
                if staged is not None and staged[0] == stage:
                    col = self.column(name)
                    if col.null_count < n:
                        has |= col.is_valid().to_numpy(zero_copy_only=False)
            self._stages[stage, ""] = has
        return self._stages[stage, ""]

    def stage_floats(self, stage: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        for key in dict.fromkeys(keys):
            if (stage, key) not in self._stages:
                self._stages[stage, key] = self._float(f"{stage}.{key}")
        return {k: self._stages[stage, k] for k in keys}
