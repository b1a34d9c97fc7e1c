"""CSV and XLSX files to rows of cells, refusing what is not what its extension says.

CSV: the encoding detected (:func:`~junheng.readers.encoding.decode_text`), the
delimiter guessed from the header line (comma, tab, semicolon), NUL bytes
refused, an oversize field located. XLSX: the file checked before openpyxl opens it
(:mod:`~junheng.readers.xlsx_scan`: zip bombs, string tables, rows, cells), then the
data sheet — the first visible one naming known fields, said when the workbook has
several — read in read-only mode with its cells' formats (a percent-formatted number
is a :class:`~junheng.readers.cells.Percent`, an error value an
:class:`~junheng.readers.cells.ExcelError`); merged header cells are refused, hidden
rows holding data are warned about, formula cells without a cached result are
errors (guessing their value would be wrong).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from .cells import ExcelError, Percent, is_blank
from .encoding import decode_text
from .source import ReadContext, Row
from .xlsx_scan import SheetFacts, scan_xlsx

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
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[Row] = []
    try:
        for row in reader:
            rows.append((len(rows) + 1, row))
    except csv.Error as exc:
        row = len(rows) + 1
        where = f"第 {row} 行" + (
            f"（文件第 {reader.line_num} 行）" if reader.line_num != row else ""
        )
        if "field larger than field limit" in str(exc):
            problem = (
                f"有一个单元格超过 {csv.field_size_limit():,} 个字符"
                "（常见原因：引号没有配对，后面的整段文字被读进了一个单元格）"
            )
        else:
            problem = f"格式错误（{exc}）"
        ctx.error("parse", f"CSV {where}{problem}。", row=row)
        return None
    return rows


def xlsx_rows(path: Path, data: bytes, ctx: ReadContext) -> list[Row] | None:
    """The rows of the workbook's data sheet, each cell a value (a :class:`Percent` for a
    percent-formatted number, an :class:`ExcelError` for an error value), or None."""
    if data.startswith(_OLE_MAGIC):
        encrypted = "EncryptedPackage".encode("utf-16-le") in data[: 1 << 20]
        ctx.error(
            "parse",
            "XLSX 文件已加密（设置了打开密码），无法读取；请在 Excel 中删除密码后另存为 .xlsx。"
            if encrypted
            else "不是有效的 XLSX 文件：这是旧版 .xls（或其他 Office）文件，请在 Excel 中另存为 .xlsx。",
        )
        return None
    if not data.startswith(b"PK\x03\x04"):
        ctx.error(
            "parse",
            "不是有效的 XLSX 文件（内容不是 Excel 工作簿，可能是扩展名与实际格式不符）。",
        )
        return None
    scan = scan_xlsx(data, ctx)
    if scan is None:
        return None
    import openpyxl  # deferred: importing openpyxl costs ~0.2 s

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types on corrupt files
        ctx.error("parse", f"无法打开 XLSX 文件（{type(exc).__name__}: {exc}）。")
        return None
    try:
        visible = [
            i
            for i, ws in enumerate(workbook.worksheets)
            if getattr(ws, "sheet_state", "visible") == "visible"
        ]
        if not visible:
            ctx.error("parse", "工作簿中没有可见的工作表（数据所在的工作表被隐藏了？）。")
            return None
        index = _data_sheet(workbook, visible, ctx)
        sheet = workbook.worksheets[index]
        sheet.reset_dimensions()  # a declared A1:XFD1048576 must not pad every row
        # rows without cells (a gap down to a far row) are skipped: they never exist as lists
        rows = [
            (n, [_value(c) for c in cells])
            for n, cells in enumerate(sheet.iter_rows(), start=1)
            if cells
        ]
    except Exception as exc:
        ctx.error("parse", f"读取 XLSX 工作表失败（{type(exc).__name__}: {exc}）。")
        return None
    finally:
        workbook.close()
    hidden = [ws.title for ws in workbook.worksheets[: visible[0]]]
    if hidden and not any(any(not is_blank(c) for c in cells) for _, cells in rows):
        ctx.error(
            "parse",
            f"第一个可见工作表“{sheet.title}”是空的；数据可能在隐藏的工作表"
            f"（{'、'.join(hidden)}）中，请取消隐藏并移到最前。",
        )
        return None
    facts = scan.sheets.get(getattr(sheet, "_worksheet_path", "").lstrip("/"))
    if facts is not None:
        _merged_header(facts, rows, ctx)
        _hidden_rows(facts, rows, ctx)
    if facts is None or facts.formulas:
        _formulas_without_values(data, index, rows, ctx)
    return rows


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _value(cell: Any) -> Any:
    value = getattr(cell, "value", None)
    if value is None:
        return None
    kind = getattr(cell, "data_type", None)
    if kind == "e":
        return ExcelError(str(value))
    if (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and "%" in (getattr(cell, "number_format", "") or "")
    ):
        return Percent(value)
    return value


def _data_sheet(workbook: Any, visible: list[int], ctx: ReadContext) -> int:
    """The first visible sheet whose first rows name known fields (an instructions sheet
    placed first is passed over, and the choice is said); the first visible one otherwise."""
    chosen = visible[0]
    for i in visible:
        ws = workbook.worksheets[i]
        ws.reset_dimensions()
        if _names_fields(ws, ctx):
            chosen = i
            break
    if chosen != visible[0]:
        first = workbook.worksheets[visible[0]].title
        title = workbook.worksheets[chosen].title
        ctx.warning(
            "sheet_chosen",
            f"读取的是工作表“{title}”：第一个工作表“{first}”的表头不是已知字段（可能是填表说明），已跳过。",
            found=title,
        )
    return chosen


def _names_fields(ws: Any, ctx: ReadContext) -> bool:
    """Whether one of the sheet's first rows names at least two known fields."""
    resolve = ctx.fields.resolve_header
    for n, cells in enumerate(ws.iter_rows(max_row=5, values_only=True), start=1):
        if ctx.kind == "county":  # the two-column form: field names down column A
            keys = [c[0] for c in ws.iter_rows(max_row=40, max_col=1, values_only=True) if c]
            return sum(1 for k in keys if isinstance(k, str) and resolve(k)) >= 2
        if sum(1 for c in cells if isinstance(c, str) and resolve(c)) >= 2:
            return True
        if n >= 5:
            break
    return False


