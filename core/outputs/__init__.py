"""Report writers. Each format is one module; every file is written atomically.

``write_report(report, fmt, path)`` is the single entry point the CLI and the
API use; formats register themselves in :data:`WRITERS` (format → ``render(report)
-> bytes``). Each renderer builds the whole file in memory first, so a failure
while rendering never touches the target; the bytes are then written to a
temporary file next to the target and moved onto it (:mod:`junheng.atomic`).
Formats in :data:`STREAMERS` (JSON) are written piece by piece into that
temporary file instead; a failure part-way still leaves the target untouched.

Heavy libraries (matplotlib, jinja2, openpyxl) are imported only when their
format is rendered, so ``import junheng`` and the JSON path stay light.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from ..atomic import atomic_path, atomic_write_bytes
from ..results import Report

__all__ = ["EXTENSIONS", "STREAMERS", "WRITERS", "render", "write_report"]


def _lazy(module: str) -> Callable[[Report], bytes]:
    def render(report: Report) -> bytes:
        return importlib.import_module(f"{__name__}.{module}").render(report)

    render.__name__ = f"render_{module}"
    render.__qualname__ = render.__name__
    return render


WRITERS: dict[str, Callable[[Report], bytes]] = {
    "json": _lazy("json_report"),
    "html": _lazy("html"),
    "xlsx": _lazy("xlsx"),
    "md": _lazy("markdown"),
}


def _json_streamer(report: Report, out: BinaryIO) -> None:
    importlib.import_module(f"{__name__}.json_report").write(report, out)


#: formats written piece by piece into the temporary file (a national JSON report is
#: hundreds of MiB; it never has to exist in memory whole)
STREAMERS: dict[str, Callable[[Report, BinaryIO], None]] = {"json": _json_streamer}

EXTENSIONS = {"json": ".json", "html": ".html", "xlsx": ".xlsx", "md": ".md"}


def render(report: Report, fmt: str) -> bytes:
    """The report rendered in ``fmt`` (``json``, ``html``, ``xlsx``, ``md``) as bytes."""
    if fmt not in WRITERS:
        raise ValueError(f"不支持的格式 {fmt!r}（可用：{', '.join(sorted(WRITERS))}）")
    return WRITERS[fmt](report)


def write_report(report: Report, fmt: str, path: str | Path) -> Path:
    """Render ``report`` in ``fmt`` and write it to ``path`` atomically."""
    if fmt in STREAMERS:
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            STREAMERS[fmt](report, fh)
            fh.flush()
            os.fsync(fh.fileno())
        return Path(path)
    data = render(report, fmt)
    atomic_write_bytes(path, data)
    return Path(path)
