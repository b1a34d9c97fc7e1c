"""Rules across records: duplicate school ids, central schools missing from the input,
county codes and years that differ from the county records.

Each rule is settled on whole columns first (C-level set operations: the usual
national batch has no such problem), and looks record by record only when
something is wrong.
"""

from __future__ import annotations

import operator
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
    got = pulled.values(("id", "central_school_id", "county_code", "year"))
    ids, centrals = got["id"], got["central_school_id"]
    return [
        *_duplicate_ids(records, ids, where),
        *_central_schools(records, ids, centrals, where),
        *_county_mismatch(records, got["county_code"], got["year"], counties, where),
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
