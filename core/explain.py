"""Explanations: the reasoning chain behind one school's or one county's result.

For every rule: which rule, the formula, the formula with this school's (or
county's) numbers substituted, the requirement, the result, the gap in real
units and the source clause — e.g.::

    teachers_above_degree / students * 100 = 21 / 420 × 100 = 5 ≥ 4.2 ✓

Everything is read from a finished :class:`~junheng.results.Report`: the school
check columns and :attr:`SchoolTable.env` (the values every school formula read),
and the :class:`~junheng.results.CountyTable` (every county value the engine
used, each multi-year rule's years with the values of each year). Nothing is
evaluated again: the substituted expression is the rule's own formula text with
names replaced by the recorded numbers, and the result shown is the engine's.

:func:`explain_school` and :func:`explain_county` return plain dicts (JSON-ready,
``junheng explain --format json``); :func:`render_text` prints them with rich.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from .domain import STAGE_TITLES, STAGES
from .formula import as_division, prev_name
from .numbers import format_number
from .results import Report

MARK = {True: "✓", False: "✗", None: "？"}
STATUS_MET = {"met": True, "failed": False, "not_evaluated": None}
_VETO_WORDS = {
    "met": "否决情形不存在",
    "failed": "否决情形存在：一票否决",
    "not_evaluated": "无法判定",
}


def fmt(x: Any) -> str:
    """A number in an explanation: 21, 5.3, 0.612, 212,800; "未知" when undefined."""
    return format_number(x, significant=True, undefined="未知")


def _growth(current: Any, previous: Any) -> float | None:
    if current is None or previous in (None, 0):
        return None
    return (current - previous) / previous


def substitute(formula: str, values: Mapping[str, Any]) -> str:
    """The formula with each name replaced by its value (``*`` shown as ×), the rest of
    the text as the rule wrote it; in a multi-year condition ``prev(x)`` and ``growth(x)``
    are replaced by the values of the year judged (``x@prev`` in ``values``)."""
    tree = ast.parse(formula, mode="eval")
    spans: list[tuple[int, int, str]] = []  # character offsets in the (one-line) text
    skip: set[int] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            skip.add(id(node.func))
            arg = node.args[0] if len(node.args) == 1 else None
            if node.func.id in ("prev", "growth") and isinstance(arg, ast.Name):
                previous = prev_name(arg.id)
                if previous in values:
                    skip.add(id(arg))
                    value = values[previous]
                    if node.func.id == "growth":
                        value = _growth(values.get(arg.id), value)
                    spans.append((_offset(formula, node), _end(formula, node), fmt(value)))
        elif isinstance(node, ast.Name) and node.id in values:
            spans.append((_offset(formula, node), _end(formula, node), fmt(values[node.id])))
    text = formula
    for start, end, shown in sorted(spans, reverse=True):
        text = text[:start] + shown + text[end:]
    return text.replace(" * ", " × ")


def _offset(text: str, node: ast.AST) -> int:
    return _position(text, node.lineno, node.col_offset)


def _end(text: str, node: ast.AST) -> int:
    return _position(text, node.end_lineno, node.end_col_offset)


def _position(text: str, line: int, col: int) -> int:
    """A character offset from ast's (line, UTF-8 byte column)."""
    lines = text.split("\n")
    before = sum(len(x) + 1 for x in lines[: line - 1])
    return before + len(lines[line - 1].encode("utf-8")[:col].decode("utf-8"))


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


