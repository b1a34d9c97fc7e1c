"""The XLSX rectification ledger (``--format xlsx``), written with openpyxl.

Sheets, in the order a county inspection office works through them:

* **汇总** — per county the verdict, then every failed criterion;
* **学校达标矩阵** — school × check matrix: each check's value and requirement,
  the value cell green (met), red (not met) or grey (undefined);
* **整改台账** — the gap ledger: one row per failed school check (学校, 学段,
  指标, 现状值, 标准, 差距 in real units, 责任股室 = the rule's ``owner`` or
  "未指定") and one row per failed county criterion, with blank 整改措施 and
  完成时限 columns for the office to fill in;
* **差异系数** — every indicator's county mean, SD and CV against its limit;
* **评分表** — the score sheet (评分自查表), points per node;
* **未评估项目**, **数据问题** — what could not be judged and why;
* **依据文件** — the documents the ruleset cites (issuer, title, number, kind, date, note),
  when it declares them;
* one sheet per plugin report section (e.g. a province's 各股室整改任务), titled as it is.

The workbook is built in memory and returned as bytes (the caller writes it atomically).
"""

from __future__ import annotations

import io
from typing import Any

from ..results import Report
from ..text import replace_unsafe
from . import _view as v
from .cells import put
from .xlsx_tables import documents_sheet, issues_sheet, section_sheet

GREEN = "C6EFCE"
RED = "FFC7CE"
GREY = "E7E6E6"
HEAD = "DDEBF7"

LEDGER_HEADERS = (
    "序号",
    "类型",
    "县（区）代码",
    "学校代码",
    "学校",
    "学段",
    "指标编号",
    "指标",
    "现状值",
    "标准",
    "差距（单位）",
    "单位",
    "责任股室",
    "依据",
    "整改措施",
    "完成时限",
)


def _styles():
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="BFBFBF")
    return {
        "head_font": Font(bold=True),
        "head_fill": PatternFill("solid", fgColor=HEAD),
        "green": PatternFill("solid", fgColor=GREEN),
        "red": PatternFill("solid", fgColor=RED),
        "grey": PatternFill("solid", fgColor=GREY),
        "wrap": Alignment(wrap_text=True, vertical="top"),
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
        "title": Font(bold=True, size=14),
        "bad": Font(bold=True, color="C00000"),
        "ok": Font(bold=True, color="2E7D32"),
    }


def _header(ws, row: int, headers, st, widths=None) -> None:
    for col, h in enumerate(headers, start=1):
        cell = put(ws, row, col, h)
        cell.font = st["head_font"]
        cell.fill = st["head_fill"]
        cell.alignment = st["wrap"]
        cell.border = st["border"]
    if widths:
        from openpyxl.utils import get_column_letter

        for col, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(col)].width = w


def _unit_format(x: float | None, unit: str) -> str:
    unit = unit.replace('"', "")
    base = "#,##0" if x is None or float(x).is_integer() else "#,##0.00"
    return f'{base}" {unit}"' if unit else base


def render(report: Report) -> bytes:
    from openpyxl import Workbook

    st = _styles()
    wb = Workbook()
    _summary(wb.active, report, st)
    _matrix(wb.create_sheet("学校达标矩阵"), report, st)
    _ledger(wb.create_sheet("整改台账"), report, st)
    _cvs(wb.create_sheet("差异系数"), report, st)
    _score(wb.create_sheet("评分表"), report, st)
    _not_evaluated(wb.create_sheet("未评估项目"), report, st)
    issues_sheet(wb.create_sheet("数据问题"), report, st, _header)
    documents = v.documents(report)
    if documents:
        documents_sheet(wb.create_sheet("依据文件"), documents, st, _header)
    for sec in v.sections(report):
        section_sheet(wb, sec, st, _header)
    wb.properties.title = replace_unsafe(f"{report.ruleset.title} 整改台账")
    wb.properties.creator = f"junheng {report.provenance.get('engine_version', '')}".strip()
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _summary(ws, report: Report, st) -> None:
    ws.title = "汇总"
    rs = report.ruleset
    prov = report.provenance
    put(ws, 1, 1, "县域义务教育均衡发展督导评估 · 汇总").font = st["title"]
    put(ws, 2, 1, f"规则集：{rs.title}（{rs.id}，版本 {rs.version}）")
    put(
        ws,
        3,
        1,
        f"评估时间：{prov.get('evaluated_at', '')}　规则集 SHA-256：{prov.get('ruleset_sha256', '')}",
    )
    row = 5
    _header(
        ws,
        row,
        ("县（区）", "代码", "评估结论", "未达标项目", "未评估项目", "未达标学校（学段）"),
        st,
    )
    for county in report.counties:
        row += 1
        failing = sum(
            1 for r in v.school_status_rows(report, county.county_code) if r["passed"] is False
        )
        values = (
            county.name or "",
            county.county_code,
            v.verdict_title(county.passed),
            len(county.failed_criteria),
            len(county.not_evaluated),
            failing,
        )
        for col, val in enumerate(values, start=1):
            put(ws, row, col, val).border = st["border"]
        ws.cell(row=row, column=3).font = st["ok"] if county.passed else st["bad"]
    row += 2
    put(ws, row, 1, "未达标项目").font = st["head_font"]
    row += 1
    _header(
        ws,
        row,
        ("县（区）代码", "项目", "类别", "学段", "实际", "要求", "说明", "依据", "责任股室"),
        st,
        widths=(14, 40, 14, 8, 12, 14, 40, 44, 14),
    )
    for county in report.counties:
        for c in county.failed_criteria:
            row += 1
            values = (
                county.county_code,
                c.title,
                v.KIND_TITLES.get(c.kind, c.kind),
                v.stage_title(c.stage),
                c.value,
                v.criterion_limit(c),
                v.explained(c),
                c.source,
                c.owner or v.NO_OWNER,
            )
            for col, val in enumerate(values, start=1):
                cell = put(ws, row, col, val)
                cell.alignment = st["wrap"]
                cell.border = st["border"]
            if c.value is not None:
                ws.cell(row=row, column=5).number_format = (
                    "0.000" if c.kind in ("cv", "composite_cv") else "#,##0.##"
                )


