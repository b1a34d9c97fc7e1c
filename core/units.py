"""Normalise school records into evaluation units held as numpy columns.

A *unit* is one school × one stage: a nine-year school gives a primary unit
and a junior unit. Stage head counts come from the stage blocks; school-wide
assets (areas, equipment, rooms, books) are apportioned to the stages by
student share. Per the ruleset's ``[preparation]``, teaching points are
excluded, folded into their central school's unit, or kept; special-education
schools are excluded or kept; units below ``min_students`` leave the checks and
CVs. Excluded units stay in the table (``included`` is False) so the report can
say why they were left out.

The fields come from a :class:`~junheng.bulk.RecordColumns` (one pass over the
records for all of them, shared with validation when it ran first); everything
here works on whole columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from .bulk import RecordColumns
from .domain import SCHOOL_TYPES, STAGES
from .names import NameSpace
from .registry import Registry
from .ruleset import Preparation


@attrs.frozen
class Units:
    """Columnar evaluation units for one batch of schools (any number of counties)."""

    size: int
    school_index: np.ndarray  # index into the input records
    stage: np.ndarray  # 0 primary, 1 junior
    county_index: np.ndarray  # index into county_codes
    county_codes: tuple[str, ...]
    ids: np.ndarray  # object array of school ids
    names: np.ndarray
    school_types: np.ndarray
    included: np.ndarray  # bool: takes part in checks and CVs
    excluded_reason: np.ndarray  # object: None or a Chinese reason
    folded_into: np.ndarray  # object: central school id for folded teaching points
    columns: Mapping[str, np.ndarray]  # name -> float64 column

    def stage_name(self, i: int) -> str:
        return STAGES[int(self.stage[i])]


def build_units(
    records: Sequence[Mapping[str, Any]],
    prep: Preparation,
    stages: Sequence[str] = STAGES,
    *,
    fields: frozenset[str] | set[str] | None = None,
    columns: RecordColumns | None = None,
    names: NameSpace | None = None,
) -> Units:
    """Split records into stage units, apportion shared assets, fold or exclude small sites.

    ``fields``: the field names the ruleset reads (``None``: every numeric field);
    only those become columns (``students`` and ``classes`` always do), which keeps
    a national batch from paying for fields no rule uses. ``columns``: fields
    already pulled from these records (by validation), reused instead of pulled again.
    ``names``: the engine's name space (its fields; default: the core fields).
    """
    names = names or Registry.core().names
    pulled = columns if columns is not None else RecordColumns(records)
    n = len(records)
    stage_fields = list(names.stage_fields)
    wide_fields = list(names.wide_fields)
    apportioned = names.apportioned
    if fields is not None:
        stage_fields = [f for f in stage_fields if f in fields or f in ("students", "classes")]
        wide_fields = [f for f in wide_fields if f in fields]

    got = pulled.values(["school_type", "id", "name", "county_code", *STAGES])
    types, ids, names = (_texts(got[k]) for k in ("school_type", "id", "name"))
    county_codes, county_idx = _codes(got["county_code"])

    blocks = {s: got[s] for s in STAGES}
    has = {s: np.fromiter(map(bool, blocks[s]), bool, n) for s in STAGES}
    stage_cols = {s: pulled.stage_floats(s, stage_fields) for s in STAGES}
    students = {s: np.where(has[s], stage_cols[s]["students"], 0.0) for s in STAGES}
    school_students = students["primary"] + students["junior"]
    classes = {s: np.where(has[s], stage_cols[s]["classes"], 0.0) for s in STAGES}
    school_classes = classes["primary"] + classes["junior"]
    wide = pulled.floats(wide_fields)

    parts: list[dict[str, np.ndarray]] = []
    for code, s in enumerate(STAGES):
        if s not in stages:
            continue
        sel = np.nonzero(has[s])[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(
                school_students[sel] > 0,
                students[s][sel] / school_students[sel],
                # no students at all: a single-stage school keeps its assets
                np.where(has["primary"][sel] & has["junior"][sel], 0.5, 1.0),
            )
        cols: dict[str, np.ndarray] = {
            "_school": sel,
            "_stage": np.full(sel.size, code, dtype=np.int8),
        }
        for f in stage_fields:
            cols[f] = stage_cols[s][f][sel]
        for f, col in wide.items():
            cols[f] = col[sel] * share if f in apportioned else col[sel]
            cols[f"school_{f}"] = col[sel]  # the whole school's value, for school-level rules
        cols["school_students"] = school_students[sel]
        cols["school_classes"] = school_classes[sel]
        parts.append(cols)

    keys = parts[0].keys() if parts else []
    merged = {k: np.concatenate([p[k] for p in parts]) for k in keys}
    school_index = merged.pop("_school").astype(np.int64) if parts else np.empty(0, np.int64)
    stage = merged.pop("_stage") if parts else np.empty(0, np.int8)
    size = school_index.size

    unit_types = types[school_index]
    for t in SCHOOL_TYPES:
        merged[f"type_{t}"] = (unit_types == t).astype(float)
    merged["stage_primary"] = (stage == 0).astype(float)
    merged["stage_junior"] = (stage == 1).astype(float)

    included = np.ones(size, dtype=bool)
    reason = np.full(size, None, dtype=object)
    folded = np.full(size, None, dtype=object)

    if prep.special_education == "exclude":
        m = unit_types == "special_education"
        included[m] = False
        reason[m] = "特殊教育学校不参加本部分评估（规则集 preparation.special_education = exclude）"

    tp = unit_types == "teaching_point"
    if prep.exclude_teaching_points_below > 0 and prep.teaching_points != "exclude":
        small = tp & (merged["students"] < prep.exclude_teaching_points_below)
        included[small] = False
        reason[small] = (
            f"教学点在校生不足 {prep.exclude_teaching_points_below} 人，不参加本部分评估"
            f"（规则集 preparation.exclude_teaching_points_below = "
            f"{prep.exclude_teaching_points_below}）"
        )
        tp = tp & ~small  # the small ones are neither folded nor kept
    if prep.teaching_points == "exclude":
        included[tp] = False
        reason[tp] = "教学点不参加本部分评估（规则集 preparation.teaching_points = exclude）"
    elif prep.teaching_points == "fold" and tp.any():
        _fold(
            pulled.values(["central_school_id"])["central_school_id"],
            merged,
            school_index,
            stage,
            ids,
            tp,
            included,
            reason,
            folded,
            wide_fields,
            stage_fields,
            apportioned,
        )

    if prep.min_students > 0:
        small = included & (merged["students"] < prep.min_students)
        included[small] = False
        reason[small] = f"在校生不足 {prep.min_students} 人，不参加本部分评估"

    return Units(
        size=size,
        school_index=school_index,
        stage=stage,
        county_index=county_idx[school_index],
        county_codes=county_codes,
        ids=ids[school_index],
        names=names[school_index],
        school_types=unit_types,
        included=included,
        excluded_reason=reason,
        folded_into=folded,
        columns=merged,
    )


def _texts(values: Sequence[Any]) -> np.ndarray:
    """An object column of strings (None and absent: ""; anything else as ``str``)."""
    if set(map(type, values)) <= {str}:  # C-level check: the usual all-text column
        return np.array(values, dtype=object).reshape(len(values))
    return np.array(["" if v is None else str(v) for v in values], dtype=object)


def _codes(values: Sequence[Any]) -> tuple[tuple[str, ...], np.ndarray]:
    """The sorted distinct county codes and each record's index into them."""
    texts = _texts(values).tolist()
    distinct = dict.fromkeys(texts)
    codes = sorted(distinct)
    rank = {code: k for k, code in enumerate(codes)}
    index = np.fromiter(map(rank.__getitem__, texts), np.int64, len(texts))
    return tuple(codes), index


