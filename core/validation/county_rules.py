"""What a ruleset asks of the county record: checked when validating for that ruleset.

- every county field its rules read (items, survey, veto facts) and every score node
  the county assesses itself: a missing one is a ``missing_field`` warning naming the
  rule (the criterion will be "not evaluated" and the county cannot pass);
- a self-assessed score above its node's maximum points is a ``score_above_maximum``
  error (it would silently lift the total);
- the finance series must hold every fiscal year a multi-year rule judges and the
  year before the first (growth needs it): a missing one is a ``missing_year``
  warning.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from ..issues import DataIssue
from .where import Where

__all__ = ["county_rule_issues"]

_BLOCK_WORDS = {"items": "县级指标", "survey": "调查结果", "vetoes": "否决情形"}


def county_rule_issues(
    counties: Sequence[Any], ruleset: Any, names: Any, where: Where
) -> list[DataIssue]:
    """The issues of each county record against what ``ruleset`` reads (``names``: the
    engine's :class:`~junheng.names.NameSpace`)."""
    out: list[DataIssue] = []
    readers = _readers(ruleset)
    paths = sorted(names.county_fields_read(ruleset))
    for index, record in enumerate(counties):
        if not isinstance(record, Mapping):
            continue
        out += _missing(record, index, paths, readers, where)
        out += _scores(record, index, ruleset, where)
        out += _years(record, index, ruleset, where)
    return out


def _readers(ruleset: Any) -> dict[str, str]:
    """County name → the title of the first rule reading it."""
    out: dict[str, str] = {}
    formulas = [(i.meta.title, i.formula) for i in ruleset.county_items.values()]
    formulas += [(v.meta.title, v.when) for v in ruleset.vetoes.values()]
    formulas += [(r.meta.title, r.condition) for r in ruleset.multi_year.values()]
    if ruleset.score is not None:
        formulas += [(n.meta.title, n.formula) for n in ruleset.score.nodes]
    for title, formula in formulas:
        for name in sorted(formula.names) if formula is not None else ():
            out.setdefault(name.split("@", 1)[0], title)
    return out


def _missing(
    record: Mapping[str, Any], index: int, paths: list[str], readers: dict[str, str], where: Where
) -> list[DataIssue]:
    out = []
    for path, block, name in _split(tuple(paths)):
        values = record.get(block)
        # exact type first: a county file's blocks are dicts (isinstance against Mapping
        # per field and county was most of this step's 0.05 s at 2,997 counties)
        if (type(values) is dict or isinstance(values, Mapping)) and values.get(name) is not None:
            continue
        rule = readers.get(name, "")
        out.append(
            where.issue(
                "warning",
                "missing_field",
                f"缺少{_BLOCK_WORDS.get(block, '县级数据')} {path}"
                + (f"（规则“{rule}”需要）" if rule else "")
                + "：该项无法评估，县域不能认定为通过。",
                index,
                record,
                path,
                expected="a value",
            )
        )
    return out


@cache
def _split(paths: tuple[str, ...]) -> tuple[tuple[str, str, str], ...]:
    """(path, block, field) of each county path the ruleset reads, the finance series left
    out (the years are :func:`_years`' concern)."""
    out = []
    for path in paths:
        if not path.startswith("finance[]."):
            block, name = path.split(".", 1)
            out.append((path, block, name))
    return tuple(out)


def _scores(record: Mapping[str, Any], index: int, ruleset: Any, where: Where) -> list[DataIssue]:
    if ruleset.score is None:
        return []
    given = record.get("scores") if isinstance(record.get("scores"), Mapping) else {}
    out = []
    for node in ruleset.score.nodes:
        if node.kind != "assessed":
            continue
        value = given.get(node.meta.id)
        path = f"scores.{node.meta.id}"
        if value is None:
            out.append(
                where.issue(
                    "warning",
                    "missing_field",
                    f"评分自查表缺少“{node.meta.title}”的自评得分 {path}（满分 {node.points:g}）："
                    "总分无法计算，县域不能认定为通过。",
                    index,
                    record,
                    path,
                    expected=f"0–{node.points:g}",
                )
            )
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            if value > node.points + 1e-9:
                out.append(
                    where.issue(
                        "error",
                        "score_above_maximum",
                        f"“{node.meta.title}”自评得分 {value:g} 超过该项满分 {node.points:g} 分。",
                        index,
                        record,
                        path,
                        found=value,
                        expected=f"≤ {node.points:g}",
                    )
                )
    return out


def _years(record: Mapping[str, Any], index: int, ruleset: Any, where: Where) -> list[DataIssue]:
    back = max((rule.years for rule in ruleset.multi_year.values()), default=0)
    if not back:
        return []
    series = record.get("finance") if isinstance(record.get("finance"), list) else []
    known = sorted(
        {y for y in (e.get("year") for e in series if isinstance(e, Mapping)) if type(y) is int}
    )
    years = set(known)
    latest = max(known, default=None)
    if latest is None:
        county_year = record.get("year")
        latest = county_year - 1 if type(county_year) is int else None
    if latest is None:
        return []
    wanted = range(latest - back, latest + 1)
    missing = [y for y in wanted if y not in years]
    if not missing:
        return []
    rules = "、".join(f"“{r.meta.title}”" for r in ruleset.multi_year.values())
    return [
        where.issue(
            "warning",
            "missing_year",
            f"经费数据缺少 {'、'.join(f'{y}年' for y in missing)}：{rules}需要 "
            f"{wanted[0]}–{wanted[-1]} 年逐年的数据（判断近 {back} 年，每年与上一年比较），"
            "缺少的年度无法判断。",
            index,
            record,
            "finance",
            found=sorted(known),
            expected=list(wanted),
        )
    ]
