"""The plan as one self-contained HTML page: costs by category, CVs before and after, the rows.

No scripts, no external resources, no web fonts: CSS in a ``<style>`` element and the two
charts as inline SVG written here (bars and a limit line — no plotting library needed),
every text from the data escaped. Per county: the verdict after the plan (the engine's),
the one-off and yearly costs against the naive "fix every reported gap" figure, the cost by
category, each CV before and after against its limit, then the additions, the teacher
moves, what cannot be reached and the county criteria left as actions. The unit costs with
their sources (假设值 marked) and the method close the page. Prints on A4.
"""

from __future__ import annotations

from html import escape
from typing import Any

from .model import CountyPlan, Plan
from .report import (
    ADDITION_HEAD,
    COST_HEAD,
    CV_HEAD,
    MOVE_HEAD,
    NO_OWNER,
    STATUS_TITLES,
    addition_rows,
    cost_rows,
    county_title,
    cv_rows,
    money,
    move_rows,
    num,
    stage_title,
)

#: table rows shown per county (the XLSX and JSON have them all)
MAX_ROWS = 500
#: counties drawn with charts (a province-wide page stays readable)
MAX_CHART_COUNTIES = 30

CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;
margin:2em auto;max-width:1100px;color:#1f1f1f;line-height:1.5}
h1{font-size:1.6em}h2{border-bottom:2px solid #1f1f1f;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:.9em;width:100%}
th,td{border:1px solid #bfbfbf;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#ddebf7}td.n{text-align:right;white-space:nowrap}
.ok{color:#2e7d32;font-weight:bold}.bad{color:#c00000;font-weight:bold}
.note{color:#555;font-size:.9em}.chart{margin:.5em 0 1em}
tr{page-break-inside:avoid}svg{page-break-inside:avoid}
@media print{@page{size:A4;margin:15mm}body{margin:0;max-width:none}}
"""
MET, FAILED, BEFORE, LIMIT = "#3b8c5a", "#c0392b", "#b0b0b0", "#1f1f1f"


def _svg_text(x: float, y: float, text: str, anchor: str = "start", size: int = 11) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}">'
        f"{escape(text)}</text>"
    )


def cost_chart(c: CountyPlan) -> str:
    """Horizontal bars: the cost of each category (yearly ones marked 每年)."""
    items = [(k, v) for k, v in c.cost_by_category.items() if v > 0]
    if not items:
        return ""
    label_w, bar_w, row = 190, 420, 24
    top = max(v for _, v in items)
    h = row * len(items) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 130}" height="{h}" '
        f'role="img" aria-label="费用构成">'
    ]
    for k, (name, v) in enumerate(items):
        y = 5 + k * row
        w = max(1.0, bar_w * v / top)
        parts.append(_svg_text(label_w - 6, y + 15, name, "end"))
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="16" fill="#4a78b5"/>'
        )
        parts.append(_svg_text(label_w + w + 6, y + 15, f"{money(v)} 元"))
    parts.append("</svg>")
    return "".join(parts)


def cv_chart(c: CountyPlan) -> str:
    """Each CV before (grey) and after (green met / red not) with its limit as a black line."""
    cvs = [cv for cv in c.cvs if cv.before is not None or cv.after is not None]
    if not cvs:
        return ""
    label_w, bar_w, row = 400, 330, 30
    top = (
        max(max((cv.before or 0.0), (cv.after or 0.0), (cv.limit or 0.0)) for cv in cvs) * 1.1
        or 1.0
    )
    h = row * len(cvs) + 30
    scale = bar_w / top
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 90}" height="{h}" '
        f'role="img" aria-label="差异系数方案前后">'
    ]
    for k, cv in enumerate(cvs):
        y = 5 + k * row
        parts.append(_svg_text(label_w - 6, y + 17, cv.title, "end", 10))
        if cv.before is not None:
            parts.append(
                f'<rect x="{label_w}" y="{y + 3}" width="{max(cv.before * scale, 1):.1f}" '
                f'height="9" fill="{BEFORE}"><title>方案前 {num(cv.before)}</title></rect>'
            )
        if cv.after is not None:
            color = MET if cv.met_after else FAILED
            parts.append(
                f'<rect x="{label_w}" y="{y + 13}" width="{max(cv.after * scale, 1):.1f}" '
                f'height="9" fill="{color}"><title>方案后 {num(cv.after)}</title></rect>'
            )
        if cv.limit is not None:
            x = label_w + cv.limit * scale
            parts.append(
                f'<line x1="{x:.1f}" y1="{y + 1}" x2="{x:.1f}" y2="{y + 24}" '
                f'stroke="{LIMIT}" stroke-width="2"/>'
            )
        parts.append(
            _svg_text(
                label_w + bar_w + 4, y + 17, f"{num(cv.before)} → {num(cv.after)}", "start", 10
            )
        )
    y = h - 10
    parts.append(
        f'<rect x="{label_w}" y="{y - 8}" width="10" height="8" fill="{BEFORE}"/>'
        + _svg_text(label_w + 14, y, "方案前", size=10)
        + f'<rect x="{label_w + 64}" y="{y - 8}" width="10" height="8" fill="{MET}"/>'
        + _svg_text(label_w + 78, y, "方案后（达标）", size=10)
        + f'<line x1="{label_w + 170}" y1="{y - 9}" x2="{label_w + 170}" y2="{y + 1}" '
        f'stroke="{LIMIT}" stroke-width="2"/>' + _svg_text(label_w + 176, y, "限值", size=10)
    )
    parts.append("</svg>")
    return "".join(parts)


def _table(head: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{escape(x)}</td>' if k in numeric else f"<td>{escape(x)}</td>"
            for k, x in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _limited(rows: list[list[str]]) -> tuple[list[list[str]], str]:
    if len(rows) <= MAX_ROWS:
        return rows, ""
    note = f'<p class="note">仅列出前 {MAX_ROWS} 行（共 {len(rows)} 行）；完整清单见 XLSX 或 JSON。</p>'
    return rows[:MAX_ROWS], note


def _county(plan: Plan, c: CountyPlan, k: int) -> str:
    cls = "ok" if c.school_based_met else "bad"
    out = [
        f"<h2>{escape(county_title(c))}</h2>",
        f'<p class="{cls}">{escape(STATUS_TITLES[c.status])}</p>',
        "<ul>",
        f"<li>一次性投入：<b>{money(c.one_off_cost)}</b> 元；新增年度支出：<b>{money(c.yearly_cost)}</b>"
        f" 元/年（按 {num(plan.costs.salary_years)} 年计入总费用 {money(c.total_cost)} 元）</li>",
        f"<li>对照：逐项补齐报告所列差距约需 {money(c.naive_cost)} 元"
        "（不计差异系数，也不按学段分摊一贯制学校的共享资源）</li>",
        "</ul>",
    ]
    if k < MAX_CHART_COUNTIES:
        chart = cost_chart(c)
        if chart:
            out += ["<h3>费用构成</h3>", f'<div class="chart">{chart}</div>']
        chart = cv_chart(c)
        if chart:
            out += ["<h3>差异系数：方案前后与限值</h3>", f'<div class="chart">{chart}</div>']
    if c.additions:
        rows, note = _limited(list(addition_rows(plan, c)))
        out += ["<h3>整改方案（新增）</h3>", _table(ADDITION_HEAD, rows, {3, 5, 6}), note]
    if c.moves:
        rows, note = _limited(list(move_rows(plan, c)))
        out += ["<h3>教师交流轮岗</h3>", _table(MOVE_HEAD, rows, {4, 5}), note]
    if c.cvs:
        out += ["<h3>差异系数</h3>", _table(CV_HEAD, list(cv_rows(c)), {1, 2, 3})]
    if c.unreachable:
        rows, note = _limited(
            [
                [f"{u.school_name}（{u.school_id}）", stage_title(u.stage), u.title, u.reason]
                for u in c.unreachable
            ]
        )
        out += [
            "<h3>学校层面无法达到的要求</h3>",
            _table(["学校", "学段", "要求", "原因"], rows),
            note,
        ]
    if c.county_actions:
        out += [
            "<h3>县级事项（列出差距，未纳入费用优化）</h3>",
            _table(
                ["项目", "实际", "要求", "责任股室", "说明"],
                [
                    [
                        a.title,
                        "—" if a.value is None else num(a.value) + (a.unit or ""),
                        "—" if a.limit is None else num(a.limit) + (a.unit or ""),
                        a.owner or NO_OWNER,
                        a.note,
                    ]
                    for a in c.county_actions
                ],
            ),
        ]
    return "\n".join(out)


def render_html(plan: Plan) -> str:
    rs: Any = plan.ruleset
    title = f"{rs.get('title', rs.get('id'))} · 整改方案"
    costs = _table(COST_HEAD, list(cost_rows(plan)), {1})
    prov = plan.provenance
    body = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="note">规则集 {escape(str(rs.get("id")))}（{escape(str(rs.get("version", "")))}）；'
        f"junheng {escape(str(prov.get('engine_version')))}；{escape(str(prov.get('planned_at')))}。"
        "“方案后”的结论均由同一引擎对应用方案后的数据重新评估得出。</p>",
        *(_county(plan, c, k) for k, c in enumerate(plan.counties)),
        "<h2>单价与来源</h2>",
        '<p class="note">标“假设值”的单价不是任何文件公布的价格，请按本县实际替换（junheng plan --costs）。</p>',
        costs,
        "<h2>方法</h2>",
        "<ul>" + "".join(f"<li>{escape(v)}</li>" for v in plan.method.values()) + "</ul>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
