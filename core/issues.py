"""Data issues: one located problem found while reading or validating input data.

Every problem the readers and the validator find becomes a :class:`DataIssue`:
a severity, a stable machine code, a complete Chinese sentence for people, and
the location (file, row, record id, English field path) plus what was found and
what was expected, for machines (JSON reports, the API, tests).

Codes in use (stable; extend, do not rename):

``schema.<keyword>``  a JSON Schema keyword failed (``schema.minimum``,
                      ``schema.type``, ``schema.required``, ``schema.enum`` ...)
``duplicate_id``      two schools share an ``id``
``duplicate_year``    the county finance series repeats a year
``duplicate_column``  two spreadsheet columns map to the same field
``missing_central_school``  ``central_school_id`` names a school not in the input
``central_school_chain``    the central school is itself a teaching point (warning)
``central_school_cycle``    teaching points name each other as central school
``county_mismatch``   a school's ``county_code`` differs from the county record
``year_mismatch``     a school's ``year`` differs from the county's year (warning)
``mixed_years``       schools of several years and no county year to choose (warning)
``lone_county``       a county of one or two schools beside large ones: a typo? (warning)
``stage_mismatch``    the stage blocks do not fit ``school_type``
``unknown_column``    a spreadsheet column that is no known field (warning)
``missing_field``     a field the chosen ruleset needs is absent (warning)
``missing_year``      a fiscal year a multi-year rule judges is missing (warning)
``score_above_maximum``  a self-assessed score above its node's maximum points
``implausible``       a value that is allowed but very unlikely (warning)
``encoding``          a text file in an encoding we cannot decode
``parse``             the file cannot be read as what its extension says
``conversion``        a spreadsheet cell that cannot be converted to the field's type
``too_large``         a file (or an XLSX's uncompressed content) past the size bounds
``missing_extra``     a Parquet/Arrow file or a DataFrame without pyarrow (``junheng[arrow]``)
``duplicate_key``     a JSON object repeats a key
``duplicate_key_unchecked``  a JSON file too large for the repeated-key check (warning)
``ignored_part``      a part of a JSON file that is not read as school data (warning)
``ragged_row``        a CSV/XLSX row has values beyond the header's last column
``formula``           an XLSX formula cell without a cached result
``fraction_percent``  a percent field holding a value between 0 and 1 (warning)
``sheet_chosen``      the XLSX sheet read is not the first visible one (warning)
``hidden_rows``       XLSX rows hidden in Excel hold data, read like the others (warning)
``text.unsafe``       a control character or lone surrogate no report can carry
``text.whitespace``   an identifier with spaces before or after it
``costs``             a costs file of ``junheng plan`` that cannot be used (located by key)
``plan_data``         a school whose values no addition can make decidable (no students,
                      a missing field): no plan is possible
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

import attrs

from .text import huge_integer, printable

Severity = Literal["error", "warning"]

__all__ = ["DataIssue", "InputError", "Severity", "count_issues", "format_location"]


def _printable_or_none(text: str | None) -> str | None:
    return None if text is None else printable(str(text))


@attrs.frozen
class DataIssue:
    """One located problem in the input data.

    ``row`` is the 1-based spreadsheet row (header rows included) for CSV/XLSX
    input and the 1-based position in the array for JSON input; ``None`` when
    the problem concerns the whole file. ``field`` is the English dotted path
    (``primary.students``). ``message`` is a complete Chinese sentence that
    already contains the location; ``detail`` is the same sentence without the
    location prefix (what a table's "问题" column shows). The texts show a character
    no output can carry (a lone surrogate, a control character) as its escape
    (``\\u000b``), so every issue prints and serialises.
    """

    severity: Severity
    code: str
    message: str = attrs.field(converter=printable)
    file: str | None = attrs.field(default=None, converter=_printable_or_none)
    row: int | None = None
    record_id: str | None = attrs.field(default=None, converter=_printable_or_none)
    field: str | None = attrs.field(default=None, converter=_printable_or_none)
    found: Any = attrs.field(default=None, eq=False, hash=False)
    expected: Any = attrs.field(default=None, eq=False, hash=False)
    detail: str = attrs.field(default="", converter=printable)

    @property
    def is_error(self) -> bool:
        """True for severity ``error``."""
        return self.severity == "error"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (values that JSON cannot hold become strings)."""
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "row": self.row,
            "record_id": self.record_id,
            "field": self.field,
            "found": _jsonable(self.found),
            "expected": _jsonable(self.expected),
        }

    @classmethod
    def located(
        cls,
        severity: Severity,
        code: str,
        detail: str,
        *,
        file: str | None = None,
        row: int | None = None,
        row_unit: str = "行",
        record_id: str | None = None,
        subject: str = "学校",
        field: str | None = None,
        field_title: str | None = None,
        found: Any = None,
        expected: Any = None,
    ) -> DataIssue:
        """Build an issue whose ``message`` is ``location + ': ' + detail``.

        ``row_unit`` is ``行`` for spreadsheet rows and ``条`` for positions in
        a JSON array; ``subject`` names the kind of record (学校, 县).
        """
        location = format_location(
            file=file,
            row=row,
            row_unit=row_unit,
            record_id=record_id,
            subject=subject,
            field=field,
            field_title=field_title,
        )
        message = f"{location}: {detail}" if location else detail
        return cls(
            severity=severity,
            code=code,
            message=message,
            file=file,
            row=row,
            record_id=record_id,
            field=field,
            found=found,
            expected=expected,
            detail=detail,
        )


def format_location(
    *,
    file: str | None = None,
    row: int | None = None,
    row_unit: str = "行",
    record_id: str | None = None,
    subject: str = "学校",
    field: str | None = None,
    field_title: str | None = None,
) -> str:
    """``schools.csv 第5行 学校 360121-003 字段 primary.students（小学在校生数）``."""
    parts: list[str] = []
    if file:
        parts.append(file)
    if row is not None:
        parts.append(f"第{row}{row_unit}")
    if record_id:
        parts.append(f"{subject} {record_id}")
    if field:
        parts.append(f"字段 {field}（{field_title}）" if field_title else f"字段 {field}")
    return " ".join(parts)


def count_issues(issues: Iterable[DataIssue]) -> tuple[int, int]:
    """(errors, warnings)."""
    errors = warnings = 0
    for issue in issues:
        if issue.is_error:
            errors += 1
        else:
            warnings += 1
    return errors, warnings


class InputError(Exception):
    """The input data has errors; raised by the CLI and API instead of evaluating.

    ``issues`` holds every issue found (errors and warnings), so callers can
    show them all at once.
    """

    def __init__(self, issues: Sequence[DataIssue]) -> None:
        self.issues: tuple[DataIssue, ...] = tuple(issues)
        errors, warnings = count_issues(self.issues)
        first = next((i.message for i in self.issues if i.is_error), "")
        super().__init__(f"输入数据有 {errors} 个错误、{warnings} 个警告。{first}")

    @property
    def errors(self) -> tuple[DataIssue, ...]:
        """Only the issues of severity ``error``."""
        return tuple(i for i in self.issues if i.is_error)


def _jsonable(value: Any) -> Any:
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
        return huge_integer(value)  # JSON parsers (orjson, JavaScript) stop at 64 bits
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)
