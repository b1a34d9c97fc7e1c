"""County forms (CSV/XLSX): the two-column sheet 字段 | 值, one county item per row.

An optional header row whose cells read 字段/值 (field/value) is skipped and any
further columns (units, notes) are ignored. The field is a path or a Chinese
title (``items.teacher_rotation_pct`` / ``教师交流轮岗比例``); finance series
entries are written ``finance.2023.education_appropriation_yuan`` or
``2023年教育财政拨款``, self-assessed scores ``scores.<score item id>``. Each
value's row is remembered (``ReadResult.field_rows``) so validation points at it.
"""

from __future__ import annotations

import re
from typing import Any

from ..fields import FieldCatalogue, FieldInfo
from .cells import CellError, cell_text, convert, is_blank, norm
from .source import ReadContext, ReadResult, Row, check_fraction, failed
from .table import set_path

__all__ = ["county_from_table"]

_FINANCE_KEY = re.compile(r"^finance\s*[.\[]\s*(\d{4})\s*\]?\s*\.\s*(.+)$", re.IGNORECASE)
_FINANCE_TITLE = re.compile(r"^(\d{4})\s*年\s*(.+)$")
_SCORES_KEY = re.compile(r"^scores\s*\.\s*(.+)$", re.IGNORECASE)
_COUNTY_HEADER_KEYS = frozenset({"字段", "field", "字段(field)", "项目", "指标", "key"})
_COUNTY_HEADER_VALUES = frozenset({"值", "value", "值(value)", "数值", "数据"})


def county_from_table(rows: list[Row], ctx: ReadContext) -> ReadResult:
    catalogue = ctx.fields
    record: dict[str, Any] = {}
    field_rows: dict[str, int] = {}
    finance: dict[int, dict[str, Any]] = {}
    first_row: int | None = None
    header_checked = False
    for row_number, cells in rows:
        key_raw = cells[0] if cells else None
        value = cells[1] if len(cells) > 1 else None
        if is_blank(key_raw) and is_blank(value):
            continue
        if not header_checked:
            header_checked = True
            key_norm = norm(key_raw)
            if key_norm in _COUNTY_HEADER_KEYS or norm(value) in _COUNTY_HEADER_VALUES:
                continue
        if first_row is None:
            first_row = row_number
        key = cell_text(key_raw) if not is_blank(key_raw) else ""
        if not key:
            ctx.warning("unknown_column", "该行有值但没有字段名，已忽略。", row=row_number)
            continue
        target = _county_target(key, catalogue)
        if target is None:
            ctx.warning(
                "unknown_column",
                f"字段“{key}”不是已知的县域数据项，该行已忽略。",
                row=row_number,
                found=key,
            )
            continue
        field, year, score_id = target
        if is_blank(value):
            continue
        shown = (
            f"finance[{year}].{field.parts[-1]}"
            if year is not None
            else (f"scores.{score_id}" if score_id is not None else field.path)
        )
        if shown in field_rows:
            ctx.error(
                "duplicate_column",
                f"字段 {shown} 重复出现（第{field_rows[shown]}行已有），本行已忽略。",
                row=row_number,
                field=shown,
                field_title=field.title,
            )
            continue
        try:
            converted = convert(value, field)
        except CellError as exc:
            ctx.unreadable(exc.code, exc.problem, value, field, row=row_number, field=shown)
            continue
        check_fraction(ctx, converted, value, field, row=row_number, field=shown)
        field_rows[shown] = row_number
        if year is not None:
            finance.setdefault(year, {"year": year})[field.parts[-1]] = converted
        elif score_id is not None:
            record.setdefault("scores", {})[score_id] = converted
        else:
            set_path(record, field.parts, converted)
    if finance:
        ordered = sorted(finance)
        record["finance"] = [finance[y] for y in ordered]
        # finance[<year>] display paths become finance[<index>] for the validator
        renamed: dict[str, int] = {}
        for shown, row in field_rows.items():
            m = re.match(r"^finance\[(\d{4})\]\.(.+)$", shown)
            if m:
                renamed[f"finance[{ordered.index(int(m.group(1)))}].{m.group(2)}"] = row
            else:
                renamed[shown] = row
        field_rows = renamed
    if not record:
        ctx.error("parse", "文件中没有县域数据（应为两列：字段、值）。")
        return failed(ctx)
    return ReadResult([record], ctx.issues, [first_row or 1], ctx.file, ctx.row_unit, [field_rows])


def _county_target(
    key: str, catalogue: FieldCatalogue
) -> tuple[FieldInfo, int | None, str | None] | None:
    m = _FINANCE_KEY.match(key.strip())
    if m:
        field = catalogue.get(f"finance[].{m.group(2).strip()}")
        return (field, int(m.group(1)), None) if field else None
    m = _FINANCE_TITLE.match(key.strip())
    if m:
        field = catalogue.resolve_header(m.group(2))
        if field is not None and field.series:
            return field, int(m.group(1)), None
    m = _SCORES_KEY.match(key.strip())
    if m:
        field = catalogue.get("scores.*")
        return (field, None, m.group(1).strip()) if field else None
    field = catalogue.resolve_header(key)
    if field is None or field.series or field.path.endswith(".*"):
        return None
    return field, None, None
