"""The Markdown report (``--format md``): text to paste into a self-assessment report (自评报告) draft.

Plain GitHub-flavoured Markdown — headings, short paragraphs and pipe tables —
which pastes cleanly into WPS/Word via any Markdown converter, and reads fine
as plain text. The order follows a 自评报告's chapters: the verdict and failed
criteria, the difference coefficients, the schools that fall short and by how
much, the score sheet, what could not be evaluated, data notes, provenance.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..results import Report
from ..text import replace_unsafe
from . import _view as v


class _Md(str):
    """Markdown written by this module (``**总分**``): put out as it is, never escaped."""


_ESCAPE = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        **{c: "\\" + c for c in "\\`*_[]|"},
    }
)


def _text(x: object) -> str:
    """Text from the data, a ruleset or a plugin, as Markdown that shows it as it is: no
    HTML (``<script>``, ``<img onerror>``) and no link, image or emphasis of its own."""
    if isinstance(x, _Md):
        return str(x)
    return str(x if x is not None else "").translate(_ESCAPE).replace("\n", " ")


def _cell(x: object) -> str:
    return _text(x)


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return [*out, ""]


def render(report: Report) -> bytes:
    rs = report.ruleset
    prov = report.provenance
    lines = [
        f"# {_text(rs.title)} · 评估结果",
        "",
        f"依据：{_text(rs.basis or rs.source)}（规则集 `{rs.id}`，版本 {_text(rs.version)}）。",
        "",
    ]
    by_county = v.gaps_by_county(report)
    failing_all = v.failing_units(report)
    units = report.schools.units
    for county in report.counties:
        title = v.county_title(county)
        gaps = by_county.get(county.county_code, [])
        c_index = units.county_codes.index(county.county_code)
        in_county = {str(i) for i in units.ids[units.county_index == c_index].tolist()}
        failing_keys = {k for k in failing_all if k[0] in in_county}
        failing = sorted(failing_keys)
        lines += [f"## {_text(title)}", ""]
        verdict = v.verdict_title(county.passed)
        lines.append(
            f"**评估结论：{verdict}。** 共评估 {len(county.criteria)} 项，"
            f"未达标 {len(county.failed_criteria)} 项，未评估 {len(county.not_evaluated)} 项；"
            f"未达标学校（学段）{len(failing)} 个。"
        )
        if not county.has_county_record:
            lines.append("未提供县级数据，县级指标无法评估，县域不能认定为通过。")
        lines.append("")
        if county.failed_criteria:
            lines += ["### 未达标项目", ""]
            lines += _table(
                ("项目", "类别", "实际", "要求", "说明", "依据"),
                (
                    (
                        c.title,
                        v.KIND_TITLES.get(c.kind, c.kind),
                        v.criterion_value(c),
                        v.criterion_limit(c),
                        v.explained(c),
                        c.source,
                    )
                    for c in county.failed_criteria
                ),
            )
        vetoes = county.vetoes
        if vetoes:
            lines += ["### 一票否决", ""]
            lines += _table(
                ("否决情形", "结论", "说明", "依据"),
                (
                    (c.title, v.VETO_STATUS_TITLES[c.status], v.explained(c), c.source)
                    for c in vetoes
                ),
            )
        for g in county.groups:
            lines += [
                f"### {v.stage_title(g.stage)}校际差异系数",
                "",
                f"参评学校 {g.schools} 所，在校生 {v.num(g.students)} 人。",
                "",
            ]
            rows = [
                (
                    s.title,
                    v.num(s.mean),
                    v.num(s.cv),
                    "—" if s.limit is None else f"≤ {v.num(s.limit)}",
                    "达标" if s.met else ("未达标" if s.met is False else "—"),
                )
                for s in g.indicators.values()
            ]
            if g.composite_cv is not None:
                rows.append(
                    (
                        _Md("**综合差异系数**"),
                        "",
                        v.num(g.composite_cv),
                        "—" if g.composite_limit is None else f"≤ {v.num(g.composite_limit)}",
                        "达标"
                        if g.composite_met
                        else ("未达标" if g.composite_met is False else "—"),
                    )
                )
            lines += _table(("指标", "县域均值", "差异系数", "限值", "结论"), rows)
        lines += ["### 未达标学校及差距", ""]
        fail_gaps = [gp for gp in gaps if (gp.school_id, gp.stage) in failing_keys]
        other = [gp for gp in gaps if (gp.school_id, gp.stage) not in failing_keys]
        if fail_gaps:
            lines += _gap_table(fail_gaps)
        else:
            lines += ["所有参评学校均达到标准。", ""]
        if other:
            lines += ["以下学校总体达标，但仍有单项未达到标准：", ""]
            lines += _gap_table(other)
        if county.score is not None:
            s = county.score
            lines += [f"### 评分自查表：{_text(s.title)}", ""]
            rows = [
                (
                    r["line"].id,
                    "　" * r["depth"] + r["line"].title + ("（加分项）" if r["line"].bonus else ""),
                    v.num(r["line"].max_points),
                    "未评" if r["line"].points is None else v.num(r["line"].points, 1),
                    v.SCORE_KIND_TITLES.get(r["line"].kind, r["line"].kind),
                )
                for r in v.score_rows(county)
            ]
            total = "未能计算" if s.total is None else v.num(s.total, 1)
            need = "" if s.pass_min is None else f"要求 ≥ {v.num(s.pass_min)}"
            rows.append(("", _Md("**总分**"), "", _Md(f"**{total}**"), need))
            lines += _table(("编号", "评估项目", "满分", "得分", "计分方式"), rows)
            reading = v.score_reading(county)
            if reading:
                lines += [_text(reading), ""]
        if county.not_evaluated:
            lines += ["### 未评估项目", ""]
            lines += _table(
                ("项目", "原因", "依据"),
                ((c.title, c.detail, c.source) for c in county.not_evaluated),
            )
    if report.data_issues:
        lines += ["## 数据问题", ""]
        rows = []
        for issue in report.data_issues:
            d = issue.to_dict() if hasattr(issue, "to_dict") else dict(issue)
            rows.append(
                (
                    "错误" if d.get("severity") == "error" else "警告",
                    d.get("record_id") or "",
                    d.get("field") or "",
                    d.get("message") or "",
                )
            )
        lines += _table(("级别", "学校", "字段", "问题"), rows)
    documents = v.documents(report)
    if documents:
        lines += ["## 依据文件", ""]
        lines += _table(
            ("文件", "类别", "日期", "说明"),
            ((d["citation"], d["kind"], d["date"], d["note"]) for d in documents),
        )
    for sec in v.sections(report):
        lines += [f"## {_text(sec['title'])}", ""]
        if sec["note"]:
            lines += [_text(sec["note"]), ""]
        if sec["rows"]:
            width = max([len(sec["columns"]), *(len(r) for r in sec["rows"])])
            headers = [*sec["columns"], *[""] * (width - len(sec["columns"]))]
            rows = [[*r, *[""] * (width - len(r))] for r in sec["rows"]]
            lines += _table(headers, rows)
    lines += [
        "---",
        "",
        f"*由 junheng {prov.get('engine_version', '')} 根据所提供数据生成；"
        f"规则集 `{prov.get('ruleset_id', rs.id)}`"
        + (f"（SHA-256 `{prov['ruleset_sha256'][:16]}…`）" if prov.get("ruleset_sha256") else "")
        + (f"；评估时间 {prov['evaluated_at']}" if prov.get("evaluated_at") else "")
        + "。评估结论以督导部门认定为准。*",
        "",
    ]
    return replace_unsafe("\n".join(lines)).encode("utf-8")


def _gap_table(gaps: Sequence[v.Gap]) -> list[str]:
    return _table(
        ("学校", "学段", "未达标项目", "现状", "标准", "差距"),
        (
            (
                f"{g.school_name}（{g.school_id}）",
                v.stage_title(g.stage),
                g.title,
                g.current,
                g.requirement,
                g.gap_text,
            )
            for g in gaps
        ),
    )
