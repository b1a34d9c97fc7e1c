"""What a plan must achieve, read from the evaluation before it: units, levers, requirements.

Everything comes from what the engine recorded (``report.schools``: the units, the values
each formula read, each check's result), so the planner sees exactly the numbers the
engine judged — stage split, apportioned assets, folded teaching points included. From the
ruleset it takes each school-based requirement and turns it into something a lever can
meet:

* an indicator ``A / students * k`` whose numerator is a lever field (``sports_area_m2``,
  ``teachers_above_degree`` …) is **additive**: one unit of the lever raises a unit's value by
  ``coef = k · share / students`` (``share``: the stage's part of a school-wide asset, 1 for a
  stage count), so a requirement ``value ≥ b`` is ``count ≥ B + (b − value) / coef``;
* an indicator ``students / B * k`` that must stay at most its threshold (a student–teacher
  ratio) with ``B`` a lever field is **inverse**: ``B ≥ students · k / threshold``;
* a yes/no school rule made of comparisons ``field ≥ expression`` joined by ``and`` (rooms per
  12 classes, kinds of special rooms) gives each unit a count its field must reach;
* a ``k_of_n`` rule is left to :mod:`junheng.plan.choice`, which picks what stays at ≥ 85 %.

Anything else a school fails — a class size, a formula no lever can move, a lever switched
off — cannot be reached by school additions and is listed as such (:class:`Unreachable`),
never planned around. A unit whose values are undefined (no students, a missing field) makes
any plan meaningless: :func:`build_problem` raises :class:`~junheng.issues.InputError`
naming the school and the field.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from ..bulk import RecordColumns
from ..domain import STAGE_TITLES, STAGES
from ..formula import as_division, compile_formula
from ..issues import DataIssue, InputError
from ..ruleset import Ruleset
from .costs import Costs, teacher_hierarchy

__all__ = [
    "Additive",
    "CountNeed",
    "FieldModel",
    "Inverse",
    "PlanUnits",
    "Problem",
    "Unreachable",
    "build_problem",
]

NAN = float("nan")


@attrs.frozen
class PlanUnits:
    """The evaluation units (school × stage) the plan works on."""

    size: int
    record: np.ndarray  # index into the school records
    stage: np.ndarray  # 0 primary, 1 junior
    county: np.ndarray  # index into codes
    codes: tuple[str, ...]
    included: np.ndarray
    students: np.ndarray
    ids: np.ndarray
    names: np.ndarray
    n_records: int

    @property
    def group(self) -> np.ndarray:
        """County × stage key of each unit (``county * 2 + stage``)."""
        return self.county * 2 + self.stage.astype(np.int64)


@attrs.frozen
class FieldModel:
    """A lever field: where its count lives and how one unit of it reaches each unit."""

    field: str
    scope: str  # "school": one count per record; "unit": one per school × stage
    kind: str  # "asset" | "teacher" | "stage"
    base: np.ndarray  # the count before the plan, per element (NaN: missing)
    element: np.ndarray  # per unit: its element (record index, or the unit itself)
    share: np.ndarray  # per unit: the part of one count that enters the unit's numerator


@attrs.frozen
class Additive:
    """``field / students * k ≥ threshold``: value rises by ``coef`` per unit of the lever."""

    id: str
    title: str
    field: str
    value: np.ndarray
    coef: np.ndarray
    threshold: np.ndarray  # per unit (NaN: none at that stage)
    cv_limit: tuple[float | None, float | None] | None
    owner: str | None
    unit: str
    total_unit: str


@attrs.frozen
class Inverse:
    """``students / field * k ≤ threshold``: the field must reach ``numerator / threshold``."""

    id: str
    title: str
    field: str
    numerator: np.ndarray  # students · k, per unit
    denominator: np.ndarray  # the field's value in the unit (before the plan)
    threshold: np.ndarray
    owner: str | None


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


@attrs.frozen
class Problem:
    ruleset: Ruleset
    units: PlanUnits
    fields: Mapping[str, FieldModel]
    additive: Mapping[str, Additive]
    inverse: Mapping[str, Inverse]
    #: per unit and indicator: the value it must reach in full (direct requirements)
    bounds: Mapping[str, np.ndarray]
    #: k-of-n rules to choose for, with the units where each applies
    k_of_n: Mapping[str, np.ndarray]
    counts: tuple[CountNeed, ...]
    unreachable: tuple[Unreachable, ...]
    #: which criterion each required item serves ("schools" or county item ids)
    serves: Mapping[str, tuple[str, ...]]
    #: every thresholded indicator's value and requirement per unit (as evaluated)
    values: Mapping[str, np.ndarray]
    thresholds: Mapping[str, np.ndarray]
    #: every teacher kind's count per unit before the plan (NaN: not in the record), so a
    #: move or a hire can keep the kinds that contain each other consistent
    teacher_counts: Mapping[str, np.ndarray]


def build_problem(
    rs: Ruleset,
    report: Any,
    records: Sequence[Mapping[str, Any]],
    costs: Costs,
    *,
    functions: Mapping[str, Any],
    apportioned: frozenset[str],
    source: tuple[str | None, Sequence[int] | None] = (None, None),
) -> Problem:
    """The problem of one evaluation (``report``) of ``records`` with ``rs``.

    ``source``: the schools file and each record's row in it (for located messages)."""
    table = report.schools
    env = table.env
    units = _units(table, len(records))
    pulled = RecordColumns(records)
    hierarchy = teacher_hierarchy()
    # every field the plan may read, pulled in one pass per block (a pass over a national
    # batch of records costs ~0.1 s whatever the number of fields)
    wide = [f for f, lever in costs.levers.items() if lever.kind == "asset" and f in env]
    stage_keys = ["students", "teachers", *hierarchy]
    stage_keys += [f for f, lever in costs.levers.items() if lever.kind == "stage"]
    pulled.floats(wide)
    for stage in STAGES:
        pulled.stage_floats(stage, stage_keys)
    fields: dict[str, FieldModel] = {}
    additive: dict[str, Additive] = {}
    inverse: dict[str, Inverse] = {}
    for iid, ind in rs.indicators.items():
        div = as_division(ind.formula)
        if div is None:
            continue
        num, den, k = div
        if ind.direction == "min" and den == "students":
            model = _field(num, pulled, units, env, costs, hierarchy, fields, apportioned)
            if model is None:
                continue
            with np.errstate(divide="ignore", invalid="ignore"):
                coef = k * model.share / units.students
            additive[iid] = Additive(
                id=iid,
                title=ind.meta.title,
                field=num,
                value=np.asarray(env[iid], dtype=float),
                coef=coef,
                threshold=_stage_values(units, ind.threshold),
                cv_limit=None
                if ind.cv_limit is None
                else (ind.cv_limit.primary, ind.cv_limit.junior),
                owner=ind.meta.owner,
                unit=ind.unit,
                total_unit=ind.total_unit or ind.unit,
            )
        elif ind.direction == "max" and ind.threshold is not None:
            model = _field(den, pulled, units, env, costs, hierarchy, fields, apportioned)
            if model is None or num not in env:
                continue
            inverse[iid] = Inverse(
                id=iid,
                title=ind.meta.title,
                field=den,
                numerator=np.asarray(env[num], dtype=float) * k,
                denominator=np.asarray(env[den], dtype=float),
                threshold=_stage_values(units, ind.threshold),
                owner=ind.meta.owner,
            )
    req = _Requirements(
        rs, units, table, env, pulled, costs, hierarchy, fields, functions, apportioned
    )
    req.expand(additive, inverse)
    _check_defined(rs, units, env, records, req.items_read, source, table, req.rules_read)
    return Problem(
        ruleset=rs,
        units=units,
        fields=fields,
        additive=additive,
        inverse=inverse,
        bounds=req.bounds,
        k_of_n=req.k_of_n,
        counts=tuple(req.counts),
        unreachable=tuple(req.unreachable),
        serves={k: tuple(v) for k, v in req.serves.items()},
        values={k: np.asarray(v, dtype=float) for k, v in table.value.items()},
        thresholds={k: np.asarray(v, dtype=float) for k, v in table.threshold.items()},
        teacher_counts={
            kind: _stage_counts(pulled, units, kind) for kind in ("teachers", *hierarchy)
        },
    )


