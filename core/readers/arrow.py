"""Columnar inputs: Parquet, Feather/Arrow IPC files, pyarrow Tables, pandas and polars DataFrames.

Everything becomes one *normalised* Arrow table (:mod:`junheng.tables`): flat
columns named by field path, the stage blocks given either as struct columns
(``primary`` with a ``students`` child) or as flat ``primary.students`` columns,
a column named by its Chinese title (``小学在校生数``) taken as its field. Values keep
their JSON meaning, so a table is judged exactly as the same records in JSON:

- null is "absent" (pandas' NaN in a float column is null too, as pandas means it;
  a NaN in an Arrow, polars or Parquet float column is a NaN, and refused);
- an integer field held as floats (pandas' way with gaps) is integers when every
  value is whole; a non-whole one stays and the schema step refuses it;
- a text column in a number or yes/no field (numbers exported as text) is read
  cell by cell as the CSV reader reads a cell (``1,200``, ``95%``, 是/否), an
  unreadable one reported at its row and left out;
- any other mismatch (a number in a text field, true/false in a number field) is
  the schema step's, as in JSON; an unknown column is an unknown field.

Files are bounded before anything is decoded (SECURITY.md): the file size, and from
the footer or schema alone the rows, the columns, the nesting (struct columns only
for the stage blocks, one level deep) and the decoded size the Parquet footer
declares. Column types no field can take (dates, binary, lists) are refused naming
the column. Nothing here raises on user data.

County files and tables hold a handful of records: they become dicts (nested
``items``/``survey``/``vetoes`` structs or dotted columns, a ``finance`` list of
structs) and take the dict path.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ..domain import STAGES
from ..fields import FieldCatalogue, FieldInfo
from ..tables import TableColumns, missing_arrow, pyarrow
from .cells import CellError, convert, is_blank
from .source import ReadContext, ReadResult, checked_size, failed, file_sha256
from .table import set_path

__all__ = [
    "MAX_TABLE_COLUMNS",
    "MAX_TABLE_DECODED_BYTES",
    "MAX_TABLE_ROWS",
    "TABLE_EXTENSIONS",
    "read_table",
    "read_table_file",
]

#: what :func:`read_table_file` reads (the default plugin registers it for each)
TABLE_EXTENSIONS = (".parquet", ".feather", ".arrow")
#: a national batch is ~210,000 schools; ten times that is refused
MAX_TABLE_ROWS = 2_000_000
#: the school schema has ~60 fields; a plugin may add some
MAX_TABLE_COLUMNS = 1_000
#: decoded size a Parquet footer declares (or Arrow batches add up to): a highly
#: compressed file cannot inflate past this
MAX_TABLE_DECODED_BYTES = 2 << 30


def read_table_file(
    path: Path, kind: str, fields: FieldCatalogue, *, input_bytes: int | None = None
) -> ReadResult:
    """A ``.parquet``, ``.feather`` or ``.arrow`` file of school (or county) records."""
    from . import MAX_INPUT_BYTES

    ctx = ReadContext(path, "行", kind, fields)
    try:
        pa = pyarrow()
    except ImportError:
        ctx.error("missing_extra", missing_arrow(f"读取 {path.suffix} 文件"))
        return failed(ctx)
    size = checked_size(path, input_bytes if input_bytes is not None else MAX_INPUT_BYTES, ctx)
    if size is None:
        return failed(ctx)
    if size == 0:
        ctx.error("parse", "文件为空。")
        return failed(ctx)
    try:
        table = _read_file(path, ctx, pa)
    except (pa.ArrowException, OSError, ValueError) as exc:
        what = "Parquet" if path.suffix.lower() == ".parquet" else "Arrow/Feather"
        ctx.error("parse", f"不是有效的 {what} 文件（文件可能不完整或已损坏）：{str(exc)[:200]}")
        return failed(ctx)
    if table is None:
        return failed(ctx)
    result = _from_arrow(table, ctx)
    return _with_hash(result, path) if result.records else result


def _with_hash(result: ReadResult, path: Path) -> ReadResult:
    import attrs

    return attrs.evolve(result, sha256=file_sha256(path))


def _read_file(path: Path, ctx: ReadContext, pa: Any) -> Any:
    """The file's table, or None after a located refusal (bounds checked first)."""
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        with pq.ParquetFile(path) as pf:
            meta = pf.metadata
            decoded = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
            if not _within(ctx, pf.schema_arrow, meta.num_rows, decoded):
                return None
            return pf.read()
    import pyarrow.ipc as ipc

    source = pa.memory_map(str(path), "r")
    try:
        reader: Any = ipc.open_file(source)
        batches = (reader.get_batch(i) for i in range(reader.num_record_batches))
    except pa.ArrowInvalid:  # not the file format: the stream format
        source.seek(0)
        reader = ipc.open_stream(source)
        batches = iter(reader)
    if not _within(ctx, reader.schema, 0, 0):
        return None
    out, rows, decoded = [], 0, 0
    for batch in batches:
        rows += batch.num_rows
        decoded += batch.nbytes
        if not _within(ctx, None, rows, decoded):
            return None
        out.append(batch)
    return pa.Table.from_batches(out, schema=reader.schema)


