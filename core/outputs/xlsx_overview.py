"""The XLSX report's overview parts: the 县域汇总 sheet of a batch, the vetoes table of 汇总.

Written by :mod:`~junheng.outputs.xlsx` (which owns the styles and the header row
helper it passes in); the overview itself is :mod:`._overview`, the vetoes' conditions
in Chinese :func:`._view.veto_conditions`.
"""

from __future__ import annotations

from typing import Any

from ..results import Report
from . import _overview
from . import _view as v
from .sheets import Worksheet, column_letter

__all__ = ["overview_sheet", "vetoes_table"]

RED = "FFC7CE"


def overview_sheet(ws: Worksheet, report: Report, ov: _overview.Overview, st, header) -> None:
    """县域汇总: the counts, one row per county (failing first), the criteria that fail most
    often, and per indicator × stage the counties past the CV limit."""
    rs = report.ruleset
    c = ov.counts
    ws.append([f"县域汇总：{ov.total} 个县（区）"], st.title)
    ws.append([f"规则集：{rs.title}（{rs.id}，版本 {rs.version}）"])
    ws.append(
        [
            f"通过 {c['passed']} 个，未通过 {c['failed']} 个，"
            f"未能认定（有未评估的项目）{c['not_evaluated']} 个"
        ],
        st.bold,
    )
    kinds = list(ov.kinds)
    headers = ["县（区）代码", "县（区）", "结论", "未达标项目数"]
    headers += [f"其中：{v.KIND_TITLES.get(k, k)}" for k in kinds]
    headers += ["一票否决", "未达标学校（学段）", "差异系数最大的指标", "学段", "差异系数", "限值"]
    widths = [12, 16, 10, 10, *[10] * len(kinds), 24, 12, 34, 6, 10, 8]
    first = header(ws, 5, headers, st, widths=widths, height=45)
    cv_fmt = st(border=True, number_format="0.000")
    cv_bad = st(border=True, number_format="0.000", fill=RED, bold=True, color="C00000")
    verdict = {"failed": st.bad, "passed": st.ok, "not_evaluated": st.na}
    for line in ov.lines:
        w = line.worst
        values: list[Any] = [
            line.code,
            line.county.name or "",
            line.status_title,
            sum(n for _, n in line.failed_by_kind),
            *[line.failed_of(k) for k in kinds],
            "；".join(line.vetoes),
            line.failing_units,
            w.title if w else None,
            v.stage_title(w.stage) if w else None,
            w.cv if w else None,
            w.limit if w else None,
        ]
        styles = [st.border] * len(values)
        styles[2] = verdict[line.status]
        styles[-2] = cv_bad if w is not None and w.met is False else cv_fmt
        ws.append(values, styles)
    last = ws.next_row - 1
    ws.auto_filter = f"A{first}:{column_letter(len(headers))}{last}"
    ws.freeze = f"C{first + 1}"

    ws.row(ws.next_row + 1, ["最常见的未达标项目"], st.bold)
    header(ws, None, ("项目", "类别", "学段", "未达标县（区）", "占比", "涉及的县（区）"), st)
    share = st(border=True, number_format="0.0%")
    for f in ov.frequent:
        names = "、".join(name for _, name in f.counties[:30])
        if f.count > 30:
            names += f" 等 {f.count} 个"
        values = [
            f.title,
            v.KIND_TITLES.get(f.kind, f.kind),
            v.stage_title(f.stage),
            f.count,
            f.count / ov.total,
            names,
        ]
        ws.append(values, [st.cell, st.cell, st.cell, st.border, share, st.cell])
    if not ov.frequent:
        ws.append(["没有县（区）有未达标的项目"])

    ws.row(ws.next_row + 1, ["各指标差异系数：各县（区）与限值"], st.bold)
    header(
        ws,
        None,
        (
            "学段",
            "指标",
            "限值",
            "有差异系数的县（区）",
            "超过限值的县（区）",
            "最大差异系数",
            "最大的县（区）",
            "超过限值的县（区）名单",
        ),
        st,
    )
    for s in ov.series:
        worst = s.worst
        over = s.over
        names = "、".join(f"{name}（{cv:.3f}）" for _, name, cv in over[:30])
        if len(over) > 30:
            names += f" 等 {len(over)} 个"
        values = [
            v.stage_title(s.stage),
            s.title,
            s.limit,
            s.judged,
            len(over),
            worst[2] if worst else None,
            worst[1] if worst else None,
            names,
        ]
        styles = [st.border, st.cell, st.border, st.border, st.bad if over else st.border]
        styles += [cv_bad if over else cv_fmt, st.border, st.cell]
        ws.append(values, styles)


def vetoes_table(ws: Worksheet, report: Report, st, header) -> None:
    """The ruleset's vetoes once each, with the condition in Chinese and how they came out."""
    conditions = v.veto_conditions(report)
    counties = report.counties
    one = len(counties) == 1
    ws.row(ws.next_row + 1, ["一票否决"], st.bold)
    if one:
        header(ws, None, ("否决情形", "判定条件", "结论", "说明", "依据"), st)
    else:
        header(
            ws,
            None,
            (
                "否决情形",
                "判定条件",
                "存在（否决）的县数",
                "未发生",
                "未评估",
                "存在否决的县（区）",
                "依据",
            ),
            st,
        )
    status: dict[str, list[Any]] = {vid: [] for vid in report.ruleset.vetoes}
    for county in counties:
        for c in county.vetoes:
            status.setdefault(c.id, []).append((county, c))
    for vid, veto in report.ruleset.vetoes.items():
        rows = status.get(vid, [])
        title = rows[0][1].title if rows else veto.meta.title
        source = rows[0][1].source if rows else veto.meta.source
        if one:
            c = rows[0][1] if rows else None
            word = v.VETO_STATUS_TITLES[c.status] if c else "—"
            look = {"met": st.ok, "failed": st.bad}.get(c.status if c else "", st.na)
            values = [title, conditions.get(vid, ""), word, v.explained(c) if c else "", source]
            ws.append(values, [st.cell, st.cell, look, st.cell, st.cell])
            continue
        found = [county for county, c in rows if c.status == "failed"]
        names = "、".join(county.name or county.county_code for county in found[:30])
        if len(found) > 30:
            names += f" 等 {len(found)} 个"
        values = [
            title,
            conditions.get(vid, ""),
            len(found),
            sum(1 for _, c in rows if c.status == "met"),
            sum(1 for _, c in rows if c.status == "not_evaluated"),
            names,
            source,
        ]
        styles = [st.cell, st.cell, st.bad if found else st.border, st.border, st.border]
        ws.append(values, [*styles, st.cell, st.cell])