def _units(table: Any, n_records: int) -> PlanUnits:
    u = table.units
    return PlanUnits(
        size=u.size,
        record=np.asarray(u.school_index, dtype=np.int64),
        stage=np.asarray(u.stage, dtype=np.int64),
        county=np.asarray(u.county_index, dtype=np.int64),
        codes=tuple(u.county_codes),
        included=np.asarray(u.included, dtype=bool),
        students=np.nan_to_num(np.asarray(u.columns["students"], dtype=float)),
        ids=u.ids,
        names=u.names,
        n_records=n_records,
    )


def _stage_values(units: PlanUnits, value: Any) -> np.ndarray:
    if value is None:
        return np.full(units.size, NAN)
    p = NAN if value.primary is None else value.primary
    j = NAN if value.junior is None else value.junior
    return np.where(units.stage == 0, p, j)


def _field(
    name: str,
    records: RecordColumns,
    units: PlanUnits,
    env: Mapping[str, Any],
    costs: Costs,
    hierarchy: Mapping[str, str],
    fields: dict[str, FieldModel],
    apportioned: frozenset[str],
) -> FieldModel | None:
    """The lever model of field ``name`` (None: no enabled lever adds to it)."""
    if name in fields:
        return fields[name]
    teacher = name == "teachers" or name in hierarchy
    if teacher:
        if not (
            costs.lever("hire") or costs.lever("move") or costs.develop_lever(name) is not None
        ):
            return None
    elif costs.asset_lever(name) is None:
        return None
    if name not in env:
        return None
    stage_field = teacher or costs.levers[name].kind == "stage"
    if stage_field:
        base = _stage_counts(records, units, name)
        model = FieldModel(
            field=name,
            scope="unit",
            kind="teacher" if teacher else "stage",
            base=base,
            element=np.arange(units.size),
            share=np.ones(units.size),
        )
    else:
        base = records.floats([name])[name]
        # the stage's part of one unit of a school-wide asset (as junheng.units splits it);
        # a folded central unit also holds its teaching points' assets, which shifts its
        # value but not what one more unit at the central school adds to it
        share = _shares(records, units) if name in apportioned else np.ones(units.size)
        model = FieldModel(
            field=name,
            scope="school",
            kind="asset",
            base=base,
            element=units.record.copy(),
            share=share,
        )
    fields[name] = model
    return model


