"""The Parquet report: a folder holding ``schools.parquet`` and ``counties.parquet``.

Two tables of different shapes do not fit one Parquet file, so ``--format parquet``
writes a folder (``--output DIR``) with one file per table
(:mod:`junheng.results.columnar` describes their columns). Each file carries the
report's provenance in its key-value metadata — ``junheng.provenance`` (the JSON
report's ``provenance`` object as JSON), ``junheng.ruleset_id``, ``junheng.table``
(``schools`` or ``counties``) and ``junheng.contract`` (the JSON report stays the
contract, docs/CONTRACT.md; these tables are a view of it). Both files are built in
memory before either is written, and each is written atomically.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

from ..results import Report
from ..tables import missing_arrow

__all__ = ["FILES", "files"]

#: the files of the folder, in the order they are written
FILES = ("schools.parquet", "counties.parquet")


def files(report: Report) -> Mapping[str, bytes]:
    """File name → bytes of the Parquet report (ImportError naming the extra without pyarrow)."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError(missing_arrow("Parquet 报告")) from None
    provenance = json.dumps(dict(report.provenance), ensure_ascii=False, default=str)
    out = {}
    for name, table, kind in (
        (FILES[0], report.schools.to_arrow(), "schools"),
        (FILES[1], report.counties_to_arrow(), "counties"),
    ):
        meta: dict[bytes, bytes] = dict(table.schema.metadata or {})
        meta.update(
            {
                b"junheng.provenance": provenance.encode("utf-8"),
                b"junheng.ruleset_id": str(report.ruleset.id).encode("utf-8"),
                b"junheng.table": kind.encode("ascii"),
                b"junheng.contract": b"a view of the JSON report (docs/CONTRACT.md)",
            }
        )
        buffer = io.BytesIO()
        pq.write_table(
            table.replace_schema_metadata(meta),
            buffer,
            compression="snappy",
            use_dictionary=_repeating(table.column_names),
        )
        out[name] = buffer.getvalue()
    return out


def _repeating(names: list[str]) -> list[str]:
    """The columns worth a dictionary encoding: all but those of (nearly) one value per
    row — ids, names, student counts, check values — where Parquet builds the dictionary,
    finds it too large and falls back to plain encoding anyway (at 210,000 schools the
    schools file encodes in 0.11 s instead of 0.15 s, 11.3 MiB instead of 9.3 MiB)."""
    return [n for n in names if n not in ("id", "name", "students") and not n.endswith(".value")]


def provenance_of(metadata: Mapping[bytes, bytes] | None) -> dict[str, Any]:
    """The provenance a file of the Parquet report carries (``{}`` when none)."""
    raw = (metadata or {}).get(b"junheng.provenance")
    return json.loads(raw) if raw else {}
