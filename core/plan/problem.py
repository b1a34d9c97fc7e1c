"""What a plan must achieve, read from the evaluation before it: levers and requirements.

Everything comes from what the engine recorded (``report.schools``: the units, the values
each formula read, each check's result), so the planner sees exactly the numbers the
engine judged — stage split, apportioned assets, folded teaching points included:

* an indicator ``A / students * k`` whose numerator is a lever field (``sports_area_m2``,
  ``teachers_above_degree`` …) is :class:`Additive`: one unit of the lever raises a unit's
  value by ``coef = k · share / students`` (``share``: the stage's part of a school-wide
  asset, 1 for a stage count), so ``value ≥ b`` is ``count ≥ B + (b − value) / coef``;
* an indicator ``students / B * k`` that must stay at most its threshold (a student–teacher
  ratio) with ``B`` a lever field is :class:`Inverse`: ``B ≥ students · k / threshold``;
* the rest — rules, what cannot be reached — comes from :mod:`~junheng.plan.requirements`,
  the lever fields' counts and shares from :mod:`~junheng.plan.levers`.

:func:`build_problem` assembles them into one :class:`Problem`, and raises
:class:`~junheng.issues.InputError` for data no addition can make decidable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from ..bulk import RecordColumns
from ..domain import STAGES
from ..formula import as_division
from ..ruleset import Ruleset
from .costs import Costs, teacher_hierarchy
from .levers import FieldModel, PlanUnits, field_model, plan_units, stage_counts, stage_values
from .requirements import CountNeed, Requirements, Unreachable, check_defined

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
    pulled: RecordColumns | None = None,
) -> Problem:
    """The problem of one evaluation (``report``) of ``records`` with ``rs``.

    ``source``: the schools file and each record's row in it (for located messages);
    ``pulled``: the fields the engine already pulled from these very records (reused)."""
    table = report.schools
    env = table.env
    units = plan_units(table, len(records))
    pulled = pulled if pulled is not None else RecordColumns(records)
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
            model = field_model(num, pulled, units, env, costs, hierarchy, fields, apportioned)
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
                threshold=stage_values(units, ind.threshold),
                cv_limit=None
                if ind.cv_limit is None
                else (ind.cv_limit.primary, ind.cv_limit.junior),
                owner=ind.meta.owner,
                unit=ind.unit,
                total_unit=ind.total_unit or ind.unit,
            )
        elif ind.direction == "max" and ind.threshold is not None:
            model = field_model(den, pulled, units, env, costs, hierarchy, fields, apportioned)
            if model is None or num not in env:
                continue
            inverse[iid] = Inverse(
                id=iid,
                title=ind.meta.title,
                field=den,
                numerator=np.asarray(env[num], dtype=float) * k,
                denominator=np.asarray(env[den], dtype=float),
                threshold=stage_values(units, ind.threshold),
                owner=ind.meta.owner,
            )
    req = Requirements(
        rs, units, table, env, pulled, costs, hierarchy, fields, functions, apportioned
    )
    req.expand(additive, inverse)
    check_defined(rs, units, env, records, req.items_read, source, table, req.rules_read)
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
            kind: stage_counts(pulled, units, kind) for kind in ("teachers", *hierarchy)
        },
    )
