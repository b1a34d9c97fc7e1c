"""What ``junheng rulesets show`` prints after the rule table: the documents the rules
cite, the preparation choices with their basis, and how the score reads its bonus."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table

from junheng.ruleset import Ruleset

__all__ = ["print_ruleset_notes"]

_CHOICES = {"exclude": "不参评", "include": "参评", "fold": "并入中心校统计"}


def print_ruleset_notes(rs: Ruleset, console: Any) -> None:
    """The ruleset's documents, ``[preparation]`` and score reading, in Chinese."""
    if rs.documents:
        table = Table(title="依据文件", header_style="bold", show_lines=True)
        for col in ("编号", "文件", "类别", "日期", "说明"):
            table.add_column(col, overflow="fold")
        for doc in rs.documents.values():
            note = doc.note or ""
            if doc.url:
                note = f"{note}\n{doc.url}" if note else doc.url
            table.add_row(
                *(escape(x) for x in (doc.key, doc.citation, doc.kind, doc.date or "不详", note))
            )
        console.print(table)
    p = rs.preparation
    flag = " [yellow]（假定，待核实）[/]" if p.unverified else ""
    console.print(
        "计算范围：教学点"
        + _CHOICES.get(p.teaching_points, escape(p.teaching_points))
        + "，特殊教育学校"
        + _CHOICES.get(p.special_education, escape(p.special_education))
        + (f"，学生数少于 {p.min_students} 人的不参评" if p.min_students else "")
        + (f"；依据：{escape(p.source)}" if p.source else "")
        + flag
    )
    if p.note:
        console.print(f"  {p.note}", markup=False)
    sc = rs.score
    if sc is not None and any(n.bonus for n in sc.nodes):
        reading = "计入" if sc.bonus_counts_toward_pass else "不计入"
        console.print(
            f"奖励加分{reading}认定分数线（\\[score] bonus_counts_toward_pass = "
            f"{'true' if sc.bonus_counts_toward_pass else 'false'}）"
        )
    if sc is not None and sc.note:
        console.print(f"评分说明：{sc.note}", markup=False)
