"""CLI command ``compare``: two JSON reports → what changed (junheng.compare)."""

from __future__ import annotations

import argparse
from typing import Any

from junheng.bulk import gc_paused
from junheng.cli._common import (
    EXIT_INPUT,
    EXIT_OK,
    UsageError,
    err_console,
    output_path,
    write_output,
)
from junheng.compare import FORMATS, compare_reports, render
from junheng.compare.terminal import print_comparison


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "compare",
        help="对比两次评估的 JSON 报告 (compare two evaluation reports)",
        description=(
            "对比两份 junheng evaluate 写出的 JSON 报告（两个年度，或整改前后）：各县结论的变化，"
            "新达标、新未达标、仍未达标的项目，差异系数相对限值的变化，各校差距的消除、缩小、扩大和新增。\n"
            "Compare two JSON reports: verdicts, criteria, CVs against their limits, school gaps."
        ),
    )
    p.add_argument("old", metavar="OLD", help="先前的评估报告 (.json)，如上一年度或整改前")
    p.add_argument("new", metavar="NEW", help="后来的评估报告 (.json)，如本年度或整改后")
    p.add_argument(
        "--format",
        default="json",
        metavar="FORMAT",
        help=f"对比结果格式 (format)：{'|'.join(FORMATS)}；默认 json",
    )
    p.add_argument(
        "--output",
        "-o",
        metavar="PATH",
        help="对比结果文件（已有文件夹：写入其中的 compare.<格式>；- 为标准输出）；省略时 JSON 输出到标准输出",
    )
    p.set_defaults(handler=_cmd_compare)


def _cmd_compare(args: argparse.Namespace) -> int:
    # one pause for the short-lived command: the two parsed reports are millions of small
    # objects the cyclic collector would walk again and again, none of them in a cycle
    with gc_paused():
        return _compare(args)


def _compare(args: argparse.Namespace) -> int:
    if args.format not in FORMATS:
        raise UsageError(f"不支持的对比结果格式 {args.format}（可用：{', '.join(FORMATS)}）")
    extension = FORMATS[args.format]
    target = None
    if args.output:
        target = output_path(args.output, f"compare{extension}", (args.old, args.new))
        if target is not None and target.suffix.lower() != extension:
            err_console.print(
                f"提示：格式为 {args.format}，但文件 {target.name} 的扩展名不是 {extension}。",
                markup=False,
            )
    if args.format != "json" and target is None:
        raise UsageError("该格式需要 --output 指定输出文件（标准输出只用于 JSON）")
    comparison = compare_reports(args.old, args.new)  # InputError: every problem of both, exit 2
    if not write_output(render(comparison, args.format), target):
        return EXIT_INPUT
    print_comparison(comparison, err_console)
    if target is not None:
        err_console.print(f"对比结果已写入 {target}", markup=False)
    return EXIT_OK
