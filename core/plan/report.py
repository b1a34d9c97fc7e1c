"""Where a plan is reported: JSON, Markdown here; XLSX and HTML in their own modules.

:func:`render_plan` gives the bytes of one format, :func:`write_plan` writes them atomically
(a temporary file next to the target, then renamed: an error never leaves half a file),
:func:`write_apply_to` writes the records after the plan (``--apply-to DIR``). The JSON
document is ``Plan.to_dict()``, described by ``$defs/plan`` of ``schemas/report.schema.json``.
The human formats share the words and rows of :func:`rows_for` (one row per addition, per
move, per CV), so the XLSX sheet, the HTML tables and the Markdown tables say the same.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..atomic import atomic_write_bytes
from ..domain import STAGE_TITLES
from ..numbers import format_number
from .model import CountyPlan, Plan

__all__ = [
    "FORMATS",
    "REASONS",
    "STATUS_TITLES",
    "money",
    "render_plan",
    "write_apply_to",
    "write_plan",
]

#: plan formats and their file extensions
FORMATS: Mapping[str, str] = {"json": ".json", "xlsx": ".xlsx", "html": ".html", "md": ".md"}
REASONS: Mapping[str, str] = {
    "requirement": "达到要求",
    "cv": "缩小差异系数",
    "requirement+cv": "达到要求并缩小差异系数",
}
STATUS_TITLES: Mapping[str, str] = {
    "nothing_needed": "无需新增：学校达标与差异系数均已达到",
    "planned": "按方案新增后，学校达标与各项差异系数均达到（已由引擎复核）",
    "partly_unreachable": "部分要求不能通过学校新增资源达到（见“无法达到的要求”）",
}
CRITERION_STATUS = {"met": "达标", "failed": "未达标", "not_evaluated": "未评估"}
NO_OWNER = "未指定"


def money(x: float | None) -> str:
    """Yuan for people: whole yuan with grouping (``1,302,400``)."""
    return format_number(None if x is None else round(x), decimals=0)


def num(x: float | None, digits: int = 3) -> str:
    return format_number(x, decimals=digits)


def stage_title(stage: str | None) -> str:
    return STAGE_TITLES.get(stage or "", "全校")


def county_title(c: CountyPlan) -> str:
    return f"{c.name}（{c.county_code}）" if c.name else c.county_code


def serves_text(plan: Plan, ids: Any) -> str:
    return "；".join(plan.titles.get(i, i) for i in ids)


def render_plan(plan: Plan, fmt: str) -> bytes:
    """The plan in one format (``json``, ``xlsx``, ``html``, ``md``)."""
    if fmt == "json":
        return render_json(plan)
    if fmt == "md":
        return render_markdown(plan).encode("utf-8")
    if fmt == "xlsx":
        from .report_xlsx import render_xlsx

        return render_xlsx(plan)
    if fmt == "html":
        from .report_html import render_html

        return render_html(plan).encode("utf-8")
    raise ValueError(f"不支持的方案格式 {fmt}（可用：{', '.join(FORMATS)}）")


def write_plan(plan: Plan, fmt: str, path: str | Path) -> Path:
    """Render and write atomically; returns the path written."""
    data = render_plan(plan, fmt)
    atomic_write_bytes(path, data)
    return Path(path)


def render_json(plan: Plan) -> bytes:
    try:
        import orjson

        return orjson.dumps(plan.to_dict(), option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY)
    except ImportError:  # pragma: no cover - orjson is a dependency
        return json.dumps(plan.to_dict(), ensure_ascii=False, indent=2).encode("utf-8")


def write_apply_to(plan: Plan, directory: str | Path, *, county_given: bool) -> list[Path]:
    """``DIR/schools.json`` (and ``DIR/county.json`` where a county file was given): the
    input as it would be after the plan, in the records' own shape. Written atomically,
    each file whole or not at all."""
    out = Path(directory)
    written = [out / "schools.json"]
    payloads = [_json_bytes(list(plan.schools_after))]
    if county_given:
        counties = list(plan.counties_after)
        payloads.append(_json_bytes(counties[0] if len(counties) == 1 else counties))
        written.append(out / "county.json")
    for path, data in zip(written, payloads, strict=True):
        atomic_write_bytes(path, data)
    return written


def _json_bytes(value: Any) -> bytes:
    try:
        import orjson

        return orjson.dumps(value, option=orjson.OPT_INDENT_2)
    except ImportError:  # pragma: no cover
        return json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8")


# ----------------------------------------------------------------------------- rows


def addition_rows(plan: Plan, c: CountyPlan) -> Iterator[list[str]]:
    """学校 | 学段 | 整改项目 | 新增 | 单位 | 单价（元） | 费用（元） | 原因 | 服务指标 | 责任股室"""
    for a in c.additions:
        yield [
            f"{a.school_name}（{a.school_id}）",
            stage_title(a.stage),
            a.title,
            num(a.amount, 0),
            a.unit,
            money(a.unit_cost) + ("/年" if a.recurrent else ""),
            money(a.cost) + ("/年" if a.recurrent else ""),
            REASONS.get(a.reason, a.reason),
            serves_text(plan, a.serves),
            a.owner or NO_OWNER,
        ]


def move_rows(plan: Plan, c: CountyPlan) -> Iterator[list[str]]:
    """调出学校 | 调入学校 | 学段 | 教师类别 | 人数 | 费用（元） | 同时计入 | 责任股室"""
    for m in c.moves:
        carries = "、".join(f"{plan.titles.get(g, g)} {n} 人" for g, n in m.carries.items())
        yield [
            f"{m.from_name}（{m.from_id}）",
            f"{m.to_name}（{m.to_id}）",
            stage_title(m.stage),
            m.title,
            str(m.count),
            money(m.cost),
            carries or "—",
            m.owner or NO_OWNER,
        ]


def cv_rows(c: CountyPlan) -> Iterator[list[str]]:
    """指标 | 限值 | 方案前 | 方案后 | 方案后结论"""
    for cv in c.cvs:
        verdict = {True: "达标", False: "未达标", None: "未评估"}[cv.met_after]
        yield [cv.title, f"≤ {num(cv.limit)}", num(cv.before), num(cv.after), verdict]


COST_HEAD = ["措施", "单价（元）", "单位", "来源"]


def cost_rows(plan: Plan) -> Iterator[list[str]]:
    """措施 | 单价（元） | 单位 | 来源 — the enabled levers, an assumption said as one."""
    for lever in plan.costs.levers.values():
        if lever.enabled:
            yield [
                lever.title,
                money(lever.cost) if lever.cost >= 1 else num(lever.cost),
                lever.unit + ("/年" if lever.recurrent else ""),
                ("假设值：" + lever.note) if lever.assumption else (lever.source or lever.note),
            ]


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    def cell(x: str) -> str:
        return x.replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(cell(x) for x in row) + " |" for row in rows]
    return out


ADDITION_HEAD = [
    "学校",
    "学段",
    "整改项目",
    "新增",
    "单位",
    "单价（元）",
    "费用（元）",
    "原因",
    "服务指标",
    "责任股室",
]
MOVE_HEAD = [
    "调出学校",
    "调入学校",
    "学段",
    "教师类别",
    "人数",
    "费用（元）",
    "同时计入",
    "责任股室",
]
CV_HEAD = ["差异系数", "限值", "方案前", "方案后", "方案后结论"]


def render_markdown(plan: Plan) -> str:
    rs = plan.ruleset
    lines = [
        f"# {rs.get('title', rs.get('id'))} · 整改方案",
        "",
        f"规则集 `{rs.get('id')}`。方案后的结论均由 junheng 对应用方案后的数据重新评估得出。"
        f"一次性投入合计 {money(sum(c.one_off_cost for c in plan.counties))} 元，"
        f"新增年度支出合计 {money(sum(c.yearly_cost for c in plan.counties))} 元/年。",
        "",
    ]
    for c in plan.counties:
        lines += [f"## {county_title(c)}", "", f"**{STATUS_TITLES[c.status]}**", ""]
        lines += [
            f"- 一次性投入：{money(c.one_off_cost)} 元；新增年度支出：{money(c.yearly_cost)} 元/年"
            f"（按 {num(plan.costs.salary_years)} 年计入总费用 {money(c.total_cost)} 元）",
            f"- 对照：逐项补齐报告所列差距约需 {money(c.naive_cost)} 元（不保证差异系数达标）",
            "",
        ]
        if c.cost_by_category:
            lines += ["### 费用构成", ""]
            lines += _table(
                ["类别", "费用（元）"], [[k, money(v)] for k, v in c.cost_by_category.items()]
            )
            lines.append("")
        if c.additions:
            lines += ["### 整改方案（新增）", ""]
            lines += _table(ADDITION_HEAD, list(addition_rows(plan, c)))
            lines.append("")
        if c.moves:
            lines += ["### 教师交流轮岗", ""]
            lines += _table(MOVE_HEAD, list(move_rows(plan, c)))
            lines.append("")
        if c.cvs:
            lines += ["### 差异系数：方案前后", ""]
            lines += _table(CV_HEAD, list(cv_rows(c)))
            lines.append("")
        if c.unreachable:
            lines += ["### 学校层面无法达到的要求", ""]
            lines += _table(
                ["学校", "学段", "要求", "原因"],
                [
                    [f"{u.school_name}（{u.school_id}）", stage_title(u.stage), u.title, u.reason]
                    for u in c.unreachable
                ],
            )
            lines.append("")
        if c.county_actions:
            lines += ["### 县级事项（列出差距，未纳入费用优化）", ""]
            lines += _table(
                ["项目", "实际", "要求", "责任股室", "说明"],
                [
                    [
                        a.title,
                        num(a.value) + (a.unit or "") if a.value is not None else "—",
                        num(a.limit) + (a.unit or "") if a.limit is not None else "—",
                        a.owner or NO_OWNER,
                        a.note,
                    ]
                    for a in c.county_actions
                ],
            )
            lines.append("")
    lines += ["## 单价与来源", ""]
    lines += _table(COST_HEAD, list(cost_rows(plan)))
    lines += ["", "## 方法", ""]
    lines += [f"- {v}" for v in plan.method.values()]
    lines.append("")
    return "\n".join(lines)
