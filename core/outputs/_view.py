"""What the human-readable reports (HTML, XLSX, Markdown) share: labels, number
formatting, and the report flattened into rows — the failed criteria, the gap
ledger (one row per failed school check), the CV table and the score sheet.

Everything here reads the :class:`~junheng.results.Report` and its columns; the
gap ledger is built from the check columns directly (no per-school objects), so
it stays cheap for a whole province.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import attrs
import numpy as np

from ..domain import STAGE_TITLES, STAGES
from ..numbers import format_number
from ..results import CountyResult, Criterion, Report

NO_OWNER = "未指定"

KIND_TITLES = {
    "schools": "学校达标",
    "cv": "校际差异系数",
    "composite_cv": "综合差异系数",
    "county_item": "县级指标",
    "multi_year": "多年度指标",
    "veto": "一票否决",
    "score": "评分",
    "score_floor": "评分下限",
}
STATUS_TITLES = {"met": "达标", "failed": "未达标", "not_evaluated": "未评估"}
VETO_STATUS_TITLES = {"met": "未发生", "failed": "存在（否决）", "not_evaluated": "未评估"}
SCORE_KIND_TITLES = {
    "sum": "下级合计",
    "when": "条件计分",
    "formula": "公式计分",
    "assessed": "自评得分",
}


def num(x: float | None, digits: int = 3) -> str:
    """A number for people: integers without decimals, others to ``digits`` places, "—" if undefined."""
    return format_number(x, decimals=digits)


def stage_title(stage: str | None) -> str:
    return STAGE_TITLES.get(stage or "", stage or "")


def verdict_title(passed: bool) -> str:
    return "通过" if passed else "未通过"


def county_title(county: CountyResult) -> str:
    return f"{county.name}（{county.county_code}）" if county.name else county.county_code


@attrs.frozen
class Gap:
    """One row of the rectification ledger: a school check that is not met."""

    county_code: str
    school_id: str
    school_name: str
    stage: str
    check_id: str
    title: str
    value: float | None
    value_unit: str
    threshold: float | None
    direction: str  # min | max | rule
    shortfall: float | None
    unit: str
    owner: str
    source: str
    detail: str | None

    rule_kind: str = "indicator"  # indicator | k_of_n | formula

    @property
    def requirement(self) -> str:
        if self.rule_kind == "k_of_n":
            return f"≥ {num(self.threshold)} 项"
        if self.rule_kind != "indicator":
            return "达到要求"
        op = "≥" if self.direction == "min" else "≤"
        return f"{op} {num(self.threshold)} {self.value_unit}"

    @property
    def current(self) -> str:
        if self.rule_kind == "formula":
            return "未达到"
        return f"{num(self.value)} {self.value_unit}".strip()

    @property
    def gap_text(self) -> str:
        if self.rule_kind == "formula":
            return "不符合"
        if self.shortfall is None:
            return "无法计算"
        return f"缺 {num(self.shortfall, 2)} {self.unit}"


def rule_owner(report: Report, check_id: str) -> str:
    rs = report.ruleset
    meta = None
    if check_id in rs.indicators:
        meta = rs.indicators[check_id].meta
    elif check_id in rs.school_rules:
        meta = rs.school_rules[check_id].meta
    elif check_id in rs.county_items:
        meta = rs.county_items[check_id].meta
    return (meta.owner if meta is not None else None) or NO_OWNER


def gaps(report: Report, county_code: str | None = None) -> list[Gap]:
    """Every failed school check (``met is False``) of included units, school by school."""
    t = report.schools
    u = t.units
    rs = report.ruleset
    if not t.check_ids or u.size == 0:
        return []
    mask_any = np.zeros(u.size, dtype=bool)
    failed = {}
    for cid in t.check_ids:
        f = (t.met[cid] == 0.0) & u.included
        failed[cid] = f
        mask_any |= f
    if county_code is not None:
        if county_code not in u.county_codes:
            return []
        mask_any &= u.county_index == u.county_codes.index(county_code)
    out = []
    for i in np.nonzero(mask_any)[0].tolist():
        for cid in t.check_ids:
            if not failed[cid][i]:
                continue
            if cid in rs.indicators:
                ind = rs.indicators[cid]
                direction, vunit, unit, kind = (
                    ind.direction,
                    ind.unit,
                    ind.total_unit or ind.unit,
                    "indicator",
                )
                meta = ind.meta
            else:
                rule = rs.school_rules[cid]
                direction, vunit, unit, kind = "rule", "项", "项", rule.kind
                meta = rule.meta
            det = t.detail.get(cid)
            out.append(
                Gap(
                    county_code=u.county_codes[int(u.county_index[i])],
                    school_id=str(u.ids[i]),
                    school_name=str(u.names[i]),
                    stage=STAGES[int(u.stage[i])],
                    check_id=cid,
                    title=meta.title,
                    value=_f(t.value[cid][i]),
                    value_unit=vunit,
                    threshold=_f(t.threshold[cid][i]),
                    direction=direction,
                    shortfall=_f(t.shortfall[cid][i]),
                    unit=unit,
                    owner=meta.owner or NO_OWNER,
                    source=meta.source,
                    detail=None if det is None else det[i],
                    rule_kind=kind,
                )
            )
    return out


def _f(x: Any) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def explained(c: Criterion) -> str:
    """The criterion's detail and the facts behind it, as one line of text."""
    return "；".join([c.detail, *c.evidence]) if c.evidence else c.detail


def criterion_value(c: Criterion) -> str:
    if c.value is None:
        return "—"
    digits = 3 if c.kind in ("cv", "composite_cv") else 2
    return (
        f"{num(c.value, digits)}{c.unit or ''}" if c.unit not in ("所未达标学校",) else num(c.value)
    )


