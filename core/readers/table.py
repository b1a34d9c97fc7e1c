"""School tables (CSV/XLSX rows): one school per row, headers by field path or Chinese title.

Row 1 holds the headers, either the English field path (``primary.students``)
or the schema's Chinese title (``小学在校生数``), resolved against the engine's
catalogue (core and plugin fields). An optional second header row of
``path [unit]`` cells (as ``junheng template`` writes) is recognised and
skipped. Dotted paths rebuild the nested ``primary``/``junior`` objects. Unknown
columns are warned about once each; a row with values beyond the header is an
error (usually an unquoted comma that shifted the row).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..fields import FieldCatalogue, FieldInfo
from .cells import CellError, cell_text, convert, is_blank
from .source import ReadContext, ReadResult, Row, check_fraction, failed
from .spreadsheet import column_letter

__all__ = ["schools_from_table", "set_path"]


def schools_from_table(rows: list[Row], ctx: ReadContext) -> ReadResult:
    catalogue = ctx.fields
    rows = [(n, cells) for n, cells in rows if not all(is_blank(c) for c in cells)]
    if not rows:
        ctx.error("parse", "文件中没有表头和数据行。")
        return failed(ctx)
    header_row, header = rows[0]
    body = rows[1:]
    columns = _map_columns(header_row, header, body, catalogue, ctx)
    if body and _is_unit_row(body[0][1], catalogue):
        body = body[1:]

    records: list[dict[str, Any]] = []
    record_rows: list[int] = []
    id_column = next((j for j, f in columns.items() if f.path == "id"), None)
    width = len(header)
    for row_number, cells in body:
        record: dict[str, Any] = {}
        raw_id = cells[id_column] if id_column is not None and id_column < len(cells) else None
        record_id = None if is_blank(raw_id) else cell_text(raw_id)
        extra = [c for c in cells[width:] if not is_blank(c)]
        if extra:
            shown = "、".join(f"“{cell_text(c)[:20]}”" for c in extra[:3])
            ctx.error(
                "ragged_row",
                f"该行有 {len(cells)} 个单元格，多于表头的 {width} 列，多出的值 {shown} 没有表头"
                "（常见原因：某个值里有逗号却没有加引号，整行错位）。",
                row=row_number,
                record_id=record_id,
                found=len(cells),
                expected=width,
            )
        for j, field in columns.items():
            raw = cells[j] if j < len(cells) else None
            if is_blank(raw):
                continue
            try:
                value = convert(raw, field)
            except CellError as exc:
                ctx.unreadable(
                    exc.code,
                    exc.problem,
                    raw,
                    field,
                    row=row_number,
                    record_id=record_id,
                    field=field.path,
                )
                continue
            check_fraction(
                ctx, value, raw, field, row=row_number, record_id=record_id, field=field.path
            )
            set_path(record, field.parts, value)
        records.append(record)
        record_rows.append(row_number)
    if not records:
        ctx.error("parse", "文件中只有表头，没有学校数据行。")
    return ReadResult(records, ctx.issues, record_rows, ctx.file, ctx.row_unit)


def _map_columns(
    header_row: int,
    header: list[Any],
    body: list[Row],
    catalogue: FieldCatalogue,
    ctx: ReadContext,
) -> dict[int, FieldInfo]:
    columns: dict[int, FieldInfo] = {}
    seen: dict[str, int] = {}
    for j, raw in enumerate(header):
        letter = column_letter(j)
        if is_blank(raw):
            if any(j < len(cells) and not is_blank(cells[j]) for _, cells in body):
                ctx.warning(
                    "unknown_column",
                    f"第 {letter} 列有数据但没有表头，该列已忽略。",
                    row=header_row,
                    found=None,
                )
            continue
        field = catalogue.resolve_header(raw)
        if field is None:
            ctx.warning(
                "unknown_column",
                f"第 {letter} 列的表头“{cell_text(raw)}”不是已知字段，该列已忽略"
                "（表头应为字段路径如 primary.students 或中文名称如 小学在校生数）。",
                row=header_row,
                found=cell_text(raw),
            )
            continue
        if field.path in seen:
            ctx.error(
                "duplicate_column",
                f"第 {letter} 列与第 {column_letter(seen[field.path])} 列是同一字段，"
                "后一列已忽略。",
                row=header_row,
                field=field.path,
                field_title=field.title,
                found=cell_text(raw),
            )
            continue
        seen[field.path] = j
        columns[j] = field
    return columns


def _is_unit_row(cells: list[Any], catalogue: FieldCatalogue) -> bool:
    """True for a second header row of ``path [unit]`` cells (template layout)."""
    texts = [str(c) for c in cells if not is_blank(c)]
    return bool(texts) and all(
        isinstance(c, str) and catalogue.resolve_header(c) is not None for c in texts
    )


def set_path(record: dict[str, Any], parts: Sequence[str], value: Any) -> None:
    target = record
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value