def explain_county(
    report: Report, county_code: str, record: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The reasoning chain for every criterion of one county; KeyError if absent.

    Every value comes from the report's recorded county values (``record``, the
    county record, is accepted for compatibility and not needed).
    """
    rs = report.ruleset
    county = report.county(county_code)
    table = report.county_table
    c = table.index(county_code)
    names = report.registry.names if report.registry is not None else None
    groups = {g.stage: g for g in county.groups}
    steps = []
    for crit in county.criteria:
        met = STATUS_MET[crit.status]
        step: dict[str, Any] = {
            "id": crit.id,
            "kind": crit.kind,
            "title": crit.title,
            "source": crit.source,
            "status": crit.status,
            "met": met,
            "value": crit.value,
            "limit": crit.limit,
            "detail": crit.detail,
        }
        if crit.evidence:
            step["evidence"] = list(crit.evidence)
        formula = _county_formula(rs, crit)
        if formula is not None:
            step["formula"] = formula.text
        if formula is not None and crit.kind != "multi_year":
            step["inputs"] = {
                n: _yes_no(names, n, table.value(n, c)) for n in sorted(formula.names)
            }
            if names is not None:
                step["labels"] = {n: names.label(n, rs) for n in sorted(formula.names)}
        if crit.kind == "schools":
            u = report.schools.units
            idx = u.county_codes.index(county_code)
            failing = [
                f"{u.names[i]}（{u.ids[i]}，{STAGE_TITLES[STAGES[int(u.stage[i])]]}）"
                for i in range(u.size)
                if u.included[i]
                and int(u.county_index[i]) == idx
                and report.schools.passed[i] == 0.0
            ]
            step["formula"] = "未达标学校（学段）数 = 0"
            step["chain"] = f"未达标 {fmt(crit.value)} 个 = 0 {MARK[met]}"
            step["parts"] = failing
        elif crit.kind == "cv":
            st = groups[crit.stage].indicators[crit.id.split(".", 2)[2]]
            step["formula"] = (
                "CV = S / x̄，x̄ = Σpᵢxᵢ / Σpᵢ，S = √(Σpᵢ(xᵢ − x̄)² / Σpᵢ)（p 为在校生数）"
            )
            step["chain"] = (
                f"CV = {fmt(st.sd)} / {fmt(st.mean)} = {fmt(st.cv)} ≤ {fmt(crit.limit)} {MARK[met]}"
            )
            step["parts"] = [
                f"参评学校 {st.schools} 所"
                + (f"，{st.undefined} 所无法计算" if st.undefined else "")
            ]
        elif crit.kind == "composite_cv":
            g = groups[crit.stage]
            cvs = [
                st.cv
                for iid, st in g.indicators.items()
                if rs.composite_cv and iid in rs.composite_cv.indicators
            ]
            step["formula"] = "综合差异系数 = 各单项差异系数的算术平均"
            step["chain"] = (
                f"({' + '.join(fmt(x) for x in cvs)}) / {len(cvs)} = {fmt(crit.value)} "
                f"≤ {fmt(crit.limit)} {MARK[met]}"
            )
        elif crit.kind == "county_item":
            item = rs.county_items.get(crit.id)
            if formula is not None:
                sub = substitute(formula.text, step["inputs"])
                if item.kind == "value":
                    step["chain"] = (
                        _equals(formula.text, sub, fmt(crit.value))
                        + f" {_op(item.direction)} {fmt(item.threshold)}{item.unit or ''} {MARK[met]}"
                    )
                else:
                    step["chain"] = f"{sub} → {MARK[met]}"
            elif item is not None and item.kind == "all_schools":
                step["formula"] = f"每所学校均达到：{_check_title(rs, item.check)}"
                step["chain"] = f"未达到 {fmt(crit.value)} 所 {MARK[met]}"
            else:
                step["chain"] = f"{crit.detail} {MARK[met]}"
            step["parts"] = [*crit.evidence, *_multi_year_lines(rs, formula, table, c, names)]
        elif crit.kind == "veto":
            sub = substitute(formula.text, step["inputs"]) if formula is not None else ""
            step["chain"] = f"{sub} → {_VETO_WORDS[crit.status]} {MARK[met]}"
            step["parts"] = [*crit.evidence, *_multi_year_lines(rs, formula, table, c, names)]
        elif crit.kind == "multi_year":
            rule = rs.multi_year[crit.id]
            step["chain"] = f"{crit.detail} {MARK[met]}"
            step["parts"] = _year_lines(rule, table.multi_year[crit.id], c, names, rs)
            step["years"] = [y.to_dict() for y in crit.years]
        else:  # score, score_floor
            step["chain"] = f"{crit.detail} {MARK[met]}"
            if crit.kind == "score" and county.score is not None:
                step["parts"] = _score_lines(rs, county.score, table, c)
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


def _yes_no(names: Any, name: str, value: float | None) -> Any:
    """A yes/no field's value as True/False (shown 是/否), other values as they are."""
    field = names.county_field(name) if names is not None else None
    if field is not None and field.type == "boolean" and value is not None:
        return value == 1.0
    return value


