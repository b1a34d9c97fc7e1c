"""Validation: check school and county records and report every problem at once.

Two steps, one module each:

1. :mod:`~junheng.validation.schema` — JSON Schema (draft 2020-12) of the
   engine's registry (core fields plus its plugins' fields), every error a
   located Chinese :class:`~junheng.issues.DataIssue`;
2. :mod:`~junheng.validation.across` and :mod:`~junheng.validation.rules` — what
   the schema cannot say: across records (duplicate ids, missing central schools,
   county mismatches) and per record (stage blocks against ``school_type``,
   implausible values, fields the ruleset needs) and :mod:`~junheng.validation.text`
   (characters no report can carry, identifiers with spaces around them), each rule
   written once over whole columns.

Used by ``Engine.load`` / ``Engine.validate`` (and through them the CLI and the
API). The module-level functions without a registry check against the core
schemas only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..bulk import NumberTooLarge, RecordColumns, gc_paused
from ..domain import STAGE_BLOCKS
from ..issues import DataIssue
from ..readers import ReadResult, read_county, read_schools
from ..registry import Registry
from ..tables import TableColumns, TableRecords, is_table
from .across import cross_record_issues
from .columnar import invalid_rows
from .numbers import huge_integer_issues, number_issues, plain
from .rules import (
    AREA_PER_STUDENT_LIMIT,
    EQUIPMENT_PER_STUDENT_LIMIT,
    finance_issues,
    head_keys,
    missing_fields,
    record_issues,
)
from .schema import schema_errors, schema_issues, valid_flags
from .text import county_text_issues, school_text_issues
from .where import Where, locate

__all__ = [
    "AREA_PER_STUDENT_LIMIT",
    "EQUIPMENT_PER_STUDENT_LIMIT",
    "STAGE_RULES",
    "huge_integer_errors",
    "missing_field_issues",
    "validate",
    "validate_files",
    "validate_read",
]

#: school_type → (stage blocks required, stage blocks allowed) (:data:`junheng.domain.STAGE_BLOCKS`)
STAGE_RULES = STAGE_BLOCKS
_schema_errors = schema_errors  # the schema backend seam, as the differential tests call it


def validate(
    schools: Sequence[Mapping[str, Any]],
    county: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    *,
    schools_file: str | Path | None = None,
    county_file: str | Path | None = None,
    rows: Sequence[int] | None = None,
    county_rows: Sequence[int] | None = None,
    county_field_rows: Sequence[Mapping[str, int]] = (),
    required_fields: set[str] | None = None,
    columns: RecordColumns | None = None,
    registry: Registry | None = None,
) -> list[DataIssue]:
    """Every problem in ``schools`` (and ``county``, one record or several), at once.

    ``schools_file`` / ``county_file`` name the sources in messages (only the
    file name is shown; a ``.csv``/``.xlsx`` name makes positions read as
    spreadsheet rows, anything else as record positions). ``rows[i]`` is the
    source row of ``schools[i]`` (default: position ``i + 1``).
    ``required_fields`` are school field paths the chosen ruleset needs; each
    one absent from a school is reported as a ``missing_field`` warning
    (stage fields such as ``primary.students`` only where that block exists).
    ``columns``: a :class:`~junheng.bulk.RecordColumns` of these very ``schools``
    (internal: the engine shares the fields pulled here with evaluation).
    ``registry``: whose schemas (an engine's, with its plugins' fields; default:
    the core schemas). Returns errors and warnings in check order: schema errors
    record by record, then the cross-record rules, then the per-record rules
    (:func:`validate_read` sorts by row).
    """
    registry = registry or Registry.core()
    read_issues: list[DataIssue] = []
    if is_table(schools):  # a pyarrow Table, a pandas or polars DataFrame
        from ..readers.arrow import read_table

        read = read_table(schools, "schools", registry.school_fields)
        schools, columns, read_issues = read.records, read.columns, list(read.issues)
        rows = read.rows
    if is_table(county):
        from ..readers.arrow import read_table

        read = read_table(county, "county", registry.county_fields)
        county, read_issues = read.records, read_issues + list(read.issues)
    if columns is not None and columns.records is not schools:
        raise ValueError("columns 不是从这份学校记录中提取的 (columns.records is not schools)")
    counties = [county] if isinstance(county, Mapping) else list(county or [])
    school_where = locate(schools_file, rows, "学校", registry.school_fields)
    county_where = locate(county_file, county_rows, "县", registry.county_fields, county_field_rows)
    try:
        return read_issues + _validate(
            schools, counties, school_where, county_where, required_fields, columns, registry
        )
    except NumberTooLarge:
        # an integer beyond float range the fast schema backend let through (it passes
        # integers of more than 4,300 digits): searched for record by record
        return read_issues + _validate(
            schools, counties, school_where, county_where, required_fields, None, registry, True
        )


def _validate(
    schools: Sequence[Mapping[str, Any]],
    counties: Sequence[Mapping[str, Any]],
    school_where: Where,
    county_where: Where,
    required_fields: set[str] | None,
    columns: RecordColumns | None,
    registry: Registry,
    exact: bool = False,
) -> list[DataIssue]:
    """:func:`validate` once; ``exact``: integers beyond float range are searched for in
    every school record, and the per-record rules skip the invalid records."""
    with gc_paused():
        issues: list[DataIssue] = []
        invalid = []
        if isinstance(columns, TableColumns):
            # columns decide which rows break the schema; only those become records
            flagged = np.nonzero(invalid_rows(columns, registry.schema("school")))[0].tolist()
            columns.records.prefetch(flagged)
        else:
            huge = huge_integer_issues(schools, school_where) if exact else {}
            valid = valid_flags(schools, "school", registry)
            # the fast backend proved the others valid: jsonschema would find nothing
            flagged = [i for i, ok in enumerate(valid) if not ok or i in huge]
        for index in flagged:
            found = _record_issues(schools[index], "school", registry, school_where, index)
            if found:
                invalid.append(index)
                issues.extend(found)
        county_valid = valid_flags(counties, "county", registry)
        for index, record in enumerate(counties):
            if not county_valid[index]:
                issues.extend(_record_issues(record, "county", registry, county_where, index))

        skip: frozenset[int] = frozenset()
        if not isinstance(schools, TableRecords) and set(map(type, schools)) - {dict}:
            # C-level check: the usual batch is all dicts (a table's records always are)
            skip = frozenset(i for i, s in enumerate(schools) if not isinstance(s, Mapping))
        if skip:  # the rules read mappings: stand-ins for what is not one
            records: Sequence[Any] = [{} if i in skip else s for i, s in enumerate(schools)]
            pulled = RecordColumns(records)
        else:
            records = schools
            pulled = columns if columns is not None else RecordColumns(schools)
        if not isinstance(pulled, TableColumns):  # a table's columns are read as asked for
            pulled.values(head_keys(required_fields or ()))  # every key the rules read, one pass
        issues += cross_record_issues(records, pulled, counties, school_where)
        issues += school_text_issues(records, pulled, school_where)
        issues += county_text_issues(counties, county_where)
        if exact and invalid:  # the per-record rules read numbers as floats: not these
            skip |= frozenset(invalid)
            records = [{} if i in skip else s for i, s in enumerate(schools)]
            pulled = RecordColumns(records)
        issues += record_issues(records, pulled, school_where, required_fields or (), invalid, skip)
        issues += finance_issues(counties, county_where)
    return issues


def _record_issues(
    record: Any, schema_name: str, registry: Registry, where: Where, index: int
) -> list[DataIssue]:
    """One record's schema errors, judged with Python numbers; first the numbers no schema
    can judge (NaN, infinity, beyond float range: jsonschema cannot even print those)."""
    record = plain(record)
    return number_issues(record, where, index) or list(
        schema_issues(record, schema_name, registry, where, index)
    )


def validate_files(
    schools_path: str | Path,
    county_path: str | Path | None = None,
    *,
    required_fields: set[str] | None = None,
    registry: Registry | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[DataIssue]]:
    """Read and validate files: ``(schools, counties, issues)``.

    ``counties`` is a list (usually of one record; empty without ``county_path``).
    The issues are those of :func:`validate_read`.
    """
    school_read = read_schools(schools_path, registry)
    county_read = read_county(county_path, registry) if county_path else None
    issues = validate_read(
        school_read, county_read, required_fields=required_fields, registry=registry
    )
    return school_read.records, county_read.records if county_read else [], issues


def validate_read(
    school_read: ReadResult,
    county_read: ReadResult | None = None,
    *,
    required_fields: set[str] | None = None,
    columns: RecordColumns | None = None,
    registry: Registry | None = None,
) -> list[DataIssue]:
    """The reader issues and every problem :func:`validate` finds in what was read.

    Positions are the source rows of the readers. Reader issues come first; a
    schema ``required`` error is dropped when the reader already reported that
    very cell as unreadable, so each problem is reported once. Sorted by file
    (schools, then county) and row. ``columns`` as for :func:`validate`.
    """
    issues = list(school_read.issues)
    if county_read is not None:
        issues.extend(county_read.issues)
    found = validate(
        school_read.records,
        county_read.records if county_read else [],
        schools_file=school_read.file,
        county_file=county_read.file if county_read else None,
        rows=school_read.rows,
        county_rows=county_read.rows if county_read else None,
        county_field_rows=county_read.field_rows if county_read else (),
        required_fields=required_fields,
        columns=columns,
        registry=registry,
    )
    reported = {(i.file, i.row, i.field) for i in issues if i.is_error}
    issues.extend(
        i
        for i in found
        if not (i.code == "schema.required" and (i.file, i.row, i.field) in reported)
    )
    files = {school_read.file: 0, county_read.file if county_read else None: 1}
    issues.sort(key=lambda i: (files.get(i.file, 2), i.row or 0))
    return issues


def huge_integer_errors(
    schools: Sequence[Any],
    counties: Sequence[Any] = (),
    *,
    registry: Registry | None = None,
    file: str | Path | None = None,
    rows: Sequence[int] | None = None,
) -> list[DataIssue]:
    """An error for every integer beyond float range in ``schools`` and ``counties``
    (searched record by record: for when evaluation met one in records it was told
    were validated)."""
    registry = registry or Registry.core()
    found = huge_integer_issues(schools, locate(file, rows, "学校", registry.school_fields))
    in_counties = huge_integer_issues(counties, locate(None, None, "县", registry.county_fields))
    return [i for part in (found, in_counties) for issues in part.values() for i in issues]


def missing_field_issues(
    schools: Sequence[Mapping[str, Any]],
    required_fields: set[str],
    *,
    registry: Registry | None = None,
    file: str | Path | None = None,
    rows: Sequence[int] | None = None,
    columns: RecordColumns | None = None,
) -> list[DataIssue]:
    """Warnings for each field a ruleset needs that a school lacks (the ``missing_field``
    part of :func:`validate`, for records validated before the ruleset was chosen)."""
    registry = registry or Registry.core()
    records = [s if isinstance(s, Mapping) else {} for s in schools]
    pulled = (
        columns if columns is not None and columns.records is schools else RecordColumns(records)
    )
    return missing_fields(
        records, pulled, locate(file, rows, "学校", registry.school_fields), required_fields
    )
