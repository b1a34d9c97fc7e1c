"""The school-based items of a ruleset, expanded into what a lever can meet, and their checks.

:class:`Requirements` walks the school verdict (and the school rules behind ``all_schools``
county items): an indicator with a threshold becomes a value bound per unit, a ``k_of_n``
rule is recorded for :mod:`junheng.plan.choice`, a yes/no rule of ``field ≥ expression``
comparisons joined by ``and`` becomes the count each unit's element must reach, and what no
enabled lever can meet becomes an :class:`Unreachable`. :func:`check_defined` refuses data
no addition can make decidable — a unit without students, a missing field — as located
input errors.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from ..domain import STAGE_TITLES, STAGES
from ..formula import as_division, compile_formula
from ..issues import DataIssue, InputError
from ..ruleset import Ruleset
from .costs import Costs
from .levers import FieldModel, PlanUnits, field_model, stage_values

__all__ = ["CountNeed", "Requirements", "Unreachable", "check_defined"]

NAN = float("nan")


@attrs.frozen
class CountNeed:
    """A count a unit's lever element must reach for rule ``rule`` (where the rule fails)."""

    rule: str
    title: str
    field: str
    need: np.ndarray  # per unit: the element count required (NaN: none)
    owner: str | None


@attrs.frozen
class Unreachable:
    """A school-based requirement no enabled lever can meet at one unit."""

    unit: int
    item: str
    title: str
    reason: str
    criterion: str  # "schools" or the county item it serves


