"""``junheng plugins``: every plugin with its version, module and what it contributes.

Plugin problems (an import error, a hook that raises, a duplicate ruleset id or
function name) are listed after the table, naming the plugin; the rest keep working.
"""

from __future__ import annotations

import argparse

from rich.markup import escape
from rich.table import Table

from junheng.cli._common import EXIT_OK, console
from junheng.contributions import CONTRIBUTION_KINDS
from junheng.engine import Engine


def register(subparsers) -> None:
    p = subparsers.add_parser("plugins", help="列出插件及其提供的内容 (list plugins)")
    p.set_defaults(handler=_cmd_plugins)


def _cmd_plugins(args: argparse.Namespace) -> int:
    engine = Engine()
    table = Table(header_style="bold", show_lines=True)
    for col in ("插件 plugin", "版本", "模块", "提供的内容 contributes"):
        table.add_column(col, overflow="fold")
    for info in engine.plugins:
        if info.default:
            continue
        contrib = engine.contributions.get(info.name, {})
        lines = [
            f"{title}：{escape(', '.join(contrib[key]))}"
            for key, title in CONTRIBUTION_KINDS
            if contrib.get(key)
        ]
        hooks = engine.plugin_hooks(info.name)
        if "junheng_prepare_records" in hooks:
            lines.append("记录预处理：junheng_prepare_records")
        if "junheng_report_sections" in hooks:
            lines.append("报告章节：junheng_report_sections")
        if "junheng_sample" in hooks:
            lines.append("示例数据：junheng_sample")
        names = (info.name, info.version or "", info.module)
        table.add_row(*map(escape, names), "\n".join(lines) or "（无）")
    console.print(table)
    for problem in engine.problems:
        console.print(f"[yellow]插件 {escape(problem.plugin)}：{escape(problem.message)}[/]")
    return EXIT_OK
