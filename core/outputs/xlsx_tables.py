"""The XLSX report's plain table sheets: data issues, the cited documents, plugin sections.

Written by :mod:`~junheng.outputs.xlsx` (which owns the styles and the header row
helper it passes in); each function fills one sheet.
"""

from __future__ import annotations

from typing import Any

from ..results import Report
from ..text import replace_unsafe
from .cells import put

__all__ = ["documents_sheet", "issues_sheet", "section_sheet"]


def issues_sheet(ws, report: Report, st, header) -> None:
    header(
        ws,
        1,
        ("级别", "代码", "学校", "字段", "问题", "文件", "行"),
        st,
        widths=(6, 16, 14, 22, 60, 20, 6),
    )
    for row, issue in enumerate(report.data_issues, start=2):
        d = issue.to_dict() if hasattr(issue, "to_dict") else dict(issue)
        values = (
            "错误" if d.get("severity") == "error" else "警告",
            d.get("code"),
            d.get("record_id"),
            d.get("field"),
            d.get("message"),
            d.get("file"),
            d.get("row"),
        )
        for col, val in enumerate(values, start=1):
            put(ws, row, col, val).alignment = st["wrap"]


def documents_sheet(ws, documents: list[dict[str, str]], st, header) -> None:
    """The documents the ruleset cites: every citation in the other sheets names one."""
    header(ws, 1, ("文件", "类别", "日期", "说明", "网址"), st, widths=(60, 36, 16, 60, 30))
    for row, d in enumerate(documents, start=2):
        values = (d["citation"], d["kind"], d["date"], d["note"], d["url"])
        for col, val in enumerate(values, start=1):
            cell = put(ws, row, col, val)
            cell.alignment = st["wrap"]
            cell.border = st["border"]


_SHEET_TITLE_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})


def section_sheet(wb, sec: dict[str, Any], st, header) -> None:
    """A plugin's report section as a sheet: its title, note, column headings and rows."""
    title = replace_unsafe(str(sec["title"] or sec["id"]))
    title = title.translate(_SHEET_TITLE_FORBIDDEN)[:31].strip("'") or "章节"
    taken = {ws.title for ws in wb.worksheets}
    base, n = title, 2
    while title in taken:
        suffix = f"({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    ws = wb.create_sheet(title)
    put(ws, 1, 1, str(sec["title"])).font = st["title"]
    put(ws, 2, 1, f"由插件 {sec['plugin']} 提供" + (f"：{sec['note']}" if sec["note"] else ""))
    row = 4
    if sec["columns"]:
        header(ws, row, sec["columns"], st)
    for cells in sec["rows"]:
        row += 1
        for col, value in enumerate(cells, start=1):
            cell = put(ws, row, col, value)
            cell.border = st["border"]
            cell.alignment = st["wrap"]