class Requirements:
    """Expands the school-based items of a ruleset into bounds, counts and what is unreachable."""

    def __init__(
        self,
        rs: Ruleset,
        units: PlanUnits,
        table: Any,
        env: Mapping[str, Any],
        records: Any,
        costs: Costs,
        hierarchy: Mapping[str, str],
        fields: dict[str, FieldModel],
        functions: Mapping[str, Any],
        apportioned: frozenset[str],
    ):
        self.rs, self.units, self.table, self.env = rs, units, table, env
        self.records, self.costs, self.hierarchy = records, costs, hierarchy
        self.fields, self.functions, self.apportioned = fields, functions, apportioned
        self.bounds: dict[str, np.ndarray] = {}
        self.k_of_n: dict[str, np.ndarray] = {}
        self.counts: list[CountNeed] = []
        self.unreachable: list[Unreachable] = []
        self.serves: dict[str, list[str]] = {}
        self.items_read: set[str] = set()
        #: yes/no rules the plan must meet, and where (their inputs must be defined)
        self.rules_read: dict[str, np.ndarray] = {}
        self._seen: set[tuple[str, str]] = set()

    def expand(self, additive: Mapping[str, Any], inverse: Mapping[str, Any]) -> None:
        self.additive, self.inverse = additive, inverse
        rs = self.rs
        for item in rs.school_verdict:
            self._item(item, "schools", self.units.included.copy())
        for cid, county_item in rs.county_items.items():
            if county_item.kind != "all_schools" or not county_item.required:
                continue
            if county_item.check == "verdict":
                for item in rs.school_verdict:
                    self._item(item, cid, self.units.included.copy())
            else:
                self._item(county_item.check, cid, self.units.included.copy())

    # -- items ------------------------------------------------------------------------

    def _item(self, item: str, criterion: str, where: np.ndarray) -> None:
        self.serves.setdefault(item, [])
        if criterion not in self.serves[item]:
            self.serves[item].append(criterion)
        rs = self.rs
        if item in rs.school_rules:
            rule = rs.school_rules[item]
            in_stage = np.isin(self.units.stage, [STAGES.index(s) for s in rule.stages])
            where = where & in_stage
            if (item, criterion) in self._seen:
                return
            self._seen.add((item, criterion))
            if rule.kind == "k_of_n":
                self.items_read.update(rule.indicators)
                prev = self.k_of_n.get(item)
                self.k_of_n[item] = where if prev is None else (prev | where)
                for iid in rule.indicators:
                    self.serves.setdefault(iid, [])
                    if criterion not in self.serves[iid]:
                        self.serves[iid].append(criterion)
            else:
                self._formula_rule(item, criterion, where)
        elif item in rs.indicators:
            ind = rs.indicators[item]
            if ind.threshold is None:
                return
            self.items_read.add(item)
            thr = stage_values(self.units, ind.threshold)
            mask = where & np.isfinite(thr)
            if item in self.additive or item in self.inverse:
                prev = self.bounds.get(item, np.full(self.units.size, NAN))
                better = np.fmax if ind.direction == "min" else np.fmin
                self.bounds[item] = np.where(mask, better(prev, thr), prev)
            else:
                self._fixed(item, ind.meta.title, criterion, mask, _indicator_reason(ind))

    def _fixed(self, item: str, title: str, criterion: str, mask: np.ndarray, reason: str):
        """Units where ``item`` fails and nothing can change it."""
        met = self.table.met.get(item)
        if met is None:
            return
        for u in np.nonzero(mask & (np.asarray(met) != 1.0))[0].tolist():
            self.unreachable.append(Unreachable(u, item, title, reason, criterion))

    def _formula_rule(self, rid: str, criterion: str, where: np.ndarray) -> None:
        rule = self.rs.school_rules[rid]
        if criterion == "schools":  # the verdict's own rules must be decidable
            prev = self.rules_read.get(rid)
            self.rules_read[rid] = where if prev is None else (prev | where)
        met = np.asarray(self.table.met[rid])
        failing = where & (met != 1.0)
        if not failing.any():
            return
        tree = ast.parse(rule.formula.text, mode="eval").body
        for part in _conjuncts(tree):
            if isinstance(part, ast.Name) and (
                part.id in self.rs.school_rules or part.id in self.rs.indicators
            ):
                self._item(part.id, criterion, where)
                continue
            text = ast.get_source_segment(rule.formula.text, part) or ast.unparse(part)
            plan = self._comparison(part, rule.formula.text)
            if plan is None:
                truth = self._evaluate(text)
                bad = failing & (truth != 1.0)
                for u in np.nonzero(bad)[0].tolist():
                    self.unreachable.append(
                        Unreachable(
                            u,
                            rid,
                            rule.meta.title,
                            f"条件「{text}」不能通过新增资源满足（没有对应的可用措施）",
                            criterion,
                        )
                    )
                continue
            name, need = plan
            self.counts.append(
                CountNeed(
                    rule=rid,
                    title=rule.meta.title,
                    field=name,
                    need=np.where(failing, need, NAN),
                    owner=rule.meta.owner,
                )
            )

    def _comparison(self, node: ast.AST, text: str) -> tuple[str, np.ndarray] | None:
        """``field ≥ expression`` (or ``expression ≤ field``) with a lever on the field:
        the field and the count each unit's element must reach."""
        if not isinstance(node, ast.Compare) or len(node.ops) != 1:
            return None
        op, left, right = node.ops[0], node.left, node.comparators[0]
        if isinstance(op, (ast.LtE, ast.Lt)):
            left, right = right, left
            op = ast.GtE() if isinstance(op, ast.LtE) else ast.Gt()
        if not isinstance(op, (ast.GtE, ast.Gt)) or not isinstance(left, ast.Name):
            return None
        name = left.id
        whole = name.startswith("school_") and name.removeprefix("school_") in self.env
        field = name.removeprefix("school_") if whole else name
        model = field_model(
            field,
            self.records,
            self.units,
            self.env,
            self.costs,
            self.hierarchy,
            self.fields,
            self.apportioned,
        )
        if model is None:
            return None
        rhs_text = ast.get_source_segment(text, right) or ast.unparse(right)
        try:
            rhs = compile_formula(rhs_text, set(self.env), functions=self.functions)
        except ValueError:
            return None
        if rhs.names & ({f for f in self.fields} | {f"school_{f}" for f in self.fields}):
            return None  # the requirement moves with the levers: not a fixed count
        value = rhs.evaluate(dict(self.env), self.units.size)
        if isinstance(op, ast.Gt):
            value = np.floor(value) + 1.0  # every lever is counted in whole units
        base = model.base[model.element]
        if model.scope == "school" and not whole:
            own = np.asarray(self.env[field], dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                extra = own - model.share * base
                need = (value - extra) / model.share
        elif model.scope == "unit":
            extra = np.asarray(self.env[field], dtype=float) - base
            need = value - extra
        else:
            need = value
        return field, need

    def _evaluate(self, text: str) -> np.ndarray:
        try:
            f = compile_formula(text, set(self.env), functions=self.functions)
        except ValueError:
            return np.full(self.units.size, NAN)
        return f.evaluate(dict(self.env), self.units.size)


def _conjuncts(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
        return [p for v in node.values for p in _conjuncts(v)]
    return [node]


def _indicator_reason(ind: Any) -> str:
    if as_division(ind.formula) is None:
        return f"指标公式「{ind.formula.text}」不是「字段 / 在校生数 × k」的形式，无法换算为需新增的数量"
    num, den, _ = as_division(ind.formula)
    lever = num if ind.direction == "min" else den
    return f"没有可用的措施增加「{lever}」（单价文件中已关闭或未给出单价）"


def check_defined(
    rs: Ruleset,
    units: PlanUnits,
    env: Mapping[str, Any],
    records: Sequence[Mapping[str, Any]],
    read: set[str],
    source: tuple[str | None, Sequence[int] | None],
    table: Any = None,
    rules: Mapping[str, np.ndarray] | None = None,
) -> None:
    """Every included unit must have defined values for what the plan must reach: one
    located issue per school stage and cause (no students, a missing field), naming the
    indicators it leaves undefined."""
    cv_ids = {i for i, ind in rs.indicators.items() if ind.cv_limit is not None}
    found: dict[tuple[int, str], list[str]] = {}
    inc = units.included
    for iid in sorted(read | cv_ids):
        v = np.asarray(env.get(iid, np.zeros(units.size)), dtype=float)
        bad = inc & ~np.isfinite(v)
        if iid in cv_ids and iid not in read:
            bad &= units.students > 0  # a unit without students takes no part in a CV
        ind = rs.indicators[iid]
        for u in np.nonzero(bad)[0].tolist():
            stage = STAGES[int(units.stage[u])]
            if units.students[u] <= 0:
                path = f"{stage}.students"
            else:
                vals = {n: np.asarray(env[n], dtype=float) for n in ind.formula.names if n in env}
                missing = sorted(n for n, col in vals.items() if not np.isfinite(col[u]))
                name = missing[0] if missing else ""
                # a school-wide field has a whole-school twin among the names
                path = name if f"school_{name}" in env else f"{stage}.{name}" if name else ""
            found.setdefault((u, path), []).append(ind.meta.title)
    # a yes/no school rule the plan must meet, undefined at a unit for want of data
    for rid, where in (rules or {}).items():
        rule = rs.school_rules[rid]
        met = np.asarray(table.met[rid])
        stage = [STAGES.index(s) for s in rule.stages]
        bad = where & np.isnan(met) & np.isin(units.stage, stage)
        for u in np.nonzero(bad)[0].tolist():
            st = STAGES[int(units.stage[u])]
            names = sorted(n for n in rule.formula.names if n in env)
            missing = [n for n in names if not np.isfinite(np.asarray(env[n], dtype=float)[u])]
            name = missing[0] if missing else ""
            if name.startswith("school_") and name.removeprefix("school_") in env:
                name = name.removeprefix("school_")
            path = name if f"school_{name}" in env else f"{st}.{name}" if name else ""
            found.setdefault((u, path), []).append(rule.meta.title)
    issues = []
    for (u, path), titles in found.items():
        r = int(units.record[u])
        stage = STAGES[int(units.stage[u])]
        rec = records[r]
        rid = str(rec.get("id"))
        none = path.endswith(".students")
        words = "在校生数为 0" if none else f"缺少字段 {path or '（未知）'}"
        what = "、".join(f"「{t}」" for t in titles)
        detail = (
            f"{STAGE_TITLES[stage]}{words}：{what}无法计算，任何新增都不能使其达标或计入差异系数"
        )
        issues.append(
            DataIssue(
                severity="error",
                code="plan_data",
                message=f"学校 {rid}（{rec.get('name', '')}）{detail}；请核实数据或按规则集将该校排除",
                file=source[0],
                row=source[1][r] if source[1] is not None and r < len(source[1]) else r + 1,
                record_id=rid,
                field=path or None,
                found=0 if none else None,
                expected="在校生数大于 0、字段有值",
                detail=detail,
            )
        )
    if issues:
        raise InputError(issues)
