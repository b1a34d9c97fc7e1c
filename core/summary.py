"""The compact terminal summary printed after ``evaluate`` and ``demo`` (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from .results import Report

STATUS = {"met": "[green]达标[/]", "failed": "[red]未达标[/]", "not_evaluated": "[yellow]未评估[/]"}


def _num(x: float | None, digits: int = 3) -> str:
    if x is None:
        return "—"
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.{digits}f}".rstrip("0").rstrip(".")


def print_summary(report: Report, console: Console, *, worst: int = 10) -> None:
    """Verdict per county, failed and not-evaluated criteria, the schools furthest from passing."""
    rs = report.ruleset
    console.print(f"[bold]规则集[/] {rs.title}（{rs.id}）")
    for county in report.counties:
        name = county.name or county.county_code
        verdict = "[bold green]通过[/]" if county.passed else "[bold red]未通过[/]"
        console.print(f"\n[bold]{name}（{county.county_code}）评估结论：[/]{verdict}")
        rows = [c for c in county.criteria if c.status != "met"]
        if rows:
            table = Table(title="未达标及未评估的项目", header_style="bold", show_lines=False)
            for col in ("项目", "状态", "说明", "依据"):
                table.add_column(col, overflow="fold")
            for c in rows:
                table.add_row(c.title, STATUS[c.status], c.detail, c.source)
            console.print(table)
        if county.score is not None:
            s = county.score
            console.print(
                f"{s.title}：{_num(s.total, 1)} 分"
                + (f"（要求 ≥ {_num(s.pass_min, 1)}）" if s.pass_min is not None else "")
            )

    failing = [s for s in report.schools.rows() if s.passed is False]
    if failing:
        failing.sort(
            key=lambda s: sum(1 for c in s.checks.values() if c.met is False), reverse=True
        )
        table = Table(
            title=f"未达标学校（共 {len(failing)} 个学校学段，列出前 {min(worst, len(failing))} 个）",
            header_style="bold",
        )
        for col in ("学校", "学段", "未达标项目", "差距"):
            table.add_column(col, overflow="fold")
        for s in failing[:worst]:
            gaps = [c for c in s.checks.values() if c.met is False]
            table.add_row(
                f"{s.name}（{s.id}）",
                "小学" if s.stage == "primary" else "初中",
                "\n".join(c.title for c in gaps),
                "\n".join(
                    f"缺 {_num(c.shortfall, 1)} {c.unit}" if c.shortfall is not None else "—"
                    for c in gaps
                ),
            )
        console.print(table)
    errors = sum(1 for i in report.data_issues if getattr(i, "is_error", False))
    warnings = len(report.data_issues) - errors
    if warnings:
        console.print(f"[yellow]数据提示：{warnings} 条警告，详见报告 data_issues[/]")
