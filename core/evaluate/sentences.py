"""The Chinese sentences of a verdict: what each criterion's ``detail`` and ``evidence`` say.

Every sentence an evaluation writes into a report is built here, from numbers
the engine computed (formatted by :func:`junheng.numbers.format_number`), so
their wording is in one place: ``实际 8.5%，要求 ≥ 10%``, ``小学差异系数 0.612，限值 ≤ 0.5``,
``近3年：2022年达到，2023年未达到，2024年达到；要求至少 2 年达到``,
``2023年：教育财政拨款增长不高于财政经常性收入增长``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..domain import STAGE_TITLES
from ..names import NameSpace
from ..numbers import format_number, format_numbers

__all__ = [
    "cv_detail",
    "item_detail",
    "k_of_n_details",
    "multi_year_detail",
    "part_words",
    "schools_detail",
    "score_floor_detail",
    "score_total_detail",
    "veto_detail",
    "year_evidence",
]


def fmt(x: Any) -> str:
    """A number in a verdict sentence (``无法计算`` when undefined)."""
    return format_number(x, grouping=False, undefined="无法计算")


def fmt_all(values: Any) -> list[str]:
    """:func:`fmt` of a whole column (county values of a national batch)."""
    return format_numbers(values, grouping=False, undefined="无法计算")


def k_of_n_details(
    titles: Sequence[str], count: Any, met: Any, ratio: Any, units: Sequence[int]
) -> list[str]:
    """Per unit of ``units``: ``7项中6项达标；生均教学仪器设备值为要求的86.0%`` — how many
    of the rule's indicators are met (``count``) and how far each unmet one is, as a share
    of its requirement (``met`` and ``ratio``: indicator × unit).

    The unmet indicators are found on whole columns; only they are formatted (a national
    batch has tens of thousands of such units, most missing one indicator).
    """
    idx = np.asarray(units, dtype=np.intp)
    n = len(titles)
    heads = [f"{n}项中{k}项达标；" for k in range(n + 1)]
    out = [heads[k] for k in np.asarray(count)[idx].astype(int).tolist()]
    r = np.asarray(ratio, dtype=float)[:, idx]
    miss = (np.asarray(met)[:, idx] == 0.0) & np.isfinite(r)
    at, which = np.nonzero(miss.T)  # unit position, indicator: units in order
    templates = [f"{t}为要求的{{:.1f}}%" for t in titles]
    parts: list[list[str]] = [[] for _ in out]
    for k, j, value in zip(at.tolist(), which.tolist(), (r[which, at] * 100).tolist(), strict=True):
        parts[k].append(templates[j].format(value))
    return [head + "；".join(p) for head, p in zip(out, parts, strict=True)]


def schools_detail(n: int, n_fail: int, n_undef: int) -> str:
    parts = [f"参评学校（学段）{n} 个，未达标 {n_fail} 个"]
    if n_undef:
        parts.append(f"数据不全无法判定 {n_undef} 个")
    return "，".join(parts)


def cv_detail(
    stage: str, words: str, text: str, limit: float, undefined: int, schools: int | None = None
) -> str:
    detail = f"{STAGE_TITLES[stage]}{words} {text}，限值 ≤ {limit}"
    if undefined:
        detail += f"；{undefined} 所学校该项数据缺失或无法计算"
    if schools == 1:  # the documents give no smallest number of schools: said, not judged
        detail += "；只有 1 所学校，差异系数恒为 0，不能说明校际是否均衡，请人工核对"
    return detail


def multi_year_detail(rule: Any, years: Sequence[Any], has_record: bool) -> str:
    """``近3年：2022年达到，2023年未达到，2024年达到；要求至少 2 年达到``."""
    if not has_record:
        return "未提供县级数据"
    if not years:
        return "县级数据中没有经费年度数据 (finance)"
    labels = {True: "达到", False: "未达到", None: "数据不全"}
    parts = [f"{y.year}年{labels[y.met]}" for y in years]
    return f"近{rule.years}年：" + "，".join(parts) + f"；要求至少 {rule.min_years_met} 年达到"


def year_evidence(years: Iterable[Any]) -> tuple[str, ...]:
    """The years that missed, grouped by what they missed:
    ``2021年、2023年：教育财政拨款增长不高于财政经常性收入增长``."""
    groups: dict[tuple[str, ...], list[int]] = {}
    for y in years:
        if y.met is False:
            groups.setdefault(y.missed or ("未达到",), []).append(y.year)
    return tuple(
        "、".join(f"{year}年" for year in group) + "：" + "；".join(missed)
        for missed, group in groups.items()
    )


def item_detail(
    item: Any, m: float, value: float | None, has_record: bool, value_text: str = ""
) -> str:
    """``value_text``: ``value`` as :func:`fmt` writes it (formatted for all counties at once)."""
    if not has_record and item.kind != "all_schools":
        return "未提供县级数据"
    if item.kind == "manual":
        return item.meta.note or "需人工认定，规则集未给出可计算的标准"
    if m != m:
        names = ", ".join(sorted(item.formula.names)) if item.formula else ""
        return f"缺少数据：{names}" if names else "缺少数据"
    if item.kind == "value":
        op = "≥" if item.direction == "min" else "≤"
        unit = item.unit or ""
        return f"实际 {value_text}{unit}，要求 {op} {fmt(item.threshold)}{unit}"
    if item.kind == "all_schools":
        return f"{int(value)} 所学校（学段）未达到" if value else "所有学校均达到"
    return "达到" if m == 1.0 else "未达到"


def veto_detail(veto: Any, status: str, has_record: bool) -> str:
    if status == "failed":
        return "一票否决：该情形存在"
    if status == "met":
        return "未发生"
    if not has_record:
        return "缺少判断所需数据（未提供县级数据）"
    return f"缺少判断所需数据：{', '.join(sorted(veto.when.names))}"


def score_total_detail(
    total: float,
    pass_min: float,
    known: float,
    missing: Sequence[str],
    bonus: float = 0.0,
    bonus_counts: bool = True,
) -> str:
    """The score criterion in words; with bonus points that the ruleset does not count
    toward the pass mark, which number was compared (``[score] bonus_counts_toward_pass``)."""
    if total == total:
        if bonus and not bonus_counts:
            return (
                f"总分 {fmt(total)}（含奖励加分 {fmt(bonus)}）；奖励加分不计入认定分数线，"
                f"按不含加分的 {fmt(total - bonus)} 分判断，要求 ≥ {fmt(pass_min)}"
            )
        if bonus:
            return f"总分 {fmt(total)}（含奖励加分 {fmt(bonus)}，计入认定分数线），要求 ≥ {fmt(pass_min)}"
        return f"总分 {fmt(total)}，要求 ≥ {fmt(pass_min)}"
    return (
        f"已得 {fmt(known)} 分；{len(missing)} 个评分项缺少数据或自评得分：{', '.join(missing[:8])}"
    )


def score_floor_detail(points: float, floor: float) -> str:
    return f"得分 {fmt(points)}，要求 ≥ {fmt(floor)}"


# --------------------------------------------------------------------------- multi-year parts

#: a comparison that fails, in words: ``a > b`` failing is "a 不高于 b"
_FAILED_COMPARISON = {
    ast.Gt: "不高于",
    ast.GtE: "低于",
    ast.Lt: "不低于",
    ast.LtE: "高于",
    ast.Eq: "不等于",
    ast.NotEq: "等于",
}


def part_words(text: str, names: NameSpace) -> str:
    """What a year missing one part of a multi-year condition means, in Chinese.

    ``growth(education_appropriation_yuan) > growth(recurrent_revenue_yuan)`` →
    ``教育财政拨款增长不高于财政经常性收入增长``; ``growth(x) > 0`` → ``X未增长``;
    ``x >= prev(x)`` → ``X比上年减少``; anything else → ``未满足：<condition>``.
    """
    tree = ast.parse(text, mode="eval").body
    if isinstance(tree, ast.Compare) and len(tree.ops) == 1:
        left, op, right = tree.left, type(tree.ops[0]), tree.comparators[0]
        zero = isinstance(right, ast.Constant) and right.value == 0
        if zero and _call(left, "growth"):
            field = _label(left.args[0], names)
            return f"{field}未增长" if op is ast.Gt else f"{field}{_FAILED_COMPARISON[op]}0"
        if (
            _call(right, "prev")
            and isinstance(left, ast.Name)
            and ast.dump(left) == ast.dump(right.args[0])
        ):
            if op is ast.GtE:
                return f"{_label(left, names)}比上年减少"
            if op is ast.Gt:
                return f"{_label(left, names)}未比上年增加"
        if op in _FAILED_COMPARISON:
            return f"{_describe(left, names)}{_FAILED_COMPARISON[op]}{_describe(right, names)}"
    return f"未满足：{text}"


def _call(node: ast.AST, name: str) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == name
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Name)
    )


def _label(node: ast.AST, names: NameSpace) -> str:
    return names.label(node.id) if isinstance(node, ast.Name) else ast.unparse(node)


def _describe(node: ast.AST, names: NameSpace) -> str:
    if _call(node, "growth"):
        return f"{_label(node.args[0], names)}增长"
    if _call(node, "prev"):
        return f"上年{_label(node.args[0], names)}"
    if isinstance(node, ast.Name):
        return names.label(node.id)
    if isinstance(node, ast.Constant):
        return format_number(node.value, grouping=False)
    return ast.unparse(node)
