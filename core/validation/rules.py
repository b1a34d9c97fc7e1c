"""Rules the schema cannot express, record by record (rules across records: :mod:`.across`).

Per school record: stage blocks that do not fit ``school_type`` (errors); implausible
values (warnings: more teachers than students, equipment worth more than a
million yuan per student …); fields the chosen ruleset needs and a school
lacks (warnings); a county finance series repeating a year (errors).

Each rule is written once, as a condition on whole columns of the records
(:class:`~junheng.bulk.RecordColumns`, shared with evaluation); messages are
built only for the records it flags, so a national batch of valid records costs
a few vectorised comparisons. A value that is not a number the schema accepts
(text, a yes/no, a negative count) never takes part in a plausibility rule: the
schema step reports it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from ..bulk import RecordColumns
from ..domain import STAGE_BLOCKS, STAGE_TITLES, STAGES
from ..issues import DataIssue
from ..tables import TableColumns
from .where import Where

__all__ = [
    "AREA_PER_STUDENT_LIMIT",
    "EQUIPMENT_PER_STUDENT_LIMIT",
    "PAIR_RULES",
    "finance_issues",
    "head_keys",
    "missing_fields",
    "record_issues",
]

#: equipment value per student above this is implausible (yuan)
EQUIPMENT_PER_STUDENT_LIMIT = 1_000_000
#: teaching-room area per student above this is implausible (m²)
AREA_PER_STUDENT_LIMIT = 1_000


@attrs.frozen
class PairRule:
    """Within a stage block, ``numerator`` should not exceed ``denominator``."""

    numerator: str
    denominator: str
    words: str


PAIR_RULES: tuple[PairRule, ...] = (
    PairRule("teachers", "students", "专任教师数多于在校生数"),
    PairRule("classes", "students", "班级数多于在校生数"),
    PairRule("max_class_size", "students", "最大班额大于在校生数"),
    PairRule("teachers_above_degree", "teachers", "高于规定学历教师数多于专任教师数"),
    PairRule("senior_title_teachers", "teachers", "中级及以上职称教师数多于专任教师数"),
    PairRule("backbone_teachers_county", "teachers", "县级及以上骨干教师数多于专任教师数"),
    PairRule(
        "backbone_teachers_city",
        "backbone_teachers_county",
        "市级及以上骨干教师数多于县级及以上骨干教师数",
    ),
    PairRule("pe_arts_teachers", "teachers", "体育艺术专任教师数多于专任教师数"),
    PairRule("large_classes", "classes", "大班额班级数多于班级数"),
    PairRule("disabled_students", "students", "随班就读残疾学生数多于在校生数"),
    PairRule("dropouts", "students", "辍学学生数多于在校生数"),
)
#: (field, limit, words, unit): a school-wide quantity per student of the whole school
PER_STUDENT_LIMITS = (
    ("equipment_value_yuan", EQUIPMENT_PER_STUDENT_LIMIT, "生均教学仪器设备值", "元"),
    ("teaching_room_area_m2", AREA_PER_STUDENT_LIMIT, "生均教学及辅助用房面积", "m²"),
)
#: (part, whole): training funds should not exceed the school's public funds
FUNDS_PAIR = ("teacher_training_funds_yuan", "public_funds_yuan")
#: top-level keys every rule here reads (pulled in one pass: each pass over a national
#: batch of dicts costs ~0.1 s of memory traffic); ``name`` is for evaluation, which
#: shares the pulled columns
_HEAD_KEYS = (
    "id",
    "name",
    "central_school_id",
    "county_code",
    "year",
    "school_type",
    *STAGES,
    *(k for k, *_ in PER_STUDENT_LIMITS),
    *FUNDS_PAIR,
)


def head_keys(required: Iterable[str] = ()) -> list[str]:
    """The top-level keys the rules read, with those of the ``required`` fields."""
    tops = {p.split(".", 1)[0] for p in required} - set(STAGES)
    return list(dict.fromkeys([*_HEAD_KEYS, *sorted(tops)]))


_STAGE_KEYS = sorted(
    {k for r in PAIR_RULES for k in (r.numerator, r.denominator)} | {"students", "classes"}
)


# --------------------------------------------------------------------------- per record


def record_issues(
    records: Sequence[Any],
    pulled: RecordColumns,
    where: Where,
    required: Iterable[str] = (),
    invalid: Sequence[int] = (),
    skip: frozenset[int] = frozenset(),
) -> list[DataIssue]:
    """Stage blocks, implausible values and missing fields, record by record.

    ``invalid``: indices of records the schema step found invalid; their values are
    taken one by one, so only numbers the schema accepts enter a plausibility rule.
    ``skip``: records that are not mappings at all (the schema step said so).
    """
    required = sorted(set(required))
    found: dict[int, list[DataIssue]] = {}
    for rule in (_stage_blocks, _implausible, _missing_fields):
        for index, issue in rule(records, pulled, where, required, invalid):
            found.setdefault(index, []).append(issue)
    return [issue for index in sorted(found) if index not in skip for issue in found[index]]


_Found = Iterable[tuple[int, DataIssue]]


def _blocks_wrong(school_type: str, present: set[str]) -> bool:
    need, allowed = STAGE_BLOCKS[school_type]
    return bool(need - present or present - allowed) or (
        school_type == "special_education" and not present
    )


#: (school_type, has a primary block, has a junior block) that do not fit
_BAD_BLOCKS = frozenset(
    (t, p, j)
    for t in STAGE_BLOCKS
    for p in (False, True)
    for j in (False, True)
    if _blocks_wrong(t, {s for s, h in zip(STAGES, (p, j), strict=True) if h})
)


def _text(value: Any) -> str | None:
    """``value`` if it is a string, else None (set members must be hashable)."""
    return value if isinstance(value, str) else None


def _stage_blocks(
    records: Sequence[Any], pulled: RecordColumns, where: Where, required: list[str], invalid
) -> _Found:
    got = pulled.values(("school_type", *STAGES))
    types, primary, junior = got["school_type"], got[STAGES[0]], got[STAGES[1]]
    if isinstance(pulled, TableColumns):  # blocks are masks: settled on whole columns
        kinds = np.array(types, dtype=object)
        has = [pulled.has_block(s) for s in STAGES]
        flagged = np.zeros(len(records), dtype=bool)
        for t, p, j in _BAD_BLOCKS:
            flagged |= (kinds == t) & (has[0] == p) & (has[1] == j)
    else:
        flagged = np.fromiter(
            (
                (_text(t), p is not None, j is not None) in _BAD_BLOCKS
                for t, p, j in zip(types, primary, junior, strict=True)
            ),
            bool,
            len(records),
        )
    for index in np.nonzero(flagged)[0].tolist():
        school_type = types[index]
        need, allowed = STAGE_BLOCKS[school_type]
        present = {
            s for s, b in zip(STAGES, (primary[index], junior[index]), strict=True) if b is not None
        }
        record = records[index]
        type_title = where.catalogue.get("school_type").enum_label(school_type)  # type: ignore[union-attr]
        for stage in sorted(need - present):
            yield (
                index,
                where.issue(
                    "error",
                    "stage_mismatch",
                    f"学校类型为{type_title}（{school_type}），但缺少{STAGE_TITLES[stage]}学段数据"
                    f"（{stage} 各列/字段）。",
                    index,
                    record,
                    stage,
                    found=sorted(present),
                    expected=sorted(need),
                ),
            )
        for stage in sorted(present - allowed):
            yield (
                index,
                where.issue(
                    "error",
                    "stage_mismatch",
                    f"学校类型为{type_title}（{school_type}），不应有{STAGE_TITLES[stage]}学段数据"
                    f"（{stage}）；请更正学校类型或删除该学段数据。",
                    index,
                    record,
                    stage,
                    found=sorted(present),
                    expected=sorted(allowed),
                ),
            )
        if school_type == "special_education" and not present:
            yield (
                index,
                where.issue(
                    "error",
                    "stage_mismatch",
                    "特殊教育学校应至少有小学或初中学段数据之一（primary 或 junior）。",
                    index,
                    record,
                    "primary",
                    found=[],
                    expected=["primary", "junior"],
                ),
            )


def _implausible(
    records: Sequence[Any], pulled: RecordColumns, where: Where, required: list[str], invalid
) -> _Found:
    n = len(records)
    flags: list[tuple[np.ndarray, Any]] = []  # (mask, message builder), in message order
    total = np.zeros(n)
    with np.errstate(invalid="ignore", divide="ignore"):
        for stage in STAGES:
            cols = _clean(pulled.stage_floats(stage, _STAGE_KEYS), records, invalid, stage)
            for rule in PAIR_RULES:
                flags.append((cols[rule.numerator] > cols[rule.denominator], (_pair, stage, rule)))
            students = cols["students"]
            flags.append(((students > 0) & (cols["classes"] == 0), (_no_classes, stage, students)))
            total += np.nan_to_num(students)
        wide = _clean(
            pulled.floats([k for k, *_ in PER_STUDENT_LIMITS] + list(FUNDS_PAIR)), records, invalid
        )
        some = total > 0
        per = {k: wide[k] / total for k, *_ in PER_STUDENT_LIMITS}
        for key, limit, words, unit in PER_STUDENT_LIMITS:
            flags.append(
                (some & (per[key] > limit), (_per_student, key, limit, words, unit, per[key]))
            )
        training, funds = (wide[k] for k in FUNDS_PAIR)
        flags.append((some & (training > funds), (_funds,)))
    hits = [(k, i) for k, (mask, _) in enumerate(flags) for i in np.nonzero(mask)[0].tolist()]
    for k, index in sorted(hits, key=lambda h: (h[1], h[0])):
        build, *args = flags[k][1]
        yield index, build(records[index], index, where, *args)


def _pair(record: Any, index: int, where: Where, stage: str, rule: PairRule) -> DataIssue:
    a, b = record[stage][rule.numerator], record[stage][rule.denominator]
    return where.issue(
        "warning",
        "implausible",
        f"{STAGE_TITLES[stage]}{rule.words}（{a} > {b}），请核实。",
        index,
        record,
        f"{stage}.{rule.numerator}",
        found=a,
        expected=f"<= {stage}.{rule.denominator} ({b})",
    )


def _no_classes(
    record: Any, index: int, where: Where, stage: str, students: np.ndarray
) -> DataIssue:
    return where.issue(
        "warning",
        "implausible",
        f"{STAGE_TITLES[stage]}有 {record[stage]['students']} 名在校生但班级数为 0，请核实。",
        index,
        record,
        f"{stage}.classes",
        found=0,
        expected="> 0",
    )


def _per_student(
    record: Any,
    index: int,
    where: Where,
    key: str,
    limit: int,
    words: str,
    unit: str,
    per: np.ndarray,
) -> DataIssue:
    return where.issue(
        "warning",
        "implausible",
        f"{words}为 {float(per[index]):,.0f} {unit}，超过 {limit:,} {unit}，"
        "可能是单位填错（如万元、平方米），请核实。",
        index,
        record,
        key,
        found=record[key],
        expected=f"<= {limit} per student",
    )


def _funds(record: Any, index: int, where: Where) -> DataIssue:
    training, funds = (record[k] for k in FUNDS_PAIR)
    return where.issue(
        "warning",
        "implausible",
        f"教师培训经费（{training}）多于公用经费支出（{funds}），请核实。",
        index,
        record,
        "teacher_training_funds_yuan",
        found=training,
        expected=f"<= public_funds_yuan ({funds})",
    )


def _clean(
    cols: Mapping[str, np.ndarray],
    records: Sequence[Any],
    invalid: Sequence[int],
    stage: str | None = None,
) -> dict[str, np.ndarray]:
    """The columns with only the numbers the schema accepts (negative, text, yes/no: NaN).

    Schema-valid records hold non-negative numbers in these fields; the few invalid
    records' values are taken one by one.
    """
    out = {}
    for key, col in cols.items():
        if invalid or (col < 0).any():  # the usual batch: nothing to clean, nothing copied
            col = np.where(col >= 0, col, np.nan)
        for index in invalid:
            block = records[index].get(stage) if stage else records[index]
            col[index] = _number(block.get(key) if isinstance(block, Mapping) else None)
        out[key] = col
    return out


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return math.nan
    try:
        value = float(value)
    except OverflowError:
        return math.nan
    return value if value >= 0 else math.nan


def missing_fields(
    records: Sequence[Any], pulled: RecordColumns, where: Where, required: Iterable[str]
) -> list[DataIssue]:
    """A ``missing_field`` warning for each required field a record lacks, record by record."""
    return [
        issue for _, issue in _missing_fields(records, pulled, where, sorted(set(required)), ())
    ]


def _missing_fields(
    records: Sequence[Any], pulled: RecordColumns, where: Where, required: list[str], invalid
) -> _Found:
    hits: list[tuple[int, str]] = []
    for path in required:
        head, _, key = path.partition(".")
        if head in STAGES and key:
            has = pulled.has_block(head)
            maybe = has & np.isnan(pulled.stage_floats(head, [key])[key])
            hits += [
                (i, path)
                for i in np.nonzero(maybe)[0].tolist()
                if records[i][head].get(key) is None
            ]
        elif not key and isinstance(pulled, TableColumns):  # nulls counted by Arrow
            col = pulled.column(head)
            if col is None:
                hits += [(i, path) for i in range(len(records))]
            elif col.null_count:
                absent = col.is_null().to_numpy(zero_copy_only=False)
                hits += [(i, path) for i in np.nonzero(absent)[0].tolist()]
        elif not key:
            values = pulled.values([head])[head]
            if values.count(None):  # C-level count: usually none
                hits += [(i, path) for i, v in enumerate(values) if v is None]
        else:
            values = pulled.values([head])[head]
            hits += [(i, path) for i, v in enumerate(values) if _dig(v, key) is None]
    for index, path in sorted(hits):
        yield (
            index,
            where.issue(
                "warning",
                "missing_field",
                "所选规则集需要该字段，但未填写；相关指标将无法计算。",
                index,
                records[index],
                path,
                expected=path,
            ),
        )


def _dig(value: Any, path: str) -> Any:
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


# --------------------------------------------------------------------------- county records


def finance_issues(counties: Sequence[Any], where: Where) -> list[DataIssue]:
    """A finance series repeating a year (errors), county by county."""
    out = []
    for index, record in enumerate(counties):
        finance = record.get("finance") if isinstance(record, Mapping) else None
        if not isinstance(finance, list):
            continue
        seen: set[int] = set()
        for pos, entry in enumerate(finance):
            year = entry.get("year") if isinstance(entry, Mapping) else None
            if not isinstance(year, int):
                continue
            if year in seen:
                out.append(
                    where.issue(
                        "error",
                        "duplicate_year",
                        f"近年教育经费中年度 {year} 出现了不止一次。",
                        index,
                        record,
                        f"finance[{pos}].year",
                        found=year,
                    )
                )
            seen.add(year)
    return out
