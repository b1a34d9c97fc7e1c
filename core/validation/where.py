"""Where validated records came from (file, rows), and the located issue built from it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from ..fields import FieldCatalogue
from ..issues import DataIssue, Severity

__all__ = ["Where", "locate", "record_id"]


@attrs.frozen
class Where:
    """Where the records came from, for messages; ``catalogue`` gives fields their titles."""

    file: str | None
    row_unit: str
    rows: Sequence[int] | None
    subject: str
    catalogue: FieldCatalogue = attrs.field(eq=False, repr=False)
    field_rows: Sequence[Mapping[str, int]] = ()

    @property
    def schema_name(self) -> str:
        return "school" if self.subject == "学校" else "county"

    def row(self, index: int, field: str | None = None) -> int:
        if field and index < len(self.field_rows):
            hit = self.field_rows[index].get(field)
            if hit is not None:
                return hit
        if self.rows is not None and index < len(self.rows):
            return self.rows[index]
        return index + 1

    def issue(
        self,
        severity: Severity,
        code: str,
        detail: str,
        index: int,
        record: Any,
        field: str | None = None,
        found: Any = None,
        expected: Any = None,
    ) -> DataIssue:
        """A located issue about ``record`` (the ``index``-th) and, optionally, one field."""
        info = self.catalogue.get(re.sub(r"\[\d+\]", "[]", field)) if field else None
        return DataIssue.located(
            severity,
            code,
            detail,
            file=self.file,
            row=self.row(index, field),
            row_unit=self.row_unit,
            record_id=record_id(record, self.schema_name),
            subject=self.subject,
            field=field,
            field_title=info.title if info else None,
            found=found,
            expected=expected,
        )


def locate(
    file: str | Path | None,
    rows: Sequence[int] | None,
    subject: str,
    catalogue: FieldCatalogue,
    field_rows: Sequence[Mapping[str, int]] = (),
) -> Where:
    name = Path(file).name if file is not None else None
    spreadsheet = name is not None and Path(name).suffix.lower() in (
        ".csv",
        ".xlsx",
        ".xlsm",
        ".parquet",
        ".feather",
        ".arrow",
    )
    return Where(name, "行" if spreadsheet else "条", rows, subject, catalogue, tuple(field_rows))


def record_id(record: Any, schema_name: str) -> str | None:
    if not isinstance(record, Mapping):
        return None
    key = "id" if schema_name == "school" else "county_code"
    value = record.get(key)
    return value if isinstance(value, str) and value else None
