"""The XLSX report's plain table sheets: data issues, the cited documents, plugin sections.

Written by :mod:`~junheng.outputs.xlsx` (which owns the styles and the header row
helper it passes in); each function fills one sheet.
"""

from __future__ import annotations

from typing import Any

from ..results import Report
from ..text import replace_unsafe
from .sheets import Workbook, Worksheet

__all__ = ["documents_sheet", "issues_sheet", "section_sheet"]


def issues_sheet(ws: Worksheet, report: Report, st, header) -> None:
    header(
        ws,
        1,
        ("级别", "代码", "学校", "字段", "问题", "文件", "行"),
        st,
        widths=(6, 16, 14, 22, 60, 20, 6),
    )
    for issue in report.data_issues:
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
        ws.append(values, st.wrap)


def documents_sheet(ws: Worksheet, documents: list[dict[str, str]], st, header) -> None:
    """The documents the ruleset cites: every citation in the other sheets names one."""
    header(ws, 1, ("文件", "类别", "日期", "说明", "网址"), st, widths=(60, 36, 16, 60, 30))
    for d in documents:
        ws.append([d["citation"], d["kind"], d["date"], d["note"], d["url"]], st.cell)


_SHEET_TITLE_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})


def section_sheet(wb: Workbook, sec: dict[str, Any], st, header) -> None:
    """A plugin's report section as a sheet: its title, note, column headings and rows."""
    title = replace_unsafe(str(sec["title"] or sec["id"]))
    title = title.translate(_SHEET_TITLE_FORBIDDEN)[:31].strip("'") or "章节"
    taken = {ws.title for ws in wb.sheets}
    base, n = title, 2
    while title in taken:
        suffix = f"({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    ws = wb.sheet(title)
    ws.append([str(sec["title"])], st.title)
    ws.append([f"由插件 {sec['plugin']} 提供" + (f"：{sec['note']}" if sec["note"] else "")])
    if sec["columns"]:
        header(ws, 4, sec["columns"], st)
    else:
        ws.row(4, [])
    for cells in sec["rows"]:
        ws.append(list(cells), st.cell)
