"""Shared CLI helpers: exit codes, consoles, the issue table.

``atomic_path`` / ``atomic_write_bytes`` live in :mod:`junheng.atomic` and are
re-exported here for compatibility.
"""

from __future__ import annotations

import errno
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from junheng.atomic import atomic_path, atomic_write_bytes
from junheng.issues import DataIssue, count_issues

__all__ = [
    "EXIT_FAILED",
    "EXIT_INPUT",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "atomic_path",
    "atomic_write_bytes",
    "console",
    "err_console",
    "issue_summary",
    "output_error",
    "print_issues",
]

#: evaluated and every county passes / validation found no errors
EXIT_OK = 0
#: evaluated and some county does not pass
EXIT_FAILED = 1
#: bad input or usage; nothing written
EXIT_INPUT = 2
#: unexpected internal error, or a plugin failed where the ruleset needs it
EXIT_INTERNAL = 3
#: interrupted (Ctrl-C); nothing half-written is left behind
EXIT_INTERRUPTED = 130

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
