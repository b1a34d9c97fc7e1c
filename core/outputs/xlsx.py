"""The XLSX rectification ledger (``--format xlsx``), written with :mod:`.sheets`.

Sheets, in the order a county inspection office works through them:

* **县域汇总** (only when the report holds more than one county: a city's or a
  province's batch) — the overview of :mod:`._overview`: how many counties pass and
  fail, one row per county (failing first; failed criteria per kind, vetoes, failing
  school units, the worst CV against its limit), the criteria that fail most often,
  and per indicator × stage how many counties pass the CV limit and which do not;
* **汇总** — per county the verdict, then every failed criterion, then the ruleset's
  one-vote vetoes with their condition in Chinese;
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
The 县域汇总 sheet and the vetoes table are :mod:`.xlsx_overview`, the plain tables
(data issues, plugin sections) :mod:`.xlsx_tables`, the cell writing :mod:`.sheets`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..domain import STAGES
from ..results import Report
from . import _overview
from . import _view as v
from .sheets import Style, Workbook, Worksheet, column_letter
from .xlsx_overview import overview_sheet, vetoes_table
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


class _Styles:
    """The looks the report uses, as style ids of one workbook."""

    def __init__(self, wb: Workbook):
        s = wb.style
        self.wb = wb
        self.head = s(bold=True, fill=HEAD, wrap=True, top=True, border=True)
        self.title = s(bold=True, size=14)
        self.bold = s(bold=True)
        self.border = s(border=True)
        self.cell = s(border=True, wrap=True, top=True)  # bordered, wrapped text
        self.wrap = s(wrap=True, top=True)
        self.ok = s(bold=True, color="2E7D32", border=True)
        self.bad = s(bold=True, color="C00000", border=True)
        self.na = s(bold=True, color="8A6D00", border=True)
        self.green, self.red, self.grey = (s(fill=c) for c in (GREEN, RED, GREY))

    def __call__(self, **kw: Any) -> int:
        return self.wb.style(Style(**kw))


def _header(ws: Worksheet, row: int | None, headers, st: _Styles, widths=None, height=None) -> int:
    """The header row ``headers`` at ``row`` (None: the next row); returns its number."""
    if widths:
        ws.column_widths(widths)
    if row is None:
        return ws.append(list(headers), st.head, height=height)
    return ws.row(row, list(headers), st.head, height=height)


def _unit_format(x: float | None, unit: str) -> str:
    unit = unit.replace('"', "")
    base = "#,##0" if x is None or float(x).is_integer() else "#,##0.00"
    return f'{base}" {unit}"' if unit else base


def _created(evaluated_at: Any) -> str | None:
    """The report's evaluation time as the workbook's creation time (UTC, W3C form)."""
    try:
        when = datetime.fromisoformat(str(evaluated_at))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def render(report: Report) -> bytes:
    wb = Workbook()
    st = _Styles(wb)
    ov = _overview.overview(report)
    if ov is not None:
        overview_sheet(wb.sheet("县域汇总"), report, ov, st, _header)
    _summary(wb.sheet("汇总"), report, st)
    _matrix(wb.sheet("学校达标矩阵"), report, st)
    _ledger(wb.sheet("整改台账"), report, st)
    _cvs(wb.sheet("差异系数"), report, st)
    _score(wb.sheet("评分表"), report, st)
    _not_evaluated(wb.sheet("未评估项目"), report, st)
    issues_sheet(wb.sheet("数据问题"), report, st, _header)
    documents = v.documents(report)
    if documents:
        documents_sheet(wb.sheet("依据文件"), documents, st, _header)
    for sec in v.sections(report):
        section_sheet(wb, sec, st, _header)
    wb.title = f"{report.ruleset.title} 整改台账"
    wb.creator = f"junheng {report.provenance.get('engine_version', '')}".strip()
    wb.created = _created(report.provenance.get("evaluated_at"))
    return wb.save()


# --------------------------------------------------------------------------- 汇总


def _summary(ws: Worksheet, report: Report, st: _Styles) -> None:
    rs = report.ruleset
    prov = report.provenance
    ws.append(["县域义务教育均衡发展督导评估 · 汇总"], st.title)
    ws.append([f"规则集：{rs.title}（{rs.id}，版本 {rs.version}）"])
    ws.append(
        [
            f"评估时间：{prov.get('evaluated_at', '')}　规则集 SHA-256：{prov.get('ruleset_sha256', '')}"
        ]
    )
    _header(
        ws,
        5,
        ("县（区）", "代码", "评估结论", "未达标项目", "未评估项目", "未达标学校（学段）"),
        st,
    )
    failing = _overview._failing_units(report)
    for county in report.counties:
        values = (
            county.name or "",
            county.county_code,
            v.verdict_title(county.passed),
            len(county.failed_criteria),
            len(county.not_evaluated),
            failing.get(county.county_code, 0),
        )
        styles = [st.border] * 6
        styles[2] = st.ok if county.passed else st.bad
        ws.append(values, styles)
    ws.row(ws.next_row + 1, ["未达标项目"], st.bold)
    _header(
        ws,
        None,
        ("县（区）代码", "项目", "类别", "学段", "实际", "要求", "说明", "依据", "责任股室"),
        st,
        widths=(14, 40, 14, 8, 12, 14, 40, 44, 14),
    )
    cv_value = st(border=True, wrap=True, top=True, number_format="0.000")
    value = st(border=True, wrap=True, top=True, number_format="#,##0.##")
    for county in report.counties:
        for c in county.failed_criteria:
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
            styles = [st.cell] * 9
            if c.value is not None:
                styles[4] = cv_value if c.kind in ("cv", "composite_cv") else value
            ws.append(values, styles)
    if rs.vetoes:
        vetoes_table(ws, report, st, _header)


# --------------------------------------------------------------------------- 学校达标矩阵


def _matrix(ws: Worksheet, report: Report, st: _Styles) -> None:
    t = report.schools
    u = t.units
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
    widths = [14] * len(fixed) + [10] * (len(headers) - len(fixed))
    widths[2] = 24
    _header(ws, 1, headers, st, widths=widths, height=60)
    fills = {
        1.0: st(fill=GREEN, number_format="0.00"),
        0.0: st(fill=RED, number_format="0.00"),
    }
    undefined = st(fill=GREY, number_format="0.00")
    threshold = st(number_format="0.##")
    verdicts = {
        1.0: ("达标", st.green),
        0.0: ("未达标", st.red),
    }
    not_judged = ("无法判定", st.grey)
    columns = [
        (t.value[cid].tolist(), t.threshold[cid].tolist(), t.met[cid].tolist())
        for cid in t.check_ids
    ]
    passed = t.passed.tolist()
    ids, names, stages = u.ids.tolist(), u.names.tolist(), u.stage.tolist()
    county_index = u.county_index
    included = u.included
    titles = [v.stage_title(s) for s in STAGES]
    width = len(headers)
    for county in report.counties:
        if county.county_code not in u.county_codes:
            continue
        c = u.county_codes.index(county.county_code)
        for i in ((county_index == c) & included).nonzero()[0].tolist():
            word, look = verdicts.get(passed[i], not_judged)
            values: list[Any] = [
                county.county_code,
                str(ids[i]),
                str(names[i]),
                titles[int(stages[i])],
                word,
            ]
            styles = [0, 0, 0, 0, look]
            for value, thr, met in columns:
                values += (value[i], thr[i])
                styles += (fills.get(met[i], undefined), threshold)
            ws.append(values, styles)
    ws.freeze = "F2"
    if ws.next_row > 2:
        ws.auto_filter = f"A1:{column_letter(width)}{ws.next_row - 1}"


# --------------------------------------------------------------------------- 整改台账


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


def _ledger(ws: Worksheet, report: Report, st: _Styles) -> None:
    _header(
        ws,
        1,
        LEDGER_HEADERS,
        st,
        widths=(6, 6, 12, 14, 22, 6, 18, 34, 12, 16, 16, 8, 12, 40, 30, 12),
        height=30,
    )
    base = [st.cell] * len(LEDGER_HEADERS)
    current = st(border=True, wrap=True, top=True, number_format="#,##0.00#")
    gap_looks: dict[str, int] = {}
    for n, values in enumerate(ledger_rows(report), start=1):
        styles = base
        value, gap, unit = values[7], values[9], values[10]
        if isinstance(value, float) or gap is not None:
            styles = list(base)
            if isinstance(value, float):
                styles[8] = current
            if gap is not None:
                fmt = _unit_format(gap, unit)
                look = gap_looks.get(fmt)
                if look is None:
                    look = gap_looks[fmt] = st(
                        border=True,
                        wrap=True,
                        top=True,
                        bold=True,
                        color="C00000",
                        number_format=fmt,
                    )
                styles[10] = look
        ws.append((n, *values, None, None), styles)
    ws.freeze = "F2"


# --------------------------------------------------------------------------- 差异系数


def _cvs(ws: Worksheet, report: Report, st: _Styles) -> None:
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
    three = st(border=True, number_format="#,##0.000")
    cv_looks = {
        None: st(border=True, number_format="0.000"),
        True: st(border=True, number_format="0.000", fill=GREEN),
        False: st(border=True, number_format="0.000", fill=RED),
    }
    b = st.border
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
            stage = v.stage_title(g.stage)
            for iid, title, n, mean, sd, cv, lim, met in items:
                values = (
                    county.county_code,
                    stage,
                    iid,
                    title,
                    n,
                    mean,
                    sd,
                    cv,
                    lim,
                    "达标" if met else ("未达标" if met is False else "—"),
                )
                ws.append(values, (b, b, b, b, b, three, three, cv_looks[met], b, b))
    ws.freeze = "A2"


# --------------------------------------------------------------------------- 评分表


def _score(ws: Worksheet, report: Report, st: _Styles) -> None:
    _header(
        ws,
        1,
        ("县（区）代码", "编号", "评估项目", "上级", "满分", "得分", "计分方式", "依据"),
        st,
        widths=(12, 24, 50, 20, 8, 8, 10, 50),
    )
    b = st.border
    unscored = st(border=True, fill=GREY)
    any_score = False
    for county in report.counties:
        if county.score is None:
            continue
        any_score = True
        for r in v.score_rows(county):
            line = r["line"]
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
            indent = st(border=True, wrap=True, indent=2 * r["depth"])
            ws.append(values, (b, b, indent, b, b, unscored if line.points is None else b, b, b))
        s = county.score
        need = f"要求 ≥ {v.num(s.pass_min)}" if s.pass_min is not None else None
        ws.append(
            [county.county_code, None, "总分", None, None, s.total, need],
            [0, 0, st.bold, 0, 0, st.bold, 0],
        )
        reading = v.score_reading(county)
        if reading:
            ws.append([county.county_code, None, reading], [0, 0, st.wrap])
    if not any_score:
        ws.append(["本规则集没有评分表"])


# --------------------------------------------------------------------------- the rest


def _not_evaluated(ws: Worksheet, report: Report, st: _Styles) -> None:
    _header(
        ws, 1, ("县（区）代码", "项目", "类别", "原因", "依据"), st, widths=(12, 44, 16, 44, 44)
    )
    for county in report.counties:
        for c in county.not_evaluated:
            values = (
                county.county_code,
                c.title,
                v.KIND_TITLES.get(c.kind, c.kind),
                c.detail,
                c.source,
            )
            ws.append(values, st.wrap)