def _within(ctx: ReadContext, schema: Any, rows: int, decoded: int) -> bool:
    """The table's bounds (SECURITY.md), each refusal located; True when within them."""
    problems = []
    if rows > MAX_TABLE_ROWS:
        problems.append(("行数", rows, MAX_TABLE_ROWS))
    if decoded > MAX_TABLE_DECODED_BYTES:
        problems.append(("解码后大小（字节）", decoded, MAX_TABLE_DECODED_BYTES))
    if schema is not None:
        width = sum(_leaves(f.type) for f in schema)
        if width > MAX_TABLE_COLUMNS:
            problems.append(("列数", width, MAX_TABLE_COLUMNS))
        # schools: stage blocks one struct deep; counties: a finance list of structs
        depth = 3 if ctx.kind == "county" else 2
        deep = [f.name for f in schema if _depth(f.type) > depth]
        if deep:
            allowed = (
                "县级数据只有 finance 可为结构的列表，items 等为一层结构"
                if ctx.kind == "county"
                else "只有学段数据（primary、junior）可为一层嵌套的结构列"
            )
            ctx.error(
                "too_large",
                f"列“{str(deep[0])[:40]}”嵌套过深：{allowed}。",
                found=str(deep[0])[:40],
                expected=f"depth <= {depth - 1}",
            )
            return False
    for what, found, limit in problems:
        ctx.error(
            "too_large",
            f"表格{what} {found:,} 超过上限 {limit:,}；请按县拆分后分别评估。",
            found=found,
            expected=f"<= {limit}",
        )
    return not problems


def _leaves(kind: Any) -> int:
    pa = pyarrow()
    if pa.types.is_struct(kind):
        return sum(_leaves(kind.field(i).type) for i in range(kind.num_fields))
    return 1


def _depth(kind: Any) -> int:
    pa = pyarrow()
    if pa.types.is_struct(kind):
        return 1 + max((_depth(kind.field(i).type) for i in range(kind.num_fields)), default=0)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_map(kind):
        return 1 + _depth(kind.value_type if not pa.types.is_map(kind) else kind.item_type)
    return 1


def read_table(
    value: Any, kind: str, fields: FieldCatalogue, file: str | None = None
) -> ReadResult:
    """School (or county) records from a pyarrow Table/RecordBatch or a pandas/polars DataFrame."""
    ctx = ReadContext(Path(file or "table"), "条", kind, fields)
    ctx.file = file  # an in-memory table has no file name in messages
    try:
        pa = pyarrow()
    except ImportError:
        ctx.error("missing_extra", missing_arrow(f"读取 {type(value).__name__} 表格"))
        return failed(ctx)
    module = type(value).__module__.split(".", 1)[0]
    if module == "pandas":
        try:
            table = pa.Table.from_pandas(value, preserve_index=False)
        except (pa.ArrowException, UnicodeError, TypeError, ValueError):
            # a column Arrow cannot hold (mixed types, a lone surrogate): these rows are
            # judged as the dicts they are, with the dict path's messages
            return _pandas_records(value, ctx)
    elif module == "polars":
        table = value.to_arrow()
    elif isinstance(value, pa.RecordBatch):
        table = pa.Table.from_batches([value])
    else:
        table = value
    if not _within(ctx, table.schema, table.num_rows, 0):
        return failed(ctx)
    return _from_arrow(table, ctx)


