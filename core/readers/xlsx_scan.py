"""An XLSX file checked before openpyxl opens it: bounded work, and the facts the reader needs.

openpyxl does its work before any check of ours could run: it inflates what the
zip directory declares, loads the whole shared-string table, and pads rows to the
width a sheet declares. So the zip and its XML are read here first, in chunks,
counting without building anything:

- zip members and the declared uncompressed total (a zip bomb is refused without
  being inflated: :mod:`zipfile` never inflates past a declared size);
- the shared strings (a 355 KB file can declare 8 million);
- per worksheet: rows, cells, the widest column, and the cells openpyxl would
  materialise with every row padded to its last cell (a declared
  ``A1:XFD1048576`` is ignored: the reader resets the dimensions).

Past a bound the file is refused with a ``too_large`` issue saying which bound;
nothing is materialised. The scan also reports, per worksheet, whether it holds
formulas, which rows are hidden, and the merged ranges.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import attrs

from .source import ReadContext, mib

__all__ = ["SheetFacts", "XlsxScan", "scan_xlsx"]

_CHUNK = 1 << 20
_OVERLAP = 1024  # longer than any tag looked for: a tag split by a chunk is seen whole
_CELL = re.compile(rb"<(?:\w+:)?c[ >/]")
_ROW = re.compile(rb"<(?:\w+:)?row[ >]")
_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")
_FAR_CELL = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{3,})\d+"')
_HIDDEN_ROW = re.compile(rb'<(?:\w+:)?row\b[^>]*?\bhidden="(?:1|true)"[^>]*>')
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_STRING = re.compile(rb"<(?:\w+:)?si[ >/]")
_ROW_OR_CELL = re.compile(rb'<(?:\w+:)?row[ >]|<(?:\w+:)?c\b[^>]*?\br="([A-Z]+)\d+"')
#: columns a row may reach before the exact padded size is worked out (schools tables
#: have about 60 columns)
_WIDE = 1_000


@attrs.define
class SheetFacts:
    """What one worksheet's XML holds, counted."""

    rows: int = 0
    cells: int = 0
    max_column: int = 0
    formulas: bool = False
    hidden_rows: list[int] = attrs.field(factory=list)
    #: (ref, first row, last row) of every merged range
    merged: list[tuple[str, int, int]] = attrs.field(factory=list)


@attrs.frozen
class XlsxScan:
    #: worksheet member path (``xl/worksheets/sheet1.xml``) → its facts
    sheets: dict[str, SheetFacts]
    strings: int


def scan_xlsx(data: bytes, ctx: ReadContext) -> XlsxScan | None:
    """The workbook's facts, or None after a located issue (not a zip, past a bound)."""
    limits = ctx.limits
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
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
            strings = sum(
                _count(zf, i, _STRING) for i in infos if i.filename.endswith("sharedStrings.xml")
            )
            if strings > limits.xlsx_strings:
                return _refuse(
                    ctx,
                    f"共享字符串表有 {strings:,} 个字符串，上限 {limits.xlsx_strings:,}",
                    strings,
                )
            sheets = {}
            for info in infos:
                name = info.filename
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    facts = _sheet(zf, info)
                    problem = _past_bounds(zf, info, facts, limits)
                    if problem:
                        return _refuse(
                            ctx, f"工作表 {name.rsplit('/', 1)[-1]} {problem}", facts.cells
                        )
                    sheets[name] = facts
            return XlsxScan(sheets, strings)
    except Exception as exc:  # BadZipFile, truncated members, bad CRC ...
        ctx.error("parse", f"无法打开 XLSX 文件（{type(exc).__name__}: {exc}）。")
        return None


def _refuse(ctx: ReadContext, what: str, found: int) -> None:
    ctx.error(
        "too_large",
        f"XLSX 文件过大或异常：{what}（可能是异常文件），未读取；请删除多余内容或按县拆分后重试。",
        found=found,
    )
    return None


def _chunks(zf: zipfile.ZipFile, info: Any) -> Iterator[tuple[bytes, int]]:
    """The member's bytes in overlapping chunks: ``(buffer, end)`` where matches starting
    before ``end`` belong to this chunk (those after it come again with the next one)."""
    tail = b""
    with zf.open(info) as fh:
        chunk = fh.read(_CHUNK)
        while chunk:
            following = fh.read(_CHUNK)
            buf = tail + chunk
            end = len(buf) if not following else len(buf) - _OVERLAP
            yield buf, end
            tail = buf[end:]
            chunk = following


def _count(zf: zipfile.ZipFile, info: Any, pattern: re.Pattern[bytes]) -> int:
    return sum(_matches(pattern, buf, end) for buf, end in _chunks(zf, info))


def _matches(pattern: re.Pattern[bytes], buf: bytes, end: int) -> int:
    return sum(1 for m in pattern.finditer(buf) if m.start() < end)


def _sheet(zf: zipfile.ZipFile, info: Any) -> SheetFacts:
    facts = SheetFacts()
    for head, end in _chunks(zf, info):
        facts.cells += _matches(_CELL, head, end)
        facts.rows += _matches(_ROW, head, end)
        facts.formulas = facts.formulas or any(m.start() < end for m in _FORMULA.finditer(head))
        for m in _FAR_CELL.finditer(head):
            if m.start() < end:
                facts.max_column = max(facts.max_column, _column(m.group(1)))
        for m in _HIDDEN_ROW.finditer(head):
            number = _ROW_NUMBER.search(m.group(0))
            if m.start() < end and number:
                facts.hidden_rows.append(int(number.group(1)))
        for m in _MERGE.finditer(head):
            if m.start() < end:
                first, last = int(m.group(2)), int(m.group(4) or m.group(2))
                ref = m.group(0).split(b'ref="', 1)[1].split(b'"', 1)[0].decode()
                facts.merged.append((ref, first, last))
    return facts


def _past_bounds(zf: zipfile.ZipFile, info: Any, facts: SheetFacts, limits: Any) -> str | None:
    if facts.rows > limits.xlsx_rows:
        return f"有 {facts.rows:,} 行，上限 {limits.xlsx_rows:,}"
    if facts.cells > limits.xlsx_cells:
        return f"有 {facts.cells:,} 个单元格，上限 {limits.xlsx_cells:,}"
    if facts.max_column > limits.xlsx_columns:
        return f"用到第 {facts.max_column:,} 列，上限 {limits.xlsx_columns:,}"
    if facts.max_column > _WIDE and facts.rows * facts.max_column > limits.xlsx_cells:
        padded = _padded(zf, info)  # some far-out cells: work out what openpyxl would build
        if padded > limits.xlsx_cells:
            return f"读入时要展开为 {padded:,} 个单元格（各行补齐到最后一个单元格），上限 {limits.xlsx_cells:,}"
    return None


def _padded(zf: zipfile.ZipFile, info: Any) -> int:
    """Σ over rows of the row's last column: what openpyxl materialises for the sheet."""
    total = last = 0
    for buf, end in _chunks(zf, info):
        for m in _ROW_OR_CELL.finditer(buf):
            if m.start() >= end:
                continue
            if m.group(1) is None:  # a new row
                total += last
                last = 0
            else:
                last = max(last, _column(m.group(1)))
    return total + last


def _column(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n
