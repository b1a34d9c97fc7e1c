"""Data-collection templates (XLSX or CSV) generated from the school schema.

Layout, read back unchanged by :func:`junheng.readers.read_schools`:

- row 1: the Chinese title of each field (小学在校生数);
- row 2: the English path and unit (``primary.students [人]``);
- data from row 3.

The XLSX template also has frozen header rows and identity columns, column
widths, a note on every header with the English description and the allowed
range, dropdowns (Excel data validation) with the Chinese labels of
``school_type`` and ``location`` and 是/否 for boolean columns, range checks
on numeric columns, and a second sheet "填表说明" describing every field. The
CSV template is UTF-8 with BOM (so Excel opens it correctly) with the same
two header rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Literal

from junheng.fields import FieldCatalogue, FieldInfo, school_fields
from junheng.numbers import format_number
from junheng.outputs.cells import put

__all__ = [
    "TEMPLATE_ROWS",
    "build_template",
    "csv_template_bytes",
    "data_validation",
    "display_width",
    "template_fields",
    "xlsx_template_bytes",
]

#: rows of data-entry validation added to the XLSX template
TEMPLATE_ROWS = 2000
#: identity fields always present in a template, even when a ruleset narrows it
_IDENTITY = ("id", "name", "county_code", "year", "school_type", "central_school_id")


def template_fields(
    required_fields: Iterable[str] | None = None, catalogue: FieldCatalogue | None = None
) -> list[FieldInfo]:
    """Fields of the template in schema order.

    Without ``required_fields`` every school field; with it (the fields a
    ruleset needs) the identity fields plus those fields. ``catalogue``: the
    engine's school fields (default: the core fields).
    """
    fields = list(catalogue if catalogue is not None else school_fields())
    if required_fields is None:
        return fields
    wanted = set(required_fields) | set(_IDENTITY)
    return [f for f in fields if f.path in wanted]


def build_template(
    fmt: Literal["xlsx", "csv"] = "xlsx",
    fields: Sequence[FieldInfo] | None = None,
) -> bytes:
    """Build the template and return its bytes (the caller writes them atomically)."""
    fields = list(fields) if fields is not None else template_fields()
    if fmt == "csv":
        return csv_template_bytes(fields)
    return xlsx_template_bytes(fields)


def csv_template_bytes(fields: Sequence[FieldInfo]) -> bytes:
    """UTF-8-with-BOM CSV with the two header rows."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([f.title for f in fields])
    writer.writerow([f.header_row2() for f in fields])
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_template_bytes(fields: Sequence[FieldInfo]) -> bytes:
    """The XLSX template as bytes."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "学校数据"
    title_fill = PatternFill("solid", fgColor="DDEBF7")
    path_fill = PatternFill("solid", fgColor="F2F2F2")
    last_row = TEMPLATE_ROWS + 2

    for col, field in enumerate(fields, start=1):
        letter = get_column_letter(col)
        title = put(sheet, 1, col, field.title)
        title.font = Font(bold=True, color="C00000" if field.required else "000000")
        title.fill = title_fill
        title.alignment = Alignment(wrap_text=True, vertical="center")
        path_cell = put(sheet, 2, col, field.header_row2())
        path_cell.font = Font(italic=True, color="595959", size=9)
        path_cell.fill = path_fill
        note = Comment(_note(field), "junheng")
        note.width, note.height = 320, 140
        title.comment = note
        width = max(display_width(field.title), display_width(field.header_row2())) + 2
        sheet.column_dimensions[letter].width = min(max(width, 10), 40)

        validation = data_validation(field, DataValidation)
        if validation is not None:
            sheet.add_data_validation(validation)
            validation.add(f"{letter}3:{letter}{last_row}")

    sheet.freeze_panes = "C3" if len(fields) > 2 else "A3"
    sheet.row_dimensions[1].height = 30

    guide = workbook.create_sheet("填表说明")
    headings = ("字段路径 (path)", "中文名称", "单位", "类型", "取值范围/可选值", "必填", "说明")
    for col, heading in enumerate(headings, start=1):
        put(guide, 1, col, heading).font = Font(bold=True)
    for row, field in enumerate(fields, start=2):
        line = (
            field.path,
            field.title,
            field.unit or "",
            field.type,
            field.expected_text(),
            "是" if field.required else "",
            field.description,
        )
        for col, value in enumerate(line, start=1):
            put(guide, row, col, value)
    for letter, width in zip("ABCDEFG", (32, 26, 8, 10, 48, 6, 80), strict=True):
        guide.column_dimensions[letter].width = width
    guide.freeze_panes = "A2"

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def data_validation(field: FieldInfo, factory: type) -> object | None:
    """The Excel data validation of a cell holding ``field`` (a dropdown, a range), or None;
    ``factory`` is openpyxl's ``DataValidation`` (imported by the caller, lazily)."""
    prompt_title = field.title[:32]
    if field.enum:
        labels = ",".join(field.enum_label(code) for code in field.enum)
        return factory(
            type="list",
            formula1=f'"{labels}"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="取值无效",
            error=f"请从下拉列表中选择{field.title}。",
            promptTitle=prompt_title,
            prompt="请从下拉列表中选择。",
        )
    if field.type == "boolean":
        return factory(
            type="list",
            formula1='"是,否"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="取值无效",
            error="请选择“是”或“否”。",
        )
    if field.type in ("integer", "number") and field.minimum is not None:
        maximum = field.maximum if field.maximum is not None else 1e15
        return factory(
            type="whole" if field.type == "integer" else "decimal",
            operator="between",
            formula1=_formula_number(field.minimum),
            formula2=_formula_number(maximum),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="取值无效",
            error=f"{field.title}应为{field.expected_text()}。"[:225],
        )
    return None


def _formula_number(value: float) -> str:
    return format_number(value, grouping=False, decimals=6)


def _note(field: FieldInfo) -> str:
    lines = [field.path, field.description, f"取值：{field.expected_text()}"]
    if field.required:
        lines.append("必填")
    elif field.path.startswith(("primary.", "junior.")) and field.parts[-1] in (
        "students",
        "classes",
        "teachers",
    ):
        lines.append("有该学段时必填")
    return "\n".join(lines)


def display_width(text: str) -> int:
    """Columns ``text`` takes in a spreadsheet (CJK characters count twice)."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
