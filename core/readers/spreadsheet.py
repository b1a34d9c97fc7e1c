"""CSV and XLSX files to rows of cells, refusing what is not what its extension says.

CSV: the encoding detected (:func:`~junheng.readers.source.decode_text`), the
delimiter guessed from the header line (comma, tab, semicolon), NUL bytes
refused. XLSX: the zip directory checked before openpyxl opens the file (member
count and declared uncompressed size: a zip bomb is refused without being
inflated), then the first visible sheet read in read-only, values-only mode;
formula cells without a cached result are errors (guessing their value would be
wrong).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from .cells import is_blank
from .source import (
    ReadContext,
    Row,
    decode_text,
    mib,
)

__all__ = ["column_letter", "csv_rows", "xlsx_rows"]


def csv_rows(data: bytes, ctx: ReadContext) -> list[Row] | None:
    if data.startswith(b"PK\x03\x04"):
        ctx.error(
            "parse", "文件内容是 XLSX（Excel 工作簿），但扩展名为 .csv；请改用 .xlsx 扩展名。"
        )
        return None
    text = decode_text(data, ctx)
    if text is None:
        return None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        ctx.error(
            "encoding",
            f"第 {line} 行含有 NUL 字节：这不是普通文本 CSV（可能是二进制文件，"
            "或是没有 BOM 的 UTF-16 文本）；请在 Excel 中“另存为”CSV UTF-8。",
            row=line,
        )
        return None
    first_line = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first_line:
        for candidate in ("\t", ";"):
            if candidate in first_line:
                delimiter = candidate
                break
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return [(n, row) for n, row in enumerate(reader, start=1)]
    except csv.Error as exc:
        ctx.error("parse", f"CSV 格式错误：{exc}。")
        return None


def xlsx_rows(path: Path, data: bytes, ctx: ReadContext) -> list[Row] | None:
    if not data.startswith(b"PK\x03\x04"):
        ctx.error(
            "parse",
            "不是有效的 XLSX 文件（内容不是 Excel 工作簿，可能是扩展名与实际格式不符）。",
        )
        return None
    has_formulas = _check_zip(data, ctx)
    if has_formulas is None:
        return None
    import openpyxl  # deferred: importing openpyxl costs ~0.2 s

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types on corrupt files
        ctx.error("parse", f"无法打开 XLSX 文件（{type(exc).__name__}: {exc}）。")
        return None
    try:
        index = next(
            (
                i
                for i, ws in enumerate(workbook.worksheets)
                if getattr(ws, "sheet_state", "visible") == "visible"
            ),
            None,
        )
        if index is None:
            ctx.error("parse", "工作簿中没有可见的工作表（数据所在的工作表被隐藏了？）。")
            return None
        sheet = workbook.worksheets[index]
        rows = [
            (n, list(values)) for n, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    except Exception as exc:
        ctx.error("parse", f"读取 XLSX 工作表失败（{type(exc).__name__}: {exc}）。")
        return None
    finally:
        workbook.close()
    hidden = [ws.title for ws in workbook.worksheets[:index]]
    if hidden and not any(any(not is_blank(c) for c in cells) for _, cells in rows):
        ctx.error(
            "parse",
            f"第一个可见工作表“{sheet.title}”是空的；数据可能在隐藏的工作表"
            f"（{'、'.join(hidden)}）中，请取消隐藏并移到最前。",
        )
        return None
    if has_formulas:
        _formulas_without_values(data, index, rows, ctx)
    return rows


def _check_zip(data: bytes, ctx: ReadContext) -> bool | None:
    """Refuse a zip bomb from the zip directory alone; True if a sheet holds formulas.

    The uncompressed sizes declared in the directory are what :mod:`zipfile` will
    inflate at most (it stops at the declared size), so summing them bounds the
    work before openpyxl sees the file. Formulas are found by looking for ``<f>``
    elements in the worksheets' XML (only read when the sizes are acceptable).
    """
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            limits = ctx.limits
            if len(infos) > limits.xlsx_members:
                ctx.error(
                    "too_large",
                    f"不是有效的 XLSX 文件：压缩包内有 {len(infos):,} 个文件，上限 {limits.xlsx_members:,}。",
                )
                return None
            total = sum(i.file_size for i in infos)
            if total > limits.xlsx_uncompressed_bytes:
                ctx.error(
                    "too_large",
                    f"XLSX 文件解压后有 {mib(total)}，超过上限 {mib(limits.xlsx_uncompressed_bytes)}"
                    "（可能是压缩炸弹或异常文件），未读取。",
                    found=total,
                    expected=f"<= {limits.xlsx_uncompressed_bytes} bytes",
                )
                return None
            return any(
                _has_formula(zf, i)
                for i in infos
                if i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml")
            )
    except Exception as exc:  # BadZipFile, truncated members, bad CRC ...
        ctx.error("parse", f"无法打开 XLSX 文件（{type(exc).__name__}: {exc}）。")
        return None


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[ >/]")


def _has_formula(zf: Any, info: Any) -> bool:
    """Whether a worksheet's XML has an ``<f>`` element, read in chunks (sheets can be large)."""
    tail = b""
    with zf.open(info) as fh:
        while chunk := fh.read(1 << 20):
            if _FORMULA_TAG.search(tail + chunk):
                return True
            tail = chunk[-16:]
    return False


def _formulas_without_values(data: bytes, index: int, rows: list[Row], ctx: ReadContext) -> None:
    """Error for each formula cell without a cached result (e.g. written by a program).

    Such a cell reads as empty with ``data_only=True``; guessing its value would be
    wrong, so the clerk is asked to open and save the file in Excel (or paste values).
    """
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # pragma: no cover - the same bytes just opened with data_only=True
        return
    try:
        sheet = workbook.worksheets[index]
        for (n, cached), formulas in zip(rows, sheet.iter_rows(values_only=True), strict=False):
            for j, cell in enumerate(formulas):
                if isinstance(cell, str) and cell.startswith("=") and j < len(cached):
                    if cached[j] is None:
                        ctx.error(
                            "formula",
                            f"第 {column_letter(j)} 列是公式“{cell[:60]}”，但文件中没有它的计算结果；"
                            "请在 Excel 中打开并保存，或把公式“粘贴为数值”后重试。",
                            row=n,
                            found=cell[:200],
                        )
    finally:
        workbook.close()


def column_letter(index: int) -> str:
    """``0`` → ``A``, ``26`` → ``AA``: the spreadsheet column a 0-based index names."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