def _matrix(ws, report: Report, st) -> None:
    from openpyxl.utils import get_column_letter

    t = report.schools
    rs = report.ruleset
    fixed = ("县（区）代码", "学校代码", "学校", "学段", "学校总体")
    headers: list[str] = list(fixed)
    for cid in t.check_ids:
        title = (
            rs.indicators[cid].meta.title
            if cid in rs.indicators
            else rs.school_rules[cid].meta.title
        )
        unit = rs.indicators[cid].unit if cid in rs.indicators else "项"
        headers += [f"{title}（{unit}）", "标准"]
    _header(ws, 1, headers, st)
    ws.row_dimensions[1].height = 60
    for col in range(1, len(headers) + 1):
        ws.column_dimensions[get_column_letter(col)].width = 10 if col > len(fixed) else 14
    ws.column_dimensions["C"].width = 24
    row = 1
    for county in report.counties:
        for r in v.school_status_rows(report, county.county_code):
            row += 1
            passed = r["passed"]
            values: list[Any] = [
                county.county_code,
                r["id"],
                r["name"],
                v.stage_title(r["stage"]),
                "达标" if passed else ("未达标" if passed is False else "无法判定"),
            ]
            for col, val in enumerate(values, start=1):
                put(ws, row, col, val)
            ws.cell(row=row, column=5).fill = (
                st["green"] if passed else (st["red"] if passed is False else st["grey"])
            )
            col = len(fixed)
            for cid in t.check_ids:
                value, thr, met = r["checks"][cid]
                cell = put(ws, row, col + 1, value)
                cell.number_format = "0.00"
                cell.fill = st["green"] if met else (st["red"] if met is False else st["grey"])
                tcell = put(ws, row, col + 2, thr)
                tcell.number_format = "0.##"
                col += 2
    ws.freeze_panes = "F2"
    if row > 1:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{row}"


def ledger_rows(report: Report) -> list[tuple[Any, ...]]:
    """The 整改台账 rows (without 序号): school gaps first, then failed county criteria."""
    rows: list[tuple[Any, ...]] = []
    for g in v.gaps(report):
        if g.rule_kind == "formula":
            current, requirement = "未达到", "达到要求"
        else:
            current, requirement = g.value, g.requirement
        rows.append(
            (
                "学校",
                g.county_code,
                g.school_id,
                g.school_name,
                v.stage_title(g.stage),
                g.check_id,
                g.title,
                current,
                requirement,
                g.shortfall,
                g.unit,
                g.owner,
                g.source,
            )
        )
    rs = report.ruleset
    for county in report.counties:
        for c in county.failed_criteria:
            if c.kind == "schools":  # its gaps are the school rows above
                continue
            gap = None
            if c.value is not None and c.limit is not None:
                direction = "min"
                if c.kind in ("cv", "composite_cv"):
                    direction = "max"
                elif c.id in rs.county_items:
                    direction = rs.county_items[c.id].direction
                gap = (c.limit - c.value) if direction == "min" else (c.value - c.limit)
                gap = max(gap, 0.0)
            unit = c.unit or ""
            rows.append(
                (
                    "县级",
                    county.county_code,
                    "",
                    county.name or "（县级）",
                    v.stage_title(c.stage),
                    c.id,
                    c.title,
                    c.value,
                    v.criterion_limit(c),
                    gap,
                    unit,
                    c.owner or v.NO_OWNER,
                    c.source,
                )
            )
    return rows


