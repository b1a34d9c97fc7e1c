"""Inputs: school and county records ready to evaluate, with every located issue and their hashes.

:meth:`junheng.Engine.load` builds one from files (read by the engine's readers,
hashed for provenance) or from records already in memory (any iterable of
mappings), validates it against the engine's schemas and rules, and keeps the
fields it pulled from the records so that :meth:`~junheng.Engine.evaluate` does
not visit them again. What it holds besides the records is internal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import attrs

from .bulk import RecordColumns
from .issues import DataIssue
from .readers import ReadResult, read_county, read_schools
from .readers.source import file_sha256
from .registry import Registry
from .tables import is_table
from .validation import validate_read
from .validation.numbers import plain

__all__ = ["Inputs", "check_inputs", "load", "read_inputs"]


@attrs.frozen(eq=False)
class Inputs:
    """What :meth:`junheng.Engine.load` read and checked.

    ``schools`` and ``counties`` are the records (lists of dicts); ``issues`` every
    located problem (errors and warnings, in file and row order); ``provenance``
    the inputs' files and SHA-256 hashes (``{"inputs": {...}}``), carried into the
    report.
    """

    schools: Sequence[Mapping[str, Any]]
    counties: Sequence[Mapping[str, Any]]
    issues: tuple[DataIssue, ...]
    provenance: Mapping[str, Any] = attrs.field(factory=dict)
    #: the ruleset whose required fields the issues already cover (None: none)
    checked_for: str | None = None
    school_read: ReadResult | None = attrs.field(default=None, repr=False)
    county_read: ReadResult | None = attrs.field(default=None, repr=False)
    columns: RecordColumns | None = attrs.field(default=None, repr=False)

    @property
    def errors(self) -> tuple[DataIssue, ...]:
        return tuple(i for i in self.issues if i.is_error)

    @property
    def has_errors(self) -> bool:
        return any(i.is_error for i in self.issues)


#: a path, records (an iterable of mappings, or one mapping), a pyarrow Table or a
#: pandas/polars DataFrame (the ``junheng[arrow]`` extra), or None
Source = str | PathLike | Iterable[Mapping[str, Any]] | Mapping[str, Any] | Any | None


def load(
    registry: Registry,
    schools: Source,
    county: Source = None,
    *,
    required_fields: set[str] | None = None,
    ruleset_id: str | None = None,
) -> Inputs:
    """Read (paths) or take (records) the schools and the county record(s), then validate."""
    school_read, county_read = read_inputs(registry, schools, county)
    return check_inputs(
        registry,
        school_read,
        county_read,
        sources=(schools, county),
        required_fields=required_fields,
        ruleset_id=ruleset_id,
    )


def read_inputs(
    registry: Registry, schools: Source, county: Source = None
) -> tuple[ReadResult, ReadResult | None]:
    """The first step of :func:`load`: what the readers read (or the records as given)."""
    school_read = _read(schools, "schools", registry)
    county_read = None if county is None else _read(county, "county", registry)
    if county_read is not None and _is_path(county) and _is_path(schools):
        if Path(county).resolve() == Path(schools).resolve():  # {"schools": …, "county": …}
            issues = [i for i in school_read.issues if i.code != "ignored_part"]
            school_read = attrs.evolve(school_read, issues=issues)
    return school_read, county_read


def check_inputs(
    registry: Registry,
    school_read: ReadResult,
    county_read: ReadResult | None,
    *,
    sources: tuple[Source, Source] = (None, None),
    required_fields: set[str] | None = None,
    ruleset_id: str | None = None,
) -> Inputs:
    """The second step of :func:`load`: validation, and the inputs' provenance."""
    columns = school_read.columns or RecordColumns(school_read.records)
    issues = validate_read(
        school_read,
        county_read,
        required_fields=required_fields,
        columns=columns,
        registry=registry,
    )
    inputs = {}
    for kind, source, read in zip(
        ("schools", "county"), sources, (school_read, county_read), strict=True
    ):
        if read is not None and _is_path(source):
            inputs[kind] = {"file": str(source), "sha256": read.sha256}
    return Inputs(
        schools=school_read.records,
        counties=county_read.records if county_read is not None else [],
        issues=tuple(issues),
        provenance={"inputs": inputs} if inputs else {},
        checked_for=ruleset_id if required_fields is not None else None,
        school_read=school_read,
        county_read=county_read,
        columns=columns,
    )


def _is_path(source: Any) -> bool:
    return isinstance(source, (str, PathLike))


def _read(source: Source, kind: str, registry: Registry) -> ReadResult:
    if _is_path(source):
        read = read_schools if kind == "schools" else read_county
        result = read(source, registry)
        if result.sha256 is None and result.records and not result.has_errors:
            # a plugin reader gives no hash: hash the file it read (a refused file is not read)
            result = attrs.evolve(result, sha256=file_sha256(Path(source)))
        return result
    if is_table(source):  # a pyarrow Table, a pandas or polars DataFrame: read as columns
        from .readers.arrow import read_table

        return read_table(
            source, kind, registry.catalogue("county" if kind == "county" else "school")
        )
    if isinstance(source, Mapping):
        records = [source]
    elif isinstance(source, (str, bytes)) or not isinstance(source, Iterable):
        what = "文本" if isinstance(source, (str, bytes)) else type(source).__name__
        issue = DataIssue(
            "error",
            "parse",
            f"{'学校' if kind == 'schools' else '县级'}数据应为记录（字典）的列表或文件路径，"
            f"收到的是{what}。",
            found=what,
            expected="an iterable of mappings, or a path",
        )
        return ReadResult([], [issue], [], None, "条")
    else:
        records = list(source or [])
    if kind == "county":  # a handful of records, read value by value: Python numbers
        records = [plain(r) for r in records]
    return ReadResult(records, [], list(range(1, len(records) + 1)), None, "条")