def _pandas_records(frame: Any, ctx: ReadContext) -> ReadResult:
    records = []
    for row in frame.to_dict("records"):
        record: dict[str, Any] = {}
        for key, value in row.items():
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue  # pandas' missing value
            if isinstance(key, str) and key.partition(".")[0] in STAGES and "." in key:
                set_path(record, key.split(".", 1), value)
            else:
                record[str(key)] = value
        records.append(record)
    return ReadResult(records, ctx.issues, list(range(1, len(records) + 1)), ctx.file, ctx.row_unit)


# --------------------------------------------------------------------------- normalising


def _from_arrow(table: Any, ctx: ReadContext) -> ReadResult:
    pa = pyarrow()
    if table.num_rows == 0:
        ctx.error("parse", "表格中没有数据行。")
        return failed(ctx)
    if ctx.kind == "county":
        return _county_records(table, ctx)
    names, arrays = _flatten(table, ctx)
    if names is None:
        return failed(ctx)
    by_name: dict[str, Any] = {}
    for name, array in zip(names, arrays, strict=True):
        field = ctx.fields.get(name)
        if field is None:
            resolved = ctx.fields.resolve_header(name)
            if resolved is not None and not _is_path(name):
                field, name = resolved, resolved.path
        if name in by_name:
            ctx.error(
                "duplicate_column",
                f"列“{name}”出现了不止一次（结构列与同名的平铺列，或同一字段的路径与中文名），后一列已忽略。",
                field=name,
                found=name,
            )
            continue
        converted = _typed(array, field, name, ctx, pa) if field is not None else array
        if converted is None:
            return failed(ctx)
        by_name[name] = converted
    normal = pa.table(by_name) if by_name else pa.table({})
    columns = TableColumns.of(normal)
    rows = list(range(1, normal.num_rows + 1))
    return ReadResult(columns.records, ctx.issues, rows, ctx.file, ctx.row_unit, columns=columns)  # type: ignore[arg-type]


def _is_path(name: str) -> bool:
    return name.isascii()


def _flatten(table: Any, ctx: ReadContext) -> tuple[list[str] | None, list[Any]]:
    """Column names by field path and their arrays: a struct column's children as
    ``parent.child`` (a null struct makes its children null)."""
    pa = pyarrow()
    names: list[str] = []
    arrays: list[Any] = []
    for name, col in zip(table.column_names, table.columns, strict=True):
        array = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
        if pa.types.is_dictionary(array.type):  # pandas categoricals
            array = array.dictionary_decode()
        if pa.types.is_struct(array.type) or name in STAGES:
            if name not in STAGES or not pa.types.is_struct(array.type):
                return _refuse_type(ctx, str(name), array.type)
            # flatten(): each child with the parent's nulls merged into its validity
            # bitmap, its values shared (``if_else`` against a null column copied every
            # child of a block with null rows: 18 MiB and 0.03 s at 30,000 schools)
            for i, child in enumerate(array.flatten()):
                if pa.types.is_dictionary(child.type):
                    child = child.dictionary_decode()
                names.append(f"{name}.{array.type.field(i).name}")
                arrays.append(child)
            continue
        names.append(str(name))
        arrays.append(array)
    for name, array in zip(names, arrays, strict=True):
        if not _scalar(array.type):
            return _refuse_type(ctx, name, array.type)
    return names, arrays