def criterion_limit(c: Criterion) -> str:
    if c.limit is None:
        return "—"
    if c.kind in ("cv", "composite_cv"):
        return f"≤ {num(c.limit)}"
    if c.kind == "schools":
        return "0 所未达标"
    op = "≥"
    if c.kind == "county_item" and c.detail and "≤" in c.detail:
        op = "≤"
    unit = c.unit if c.unit and c.unit != "所未达标学校" else ""
    return f"{op} {num(c.limit)}{unit}"


def school_status_rows(report: Report, county_code: str) -> Iterator[dict[str, Any]]:
    """Per included unit of one county: id, name, stage, passed and each check's value/threshold/met."""
    t = report.schools
    u = t.units
    if county_code not in u.county_codes:
        return
    c = u.county_codes.index(county_code)
    for i in np.nonzero(u.included & (u.county_index == c))[0].tolist():
        yield {
            "id": str(u.ids[i]),
            "name": str(u.names[i]),
            "stage": STAGES[int(u.stage[i])],
            "school_type": str(u.school_types[i]),
            "passed": _bool(t.passed[i]),
            "checks": {
                cid: (
                    _f(t.value[cid][i]),
                    _f(t.threshold[cid][i]),
                    _bool(t.met[cid][i]),
                )
                for cid in t.check_ids
            },
        }


def _bool(x: float) -> bool | None:
    return None if x != x else bool(x == 1.0)


def stage_values(report: Report, county_code: str, stage: str, indicator: str) -> np.ndarray:
    """The indicator's values across the included units of one county and stage (NaN dropped)."""
    t = report.schools
    u = t.units
    if county_code not in u.county_codes or indicator not in t.env:
        return np.array([])
    c = u.county_codes.index(county_code)
    mask = u.included & (u.county_index == c) & (u.stage == STAGES.index(stage))
    v = np.asarray(t.env[indicator], dtype=float)
    if v.shape != (u.size,):
        v = np.broadcast_to(v, (u.size,))
    v = v[mask]
    return v[np.isfinite(v)]


def score_rows(county: CountyResult) -> list[dict[str, Any]]:
    """The score tree flattened in tree order with a depth for indentation."""
    if county.score is None:
        return []
    lines = county.score.lines
    children: dict[str | None, list[Any]] = {}
    for line in lines:
        children.setdefault(line.parent, []).append(line)
    out: list[dict[str, Any]] = []

    def walk(parent: str | None, depth: int) -> None:
        for line in children.get(parent, []):
            out.append({"line": line, "depth": depth})
            walk(line.id, depth + 1)

    walk(None, 0)
    seen = {id(r["line"]) for r in out}
    out += [{"line": line, "depth": 0} for line in lines if id(line) not in seen]
    return out


def score_reading(county: CountyResult) -> str | None:
    """How the pass mark reads the bonus, in words, where the score has bonus items (and
    the ruleset's note on its reading); None when there is nothing to say."""
    sc = county.score
    if sc is None:
        return None
    has_bonus = any(line.bonus for line in sc.lines)
    parts = []
    if has_bonus and sc.pass_min is not None:
        if sc.bonus_counts_toward_pass:
            parts.append(
                f"奖励加分计入认定分数线：总分（含奖励加分）与 {num(sc.pass_min)} 分比较。"
            )
        else:
            counted = "—" if sc.counted is None else num(sc.counted, 1)
            parts.append(
                f"奖励加分不计入认定分数线：按不含奖励加分的 {counted} 分与 "
                f"{num(sc.pass_min)} 分比较。"
            )
    if sc.note:
        parts.append(f"规则集说明：{sc.note}")
    return "".join(parts) or None


def documents(report: Report) -> list[dict[str, str]]:
    """The ruleset's documents as rows for people: the citation (issuer《title》（number）),
    the kind, the date and the note — what a reader needs to find each one."""
    return [
        {
            "key": doc.key,
            "citation": doc.citation,
            "kind": doc.kind,
            "date": doc.date or "不详",
            "note": doc.note or "",
            "url": doc.url or "",
        }
        for doc in report.ruleset.documents.values()
    ]


def sections(report: Report) -> list[dict[str, Any]]:
    """Plugin-contributed report sections as ``{title, note, plugin, columns, rows}`` tables."""
    out = []
    for sec in getattr(report, "sections", ()) or ():
        rows = list(sec.get("rows") or [])
        columns = list(sec.get("columns") or [])
        if not columns:
            for r in rows:
                if isinstance(r, dict):
                    columns += [k for k in r if k not in columns]
        table = [
            [_cell(x) for x in ([r.get(c) for c in columns] if isinstance(r, dict) else r)]
            for r in rows
        ]
        out.append(
            {
                "id": sec.get("id"),
                "title": sec.get("title"),
                "note": sec.get("note"),
                "plugin": sec.get("plugin"),
                "columns": columns,
                "rows": table,
            }
        )
    return out


def _cell(x: Any) -> Any:
    if isinstance(x, bool):
        return "是" if x else "否"
    return x


def gaps_by_county(report: Report) -> dict[str, list[Gap]]:
    """:func:`gaps` for every county at once (one pass over the columns)."""
    out: dict[str, list[Gap]] = {}
    for g in gaps(report):
        out.setdefault(g.county_code, []).append(g)
    return out


def failing_units(report: Report) -> set[tuple[str, str]]:
    """(school id, stage) of every included unit whose school verdict is 'not met'."""
    t = report.schools
    u = t.units
    idx = np.nonzero((t.passed == 0.0) & u.included)[0]
    return {(str(u.ids[i]), STAGES[int(u.stage[i])]) for i in idx.tolist()}