def _check_title(rs: Any, check: str) -> str:
    for table in (rs.indicators, rs.school_rules):
        if check in table:
            return table[check].meta.title
    return "学校总体达标"


def _county_formula(rs: Any, crit: Any) -> Any:
    """The formula a county criterion evaluated (None for criteria without one)."""
    if crit.kind == "county_item" and crit.id in rs.county_items:
        return rs.county_items[crit.id].formula
    if crit.kind == "veto" and crit.id in rs.vetoes:
        return rs.vetoes[crit.id].when
    if crit.kind == "multi_year" and crit.id in rs.multi_year:
        return rs.multi_year[crit.id].condition
    return None


def _multi_year_lines(rs: Any, formula: Any, table: Any, c: int, names: Any) -> list[str]:
    """The years of every multi-year rule a county formula reads (``x_years_missed`` …)."""
    if formula is None:
        return []
    lines = []
    for rid, rule in rs.multi_year.items():
        if formula.names & {rid, f"{rid}_years_met", f"{rid}_years_missed"}:
            lines.append(f"{rule.meta.title}（{rid}）：{rule.condition.text}")
            lines += [
                f"  {line}" for line in _year_lines(rule, table.multi_year[rid], c, names, rs)
            ]
    return lines


def _year_lines(rule: Any, trace: Any, c: int, names: Any, rs: Any) -> list[str]:
    """Each year judged: the condition with that year's numbers, the result, what it missed,
    and the values read (``教育财政拨款：2021年 812,000,000 → 2022年 831,000,000``)."""
    lines = []
    fields = sorted({n for n in rule.condition.names if "@" not in n})
    for k in reversed(range(trace.years.shape[0])):
        year = int(trace.years[k, c])
        if year < 0:
            continue
        values = {n: _as_value(trace.inputs[n][k, c]) for n in trace.inputs}
        m = trace.met[k, c]
        result = None if m != m else bool(m == 1.0)
        words = {True: "达到", False: "未达到", None: "数据不全"}[result]
        line = f"{year}年：{substitute(rule.condition.text, values)} → {words} {MARK[result]}"
        missed = [
            w
            for (_, part), w in zip(trace.parts, trace.part_words, strict=True)
            if part[k, c] == 0.0
        ]
        if missed:
            line += f"（{'；'.join(missed)}）"
        lines.append(line)
        for f in fields:
            label = names.label(f, rs) if names is not None else f
            before, now = values.get(prev_name(f)), values.get(f)
            if prev_name(f) in values:
                lines.append(f"    {label}：{year - 1}年 {fmt(before)} → {year}年 {fmt(now)}")
            else:
                lines.append(f"    {label}：{year}年 {fmt(now)}")
    return lines


def _as_value(x: float) -> float | None:
    return None if x != x else float(x)


def _score_lines(rs: Any, score: Any, table: Any, c: int) -> list[str]:
    nodes = {n.meta.id: n for n in rs.score.nodes}
    lines = []
    for line in score.lines:
        text = f"{line.title}：{fmt(line.points)} / {fmt(line.max_points)} 分"
        node = nodes.get(line.id)
        if node is not None and node.formula is not None:
            values = {n: table.value(n, c) for n in node.formula.names}
            text += f"（{substitute(node.formula.text, values)}）"
        lines.append(text)
    return lines


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
        if s.get("labels"):
            values = s.get("inputs") or {}
            shown = "；".join(
                f"{label}（{n}）= {fmt(values.get(n))}" for n, label in s["labels"].items()
            )
            line(f"   数据：{shown}")
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
