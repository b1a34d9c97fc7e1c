"""The terminal summary of a comparison (rich): what changed, first what the reader must know.

Compact by design, like the evaluation summary: with more than
:data:`MAX_DETAILED_COUNTIES` counties one row per county; at most :data:`MAX_SCHOOL_ROWS`
school units, the ones that went backwards first; the comparison files hold everything.
One row per changed check, so an item and its gap stay on one line however the item wraps.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .labels import (
    CRITERION_CHANGE,
    CV_CHANGE,
    GAP_CHANGE,
    MOVEMENT,
    NEW,
    OLD,
    VERDICT,
    criterion_values,
    cv_text,
    gap_text,
    only_in_note,
    passed_word,
    school_word,
    stage_word,
)
from .model import Comparison, CountyComparison, SchoolComparison

__all__ = ["print_comparison"]

#: more counties than this: one table row per county
MAX_DETAILED_COUNTIES = 5
#: school units listed with their gap changes
MAX_SCHOOL_ROWS = 15
#: school units only in one report listed by name
MAX_ONLY_ROWS = 10

_CHANGE_STYLE = {
    "newly_met": "green",
    "newly_failed": "red",
    "still_failed": "yellow",
    "newly_not_evaluated": "yellow",
    "only_old": "cyan",
    "only_new": "cyan",
}
_GAP_STYLE = {
    "closed": "green",
    "reduced": "green",
    "now_met": "green",
    "grown": "red",
    "new": "red",
    "undetermined": "yellow",
}
#: regressions first: the reader acts on them
_GAP_ORDER = {"new": 0, "grown": 1, "undetermined": 2, "reduced": 3, "closed": 4, "now_met": 5}


def _county_name(code: str, name: str | None) -> str:
    return f"{name}（{code}）" if name else code


def print_comparison(comparison: Comparison, console: Console) -> None:
    """Print the summary of ``comparison`` on ``console``."""
    c = comparison
    console.print(
        f"[bold]对比[/] {escape(c.old.file)}（{OLD}）→ {escape(c.new.file)}（{NEW}）", markup=True
    )
    a, b = c.old.ruleset, c.new.ruleset
    if c.same_ruleset:
        console.print(
            f"规则集：{escape(b.title)}（{escape(b.id)}，版本 {escape(b.version)}），两次相同"
        )
    else:
        console.print(
            f"[bold yellow]规则集不同：[/]{escape(a.id)}（版本 {escape(a.version)}）→ "
            f"{escape(b.id)}（版本 {escape(b.version)}）"
        )
    for note in c.notes:
        console.print(f"[bold yellow]注意：[/]{escape(note)}")
    console.print(
        f"评估时间：{escape(c.old.evaluated_at or '—')} → {escape(c.new.evaluated_at or '—')}"
    )
    words = {"same": "未变", "changed": "已变", "only_old": f"仅{OLD}有", "only_new": f"仅{NEW}有"}
    shown = [f"{i.name} {words[i.status]}" for i in c.inputs if i.status in words]
    if shown:
        console.print("输入文件：" + escape("，".join(shown)))
    if len(c.counties) > MAX_DETAILED_COUNTIES:
        _county_table(c, console)
    else:
        for county in c.counties:
            _county_detail(county, console)
    for label, counties in ((OLD, c.counties_only_old), (NEW, c.counties_only_new)):
        if counties:
            names = "、".join(_county_name(x.county_code, x.name) for x in counties[:MAX_ONLY_ROWS])
            more = f" 等 {len(counties)} 个" if len(counties) > MAX_ONLY_ROWS else ""
            console.print(f"[cyan]仅{label}有的县：[/]{escape(names)}{more}")
    _schools(c, console)
    _only_schools(c, console)


def _county_detail(county: CountyComparison, console: Console) -> None:
    name = _county_name(county.county_code, county.name)
    style = {"failed_to_passed": "green", "passed_to_failed": "red"}.get(county.verdict, "")
    verdict = VERDICT[county.verdict]
    console.print(
        f"\n[bold]{escape(name)}：[/]{passed_word(county.old_passed)} → "
        f"{passed_word(county.new_passed)}（"
        + (f"[bold {style}]{verdict}[/]" if style else verdict)
        + "）"
    )
    rows = [
        *county.newly_met,
        *county.newly_failed,
        *county.newly_not_evaluated,
        *county.still_failed,
        *county.criteria_only_old,
        *county.criteria_only_new,
    ]
    if rows:
        table = Table(title="评估项目变化", header_style="bold")
        for col in ("变化", "项目", f"{OLD} → {NEW}", "说明"):
            table.add_column(col, overflow="fold")
        for r in rows:
            style = _CHANGE_STYLE[r.change]
            table.add_row(
                f"[{style}]{CRITERION_CHANGE[r.change]}[/]",
                escape(r.title),
                escape(criterion_values(r)),
                MOVEMENT[r.movement] if r.change == "still_failed" else "",
            )
        console.print(table)
    else:
        console.print("评估项目：无变化")
    crossed = county.cv_crossed
    if crossed:
        table = Table(title="越过限值的差异系数", header_style="bold")
        for col in ("学段", "指标", "变化", f"差异系数 {OLD} → {NEW}"):
            table.add_column(col, overflow="fold")
        for v in crossed:
            style = "green" if v.change == "newly_met" else "red"
            table.add_row(
                stage_word(v.stage),
                escape(v.title),
                f"[{style}]{CV_CHANGE[v.change]}[/]",
                cv_text(v),
            )
        console.print(table)
    moved = [v for v in county.cv if not v.crossed and v.delta]
    if moved:
        console.print(f"另有 {len(moved)} 个差异系数有变动但未越过限值（详见对比结果 cv）")


def _county_table(c: Comparison, console: Console) -> None:
    s = c.summary()
    console.print(
        f"\n共 {s['counties']} 个县（区）：由未通过变为通过 {s['failed_to_passed']} 个，"
        f"由通过变为未通过 {s['passed_to_failed']} 个"
    )
    changed = sorted(
        (x for x in c.counties if x.changed),
        key=lambda x: {"passed_to_failed": 0, "failed_to_passed": 1}.get(x.verdict, 2),
    )
    gaps: dict[str, dict[str, int]] = {}
    for school in c.schools:
        counts = gaps.setdefault(school.county_code or "", dict.fromkeys(_GAP_ORDER, 0))
        for g in school.gaps:
            counts[g.change] += 1
    table = Table(header_style="bold")
    for col in (
        "县（区）",
        "结论",
        "新达标",
        "新未达标",
        "新未评估",
        "仍未达标",
        "差异系数越限变化",
        "学校差距 消/缩/扩/增",
    ):
        table.add_column(col, overflow="fold")
    for x in changed[:30]:
        g = gaps.get(x.county_code, dict.fromkeys(_GAP_ORDER, 0))
        closer = sum(1 for s in x.still_failed if s.movement == "closer")
        table.add_row(
            escape(_county_name(x.county_code, x.name)),
            f"{passed_word(x.old_passed)} → {passed_word(x.new_passed)}",
            str(len(x.newly_met)),
            str(len(x.newly_failed)),
            str(len(x.newly_not_evaluated)),
            f"{len(x.still_failed)}（{closer} 项更接近）" if closer else str(len(x.still_failed)),
            str(len(x.cv_crossed)),
            f"{g['closed']}/{g['reduced']}/{g['grown']}/{g['new']}",
        )
    if changed:
        console.print(table)
    rest = len(c.counties) - min(len(changed), 30)
    if rest:
        console.print(
            f"另有 {rest} 个县（区）未列出（评估项目无变化或超出显示行数），详见对比结果 counties"
        )


def _schools(c: Comparison, console: Console) -> None:
    s = c.summary()
    console.print(
        f"\n学校差距：消除 {s['gaps_closed']} 项、缩小 {s['gaps_reduced']} 项、"
        f"扩大 {s['gaps_grown']} 项、新增 {s['gaps_new']} 项"
        f"（{s['schools_changed']} 个学校学段有变化，{s['schools_unchanged']} 个无变化）"
    )
    if not c.schools:
        return

    def rank(school: SchoolComparison) -> int:
        return min((_GAP_ORDER[g.change] for g in school.gaps), default=9)

    shown = sorted(c.schools, key=rank)[:MAX_SCHOOL_ROWS]
    table = Table(
        title=f"学校差距变化（共 {len(c.schools)} 个学校学段，列出 {len(shown)} 个）",
        header_style="bold",
    )
    for col in ("学校", "学段", "项目", "变化", f"{OLD} → {NEW}"):
        table.add_column(col, overflow="fold")
    table.columns[4].no_wrap = True
    for school in shown:
        gaps = sorted(school.gaps, key=lambda g: _GAP_ORDER[g.change]) or [None]
        for k, g in enumerate(gaps):
            first = k == 0
            table.add_row(
                escape(f"{school.name or ''}（{school.id}）") if first else "",
                stage_word(school.stage) if first else "",
                escape(g.title) if g else "（学校结论）",
                f"[{_GAP_STYLE[g.change]}]{GAP_CHANGE[g.change]}[/]" if g else "",
                escape(gap_text(g))
                if g
                else f"{school_word(school.old_passed)} → {school_word(school.new_passed)}",
                end_section=k == len(gaps) - 1,
            )
    console.print(table)


def _only_schools(c: Comparison, console: Console) -> None:
    for label, other, schools in (
        (OLD, NEW, c.schools_only_old),
        (NEW, OLD, c.schools_only_new),
    ):
        if not schools:
            continue
        console.print(f"\n[cyan]仅{label}有的学校学段（{len(schools)} 个）：[/]")
        for s in schools[:MAX_ONLY_ROWS]:
            console.print(
                f"  {escape(s.name or '')}（{escape(s.id)}，{stage_word(s.stage)}）"
                f"{school_word(s.passed)}；{escape(only_in_note(s, other))}"
            )
        if len(schools) > MAX_ONLY_ROWS:
            console.print(f"  另有 {len(schools) - MAX_ONLY_ROWS} 个，详见对比结果")
