"""Report writers. Each format is one module; every file is written atomically.

``write_report(report, fmt, path)`` is the single entry point the CLI and the
API use; formats register themselves in :data:`WRITERS`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..results import Report
from . import json_report

WRITERS: dict[str, Callable[[Report], bytes]] = {
    "json": json_report.render,
}

EXTENSIONS = {"json": ".json", "html": ".html", "xlsx": ".xlsx", "md": ".md"}


def write_report(report: Report, fmt: str, path: str | Path) -> Path:
    """Render ``report`` in ``fmt`` and write it to ``path`` atomically."""
    from ..cli._common import atomic_write_bytes

    if fmt not in WRITERS:
        raise ValueError(f"不支持的格式 {fmt!r}（可用：{', '.join(sorted(WRITERS))}）")
    data = WRITERS[fmt](report)
    atomic_write_bytes(path, data)
    return Path(path)
