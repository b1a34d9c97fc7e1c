"""The plan as an XLSX workbook: the 整改方案 sheet a county office assigns and tracks.

Sheets:

* **整改方案** — one row per addition: 县（区）, 学校, 学校标识码, 学段, 整改项目, 新增数量,
  单位, 单价（元）, 费用（元）, 费用性质 (一次性 / 每年), 原因, 服务指标, 责任股室 (the rule's
  ``owner``, else 未指定), 完成时限 (blank, for the office); numbers are numbers, so the
  sheet sums and filters in Excel;
* **教师交流轮岗** — one row per move: from, to, stage, kind, people, cost, owner, deadline;
* **差异系数** — every CV before and after against its limit;
* **无法达到** — requirements no lever reaches; **县级事项** — county criteria with their gap;
* **费用汇总** — cost by category per county; **单价** — every lever's unit cost and source.

Text from the data (school names) is written as text: a value starting with ``=`` never
becomes a formula.
"""

from __future__ import annotations

import io
from typing import Any

from .model import Plan
from .report import NO_OWNER, REASONS, STATUS_TITLES, county_title, serves_text, stage_title

HEAD = "DDEBF7"

ADDITIONS = (
    "县（区）",
    "学校",
    "学校标识码",
    "学段",
    "整改项目",
    "新增数量",
    "单位",
    "单价（元）",
    "费用（元）",
    "费用性质",
    "原因",
    "服务指标",
    "责任股室",
    "完成时限",
)
MOVES = (
    "县（区）",
    "调出学校",
    "调出学校标识码",
    "调入学校",
    "调入学校标识码",
    "学段",
    "教师类别",
    "人数",
    "单价（元）",
    "费用（元）",
    "同时计入",
    "责任股室",
    "完成时限",
)


def render_xlsx(plan: Plan) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    head = (Font(bold=True), PatternFill("solid", fgColor=HEAD), Alignment(wrap_text=True))

    def sheet(title: str, headers, rows, widths=None, ws=None):
        ws = ws or wb.create_sheet(title)
        ws.title = title
        ws.append(list(headers))
        for cell in ws[1]:
            cell.font, cell.fill, cell.alignment = head
        for row in rows:
            ws.append(list(row))
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text from the data is never a formula
        ws.freeze_panes = "A2"
        if widths:
            from openpyxl.utils import get_column_letter

            for k, w in enumerate(widths, start=1):
                ws.column_dimensions[get_column_letter(k)].width = w
        return ws

    sheet(
        "整改方案",
        ADDITIONS,
        (
            [
                county_title(c),
                a.school_name,
                a.school_id,
                stage_title(a.stage),
                a.title,
                a.amount,
                a.unit,
                a.unit_cost,
                a.cost,
                "每年" if a.recurrent else "一次性",
                REASONS.get(a.reason, a.reason),
                serves_text(plan, a.serves),
                a.owner or NO_OWNER,
                None,
            ]
            for c in plan.counties
            for a in c.additions
        ),
        (16, 24, 14, 6, 30, 10, 6, 12, 14, 8, 16, 36, 10, 12),
        ws=wb.active,
    )
    sheet(
        "教师交流轮岗",
        MOVES,
        (
            [
                county_title(c),
                m.from_name,
                m.from_id,
                m.to_name,
                m.to_id,
                stage_title(m.stage),
                m.title,
                m.count,
                m.unit_cost,
                m.cost,
                "、".join(f"{plan.titles.get(g, g)} {n} 人" for g, n in m.carries.items()) or None,
                m.owner or NO_OWNER,
                None,
            ]
            for c in plan.counties
            for m in c.moves
        ),
        (16, 24, 14, 24, 14, 6, 20, 6, 10, 12, 20, 10, 12),
    )
    sheet(
        "差异系数",
        ("县（区）", "学段", "差异系数", "限值", "方案前", "方案后", "方案前结论", "方案后结论"),
        (
            [
                county_title(c),
                stage_title(cv.stage),
                cv.title,
                cv.limit,
                cv.before,
                cv.after,
                _met(cv.met_before),
                _met(cv.met_after),
            ]
            for c in plan.counties
            for cv in c.cvs
        ),
        (16, 6, 40, 8, 10, 10, 10, 10),
    )
    sheet(
        "无法达到",
        ("县（区）", "学校", "学校标识码", "学段", "要求", "原因"),
        (
            [county_title(c), u.school_name, u.school_id, stage_title(u.stage), u.title, u.reason]
            for c in plan.counties
            for u in c.unreachable
        ),
        (16, 24, 14, 6, 40, 60),
    )
    sheet(
        "县级事项",
        ("县（区）", "项目", "实际", "要求", "单位", "责任股室", "说明", "完成时限"),
        (
            [county_title(c), a.title, a.value, a.limit, a.unit, a.owner or NO_OWNER, a.note, None]
            for c in plan.counties
            for a in c.county_actions
        ),
        (16, 40, 10, 10, 6, 10, 50, 12),
    )
    summary: list[list[Any]] = []
    for c in plan.counties:
        summary.append([county_title(c), "结论", STATUS_TITLES[c.status]])
        summary.append([county_title(c), "一次性投入合计", c.one_off_cost])
        summary.append([county_title(c), "新增年度支出合计（每年）", c.yearly_cost])
        summary.append([county_title(c), "逐项补齐报告所列差距（对照）", c.naive_cost])
        summary += [[county_title(c), k, v] for k, v in c.cost_by_category.items()]
    sheet("费用汇总", ("县（区）", "类别", "费用（元）"), summary, (16, 30, 40))
    sheet(
        "单价",
        ("措施", "编号", "单位", "单价（元）", "每年", "启用", "来源", "说明"),
        (
            [
                lever.title,
                lever.id,
                lever.unit,
                lever.cost,
                "是" if lever.recurrent else "否",
                "是" if lever.enabled else "否",
                "假设值" if lever.assumption else lever.source,
                lever.note,
            ]
            for lever in plan.costs.levers.values()
        ),
        (30, 24, 6, 10, 6, 6, 40, 60),
    )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _met(m: bool | None) -> str:
    return {True: "达标", False: "未达标", None: "未评估"}[m]
