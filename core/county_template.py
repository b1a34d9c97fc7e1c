"""The county data template of a ruleset (``junheng template --county``): every county-level
input the ruleset reads, one row each, ready to fill in Excel and read back unchanged.

Layout (XLSX sheet 县域数据, or CSV; read by the county form reader, which takes the
first two columns and ignores the others):

| 字段 | 值 | 名称 | 单位 | 分类 | 填写要求 | 依据 |

- 字段 is what the reader reads: ``county_code``, ``items.teacher_rotation_pct``,
  ``finance.2024.education_appropriation_yuan`` (one row per fiscal year a multi-year
  rule judges, and the year before the first, which its growth needs),
  ``scores.disparity`` (the score sheet 评分自查表: every self-assessed score node with
  its maximum points, its floor and the node it belongs to);
- 值 is left empty for the county to fill (the evaluation year is filled in); the XLSX
  has dropdowns (是/否) and ranges (a score within 0 and the node's maximum) there;
- 依据 names the rule that reads the value and its source clause.

A second sheet 填写说明 says how to fill it in and check it
(``junheng validate --county FILE --ruleset ID``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import attrs

from junheng.fields import FieldCatalogue, FieldInfo
from junheng.numbers import format_number
from junheng.outputs.cells import put
from junheng.template import data_validation, display_width

__all__ = [
    "CountyRow",
    "all_county_rows",
    "build_county_template",
    "county_rows",
    "finance_years",
]

HEADERS = ("字段", "值", "名称", "单位", "分类", "填写要求", "依据")
_BLOCK_CATEGORY = {"items": "县级指标", "survey": "满意度调查", "vetoes": "一票否决情形"}
_IDENTITY = ("county_code", "name", "province", "year")


@attrs.frozen
class CountyRow:
    """One row of the template: the key the reader reads and what the county is told."""

    key: str
    title: str
    category: str
    field: FieldInfo
    expected: str
    source: str = ""
    value: Any = None

    @property
    def unit(self) -> str:
        return self.field.unit or ""


def finance_years(ruleset: Any, year: int) -> list[int]:
    """The fiscal years whose finance the ruleset reads for an evaluation in ``year``: the
    years its multi-year rules judge (the latest is the year before ``year``) and the
    year before the first of them; only the latest when no rule looks back."""
    back = max((rule.years for rule in ruleset.multi_year.values()), default=0)
    latest = year - 1
    return list(range(latest - back, latest + 1))


def county_rows(ruleset: Any, names: Any, catalogue: FieldCatalogue, year: int) -> list[CountyRow]:
    """The template's rows for ``ruleset`` (``names``: the engine's
    :class:`~junheng.names.NameSpace`; ``catalogue``: its county fields)."""
    readers = _readers(ruleset)
    rows = [_identity(catalogue, key, year) for key in _IDENTITY if catalogue.get(key)]
    finance: list[FieldInfo] = []
    by_block: dict[str, list[CountyRow]] = {block: [] for block in _BLOCK_CATEGORY}
    for path in _ordered(names.county_fields_read(ruleset), readers, names):
        field = catalogue.get(path)
        if field is None:
            continue
        if path.startswith("finance[]."):
            finance.append(field)
            continue
        block, name = path.split(".", 1)
        title, category, source = readers.get(name, ("", "", ""))
        by_block[block].append(
            CountyRow(
                key=path,
                title=field.title,
                category=category or _BLOCK_CATEGORY[block],
                field=field,
                expected=field.expected_text(),
                source=f"{title}：{source}" if title else source,
            )
        )
    for block in ("items", "survey", "vetoes"):
        rows += by_block[block]
    for fiscal in finance_years(ruleset, year) if finance else ():
        for field in finance:
            name = field.parts[-1]
            title, _, source = readers.get(name, ("", "", ""))
            rows.append(
                CountyRow(
                    key=f"finance.{fiscal}.{name}",
                    title=f"{fiscal}年{field.title}",
                    category="经费（逐年）",
                    field=field,
                    expected=field.expected_text(),
                    source=f"{title}：{source}" if title else source,
                )
            )
    rows += _score_rows(ruleset, catalogue)
    return rows


def all_county_rows(catalogue: FieldCatalogue, year: int, years: int = 4) -> list[CountyRow]:
    """Without a ruleset: every county field, finance for the ``years`` years before
    ``year`` (no score sheet: its items are a ruleset's)."""
    rows = [_identity(catalogue, key, year) for key in _IDENTITY if catalogue.get(key)]
    finance = []
    for field in catalogue:
        head = field.path.split(".", 1)[0]
        if head in _BLOCK_CATEGORY and "*" not in field.path:
            rows.append(
                CountyRow(
                    field.path, field.title, _BLOCK_CATEGORY[head], field, field.expected_text()
                )
            )
        elif field.path.startswith("finance[].") and field.path != "finance[].year":
            finance.append(field)
    for fiscal in range(year - years, year):
        for field in finance:
            rows.append(
                CountyRow(
                    key=f"finance.{fiscal}.{field.parts[-1]}",
                    title=f"{fiscal}年{field.title}",
                    category="经费（逐年）",
                    field=field,
                    expected=field.expected_text(),
                )
            )
    return rows


def _identity(catalogue: FieldCatalogue, key: str, year: int) -> CountyRow:
    field = catalogue.get(key)
    assert field is not None
    return CountyRow(
        key=key,
        title=field.title,
        category="基本信息",
        field=field,
        expected=("必填；" if field.required else "") + field.expected_text(),
        value=year if key == "year" else None,
    )


def _score_rows(ruleset: Any, catalogue: FieldCatalogue) -> list[CountyRow]:
    score = ruleset.score
    points = catalogue.get("scores.*")
    if score is None or points is None:
        return []
    nodes = {n.meta.id: n for n in score.nodes}
    rows = []
    for node in score.nodes:
        if node.kind != "assessed":
            continue
        parts = [f"0–{_num(node.points)} 分（满分 {_num(node.points)}）"]
        if node.floor is not None:
            parts.append(f"不得低于 {_num(node.floor)} 分")
        parent = nodes.get(node.parent) if node.parent else None
        if parent is not None:
            parts.append(f"属于“{parent.meta.title}”")
        if node.bonus:
            parts.append("加分项")
        rows.append(
            CountyRow(
                key=f"scores.{node.meta.id}",
                title=node.meta.title,
                category=f"评分自查表：{score.title}",
                field=attrs.evolve(points, title=node.meta.title, minimum=0, maximum=node.points),
                expected="；".join(parts),
                source=node.meta.source or score.source,
            )
        )
    return rows


def _readers(ruleset: Any) -> dict[str, tuple[str, str, str]]:
    """County name → (title, category, source) of the first rule reading it."""
    out: dict[str, tuple[str, str, str]] = {}

    def note(names: Iterable[str], title: str, category: str, source: str) -> None:
        for name in sorted(names):
            out.setdefault(name.split("@", 1)[0], (title, category, source))

    for item in ruleset.county_items.values():
        if item.formula is not None:
            note(item.formula.names, item.meta.title, item.category, item.meta.source)
    for rule in ruleset.multi_year.values():
        note(rule.condition.names, rule.meta.title, "多年度", rule.meta.source)
    for veto in ruleset.vetoes.values():
        note(veto.when.names, veto.meta.title, "一票否决情形", veto.meta.source)
    if ruleset.score is not None:
        for node in ruleset.score.nodes:
            if node.formula is not None:
                note(node.formula.names, node.meta.title, "评分", node.meta.source)
    return out


def _ordered(paths: Iterable[str], readers: dict[str, Any], names: Any) -> list[str]:
    """Record paths in the order of the rules that read them (then the schema's order)."""
    rank = {name: k for k, name in enumerate(readers)}
    order = {f.path: k for k, f in enumerate(names.county_catalogue)}

    def key(path: str) -> tuple[int, int]:
        name = path.split(".", 1)[1]
        return rank.get(name, len(rank)), order.get(path, len(order))

    return sorted(paths, key=key)


def _num(value: float) -> str:
    return format_number(value, decimals=2)


# --------------------------------------------------------------------------- files


def build_county_template(
    fmt: Literal["xlsx", "csv"], rows: Sequence[CountyRow], title: str
) -> bytes:
    """The template as bytes (the caller writes them atomically); ``title`` names the ruleset."""
    if fmt == "csv":
        return _csv(rows)
    return _xlsx(rows, title)


def _cells(row: CountyRow) -> tuple[Any, ...]:
    return (row.key, row.value, row.title, row.unit, row.category, row.expected, row.source)


def _csv(rows: Sequence[CountyRow]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow(["" if c is None else c for c in _cells(row)])
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx(rows: Sequence[CountyRow], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "县域数据"
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    input_fill = PatternFill("solid", fgColor="FFF2CC")
    for col, heading in enumerate(HEADERS, start=1):
        cell = put(sheet, 1, col, heading)
        cell.font, cell.fill = Font(bold=True), head_fill
    validations: dict[tuple[Any, ...], tuple[Any, list[str]]] = {}
    for r, row in enumerate(rows, start=2):
        for col, value in enumerate(_cells(row), start=1):
            cell = put(sheet, r, col, value)
            cell.alignment = Alignment(wrap_text=col > 4, vertical="top")
        sheet.cell(row=r, column=1).font = Font(color="595959", size=9)
        sheet.cell(row=r, column=2).fill = input_fill
        spec = (row.field.type, row.field.minimum, row.field.maximum, row.field.enum)
        if spec not in validations:
            made = data_validation(row.field, DataValidation)
            validations[spec] = (made, [])
        if validations[spec][0] is not None:
            validations[spec][1].append(f"B{r}")
    for made, cells in validations.values():
        if made is not None and cells:
            sheet.add_data_validation(made)
            for cell in cells:
                made.add(cell)
    widths = (34, 14, 28, 8, 14, 36, 60)
    for col, width in zip("ABCDEFG", widths, strict=True):
        longest = max((display_width(str(c)) for c in sheet[col] if c.value), default=0)
        sheet.column_dimensions[col].width = min(max(longest + 2, 8), width)
    sheet.freeze_panes = "C2"

    guide = workbook.create_sheet("填写说明")
    lines = (
        f"县域数据采集表：{title}",
        "",
        "1. 只在“值”一列（黄色）填写；“字段”一列是程序读取的名称，请勿修改。",
        "2. 是/否 项从下拉列表选择；百分比填数字（如 88.6 表示 88.6%），设置成 Excel 百分比格式的单元格也能正确读取。",
        "3. “经费（逐年）”按年度逐行填写，多年度规则（如“三个增长”）据此逐年判断。",
        "4. “评分自查表”填写县级自评得分，不得超过该项满分；有下限的项目低于下限即不达标。",
        "5. 一票否决情形：填“否”表示不存在该情形；留空则该项无法判定，县域不能认定为通过。",
        "6. 填好后检查：junheng validate 学校数据.xlsx --county 本文件 --ruleset 规则集编号",
        "   评估：junheng evaluate 学校数据.xlsx --county 本文件 --ruleset 规则集编号 --output 报告.html",
    )
    for r, text in enumerate(lines, start=1):
        put(guide, r, 1, text)
    guide["A1"].font = Font(bold=True, size=13)
    guide.column_dimensions["A"].width = 110

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
