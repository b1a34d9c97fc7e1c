"""Report writers. Each format is one module; every file is written atomically.

The formats are :class:`~junheng.registry.Writer` s contributed through the
``junheng_writers`` hook — the four built-in ones (:data:`BUILTIN_WRITERS`:
``json``, ``html``, ``xlsx``, ``md``, ``parquet``) by the default plugin
:mod:`junheng.defaults.writers`, exactly as a third party adds one.
:func:`write_report` is the single entry point the CLI and the API use: it takes
the writers of the engine that made the report. A writer either renders the whole
file in memory (a failure while rendering never touches the target) or streams
it (JSON: a national report is hundreds of MiB) into a temporary file next to the
target, which is moved onto it only when complete (:mod:`junheng.atomic`).

``parquet`` (the ``junheng[arrow]`` extra) is a folder format: ``schools.parquet``
and ``counties.parquet`` (:mod:`~junheng.outputs.parquet`).

Libraries a format needs (jinja2 for HTML, pyarrow for Parquet) are imported only when
that format is rendered, so ``import junheng`` and the JSON path stay light. The HTML
charts are SVG written as text (:mod:`.charts`) and the XLSX is written by
:mod:`.sheets`: no plotting or spreadsheet library is needed to write a report.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import BinaryIO

from ..atomic import atomic_path, atomic_write_bytes, fsync
from ..registry import Writer
from ..results import Report

__all__ = [
    "BUILTIN_WRITERS",
    "EXTENSIONS",
    "STREAMERS",
    "WRITERS",
    "Writer",
    "render",
    "render_files",
    "write_report",
    "writers_of",
]


def _lazy(module: str, name: str = "render") -> Callable:
    def call(*args):
        return getattr(importlib.import_module(f"{__name__}.{module}"), name)(*args)

    call.__name__ = f"{name}_{module}"
    call.__qualname__ = call.__name__
    return call


#: ``format → render(report) -> bytes`` of the built-in formats
WRITERS: dict[str, Callable[[Report], bytes]] = {
    "json": _lazy("json_report"),
    "html": _lazy("html"),
    "xlsx": _lazy("xlsx"),
    "md": _lazy("markdown"),
}
#: formats written piece by piece into the temporary file (a national JSON report is
#: hundreds of MiB; it never has to exist in memory whole)
STREAMERS: dict[str, Callable[[Report, BinaryIO], None]] = {"json": _lazy("json_report", "write")}


def _builtin(fmt: str, extension: str, media_type: str, title: str) -> Writer:
    # the Writer calls through the tables above at render time (one place to swap a renderer)
    stream = (lambda report, out: STREAMERS[fmt](report, out)) if fmt in STREAMERS else None
    return Writer(
        fmt, extension, media_type, title, render=lambda r: WRITERS[fmt](r), stream=stream
    )


#: the built-in report formats (contributed by :mod:`junheng.defaults.writers`)
BUILTIN_WRITERS: Mapping[str, Writer] = {
    "json": _builtin("json", ".json", "application/json", "JSON 报告（机器可读）"),
    "html": _builtin("html", ".html", "text/html; charset=utf-8", "HTML 报告"),
    "xlsx": _builtin(
        "xlsx",
        ".xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "XLSX 整改台账",
    ),
    "md": _builtin("md", ".md", "text/markdown; charset=utf-8", "Markdown 报告"),
    # a folder of schools.parquet + counties.parquet (the junheng[arrow] extra)
    "parquet": Writer(
        "parquet",
        "",
        "application/vnd.apache.parquet",
        "Parquet 表格（学校表与县表，文件夹）",
        files=lambda r: _lazy("parquet", "files")(r),
    ),
}
EXTENSIONS: Mapping[str, str] = {k: w.extension for k, w in BUILTIN_WRITERS.items()}


def writers_of(report: Report) -> Mapping[str, Writer]:
    """The formats of the engine that made ``report`` (the built-in ones without one)."""
    registry = report.registry
    return registry.writers if registry is not None and registry.writers else BUILTIN_WRITERS


def _writer(report: Report, fmt: str) -> Writer:
    writers = writers_of(report)
    if fmt not in writers:
        raise ValueError(f"不支持的格式 {fmt!r}（可用：{', '.join(sorted(writers))}）")
    return writers[fmt]


def render(report: Report, fmt: str) -> bytes:
    """The report rendered in ``fmt`` (``json``, ``html``, ``xlsx``, ``md`` …) as bytes
    (a folder format such as ``parquet``: :func:`write_report` or :func:`render_files`)."""
    writer = _writer(report, fmt)
    if writer.files is not None:
        raise ValueError(f"格式 {fmt} 是一个文件夹（多个文件），请用 write_report 写到文件夹")
    if writer.render is not None:
        return writer.render(report)
    import io

    buffer = io.BytesIO()
    writer.stream(report, buffer)
    return buffer.getvalue()


def render_files(report: Report, fmt: str) -> Mapping[str, bytes]:
    """File name → bytes of a folder format (``parquet``); one file for the others."""
    writer = _writer(report, fmt)
    if writer.files is not None:
        return writer.files(report)
    return {f"report{writer.extension}": render(report, fmt)}


def write_report(report: Report, fmt: str, path: str | Path) -> Path:
    """Render ``report`` in ``fmt`` and write it to ``path`` atomically (a folder format:
    ``path`` is the folder, created if absent, every file built before any is written)."""
    writer = _writer(report, fmt)
    if writer.files is not None:
        built = writer.files(report)
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in built.items():
            atomic_write_bytes(folder / name, data)
        return folder
    if writer.stream is not None:
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            writer.stream(report, fh)
            fsync(fh)
        return Path(path)
    data = writer.render(report)
    atomic_write_bytes(path, data)
    return Path(path)