def _scalar(kind: Any) -> bool:
    pa = pyarrow()
    t = pa.types
    return bool(
        t.is_integer(kind)
        or t.is_floating(kind)
        or t.is_boolean(kind)
        or t.is_string(kind)
        or t.is_large_string(kind)
        or t.is_null(kind)
        or t.is_decimal(kind)
        or getattr(t, "is_string_view", lambda _k: False)(kind)
    )


def _refuse_type(ctx: ReadContext, name: str, kind: Any) -> tuple[None, list[Any]]:
    ctx.error(
        "parse",
        f"列“{name[:60]}”的类型 {kind} 不是可读的数据类型：应为整数、数字、文本或是/否"
        "（学段数据 primary、junior 可为结构列）。",
        field=name[:60],
        found=str(kind),
        expected="integer, number, string or boolean",
    )
    return None, []


def _typed(array: Any, field: FieldInfo, name: str, ctx: ReadContext, pa: Any) -> Any:
    """The column in its field's JSON type where that keeps every value (see the module docs)."""
    t = pa.types
    kind = array.type
    if t.is_decimal(kind):
        array = array.cast(pa.float64())
        kind = array.type
    if t.is_large_string(kind) or getattr(t, "is_string_view", lambda _k: False)(kind):
        array = array.cast(pa.string())
        kind = array.type
    if field.type == "integer" and t.is_floating(kind):
        values = array.to_numpy(zero_copy_only=False)
        present = values[~array.is_null().to_numpy(zero_copy_only=False)]
        import numpy as np

        if present.size and np.isfinite(present).all() and (present == np.floor(present)).all():
            if (np.abs(present) < 2**63).all():
                return array.cast(pa.int64(), safe=False)
        return array
    if t.is_string(kind) and field.type in ("integer", "number", "boolean") and not field.enum:
        return _cells(array, field, name, ctx, pa)
    return array


def _cells(array: Any, field: FieldInfo, name: str, ctx: ReadContext, pa: Any) -> Any:
    """A text column of a number or yes/no field, read cell by cell like a CSV cell
    (each distinct text converted once); an unreadable cell reported and left out."""
    texts = array.to_pylist()
    cache: dict[str, Any] = {}
    values: list[Any] = []
    for row, raw in enumerate(texts, start=1):
        if raw is None or is_blank(raw):
            values.append(None)
            continue
        if raw not in cache:
            try:
                cache[raw] = convert(raw, field)
            except CellError as exc:
                cache[raw] = exc
        got = cache[raw]
        if isinstance(got, CellError):
            ctx.unreadable(got.code, got.problem, raw, field, row=row, field=field.path)
            values.append(None)
        else:
            values.append(got)
    kind = {"integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_()}[field.type]
    if field.type == "number":
        values = [None if v is None else float(v) for v in values]
    return pa.array(values, type=kind)


def _county_records(table: Any, ctx: ReadContext) -> ReadResult:
    """County records as dicts: nested structs as they are, dotted columns nested."""
    records = []
    for row in table.to_pylist():
        record: dict[str, Any] = {}
        for key, value in row.items():
            if type(value) in _NESTED:
                value = _without_nulls(value)
            if value is None:
                continue
            if "." in key:
                set_path(record, key.split("."), value)
            else:
                record[key] = value
        records.append(record)
    return ReadResult(records, ctx.issues, list(range(1, len(records) + 1)), ctx.file, ctx.row_unit)


#: what ``to_pylist`` gives for a struct or a list value (exact types: a national county
#: file has ~250,000 values, and an ``isinstance`` against ``Mapping`` per value cost 0.1 s)
_NESTED = (dict, list)


def _without_nulls(value: Any) -> Any:
    """A struct's or a list's value with its null members left out (an empty struct: None)."""
    if type(value) is dict:
        kept = {}
        for k, v in value.items():
            if type(v) in _NESTED:
                v = _without_nulls(v)
            if v is not None:
                kept[k] = v
        return kept or None
    if type(value) is list:
        return [_without_nulls(v) if type(v) in _NESTED else v for v in value]
    return value
