"""Default plugin: the readers of ``.json``, ``.csv`` and ``.xlsx``/``.xlsm`` files.

Each reads against the calling engine's field catalogues (core fields and its
plugins' fields), so spreadsheet headers resolve to every field the engine knows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..hookspecs import hookimpl
from ..readers import BUILTIN_EXTENSIONS, ReadResult, read_builtin


@hookimpl
def junheng_readers(engine: Any):
    def read(path: Path, kind: str) -> ReadResult:
        return read_builtin(
            Path(path), kind, engine.registry.catalogue("county" if kind == "county" else "school")
        )

    return dict.fromkeys(BUILTIN_EXTENSIONS, read)