def _ledger(ws, report: Report, st) -> None:
    _header(
        ws,
        1,
        LEDGER_HEADERS,
        st,
        widths=(6, 6, 12, 14, 22, 6, 18, 34, 12, 16, 16, 8, 12, 40, 30, 12),
    )
    ws.row_dimensions[1].height = 30
    for n, values in enumerate(ledger_rows(report), start=1):
        row = n + 1
        for col, val in enumerate((n, *values, None, None), start=1):
            cell = put(ws, row, col, val)
            cell.border = st["border"]
            cell.alignment = st["wrap"]
        if isinstance(values[7], float):
            ws.cell(row=row, column=9).number_format = "#,##0.00#"
        gap, unit = values[9], values[10]
        if gap is not None:
            ws.cell(row=row, column=11).number_format = _unit_format(gap, unit)
            ws.cell(row=row, column=11).font = st["bad"]
    ws.freeze_panes = "F2"


def _cvs(ws, report: Report, st) -> None:
    _header(
        ws,
        1,
        (
            "县（区）代码",
            "学段",
            "指标编号",
            "指标",
            "参评学校",
            "县域均值",
            "标准差",
            "差异系数",
            "限值",
            "结论",
        ),
        st,
        widths=(12, 6, 30, 40, 10, 12, 12, 10, 8, 8),
    )
    row = 1
    for county in report.counties:
        for g in county.groups:
            items = [
                (iid, s.title, s.schools, s.mean, s.sd, s.cv, s.limit, s.met)
                for iid, s in g.indicators.items()
            ]
            if g.composite_cv is not None:
                items.append(
                    (
                        "composite_cv",
                        "综合差异系数",
                        g.schools,
                        None,
                        None,
                        g.composite_cv,
                        g.composite_limit,
                        g.composite_met,
                    )
                )
            for iid, title, n, mean, sd, cv, lim, met in items:
                row += 1
                values = (
                    county.county_code,
                    v.stage_title(g.stage),
                    iid,
                    title,
                    n,
                    mean,
                    sd,
                    cv,
                    lim,
                    "达标" if met else ("未达标" if met is False else "—"),
                )
                for col, val in enumerate(values, start=1):
                    put(ws, row, col, val).border = st["border"]
                for col in (6, 7):
                    ws.cell(row=row, column=col).number_format = "#,##0.000"
                ws.cell(row=row, column=8).number_format = "0.000"
                if met is not None:
                    ws.cell(row=row, column=8).fill = st["green"] if met else st["red"]
    ws.freeze_panes = "A2"


def _score(ws, report: Report, st) -> None:
    from openpyxl.styles import Alignment

    _header(
        ws,
        1,
        ("县（区）代码", "编号", "评估项目", "上级", "满分", "得分", "计分方式", "依据"),
        st,
        widths=(12, 24, 50, 20, 8, 8, 10, 50),
    )
    row = 1
    for county in report.counties:
        if county.score is None:
            continue
        for r in v.score_rows(county):
            line = r["line"]
            row += 1
            title = line.title + ("（加分项）" if line.bonus else "")
            if line.floor is not None:
                title += f"（不低于 {v.num(line.floor)} 分）"
            values = (
                county.county_code,
                line.id,
                title,
                line.parent or "",
                line.max_points,
                line.points,
                v.SCORE_KIND_TITLES.get(line.kind, line.kind),
                line.source,
            )
            for col, val in enumerate(values, start=1):
                put(ws, row, col, val).border = st["border"]
            ws.cell(row=row, column=3).alignment = Alignment(indent=2 * r["depth"], wrap_text=True)
            if line.points is None:
                ws.cell(row=row, column=6).fill = st["grey"]
        row += 1
        s = county.score
        put(ws, row, 1, county.county_code)
        put(ws, row, 3, "总分").font = st["head_font"]
        put(ws, row, 6, s.total).font = st["head_font"]
        if s.pass_min is not None:
            put(ws, row, 7, f"要求 ≥ {v.num(s.pass_min)}")
        reading = v.score_reading(county)
        if reading:
            row += 1
            put(ws, row, 1, county.county_code)
            put(ws, row, 3, reading).alignment = st["wrap"]
    if row == 1:
        put(ws, 2, 1, "本规则集没有评分表")


def _not_evaluated(ws, report: Report, st) -> None:
    _header(
        ws, 1, ("县（区）代码", "项目", "类别", "原因", "依据"), st, widths=(12, 44, 16, 44, 44)
    )
    row = 1
    for county in report.counties:
        for c in county.not_evaluated:
            row += 1
            values = (
                county.county_code,
                c.title,
                v.KIND_TITLES.get(c.kind, c.kind),
                c.detail,
                c.source,
            )
            for col, val in enumerate(values, start=1):
                put(ws, row, col, val).alignment = st["wrap"]
