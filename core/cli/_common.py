"""Shared CLI helpers: exit codes, consoles, atomic file writes, the issue table."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from junheng.issues import DataIssue, count_issues

__all__ = [
    "EXIT_FAILED",
    "EXIT_INPUT",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "atomic_path",
    "atomic_write_bytes",
    "console",
    "err_console",
    "issue_summary",
    "print_issues",
]

#: evaluated and every county passes / validation found no errors
EXIT_OK = 0
#: evaluated and some county does not pass
EXIT_FAILED = 1
#: bad input or usage; nothing written
EXIT_INPUT = 2
#: unexpected internal error
EXIT_INTERNAL = 3

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; on success move it onto ``target``.

    The temporary file lives in the same directory so :func:`os.replace` is
    atomic; on any exception it is removed and ``target`` is left untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_bytes(target: str | Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically (temp file + os.replace)."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


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
            table.add_row(
                "[red]错误[/red]" if issue.is_error else "[yellow]警告[/yellow]",
                issue.file or "",
                "" if issue.row is None else str(issue.row),
                issue.record_id or "",
                issue.field or "",
                escape(issue.detail or issue.message),
            )
        out.print(table)
    out.print(issue_summary(issues))
