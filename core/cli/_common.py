"""Shared CLI helpers: exit codes, consoles, the issue table.

``atomic_path`` / ``atomic_write_bytes`` live in :mod:`junheng.atomic` and are
re-exported here for compatibility.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from junheng.atomic import atomic_path, atomic_write_bytes
from junheng.issues import DataIssue, count_issues

__all__ = [
    "EXIT_BROKEN_PIPE",
    "EXIT_FAILED",
    "EXIT_INPUT",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PLUGIN",
    "STDOUT",
    "UsageError",
    "atomic_path",
    "atomic_write_bytes",
    "console",
    "err_console",
    "issue_summary",
    "output_error",
    "output_path",
    "print_issues",
    "write_output",
    "write_stdout",
]

#: evaluated and every county passes / validation found no errors
EXIT_OK = 0
#: evaluated and some county does not pass
EXIT_FAILED = 1
#: bad input or usage; nothing written
EXIT_INPUT = 2
#: unexpected internal error: a bug in junheng itself
EXIT_INTERNAL = 3
#: a plugin the ruleset needs failed (the plugin is named); nothing written
EXIT_PLUGIN = 4
#: interrupted (Ctrl-C); nothing half-written is left behind (SIGTERM / SIGHUP: 128 + signal)
EXIT_INTERRUPTED = 130
#: the reader of standard output went away (``| head``): quiet, as 128 + SIGPIPE
EXIT_BROKEN_PIPE = 141
#: ``--output -``: standard output
STDOUT = "-"

_ERRNO_WORDS = {
    errno.ENOSPC: "磁盘空间不足",
    errno.EDQUOT: "磁盘配额已用完",
    errno.EACCES: "没有写入权限",
    errno.EPERM: "没有写入权限",
    errno.EROFS: "只读文件系统",
    errno.ENOTDIR: "路径中有一部分是文件而不是文件夹",
    errno.EEXIST: "路径中有一部分是文件而不是文件夹",
    errno.EISDIR: "目标是一个文件夹",
    errno.ENAMETOOLONG: "文件名过长",
    errno.ENOENT: "路径不存在",
}


def output_error(path: str | Path, exc: OSError) -> str:
    """A Chinese sentence for an OSError while writing ``path`` (the file was not written)."""
    words = _ERRNO_WORDS.get(exc.errno or 0, exc.strerror or str(exc))
    return f"无法写入 {path}：{words}（{exc.strerror or exc}），该文件未写入。"


console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def issue_summary(issues: Sequence[DataIssue]) -> str:
    """``发现 3 个错误、1 个警告`` (or ``未发现问题``)."""
    errors, warnings = count_issues(issues)
    if not errors and not warnings:
        return "未发现问题（no issues found）"
    return f"发现 {errors} 个错误、{warnings} 个警告"


def print_issues(issues: Sequence[DataIssue], out: Console | None = None) -> None:
    """Print issues as a table (级别, 文件, 行, 学校, 字段, 问题) and a summary line."""
    out = out or console
    if issues:
        table = Table(show_lines=False, header_style="bold")
        table.add_column("级别")
        table.add_column("文件", overflow="fold")
        table.add_column("行", justify="right")
        table.add_column("学校", overflow="fold")
        table.add_column("字段", overflow="fold")
        table.add_column("问题", overflow="fold", ratio=1)
        for issue in issues:
            table.add_row(  # ids and file names are the user's text, never rich markup
                "[red]错误[/red]" if issue.is_error else "[yellow]警告[/yellow]",
                escape(issue.file or ""),
                "" if issue.row is None else str(issue.row),
                escape(issue.record_id or ""),
                escape(issue.field or ""),
                escape(issue.detail or issue.message),
            )
        out.print(table)
    out.print(issue_summary(issues))


class UsageError(Exception):
    """A command line that cannot be carried out as given (a Chinese sentence): exit 2."""


def output_path(
    output: str, default_name: str, inputs: Sequence[str | os.PathLike | None] = ()
) -> Path | None:
    """Where a command writes ``output``: None for standard output (``-``); inside an
    existing folder (or one written with a trailing ``/``) the file ``default_name``.
    Raises :class:`UsageError` when that is one of the ``inputs`` (the same file, also
    through a link) — writing there would replace the data with the report."""
    if output == STDOUT:
        return None
    path = Path(output)
    if output.endswith(("/", os.sep)) or path.is_dir():
        path = path / default_name
    for source in inputs:
        if source is not None and _same_file(path, Path(source)):
            raise UsageError(
                f"输出文件 {path} 就是输入文件 {source}：写入会用报告覆盖数据。请换一个输出文件名。"
            )
    return path


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def write_output(data: bytes, target: Path | None) -> bool:
    """Write ``data`` atomically to ``target``, or to standard output when it is None (the
    ``target`` of :func:`output_path`). On failure — a full disk, an unwritable folder, a
    full disk behind a redirect — print the located message and return False; a closed
    pipe (BrokenPipeError) propagates, for :func:`junheng.cli.main`'s quiet exit."""
    try:
        if target is None:
            write_stdout(data)
        else:
            atomic_write_bytes(target, data)
    except BrokenPipeError:
        raise
    except OSError as exc:
        err_console.print(output_error(target or "标准输出 (stdout)", exc), markup=False)
        return False
    return True


def write_stdout(data: bytes) -> None:
    """Write all of ``data`` to standard output (a short write is written on, never dropped:
    with ``PYTHONUNBUFFERED=1`` standard output is a raw file). Raises OSError
    (BrokenPipeError when the reader went away, ENOSPC behind a redirect to a full disk)."""
    sys.stdout.flush()
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test's stand-in)
        fd = None
    view = memoryview(data)
    while view:
        if fd is None:
            written = sys.stdout.buffer.write(view)
            written = len(view) if written is None else written
        else:
            written = os.write(fd, view)
        view = view[written:]
