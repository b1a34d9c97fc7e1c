"""The comparison as an XLSX workbook, one sheet per kind of change, numbers as numbers (a
province office filters and sums them): 概况 (the two reports, what to note first, the
counts), 县域结论, 评估项目变化, 差异系数, 学校差距变化, 仅一方的学校.

openpyxl's write-only mode: rows stream into the file, so a province's comparison (tens of
thousands of school rows) is written in one pass.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from ..text import FORMULA_LEADERS, replace_unsafe
from .labels import (
    CRITERION_CHANGE,
    CV_CHANGE,
    GAP_CHANGE,
    MOVEMENT,
    NEW,
    OLD,
    STATUS,
    VERDICT,
    only_in_note,
    passed_word,
    school_word,
    stage_word,
)
from .model import Comparison

__all__ = ["render"]


def _cell(ws: Any, value: Any, font: Any = None) -> Any:
    """A write-only cell; text stays text whatever it starts with (openpyxl would make a
    school named ``=HYPERLINK(…)`` a live formula) and carries no character XML cannot."""
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, str):
        value = replace_unsafe(value)
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str) and value.startswith(FORMULA_LEADERS):
        cell.data_type = "s"  # never "f": a formula
        cell.quotePrefix = True  # and editing it in Excel does not make one either
    if font is not None:
        cell.font = font
    return cell


def _value(ws: Any, value: Any) -> Any:
    """A plain value where it is safe (numbers, ordinary text: fast), else a text cell."""
    if isinstance(value, str) and (value.startswith(FORMULA_LEADERS) or not value.isprintable()):
        return _cell(ws, value)
    return value


def _bool(value: bool | None) -> str:
    return {True: "是", False: "否", None: ""}[value]


def render(comparison: Comparison) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    c = comparison
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDDDDD")
    warn = Font(bold=True, color="B00020")

    def sheet(
        title: str, head: Sequence[str], rows: Iterable[Sequence[Any]], widths: Sequence[int]
    ):
        ws = wb.create_sheet(title)
        for k, width in enumerate(widths):
            ws.column_dimensions[_column(k)].width = width
        ws.freeze_panes = "A2"
        header = []
        for h in head:
            cell = _cell(ws, h, bold)
            cell.fill = fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            header.append(cell)
        ws.append(header)
        n = 0
        for row in rows:
            ws.append([_value(ws, v) for v in row])
            n += 1
        ws.auto_filter.ref = f"A1:{_column(len(head) - 1)}{n + 1}"

    # 概况 — written cell by cell: the notes in red first
    ws = wb.create_sheet("概况")
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 60
    ws.column_dimensions["C"].width = 60

    def line(*values: Any, font: Any = None) -> None:
        ws.append([_cell(ws, v, font) for v in values])

    line("两次评估对比", font=bold)
    for note in c.notes:
        line("请先注意", note, font=warn)
    line("", OLD, NEW, font=bold)
    a, b = c.old, c.new
    line("文件", a.file, b.file)
    line("规则集", f"{a.ruleset.title}（{a.ruleset.id}）", f"{b.ruleset.title}（{b.ruleset.id}）")
    line("规则集版本", a.ruleset.version, b.ruleset.version)
    line("规则集内容 SHA-256", a.ruleset.sha256, b.ruleset.sha256)
    line("junheng 版本", a.engine_version, b.engine_version)
    line("评估时间", a.evaluated_at, b.evaluated_at)
    line("县数", a.counties, b.counties)
    line("参评学校（学段）数", a.schools, b.schools)
    words = {"same": "未变", "changed": "已变", "only_old": f"仅{OLD}有", "only_new": f"仅{NEW}有"}
    for i in c.inputs:
        line(
            f"输入 {i.name}（{words.get(i.status, '无法判断')}）",
            f"{i.old_file or ''} {i.old_sha256 or ''}".strip(),
            f"{i.new_file or ''} {i.new_sha256 or ''}".strip(),
        )
    line()
    titles = {
        "counties": "对比的县数",
        "failed_to_passed": "由未通过变为通过的县",
        "passed_to_failed": "由通过变为未通过的县",
        "criteria_newly_met": "新达标的项目",
        "criteria_newly_failed": "新未达标的项目",
        "cv_newly_met": "由超限变为达标的差异系数",
        "cv_newly_failed": "由达标变为超限的差异系数",
        "schools_changed": "有变化的学校学段",
        "schools_unchanged": "无变化的学校学段",
        "gaps_closed": "消除的学校差距",
        "gaps_reduced": "缩小的学校差距",
        "gaps_grown": "扩大的学校差距",
        "gaps_new": "新增的学校差距",
        "schools_only_old": f"仅{OLD}有的学校学段",
        "schools_only_new": f"仅{NEW}有的学校学段",
    }
    for key, value in c.summary().items():
        line(titles[key], value)

    sheet(
        "县域结论",
        (
            "县代码",
            "县（区）",
            f"{OLD}结论",
            f"{NEW}结论",
            "结论变化",
            "新达标",
            "新未达标",
            "仍未达标",
            "新未评估",
            "差异系数越限变化",
        ),
        (
            (
                x.county_code,
                x.name,
                passed_word(x.old_passed),
                passed_word(x.new_passed),
                VERDICT[x.verdict],
                len(x.newly_met),
                len(x.newly_failed),
                len(x.still_failed),
                len(x.newly_not_evaluated),
                len(x.cv_crossed),
            )
            for x in c.counties
        ),
        (10, 18, 10, 10, 18, 8, 10, 10, 10, 12),
    )

    def criteria_rows():
        for x in c.counties:
            for r in (
                *x.newly_met,
                *x.newly_failed,
                *x.newly_not_evaluated,
                *x.still_failed,
                *x.criteria_only_old,
                *x.criteria_only_new,
            ):
                yield (
                    x.county_code,
                    x.name,
                    CRITERION_CHANGE[r.change],
                    r.id,
                    r.title,
                    stage_word(r.stage),
                    STATUS[r.old_status],
                    STATUS[r.new_status],
                    r.old_value,
                    r.new_value,
                    r.old_limit,
                    r.new_limit,
                    r.unit,
                    MOVEMENT[r.movement],
                )

    sheet(
        "评估项目变化",
        (
            "县代码",
            "县（区）",
            "变化",
            "项目编号",
            "项目",
            "学段",
            f"{OLD}状态",
            f"{NEW}状态",
            f"{OLD}值",
            f"{NEW}值",
            f"{OLD}要求",
            f"{NEW}要求",
            "单位",
            "相对要求",
        ),
        criteria_rows(),
        (10, 14, 12, 22, 44, 6, 9, 9, 10, 10, 10, 10, 8, 12),
    )

    sheet(
        "差异系数",
        (
            "县代码",
            "县（区）",
            "学段",
            "指标编号",
            "指标",
            f"{OLD}差异系数",
            f"{NEW}差异系数",
            "变动",
            f"{OLD}限值",
            f"{NEW}限值",
            f"{OLD}达标",
            f"{NEW}达标",
            "变化",
        ),
        (
            (
                x.county_code,
                x.name,
                stage_word(v.stage),
                v.indicator,
                v.title,
                v.old_cv,
                v.new_cv,
                v.delta,
                v.old_limit,
                v.new_limit,
                _bool(v.old_met),
                _bool(v.new_met),
                CV_CHANGE[v.change],
            )
            for x in c.counties
            for v in x.cv
        ),
        (10, 14, 6, 30, 36, 12, 12, 10, 9, 9, 8, 8, 14),
    )

    sheet(
        "学校差距变化",
        (
            "县代码",
            "学校代码",
            "学校",
            "学段",
            f"{OLD}学校结论",
            f"{NEW}学校结论",
            "检查项编号",
            "项目",
            "变化",
            f"{OLD}差距",
            f"{NEW}差距",
            "单位",
            f"{OLD}现状值",
            f"{NEW}现状值",
            f"{OLD}标准",
            f"{NEW}标准",
        ),
        _school_rows(c),
        (10, 14, 22, 6, 10, 10, 26, 36, 12, 10, 10, 6, 10, 10, 9, 9),
    )

    sheet(
        "仅一方的学校",
        (
            "所在报告",
            "学校代码",
            "学校",
            "学段",
            "县代码",
            "学校类型",
            "结论",
            "未达标项目",
            "说明",
        ),
        (
            (
                label,
                s.id,
                s.name,
                stage_word(s.stage),
                s.county_code,
                s.school_type,
                school_word(s.passed),
                "、".join(s.failed_checks),
                only_in_note(s, other),
            )
            for label, other, schools in (
                (OLD, NEW, c.schools_only_old),
                (NEW, OLD, c.schools_only_new),
            )
            for s in schools
        ),
        (10, 14, 22, 6, 10, 14, 8, 30, 50),
    )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _school_rows(c: Comparison) -> Iterable[tuple[Any, ...]]:
    for s in c.schools:
        school = (
            s.county_code,
            s.id,
            s.name,
            stage_word(s.stage),
            school_word(s.old_passed),
            school_word(s.new_passed),
        )
        if not s.gaps:  # the school's verdict changed, no single gap did
            yield school
        for g in s.gaps:
            yield (
                *school,
                g.check,
                g.title,
                GAP_CHANGE[g.change],
                g.old_shortfall,
                g.new_shortfall,
                g.unit,
                g.old_value,
                g.new_value,
                g.old_threshold,
                g.new_threshold,
            )


def _column(k: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(k + 1)
