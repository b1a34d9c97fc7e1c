"""Default plugin: the readers of ``.json``, ``.csv``, ``.xlsx``/``.xlsm`` and the columnar
``.parquet``, ``.feather``, ``.arrow`` files (those need the ``junheng[arrow]`` extra).

Each reads against the calling engine's field catalogues (core fields and its
plugins' fields), so spreadsheet headers resolve to every field the engine knows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..hookspecs import hookimpl
from ..readers import (
    BUILTIN_EXTENSIONS,
    TABLE_EXTENSIONS,
    ReadResult,
    read_builtin,
    read_table_file,
)


@hookimpl
def junheng_readers(engine: Any):
    def read(path: Path, kind: str) -> ReadResult:
        return read_builtin(
            Path(path), kind, engine.registry.catalogue("county" if kind == "county" else "school")
        )

    def read_table(path: Path, kind: str) -> ReadResult:
        return read_table_file(
            Path(path), kind, engine.registry.catalogue("county" if kind == "county" else "school")
        )

    return {
        **dict.fromkeys(BUILTIN_EXTENSIONS, read),
        **dict.fromkeys(TABLE_EXTENSIONS, read_table),
    }
