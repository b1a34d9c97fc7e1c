"""The comparison as Markdown, to paste into a rectification report (整改报告) or the next
self-assessment (自评报告): what to note first, the two reports, per county the verdict, the
criteria that changed and the CVs that crossed their limits, the school gaps that changed,
the schools only one report has."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

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
from .model import Comparison, CountyComparison

__all__ = ["render"]


_ESCAPE = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", **{c: "\\" + c for c in "\\`*_[]|"}}
)


def _cell(text: object) -> str:
    """Text from the reports (names, titles, file names) as Markdown that shows it as it is:
    no HTML (``<script>``), no link, image or emphasis of its own, no end of a table cell."""
    value = "" if text is None else str(text)
    return value.translate(_ESCAPE).replace("\r", " ").replace("\n", " ")


def _table(head: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return [*out, ""]


def _name(code: str, name: str | None) -> str:
    return f"{name}（{code}）" if name else code


def render(comparison: Comparison) -> bytes:
    c = comparison
    out = ["# 两次评估对比", "", f"{OLD}：{_cell(c.old.file)} → {NEW}：{_cell(c.new.file)}", ""]
    if c.notes:
        out += ["> **请先注意：**", ">"]
        out += [f"> - {_cell(n)}" for n in c.notes]
        out.append("")
    a, b = c.old, c.new
    out += ["## 两份报告", ""]
    out += _table(
        ("", OLD, NEW),
        [
            (
                "规则集",
                f"{a.ruleset.title}（{a.ruleset.id}）",
                f"{b.ruleset.title}（{b.ruleset.id}）",
            ),
            ("规则集版本", a.ruleset.version, b.ruleset.version),
            ("规则集内容 SHA-256", (a.ruleset.sha256 or "—")[:16], (b.ruleset.sha256 or "—")[:16]),
            ("junheng 版本", a.engine_version, b.engine_version),
            ("评估时间", a.evaluated_at, b.evaluated_at),
            ("县数", a.counties, b.counties),
            ("参评学校（学段）数", a.schools, b.schools),
        ],
    )
    s = c.summary()
    out += [
        "## 概况",
        "",
        f"- 县：由未通过变为通过 {s['failed_to_passed']} 个，由通过变为未通过 {s['passed_to_failed']} 个"
        f"（共对比 {s['counties']} 个）",
        f"- 评估项目：新达标 {s['criteria_newly_met']} 项，新未达标 {s['criteria_newly_failed']} 项",
        f"- 差异系数：由超限变为达标 {s['cv_newly_met']} 个，由达标变为超限 {s['cv_newly_failed']} 个",
        f"- 学校差距：消除 {s['gaps_closed']} 项，缩小 {s['gaps_reduced']} 项，扩大 {s['gaps_grown']} 项，"
        f"新增 {s['gaps_new']} 项（{s['schools_changed']} 个学校学段有变化）",
        "",
    ]
    for county in c.counties:
        out += _county(county)
    for label, counties in ((OLD, c.counties_only_old), (NEW, c.counties_only_new)):
        if counties:
            out += [f"## 仅{label}有的县", ""]
            out += _table(
                ("县（区）", "结论"),
                [(_name(x.county_code, x.name), passed_word(x.passed)) for x in counties],
            )
    if c.schools:
        out += ["## 学校差距变化", ""]
        rows = []
        for school in c.schools:
            label = f"{school.name or ''}（{school.id}）"
            verdict = f"{school_word(school.old_passed)} → {school_word(school.new_passed)}"
            for k, g in enumerate(school.gaps):
                first = k == 0
                rows.append(
                    (
                        label if first else "",
                        stage_word(school.stage) if first else "",
                        verdict if first else "",
                        g.title,
                        GAP_CHANGE[g.change],
                        gap_text(g),
                    )
                )
            if not school.gaps:
                rows.append((label, stage_word(school.stage), verdict, "", "", ""))
        out += _table(("学校", "学段", "学校结论", "项目", "变化", f"{OLD} → {NEW}"), rows)
    for label, other, schools in (
        (OLD, NEW, c.schools_only_old),
        (NEW, OLD, c.schools_only_new),
    ):
        if schools:
            out += [f"## 仅{label}有的学校学段", ""]
            out += _table(
                ("学校", "学段", "结论", "说明"),
                [
                    (
                        f"{x.name or ''}（{x.id}）",
                        stage_word(x.stage),
                        school_word(x.passed),
                        only_in_note(x, other),
                    )
                    for x in schools
                ],
            )
    return ("\n".join(out).rstrip("\n") + "\n").encode("utf-8")


def _county(x: CountyComparison) -> list[str]:
    out = [
        f"## {_cell(_name(x.county_code, x.name))}",
        "",
        f"**结论：{passed_word(x.old_passed)} → {passed_word(x.new_passed)}（{VERDICT[x.verdict]}）**",
        "",
    ]
    rows = [
        (CRITERION_CHANGE[r.change], r.title, criterion_values(r), MOVEMENT[r.movement])
        for r in (
            *x.newly_met,
            *x.newly_failed,
            *x.newly_not_evaluated,
            *x.still_failed,
            *x.criteria_only_old,
            *x.criteria_only_new,
        )
    ]
    if rows:
        out += _table(("变化", "项目", f"{OLD} → {NEW}", "相对要求"), rows)
    else:
        out += ["评估项目无变化。", ""]
    crossed = x.cv_crossed
    if crossed:
        out += ["越过限值的差异系数：", ""]
        out += _table(
            ("学段", "指标", "变化", "差异系数"),
            [(stage_word(v.stage), v.title, CV_CHANGE[v.change], cv_text(v)) for v in crossed],
        )
    return out