def _stage_counts(pulled: RecordColumns, units: PlanUnits, name: str) -> np.ndarray:
    """Each unit's value of stage field ``name`` in its record (NaN: absent)."""
    out = np.full(units.size, NAN)
    for s, stage in enumerate(STAGES):
        col = pulled.stage_floats(stage, [name])[name]
        here = units.stage == s
        out[here] = col[units.record[here]]
    return out


def _shares(pulled: RecordColumns, units: PlanUnits) -> np.ndarray:
    """Each unit's stage share of its record's students (as :mod:`junheng.units` splits assets)."""
    has = [pulled.has_block(stage) for stage in STAGES]
    counts = [
        np.where(has[s], np.nan_to_num(pulled.stage_floats(stage, ["students"])["students"]), 0.0)
        for s, stage in enumerate(STAGES)
    ]
    total = counts[0] + counts[1]
    own = np.where(units.stage == 0, counts[0][units.record], counts[1][units.record])
    whole = total[units.record]
    both = has[0][units.record] & has[1][units.record]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(whole > 0, own / whole, np.where(both, 0.5, 1.0))


class _Requirements:
    """Expands the school-based items of a ruleset into bounds, counts and what is unreachable."""

    def __init__(
        self,
        rs: Ruleset,
        units: PlanUnits,
        table: Any,
        env: Mapping[str, Any],
        records: RecordColumns,
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

    def expand(self, additive: Mapping[str, Additive], inverse: Mapping[str, Inverse]) -> None:
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
            thr = _stage_values(self.units, ind.threshold)
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
        model = _field(
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


def _check_defined(
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
        detail = f"{STAGE_TITLES[stage]}{words}：指标{what}无法计算，任何新增都不能使其达标或计入差异系数"
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
