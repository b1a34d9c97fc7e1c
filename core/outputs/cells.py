"""Filling one XLSX cell safely: text stays text, whatever it starts with.

openpyxl turns a string starting with ``=`` into a formula, so a school named
``=HYPERLINK("http://…")`` or ``=cmd|' /C calc'!A0`` would become a live formula in
the 整改台账 the office opens in Excel. :func:`put` writes every string as a text
cell; one starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return also
gets Excel's quote prefix (OWASP's advice for spreadsheet export), so editing the
cell in Excel does not turn it into a formula either. Characters XML cannot carry
become U+FFFD (:mod:`junheng.text`) instead of an ``IllegalCharacterError``.
Used by the data templates (:mod:`junheng.template`, :mod:`junheng.county_template`); the
report writer (:mod:`.sheets`) and the comparison (:mod:`junheng.compare.xlsx`) apply the
same rule to the cells they write.
"""

from __future__ import annotations

from typing import Any

from ..text import FORMULA_LEADERS, replace_unsafe

__all__ = ["put"]


def put(ws: Any, row: int, column: int, value: Any = None) -> Any:
    """Set the cell at (``row``, ``column``) of worksheet ``ws`` to ``value``; returns it."""
    if not isinstance(value, str):
        return ws.cell(row=row, column=column, value=value)
    text = replace_unsafe(value)
    cell = ws.cell(row=row, column=column)
    cell.value = text
    if text.startswith(FORMULA_LEADERS):
        cell.data_type = "s"  # never "f": a formula
        cell.quotePrefix = True
    return cell
