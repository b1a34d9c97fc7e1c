"""The compact terminal summary printed after ``evaluate`` and ``demo`` (rich)."""

from __future__ import annotations

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .numbers import format_number
from .results import Report

STATUS = {"met": "[green]达标[/]", "failed": "[red]未达标[/]", "not_evaluated": "[yellow]未评估[/]"}


def _num(x: float | None, digits: int = 3) -> str:
    return format_number(x, decimals=digits)


#: more counties than this: one compact line per county instead of per-county tables
MAX_DETAILED_COUNTIES = 5
#: the county table lists at most this many counties (failing ones first)
MAX_TABLE_COUNTIES = 30
#: more not-evaluated criteria than this: a count and the first few titles, not a table
MAX_NOT_EVALUATED_ROWS = 5


def print_summary(report: Report, console: Console, *, worst: int = 10) -> None:
    """Verdict per county, failed and not-evaluated criteria, the schools furthest from passing.

    Compact by design: with many counties it prints one table row per county; with
    many criteria not evaluated (typically: no county data) it prints their count
    and the first few titles; the report files hold everything.
    """
    rs = report.ruleset
    console.print(f"[bold]规则集[/] {escape(rs.title)}（{escape(rs.id)}）")
    if len(report.counties) > MAX_DETAILED_COUNTIES:
        _county_table(report, console)
    else:
        for county in report.counties:
            _county_detail(county, console)
    _worst_schools(report, console, worst)


def _county_table(report: Report, console: Console) -> None:
    """One row per county, failing counties first, at most :data:`MAX_TABLE_COUNTIES` rows."""
    passed = sum(1 for c in report.counties if c.passed)
    console.print(f"\n共 {len(report.counties)} 个县（区），通过 {passed} 个")
    t = report.schools
    failing = np.bincount(
        t.units.county_index,
        weights=((t.passed == 0.0) & t.units.included).astype(float),
        minlength=len(t.units.county_codes),
    )
    failing_units = dict(zip(t.units.county_codes, failing.astype(int).tolist(), strict=True))
    shown = sorted(report.counties, key=lambda c: c.passed)[:MAX_TABLE_COUNTIES]
    table = Table(header_style="bold")
    for col in ("县（区）", "结论", "未达标项", "未评估项", "未达标学校", "未达标项目"):
        table.add_column(col, overflow="fold")
    for c in shown:
        failed = c.failed_criteria
        titles = "、".join(f.title for f in failed[:3])
        if len(failed) > 3:
            titles += " 等"
        table.add_row(
            escape(f"{c.name or ''}（{c.county_code}）"),
            "[green]通过[/]" if c.passed else "[red]未通过[/]",
            str(len(failed)),
            str(len(c.not_evaluated)),
            str(failing_units.get(c.county_code, 0)),
            escape(titles),
        )
    console.print(table)
    hidden = len(report.counties) - len(shown)
    if hidden:
        all_passed = len(report.counties) - passed <= len(shown)  # failing ones come first
        console.print(
            f"另有 {hidden} 个县（区）未列出{'（均已通过）' if all_passed else ''}，"
            "详见报告 counties"
        )


def _county_detail(county, console: Console) -> None:
    name = f"{county.name}（{county.county_code}）" if county.name else county.county_code
    verdict = "[bold green]通过[/]" if county.passed else "[bold red]未通过[/]"
    console.print(f"\n[bold]{escape(name)} 评估结论：[/]{verdict}")
    not_evaluated = county.not_evaluated
    collapse = len(not_evaluated) > MAX_NOT_EVALUATED_ROWS
    rows = [
        c for c in county.criteria if c.status == "failed" or (c.status != "met" and not collapse)
    ]
    if rows:
        title = "未达标的项目" if collapse else "未达标及未评估的项目"
        table = Table(title=title, header_style="bold", show_lines=False)
        for col in ("项目", "状态", "说明", "依据"):
            table.add_column(col, overflow="fold")
        for c in rows:
            table.add_row(escape(c.title), STATUS[c.status], escape(c.detail), escape(c.source))
        console.print(table)
    if collapse:
        reason = "（未提供县级数据）" if not county.has_county_record else ""
        first = "、".join(c.title for c in not_evaluated[:3])
        console.print(
            f"[yellow]未评估 {len(not_evaluated)} 项{reason}[/]：{escape(first)} 等；"
            "详见报告 not_evaluated"
        )
    if county.score is not None:
        s = county.score
        console.print(
            f"{escape(s.title)}：{_num(s.total, 1)} 分"
            + (f"（要求 ≥ {_num(s.pass_min, 1)}）" if s.pass_min is not None else "")
        )


def _worst_schools(report: Report, console: Console, worst: int) -> None:
    """The ``worst`` failing units (most failed checks first), chosen on the columns."""
    t = report.schools
    failing_idx = np.nonzero((t.passed == 0.0) & t.units.included)[0]
    if failing_idx.size:
        n_failed = np.zeros(failing_idx.size)
        for cid in t.check_ids:
            n_failed += t.met[cid][failing_idx] == 0.0
        order = failing_idx[np.argsort(-n_failed, kind="stable")][:worst]
        table = Table(
            title=f"未达标学校（共 {failing_idx.size} 个学校学段，列出前 {order.size} 个）",
            header_style="bold",
        )
        for col in ("学校", "学段", "未达标项目", "差距"):
            table.add_column(col, overflow="fold")
        table.columns[3].no_wrap = True
        for i in order.tolist():
            s = t.row(i)
            gaps = [c for c in s.checks.values() if c.met is False]
            # one row per failed check: an item and its gap stay on the same line however
            # the item's name wraps
            for k, c in enumerate(gaps):
                table.add_row(
                    escape(f"{s.name}（{s.id}）") if k == 0 else "",
                    ("小学" if s.stage == "primary" else "初中") if k == 0 else "",
                    escape(c.title),
                    f"缺 {_num(c.shortfall, 1)} {c.unit}" if c.shortfall is not None else "—",
                    end_section=k == len(gaps) - 1,
                )
        console.print(table)
    _warnings(report, console)


#: the terminal names at most this many kinds of warning (the report holds them all)
MAX_WARNING_KINDS = 5


def _warnings(report: Report, console: Console) -> None:
    """The data warnings by kind: how many, and the first one's sentence — not just a count."""
    kinds: dict[str, list] = {}
    for issue in report.data_issues:
        if not getattr(issue, "is_error", False):
            kinds.setdefault(issue.code, []).append(issue)
    total = sum(map(len, kinds.values()))
    if not total:
        return
    console.print(f"[yellow]数据提示：{total} 条警告，详见报告 data_issues[/]")
    ranked = sorted(kinds.items(), key=lambda kv: -len(kv[1]))
    for _, issues in ranked[:MAX_WARNING_KINDS]:
        more = f"（共 {len(issues)} 条，同类）" if len(issues) > 1 else ""
        console.print(f"  · {escape(issues[0].message)}{more}", style="yellow")
    if len(ranked) > MAX_WARNING_KINDS:
        rest = sum(len(i) for _, i in ranked[MAX_WARNING_KINDS:])
        console.print(f"  · 另有 {rest} 条其他警告", style="yellow")
