"""Rules across records: duplicate school ids, central schools missing from the input or
themselves teaching points (a chain, or a cycle), county codes and years that differ
from the county records.

Each rule is settled on whole columns first (C-level set operations: the usual
national batch has no such problem), and looks record by record only when
something is wrong.
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from ..bulk import RecordColumns
from ..issues import DataIssue
from .where import Where

__all__ = ["cross_record_issues"]


def cross_record_issues(
    records: Sequence[Any],
    pulled: RecordColumns,
    counties: Sequence[Mapping[str, Any]],
    where: Where,
) -> list[DataIssue]:
    """Duplicate ids, missing central schools, county mismatches (in that order)."""
    got = pulled.values(("id", "central_school_id", "county_code", "year", "school_type"))
    ids, centrals = got["id"], got["central_school_id"]
    return [
        *_duplicate_ids(records, ids, where),
        *_central_schools(records, ids, centrals, where),
        *_central_chains(records, ids, centrals, got["school_type"], where),
        *_county_mismatch(records, got["county_code"], got["year"], counties, where),
        *_mixed_years(records, got["year"], counties, where),
        *_small_counties(records, got["county_code"], counties, where),
    ]


def _duplicate_ids(records: Sequence[Any], ids: Sequence[Any], where: Where) -> list[DataIssue]:
    if set(map(type, ids)) == {str} and len(set(ids)) == len(ids):  # C-level: the usual batch
        return []
    out, first = [], {}
    for index, sid in enumerate(ids):
        if not isinstance(sid, str):
            continue
        if sid in first:
            out.append(
                where.issue(
                    "error",
                    "duplicate_id",
                    f"学校标识码 {sid} 重复，与第{where.row(first[sid])}{where.row_unit}相同；"
                    "每所学校的标识码必须唯一。",
                    index,
                    records[index],
                    "id",
                    found=sid,
                    expected="unique",
                )
            )
        else:
            first[sid] = index
    return out


def _central_schools(
    records: Sequence[Any], ids: Sequence[Any], centrals: Sequence[Any], where: Where
) -> list[DataIssue]:
    try:  # C-level set operations settle the usual batch: every central school present
        if set(centrals) - {None} <= set(ids) and not any(map(operator.eq, centrals, ids)):
            return []
    except TypeError:  # an unhashable value (invalid data): look record by record
        pass
    known = {v for v in ids if isinstance(v, str)}
    named = [(i, c) for i, c in enumerate(centrals) if isinstance(c, str) and c]
    out = []
    for index, central in named:
        if central == ids[index]:
            detail, expected = "所属中心校不能是学校自己。", None
        elif central not in known:
            detail = f"所属中心校 {central} 不在输入数据中；请补充该中心校的记录或更正标识码。"
            expected = "an id present in the input"
        else:
            continue
        out.append(
            where.issue(
                "error",
                "missing_central_school",
                detail,
                index,
                records[index],
                "central_school_id",
                found=central,
                expected=expected,
            )
        )
    return out


def _central_chains(
    records: Sequence[Any],
    ids: Sequence[Any],
    centrals: Sequence[Any],
    types: Sequence[Any],
    where: Where,
) -> list[DataIssue]:
    """A central school that is itself a teaching point: a chain (warning: folded to its
    end) or a cycle (error: the pupils would belong to no unit)."""
    points = {
        sid
        for sid, kind in zip(ids, types, strict=True)
        if kind == "teaching_point" and type(sid) is str
    }
    try:
        if not points or not (set(centrals) & points):
            return []
    except TypeError:  # an unhashable value (invalid data): the schema step reports it
        return []
    central_of = {
        sid: c
        for sid, c in zip(ids, centrals, strict=True)
        if type(sid) is str and sid in points and isinstance(c, str)
    }
    out = []
    for index, (sid, central) in enumerate(zip(ids, centrals, strict=True)):
        if type(central) is not str or central not in points or central == sid:
            continue
        chain, current = [sid], central
        while current in central_of and current not in chain:
            chain.append(current)
            current = central_of[current]
        path = " → ".join(map(str, [*chain, current]))
        if current in chain:
            severity, code = "error", "central_school_cycle"
            detail = (
                f"所属中心校形成循环：{path}；这些教学点的学生将不属于任何学校。"
                "教学点的所属中心校应是一所不是教学点的学校。"
            )
        else:
            severity, code = "warning", "central_school_chain"
            detail = (
                f"所属中心校 {central} 本身是教学点（{path}）；合并统计时并入链条末端的 {current}。"
            )
        out.append(
            where.issue(
                severity,  # type: ignore[arg-type]
                code,
                detail,
                index,
                records[index],
                "central_school_id",
                found=central,
                expected="a school that is not a teaching point",
            )
        )
    return out


def _county_mismatch(
    records: Sequence[Any],
    codes: Sequence[Any],
    years: Sequence[Any],
    counties: Sequence[Mapping[str, Any]],
    where: Where,
) -> list[DataIssue]:
    county_codes = [c.get("county_code") for c in counties if isinstance(c, Mapping)]
    county_codes = [c for c in county_codes if isinstance(c, str)]
    if not county_codes:
        return []
    county_years = {
        y
        for y in (c.get("year") for c in counties if isinstance(c, Mapping))
        if isinstance(y, int) and not isinstance(y, bool)
    }
    known = set(county_codes)  # a national batch has ~2,900 county codes: no list scan per school
    try:
        if set(codes) <= known and (len(county_years) != 1 or set(years) <= county_years):
            return []
    except TypeError:  # an unhashable value (invalid data): look record by record
        pass
    shown = "、".join(county_codes)
    out = []
    for index, (code, year) in enumerate(zip(codes, years, strict=True)):
        if isinstance(code, str) and code not in known:
            out.append(
                where.issue(
                    "error",
                    "county_mismatch",
                    f"县级行政区划代码 {code} 与县域数据的代码 {shown} 不一致。",
                    index,
                    records[index],
                    "county_code",
                    found=code,
                    expected=county_codes if len(county_codes) > 1 else county_codes[0],
                )
            )
        if len(county_years) == 1 and isinstance(year, int) and year not in county_years:
            (county_year,) = county_years
            out.append(
                where.issue(
                    "warning",
                    "year_mismatch",
                    f"统计年度 {year} 与县域数据的评估年度 {county_year} 不一致。",
                    index,
                    records[index],
                    "year",
                    found=year,
                    expected=county_year,
                )
            )
    return out


def _mixed_years(
    records: Sequence[Any], years: Sequence[Any], counties: Sequence[Any], where: Where
) -> list[DataIssue]:
    """Schools of several statistical years in one batch, where no county record's year
    says which is meant (``year_mismatch`` covers that case): a warning on each school of
    the years other than the most common one."""
    try:  # C-level: the usual batch is of one year
        if len(set(years)) < 2:
            return []
    except TypeError:  # an unhashable value (invalid data): the schema step reports it
        return []
    counts = Counter(y for y in years if type(y) is int)
    if len(counts) < 2 or len(_county_years(counties)) == 1:
        return []
    main_year = counts.most_common(1)[0][0]
    shown = "、".join(f"{y} 年 {n} 所" for y, n in sorted(counts.items()))
    return [
        where.issue(
            "warning",
            "mixed_years",
            f"数据中有多个统计年度（{shown}）；一次评估应使用同一年度的数据，本校为 {year} 年。",
            index,
            records[index],
            "year",
            found=year,
            expected=main_year,
        )
        for index, year in enumerate(years)
        if type(year) is int and year != main_year
    ]


#: a county this much smaller than the largest one in a batch without county records
#: looks like a county-code typo (two schools against a county of 20 or more)
LONE_COUNTY_SCHOOLS = 2
LONE_COUNTY_AGAINST = 20


def _small_counties(
    records: Sequence[Any], codes: Sequence[Any], counties: Sequence[Any], where: Where
) -> list[DataIssue]:
    """A county of one or two schools beside large ones and without a county record: a
    mistyped county code makes a county of its own, whose CVs are 0 and pass."""
    with_record = {
        code
        for code in (c.get("county_code") for c in counties if isinstance(c, Mapping))
        if type(code) is str
    }
    try:  # C-level: every county has its record (the usual batch with county data)
        if set(codes) <= with_record:
            return []
    except TypeError:  # an unhashable value (invalid data): the schema step reports it
        return []
    per_county = Counter(c for c in codes if type(c) is str)
    largest = max(per_county.values(), default=0)
    if largest < LONE_COUNTY_AGAINST or min(per_county.values()) > LONE_COUNTY_SCHOOLS:
        return []
    lone = {
        code
        for code, n in per_county.items()
        if n <= LONE_COUNTY_SCHOOLS and code not in with_record
    }
    return [
        where.issue(
            "warning",
            "lone_county",
            f"县级行政区划代码 {code} 只有 {per_county[code]} 所学校，而另有县达 {largest} 所，"
            "且没有该县的县域数据：是否输错了代码？它会被当作一个单独的县评估。",
            index,
            records[index],
            "county_code",
            found=code,
        )
        for index, code in enumerate(codes)
        if code in lone
    ]


def _county_years(counties: Sequence[Any]) -> set[int]:
    return {
        y
        for y in (c.get("year") for c in counties if isinstance(c, Mapping))
        if isinstance(y, int) and not isinstance(y, bool)
    }
