"""Where a plan's levers act: the evaluation units, and each lever field's counts and shares.

A *unit* is a school × stage as the engine evaluated it (:class:`PlanUnits`, read from
``report.schools.units``). A lever field's count lives in an *element*: the school for a
school-wide asset (one m² at a nine-year school reaches both its stage parts, each by its
student share, as :mod:`junheng.units` apportions), the unit itself for a stage count
(teachers). :func:`field_model` builds the :class:`FieldModel` of a field from the records
(pulled in one pass per block with :class:`~junheng.bulk.RecordColumns`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from ..bulk import RecordColumns
from ..domain import STAGES
from .costs import Costs

__all__ = ["FieldModel", "PlanUnits", "field_model", "plan_units", "stage_counts", "stage_values"]

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


def plan_units(table: Any, n_records: int) -> PlanUnits:
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


def stage_values(units: PlanUnits, value: Any) -> np.ndarray:
    if value is None:
        return np.full(units.size, NAN)
    p = NAN if value.primary is None else value.primary
    j = NAN if value.junior is None else value.junior
    return np.where(units.stage == 0, p, j)


def field_model(
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
        base = stage_counts(records, units, name)
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


def stage_counts(pulled: RecordColumns, units: PlanUnits, name: str) -> np.ndarray:
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
