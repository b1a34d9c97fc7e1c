"""Readers: turn a file into school or county records plus located issues.

The format is chosen by extension, through the engine's registry of readers
(``junheng_readers``): the defaults read ``.json``, ``.csv`` and ``.xlsx``/``.xlsm``
(:func:`read_builtin`) and ``.parquet``, ``.feather``, ``.arrow`` (:func:`read_table_file`), and a plugin may add an extension or replace a default.
Nothing here raises on user data: a missing, empty, truncated or mislabelled
file, an undecodable CSV, or a cell that cannot be converted all become
:class:`~junheng.issues.DataIssue` s with file, row, record id and field; a
plugin reader that raises or returns the wrong type is reported naming the
plugin.

One module per job:

- :mod:`~junheng.readers.source` — the result type, the issue collector, file checks;
- :mod:`~junheng.readers.json` — JSON files (strict parsing, records as they are);
- :mod:`~junheng.readers.spreadsheet` — CSV/XLSX bytes to rows (encodings, formats, sheets);
- :mod:`~junheng.readers.xlsx_scan` — an XLSX counted before openpyxl opens it (bounds);
- :mod:`~junheng.readers.table` — school tables (one school per row);
- :mod:`~junheng.readers.county_form` — the two-column county form;
- :mod:`~junheng.readers.cells` — one cell to one JSON value;
- :mod:`~junheng.readers.arrow` — Parquet/Feather/Arrow files and in-memory tables
  (pyarrow, pandas, polars) to Arrow columns (the ``junheng[arrow]`` extra).

School files: JSON is an array of school objects (or ``{"schools": [...]}``);
CSV/XLSX one school per row. County files: JSON is one county object or an
array of them; CSV/XLSX the two-column form. CSV encodings are detected
(UTF-8 with or without BOM, GB18030 as Chinese Excel exports it, UTF-16 with
BOM). Hostile files (SECURITY.md): only regular files are read, sizes are
bounded before reading, zip bombs are refused from the zip directory alone.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from ..fields import FieldCatalogue, county_fields, school_fields
from .arrow import TABLE_EXTENSIONS, read_table_file
from .county_form import county_from_table
from .json import read_json
from .source import (
    DUPLICATE_KEY_CHECK_BYTES,
    MAX_INPUT_BYTES,
    MAX_XLSX_BYTES,
    MAX_XLSX_CELLS,
    MAX_XLSX_COLUMNS,
    MAX_XLSX_MEMBERS,
    MAX_XLSX_ROWS,
    MAX_XLSX_STRINGS,
    MAX_XLSX_UNCOMPRESSED_BYTES,
    Limits,
    ReadContext,
    ReadResult,
    failed,
    read_bytes,
    sha256,
)
from .spreadsheet import csv_rows, xlsx_rows
from .table import schools_from_table

if TYPE_CHECKING:
    from ..registry import Registry

__all__ = [
    "BUILTIN_EXTENSIONS",
    "DUPLICATE_KEY_CHECK_BYTES",
    "MAX_INPUT_BYTES",
    "MAX_XLSX_BYTES",
    "MAX_XLSX_CELLS",
    "MAX_XLSX_COLUMNS",
    "MAX_XLSX_MEMBERS",
    "MAX_XLSX_ROWS",
    "MAX_XLSX_STRINGS",
    "MAX_XLSX_UNCOMPRESSED_BYTES",
    "TABLE_EXTENSIONS",
    "Limits",
    "ReadResult",
    "read",
    "read_builtin",
    "read_county",
    "read_schools",
    "read_table_file",
]

#: what :func:`read_builtin` reads (the default plugin registers it for each)
BUILTIN_EXTENSIONS = (".json", ".csv", ".xlsx", ".xlsm")


def limits() -> Limits:
    """The bounds a read starts with: this module's ``MAX_*`` constants as they are now
    (so they can be lowered for one process or one test)."""
    return Limits(
        input_bytes=MAX_INPUT_BYTES,
        xlsx_bytes=MAX_XLSX_BYTES,
        xlsx_uncompressed_bytes=MAX_XLSX_UNCOMPRESSED_BYTES,
        xlsx_members=MAX_XLSX_MEMBERS,
        xlsx_strings=MAX_XLSX_STRINGS,
        xlsx_rows=MAX_XLSX_ROWS,
        xlsx_cells=MAX_XLSX_CELLS,
        xlsx_columns=MAX_XLSX_COLUMNS,
        duplicate_key_check_bytes=DUPLICATE_KEY_CHECK_BYTES,
    )


def read_schools(path: str | Path, registry: Registry | None = None) -> ReadResult:
    """Read school records from a file with the registry's readers (see the module docs).

    Without a registry: the built-in formats and the core fields (an engine's
    plugin fields and formats: ``engine.read_schools``).
    """
    return read(path, "schools", registry)


def read_county(path: str | Path, registry: Registry | None = None) -> ReadResult:
    """Read county record(s) from a JSON file or a two-column CSV/XLSX form."""
    return read(path, "county", registry)


def read(path: str | Path, kind: str, registry: Registry | None = None) -> ReadResult:
    """Read ``kind`` (``schools`` or ``county``) records from ``path``."""
    path = Path(path)
    ext = path.suffix.lower()
    ctx = ReadContext(path, "条" if ext == ".json" else "行", kind, _fields(kind, registry))
    if not path.exists():
        ctx.error("parse", f"文件不存在（{path}）。")
        return failed(ctx)
    if path.is_dir():
        ctx.error("parse", f"这是一个文件夹，不是数据文件（{path}）。")
        return failed(ctx)
    if registry is None:
        if ext in BUILTIN_EXTENSIONS:
            return read_builtin(path, kind, ctx.fields)
        if ext in TABLE_EXTENSIONS:
            return read_table_file(path, kind, ctx.fields)
        known: tuple[str, ...] = BUILTIN_EXTENSIONS + TABLE_EXTENSIONS
    else:
        reader = registry.readers.get(ext)
        if reader is not None:
            return _read_with(reader.read, reader.plugin, path, kind, ctx)
        known = tuple(registry.readers)
    hint = "旧版 .xls 格式不受支持，请在 Excel 中另存为 .xlsx。" if ext == ".xls" else ""
    shown = "、".join(k for k in known if k != ".xlsm")
    ctx.error(
        "parse",
        f"不支持的文件类型“{ext or '无扩展名'}”，应为 {shown}。{hint}",
        found=ext,
        expected=list(known),
    )
    return failed(ctx)


def read_builtin(
    path: Path, kind: str, fields: FieldCatalogue, bounds: Limits | None = None
) -> ReadResult:
    """A ``.json``, ``.csv`` or ``.xlsx``/``.xlsm`` file read against ``fields``."""
    ext = path.suffix.lower()
    bounds = bounds or limits()
    ctx = ReadContext(path, "条" if ext == ".json" else "行", kind, fields, bounds)
    xlsx = ext in (".xlsx", ".xlsm")
    data = read_bytes(path, bounds.xlsx_bytes if xlsx else bounds.input_bytes, ctx)
    if data is None:
        return failed(ctx)
    # the input's hash (for provenance) is computed beside the parsing: hashlib
    # releases the GIL, and the parser holds it
    with ThreadPoolExecutor(1, thread_name_prefix="junheng-sha256") as pool:
        digest = pool.submit(sha256, data)
        result = _parse(path, ext, data, ctx)
        return attrs.evolve(result, sha256=digest.result())


def _parse(path: Path, ext: str, data: bytes, ctx: ReadContext) -> ReadResult:
    if ext == ".json":
        return read_json(data, ctx)
    rows = csv_rows(data, ctx) if ext == ".csv" else xlsx_rows(path, data, ctx)
    if rows is None:
        return failed(ctx)
    return county_from_table(rows, ctx) if ctx.kind == "county" else schools_from_table(rows, ctx)


def _read_with(reader, plugin: str, path: Path, kind: str, ctx: ReadContext) -> ReadResult:
    if plugin.startswith("junheng.defaults."):  # junheng's own: a bug is an internal error
        return reader(path, kind)
    try:
        result = reader(path, kind)
    except Exception as exc:  # a plugin bug must not look like an engine crash
        ctx.error("parse", f"插件 {plugin} 的 {path.suffix.lower()} 读取器出错：{exc!r}")
        return failed(ctx)
    if not isinstance(result, ReadResult):
        ctx.error(
            "parse",
            f"插件 {plugin} 的 {path.suffix.lower()} 读取器没有返回 ReadResult"
            f"（得到 {type(result).__name__}）",
        )
        return failed(ctx)
    return result


def _fields(kind: str, registry: Registry | None) -> FieldCatalogue:
    if registry is None:
        return county_fields() if kind == "county" else school_fields()
    return registry.county_fields if kind == "county" else registry.school_fields
