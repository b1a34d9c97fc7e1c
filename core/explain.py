"""Explanations: the reasoning chain behind one school's or one county's result.

For every rule: which rule, the formula, the formula with this school's (or
county's) numbers substituted, the requirement, the result, the gap in real
units and the source clause — e.g.::

    teachers_above_degree / students * 100 = 21 / 420 × 100 = 5 ≥ 4.2 ✓

Everything is read from a finished :class:`~junheng.results.Report` (the check
columns and :attr:`SchoolTable.env`, the values every formula read) plus, for
county items, the county record the report was computed from. Nothing is
re-evaluated differently from the engine: the substituted expression is the
rule's own formula text with names replaced by numbers, and the result shown is
the engine's result.

:func:`explain_school` and :func:`explain_county` return plain dicts (JSON-ready,
``junheng explain --format json``); :func:`render_text` prints them with rich.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from typing import Any

from .results import CountyResult, Report
from .ruleset import STAGE_TITLES, STAGES

MARK = {True: "✓", False: "✗", None: "？"}
STATUS_MET = {"met": True, "failed": False, "not_evaluated": None}


def fmt(x: Any) -> str:
    """A number as a person writes it: 21, 5.3, 0.612, 212,800; "未知" when undefined."""
    if x is None:
        return "未知"
    if isinstance(x, bool):
        return "是" if x else "否"
    x = float(x)
    if not math.isfinite(x):
        return "未知"
    if x.is_integer() and abs(x) < 1e15:
        return f"{int(x):,}" if abs(x) >= 10_000 else str(int(x))
    if abs(x) >= 100:
        return f"{x:,.2f}".rstrip("0").rstrip(".")
    return f"{x:.4g}" if abs(x) >= 1 else f"{x:.3g}"


class _Substitute(ast.NodeTransformer):
    def __init__(self, values: Mapping[str, Any]):
        self.values = values

    def visit_Call(self, node: ast.Call) -> ast.AST:
        node.args = [self.visit(a) for a in node.args]
        return node  # the function name stays a name

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.values:
            return ast.copy_location(ast.Name(id=fmt(self.values[node.id]), ctx=node.ctx), node)
        return node


def substitute(formula: str, values: Mapping[str, Any]) -> str:
    """The formula with each name replaced by its value (``*`` shown as ×)."""
    tree = ast.parse(formula, mode="eval")
    text = ast.unparse(_Substitute(values).visit(tree))
    return text.replace(" * ", " × ").replace(" / ", " / ")


def _equals(*parts: str) -> str:
    """``a = b = c`` without repeating a part (a bare name's value is shown once)."""
    out: list[str] = []
    for p in parts:
        if not out or out[-1] != p:
            out.append(p)
    return " = ".join(out)


def _op(direction: str) -> str:
    return "≥" if direction == "min" else "≤"


# --------------------------------------------------------------------------- schools


def explain_school(report: Report, school_id: str, stage: str | None = None) -> dict[str, Any]:
    """The reasoning chain for each unit (school × stage) of ``school_id``; KeyError if absent."""
    t = report.schools
    u = t.units
    rs = report.ruleset
    idx = t.find(school_id)
    if stage is not None:
        idx = [i for i in idx if STAGES[int(u.stage[i])] == stage]
    if not idx:
        raise KeyError(school_id)
    units = []
    for i in idx:
        row = t.row(i)
        unit: dict[str, Any] = {
            "id": row.id,
            "name": row.name,
            "stage": row.stage,
            "school_type": row.school_type,
            "county_code": row.county_code,
            "students": row.students,
            "included": bool(u.included[i]),
            "excluded_reason": u.excluded_reason[i],
            "passed": row.passed,
            "steps": [],
        }
        if not u.included[i]:
            units.append(unit)
            continue
        for cid, check in row.checks.items():
            step: dict[str, Any] = {
                "id": cid,
                "title": check.title,
                "source": check.source,
                "formula": check.formula,
                "inputs": dict(check.inputs),
                "value": check.value,
                "threshold": check.threshold,
                "met": check.met,
                "shortfall": check.shortfall,
                "unit": check.unit,
            }
            if cid in rs.indicators:
                ind = rs.indicators[cid]
                sub = substitute(ind.formula.text, check.inputs)
                step["kind"] = "indicator"
                step["requirement"] = f"{_op(ind.direction)} {fmt(check.threshold)} {ind.unit}"
                step["chain"] = (
                    _equals(ind.formula.text, sub, fmt(check.value))
                    + f" {_op(ind.direction)} {fmt(check.threshold)} {MARK[check.met]}"
                )
                if check.met is False and check.shortfall is not None:
                    step["gap"] = f"差距：缺 {fmt(check.shortfall)} {check.unit}"
                    need = _need(ind, check)
                    if need:
                        step["gap"] += f"（{need}）"
            else:
                rule = rs.school_rules[cid]
                step["kind"] = rule.kind
                if rule.kind == "k_of_n":
                    parts = []
                    for iid in rule.indicators:
                        sub_ind = rs.indicators[iid]
                        c = row.checks.get(iid)
                        if c is None:
                            continue
                        ratio = ""
                        if c.met is False and c.value is not None and c.threshold:
                            r = (
                                c.value / c.threshold
                                if sub_ind.direction == "min"
                                else c.threshold / c.value
                            )
                            ratio = f"（为要求的 {r:.1%}）"
                        parts.append(f"{sub_ind.meta.title} {MARK[c.met]}{ratio}")
                    step["parts"] = parts
                    step["requirement"] = (
                        f"{len(rule.indicators)} 项中至少 {rule.min_met} 项达标，"
                        f"其余不低于要求的 {rule.rest_min_ratio:.0%}"
                    )
                    step["chain"] = (
                        f"达标 {fmt(check.value)} 项 / {len(rule.indicators)} 项，"
                        f"要求 ≥ {rule.min_met} 项且余项 ≥ {rule.rest_min_ratio:.0%} {MARK[check.met]}"
                    )
                    if check.met is False:
                        step["gap"] = f"差距：还需 {fmt(check.shortfall)} 项达到要求"
                else:
                    applies = check.met is not None or stage_applies(rule, row.stage)
                    step["requirement"] = "条件成立"
                    sub = substitute(rule.formula.text, check.inputs)
                    result = {True: "成立", False: "不成立", None: "无法判定"}[check.met]
                    if not applies:
                        result = f"不适用于{STAGE_TITLES[row.stage]}"
                    step["chain"] = f"{sub} → {result} {MARK[check.met]}"
            unit["steps"].append(step)
        units.append(unit)
    return {"subject": "school", "ruleset": rs.id, "units": units}


def stage_applies(rule: Any, stage: str) -> bool:
    return stage in getattr(rule, "stages", STAGES)


def _need(ind: Any, check: Any) -> str:
    """For ``A / B * k``: how much A the school needs and has (in A's unit)."""
    from .formula import as_division

    div = as_division(ind.formula)
    if div is None or check.threshold is None:
        return ""
    num, den, scale = div
    have, base = check.inputs.get(num), check.inputs.get(den)
    if have is None or base is None:
        return ""
    need = check.threshold * base / scale
    return f"需 {fmt(need)}，现有 {fmt(have)}"


# --------------------------------------------------------------------------- counties


def county_env(report: Report, county: CountyResult, record: Mapping[str, Any] | None) -> dict:
    """Values a county formula may read: the record's items, survey, vetoes, latest finance
    year, the CVs, and the criteria already judged (1 met / 0 failed)."""
    env: dict[str, Any] = {}
    rec = record or {}
    for block in ("items", "survey", "vetoes"):
        for k, val in (rec.get(block) or {}).items():
            if isinstance(val, (bool, int, float)):
                env[k] = float(val)
    fin = sorted(rec.get("finance") or [], key=lambda r: r.get("year", 0))
    if fin:
        env.update({k: float(v) for k, v in fin[-1].items() if isinstance(v, (int, float))})
    for g in county.groups:
        for iid, st in g.indicators.items():
            env[f"cv_{g.stage}_{iid}"] = st.cv
        env[f"composite_cv_{g.stage}"] = g.composite_cv
    for name, value in report.ruleset.parameters.items():
        env[name] = value.primary
    for c in county.criteria:
        if c.kind in ("county_item", "multi_year") and c.status != "not_evaluated":
            env[c.id] = 1.0 if c.status == "met" else 0.0
    schools = next((c for c in county.criteria if c.kind == "schools"), None)
    if schools is not None:
        env["schools_all_passed"] = STATUS_MET[schools.status]
    return env


def explain_county(
    report: Report, county_code: str, record: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The reasoning chain for every criterion of one county; KeyError if absent."""
    rs = report.ruleset
    county = report.county(county_code)
    env = county_env(report, county, record)
    groups = {g.stage: g for g in county.groups}
    steps = []
    for c in county.criteria:
        met = STATUS_MET[c.status]
        step: dict[str, Any] = {
            "id": c.id,
            "kind": c.kind,
            "title": c.title,
            "source": c.source,
            "status": c.status,
            "met": met,
            "value": c.value,
            "limit": c.limit,
            "detail": c.detail,
        }
        if c.kind == "schools":
            failing = [
                f"{s.name}（{s.id}，{STAGE_TITLES[s.stage]}）"
                for s in report.schools.rows()
                if s.county_code == county_code and s.passed is False
            ]
            step["formula"] = "未达标学校（学段）数 = 0"
            step["chain"] = f"未达标 {fmt(c.value)} 个 = 0 {MARK[met]}"
            step["parts"] = failing
        elif c.kind == "cv":
            iid = c.id.split(".", 2)[2]
            st = groups[c.stage].indicators[iid]
            step["formula"] = (
                "CV = S / x̄，x̄ = Σpᵢxᵢ / Σpᵢ，S = √(Σpᵢ(xᵢ − x̄)² / Σpᵢ)（p 为在校生数）"
            )
            step["chain"] = (
                f"CV = {fmt(st.sd)} / {fmt(st.mean)} = {fmt(st.cv)} ≤ {fmt(c.limit)} {MARK[met]}"
            )
            step["parts"] = [
                f"参评学校 {st.schools} 所"
                + (f"，{st.undefined} 所无法计算" if st.undefined else "")
            ]
        elif c.kind == "composite_cv":
            g = groups[c.stage]
            cvs = [
                st.cv
                for iid, st in g.indicators.items()
                if rs.composite_cv and iid in rs.composite_cv.indicators
            ]
            step["formula"] = "综合差异系数 = 各单项差异系数的算术平均"
            step["chain"] = (
                f"({' + '.join(fmt(x) for x in cvs)}) / {len(cvs)} = {fmt(c.value)} "
                f"≤ {fmt(c.limit)} {MARK[met]}"
            )
        elif c.kind == "county_item":
            item = rs.county_items.get(c.id)
            if item is not None and item.formula is not None:
                step["formula"] = item.formula.text
                sub = substitute(
                    item.formula.text, {n: env.get(n) for n in item.formula.names if n in env}
                )
                if item.kind == "value":
                    step["chain"] = (
                        _equals(item.formula.text, sub, fmt(c.value))
                        + f" {_op(item.direction)} {fmt(item.threshold)}{item.unit or ''} {MARK[met]}"
                    )
                else:
                    step["chain"] = f"{sub} → {MARK[met]}"
            elif item is not None and item.kind == "all_schools":
                step["formula"] = f"每所学校均达到：{item.check}"
                step["chain"] = f"未达到 {fmt(c.value)} 所 {MARK[met]}"
            else:
                step["chain"] = f"{c.detail} {MARK[met]}"
        elif c.kind == "veto":
            veto = rs.vetoes.get(c.id)
            if veto is not None:
                step["formula"] = veto.when.text
                sub = substitute(
                    veto.when.text, {n: env.get(n) for n in veto.when.names if n in env}
                )
                verdict = {
                    "met": "否决情形不存在",
                    "failed": "否决情形存在：一票否决",
                    "not_evaluated": "无法判定",
                }[c.status]
                step["chain"] = f"{sub} → {verdict} {MARK[met]}"
        elif c.kind == "multi_year":
            rule = rs.multi_year.get(c.id)
            if rule is not None:
                step["formula"] = rule.condition.text
            step["chain"] = f"{c.detail} {MARK[met]}"
        else:  # score, score_floor
            step["chain"] = f"{c.detail} {MARK[met]}"
            if c.kind == "score" and county.score is not None:
                step["parts"] = [
                    f"{line.title}：{fmt(line.points)} / {fmt(line.max_points)} 分"
                    for line in county.score.lines
                ]
        steps.append(step)
    return {
        "subject": "county",
        "ruleset": rs.id,
        "county_code": county.county_code,
        "name": county.name,
        "has_county_record": county.has_county_record,
        "passed": county.passed,
        "steps": steps,
    }


# --------------------------------------------------------------------------- text


def render_text(explanation: Mapping[str, Any], console: Any) -> None:
    """Print an explanation with rich (markup off for all data)."""
    from rich.markup import escape

    def line(text: str, style: str | None = None) -> None:
        console.print(f"[{style}]{escape(text)}[/]" if style else escape(text))

    def step_out(n: int, s: Mapping[str, Any]) -> None:
        style = {True: "green", False: "red", None: "yellow"}[s.get("met")]
        line(f"\n{n}. {s['title']}（{s['id']}）", "bold")
        if s.get("formula"):
            line(f"   公式：{s['formula']}")
        if s.get("requirement"):
            line(f"   要求：{s['requirement']}")
        line(f"   计算：{s['chain']}", style)
        for p in s.get("parts") or []:
            line(f"     · {p}")
        if s.get("gap"):
            line(f"   {s['gap']}", "red")
        if s.get("detail") and s["detail"] not in s["chain"]:
            line(f"   说明：{s['detail']}")
        line(f"   依据：{s['source']}", "dim")

    if explanation["subject"] == "school":
        for unit in explanation["units"]:
            verdict = {True: "达标", False: "未达标", None: "无法判定"}[unit["passed"]]
            line(
                f"{unit['name']}（{unit['id']}）· {STAGE_TITLES[unit['stage']]} · "
                f"在校生 {fmt(unit['students'])} 人 · 规则集 {explanation['ruleset']}",
                "bold",
            )
            if not unit["included"]:
                line(f"未参加评估：{unit['excluded_reason']}", "yellow")
                continue
            line(
                f"结论：{verdict}",
                "bold " + {"达标": "green", "未达标": "red"}.get(verdict, "yellow"),
            )
            for n, s in enumerate(unit["steps"], start=1):
                step_out(n, s)
            console.print()
    else:
        name = explanation.get("name") or explanation["county_code"]
        verdict = "通过" if explanation["passed"] else "未通过"
        line(f"{name}（{explanation['county_code']}）· 规则集 {explanation['ruleset']}", "bold")
        line(f"结论：{verdict}", "bold " + ("green" if explanation["passed"] else "red"))
        if not explanation["has_county_record"]:
            line("未提供县级数据：县级指标无法评估，县域不能认定为通过。", "yellow")
        for n, s in enumerate(explanation["steps"], start=1):
            step_out(n, s)