def _fold(
    centrals: Sequence[Any],
    cols: dict[str, np.ndarray],
    school_index: np.ndarray,
    stage: np.ndarray,
    ids: np.ndarray,
    tp: np.ndarray,
    included: np.ndarray,
    reason: np.ndarray,
    folded: np.ndarray,
    wide_fields: list[str],
    stage_fields: list[str],
    apportioned: frozenset[str],
) -> None:
    """Add each teaching point's counts and assets into its central school's unit of the same
    stage. A teaching point whose central school is itself a teaching point goes to the
    end of that chain (A → B → C: A and B into C); a cycle (A → B → A) folds nowhere and
    is excluded saying so, so no pupil is counted twice or silently lost."""
    key_to_unit = {(ids[school_index[u]], int(stage[u])): u for u in range(school_index.size)}
    points = {ids[school_index[u]] for u in np.nonzero(tp)[0]}
    central_of = {sid: centrals[i] for i, sid in enumerate(ids) if sid in points}
    src, dst = [], []
    for u in np.nonzero(tp)[0]:
        central = centrals[school_index[u]]
        root, chain, cyclic = _root(ids[school_index[u]], central_of)
        included[u] = False
        if cyclic:
            reason[u] = f"教学点的中心校互相指向（{' → '.join(chain)}），无法并入，未参加评估"
            continue
        target = key_to_unit.get((root, int(stage[u])))
        if target is None or target == u:
            reason[u] = (
                f"教学点的中心校 {root or central} 不在数据中或无同学段，无法并入，未参加评估"
            )
            continue
        via = f"（经教学点 {'、'.join(chain[1:-1])}）" if len(chain) > 2 else ""
        reason[u] = f"教学点已并入中心校 {root}{via} 统计（preparation.teaching_points = fold）"
        folded[u] = root
        src.append(u)
        dst.append(target)
    if not src:
        return
    src_a, dst_a = np.array(src), np.array(dst)
    additive = [f for f in (*stage_fields, *wide_fields) if f in apportioned or f in stage_fields]
    for f in additive:
        if f not in cols or f.endswith("_pct") or f == "max_class_size":
            continue
        col = cols[f]
        np.add.at(col, dst_a, np.nan_to_num(col[src_a]))
    for f in ("max_class_size",):
        if f in cols:
            np.maximum.at(cols[f], dst_a, np.nan_to_num(cols[f][src_a]))
    for f in ("school_students", "school_classes"):
        np.add.at(cols[f], dst_a, cols[f][src_a])
    for f in wide_fields:
        if f in apportioned and f"school_{f}" in cols:
            np.add.at(cols[f"school_{f}"], dst_a, np.nan_to_num(cols[f"school_{f}"][src_a]))


def _root(point: str, central_of: Mapping[str, Any]) -> tuple[Any, list[str], bool]:
    """The school at the end of ``point``'s chain of central schools, the chain (``point``
    first, the root last) and whether it closes on itself (then there is no root)."""
    chain = [point]
    current = central_of.get(point)
    while current in central_of:  # the central school is a teaching point too
        if current in chain:
            return None, [*chain, current], True
        chain.append(current)
        current = central_of[current]
    return current, [*chain, str(current)], False