def _merged_header(facts: SheetFacts, rows: list[Row], ctx: ReadContext) -> None:
    """An error when a merged range covers a cell of the header row (the other columns of
    the range have no header: what that leads to is reported too, as usual)."""
    header = next((n for n, cells in rows if any(not is_blank(c) for c in cells)), None)
    touching = [
        ref for ref, top, bottom in facts.merged if header is not None and top <= header <= bottom
    ]
    if not touching:
        return
    shown = "、".join(touching[:5])
    ctx.error(
        "parse",
        f"表头所在的第 {header} 行有合并单元格（{shown}）：合并单元格只有左上角有值，"
        "其余各列没有表头；请取消合并，让每一列各有一个表头（字段名称）后重试。",
        row=header,
        found=shown,
    )


def _hidden_rows(facts: SheetFacts, rows: list[Row], ctx: ReadContext) -> None:
    """A warning naming the hidden rows that hold data: they are read like the others."""
    filled = {n for n, cells in rows if any(not is_blank(c) for c in cells)}
    hidden = [n for n in facts.hidden_rows if n in filled]
    if hidden:
        shown = "、".join(map(str, hidden[:10])) + (" 等" if len(hidden) > 10 else "")
        ctx.warning(
            "hidden_rows",
            f"有 {len(hidden)} 行在 Excel 中被隐藏（第 {shown} 行），这些行仍作为数据读入；"
            "若它们不应参加评估，请删除这些行。",
            row=hidden[0],
            found=hidden[:50],
        )


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
        sheet.reset_dimensions()
        values = dict(rows)
        for n, formulas in enumerate(sheet.iter_rows(values_only=True), start=1):
            cached = values.get(n, ())
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
