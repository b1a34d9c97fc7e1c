"""The Chinese words of a comparison: each change kind's label and the phrases every renderer
(terminal, HTML, XLSX, Markdown) writes the same way — one place, so the four agree."""

from __future__ import annotations

from ..numbers import format_number
from .model import CriterionChange, CvChange, GapChange, SchoolOnlyIn

__all__ = [
    "CRITERION_CHANGE",
    "CV_CHANGE",
    "GAP_CHANGE",
    "MOVEMENT",
    "NEW",
    "OLD",
    "STAGE",
    "STATUS",
    "VERDICT",
    "criterion_values",
    "cv_text",
    "gap_text",
    "num",
    "only_in_note",
    "passed_word",
    "school_word",
    "stage_word",
]

#: how the two reports are named everywhere
OLD = "原报告"
NEW = "新报告"

STAGE = {"primary": "小学", "junior": "初中"}
STATUS = {"met": "达标", "failed": "未达标", "not_evaluated": "未评估", None: "—"}
VERDICT = {
    "failed_to_passed": "由未通过变为通过",
    "passed_to_failed": "由通过变为未通过",
    "unchanged": "结论未变",
}
CRITERION_CHANGE = {
    "newly_met": "新达标",
    "newly_failed": "新未达标",
    "still_failed": "仍未达标",
    "newly_not_evaluated": "新变为未评估",
    "only_old": f"仅{OLD}有此项",
    "only_new": f"仅{NEW}有此项",
}
CV_CHANGE = {
    "newly_met": "由超限变为达标",
    "newly_failed": "由达标变为超限",
    "still_met": "仍达标",
    "still_failed": "仍超限",
    "undetermined": "无法计算",
    "no_limit": "无限值",
    "only_old": f"仅{OLD}有",
    "only_new": f"仅{NEW}有",
}
GAP_CHANGE = {
    "closed": "差距消除",
    "reduced": "差距缩小",
    "grown": "差距扩大",
    "new": "新增差距",
    "now_met": "现已达标（原无法判定）",
    "undetermined": "现无法判定（缺数据）",
}
MOVEMENT = {"closer": "更接近要求", "further": "离要求更远", "same": "未变", None: ""}


def num(x: float | None, decimals: int = 3) -> str:
    return format_number(x, decimals=decimals)


def stage_word(stage: str | None) -> str:
    return STAGE.get(stage or "", stage or "")


def passed_word(passed: bool | None) -> str:
    """A county's verdict: 通过 / 未通过."""
    return {True: "通过", False: "未通过", None: "无法判定"}[passed]


def school_word(passed: bool | None) -> str:
    """A school unit's verdict: 达标 / 未达标."""
    return {True: "达标", False: "未达标", None: "无法判定"}[passed]


def _with_unit(x: float | None, unit: str | None) -> str:
    if x is None or not unit:
        return num(x)
    return f"{num(x)}{unit}" if unit == "%" else f"{num(x)} {unit}"


def criterion_values(c: CriterionChange) -> str:
    """``8.5% → 12%（要求 10%）`` — the value before and after against the requirement
    (one side only for a criterion only one report has)."""
    word = "限值" if c.kind in ("cv", "composite_cv") else "要求"
    prefix = "未达标 " if c.kind == "schools" else ""  # its value: the school units that fail
    if c.change in ("only_old", "only_new"):
        value, limit = (
            (c.old_value, c.old_limit) if c.change == "only_old" else (c.new_value, c.new_limit)
        )
        if value is None:
            return ""
        text = f"{prefix}{_with_unit(value, c.unit)}"
        return text + (f"（{word} {_with_unit(limit, c.unit)}）" if limit is not None else "")
    if c.old_value is None and c.new_value is None:
        return ""
    text = f"{prefix}{_with_unit(c.old_value, c.unit)} → {_with_unit(c.new_value, c.unit)}"
    if c.old_limit is not None or c.new_limit is not None:
        if _same(c.old_limit, c.new_limit):
            text += f"（{word} {_with_unit(c.new_limit, c.unit)}）"
        else:
            old, new = _with_unit(c.old_limit, c.unit), _with_unit(c.new_limit, c.unit)
            text += f"（{word}由 {old} 改为 {new}）"
    return text


def _same(a: float | None, b: float | None) -> bool:
    return a == b or (a is not None and b is not None and abs(a - b) <= 1e-9 * max(abs(a), abs(b)))


def cv_text(c: CvChange) -> str:
    """``0.333 → 0.6（限值 0.5）``."""
    text = f"{num(c.old_cv)} → {num(c.new_cv)}"
    if _same(c.old_limit, c.new_limit):
        return text + (f"（限值 {num(c.new_limit)}）" if c.new_limit is not None else "")
    return text + f"（限值由 {num(c.old_limit)} 改为 {num(c.new_limit)}）"


def gap_text(g: GapChange) -> str:
    """``缺 1,404 m² → 0``, ``缺 150 m² → 缺 50 m²``."""

    def side(met: bool | None, shortfall: float | None) -> str:
        if met is None:
            return "无法判定"
        if met:
            return "达标"
        return (
            f"缺 {num(shortfall, 1)} {g.unit or ''}".rstrip() if shortfall is not None else "未达标"
        )

    return f"{side(g.old_met, g.old_shortfall)} → {side(g.new_met, g.new_shortfall)}"


def only_in_note(s: SchoolOnlyIn, other: str) -> str:
    """Why a school unit is missing from the other report."""
    if s.excluded_reason:
        return f"{other}中未参评：{s.excluded_reason}"
    return f"{other}中没有该学校学段（新建、撤并、停办，或数据未提交？）"
