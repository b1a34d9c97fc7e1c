"""CLI commands that evaluate: ``evaluate``, ``demo``, ``rulesets list|show``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from rich.markup import escape

from junheng.bulk import gc_paused
from junheng.cli._common import (
    EXIT_FAILED,
    EXIT_INPUT,
    EXIT_OK,
    console,
    err_console,
    output_error,
    output_path,
    write_output,
)
from junheng.cli.progress import steps as progress_steps
from junheng.engine import Engine
from junheng.issues import InputError
from junheng.outputs import EXTENSIONS, render, write_report
from junheng.results import Report
from junheng.ruleset import RulesetError
from junheng.summary import print_summary

DEMO_RULESET = "national.quality.2017"


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "evaluate",
        help="评估学校与县域数据 (evaluate schools and county data)",
        description="按规则集评估学校与县域数据并输出报告。\nEvaluate with a ruleset and write a report.",
    )
    p.add_argument(
        "schools",
        metavar="SCHOOLS",
        help="学校数据文件 (.json/.csv/.xlsx/.parquet/.feather/.arrow)",
    )
    p.add_argument(
        "--county",
        metavar="COUNTY",
        help="县域数据文件 (.json/.csv/.xlsx/.parquet/.feather/.arrow)",
    )
    p.add_argument(
        "--ruleset",
        metavar="ID|FILE",
        required=True,
        help="规则集编号，或本地规则集文件 ./细则.toml (ruleset id or a local TOML file)",
    )
    p.add_argument(
        "--format",
        default="json",
        metavar="FORMAT",
        help=f"报告格式 (report format)：{'|'.join(EXTENSIONS)}，或插件提供的格式；默认 json",
    )
    p.add_argument(
        "--output",
        "-o",
        metavar="PATH",
        help="报告文件（已有文件夹：写入其中的 report.<格式>；- 为标准输出）；省略时 JSON 输出到标准输出；"
        "parquet 格式时为文件夹（写入 schools.parquet 与 counties.parquet）",
    )
    p.set_defaults(handler=_cmd_evaluate)

    p = subparsers.add_parser(
        "demo",
        help="评估内置示例县 (evaluate the bundled sample county)",
        description=f"用一个规则集（默认 {DEMO_RULESET}）评估内置的示例县，并把各种格式的报告写入目录。",
    )
    p.add_argument(
        "--output", "-o", metavar="DIR", default="junheng-demo", help="输出目录，默认 junheng-demo"
    )
    p.add_argument(
        "--ruleset",
        metavar="ID|FILE",
        default=DEMO_RULESET,
        help=f"规则集编号或本地规则集文件，默认 {DEMO_RULESET} (ruleset id or a local TOML file)",
    )
    p.set_defaults(handler=_cmd_demo)


def _engine() -> Engine:
    engine = Engine()
    for problem in engine.problems:
        err_console.print(
            f"[yellow]插件 {escape(problem.plugin)}：{escape(problem.message)}[/]", markup=True
        )
    return engine


def _ruleset(engine: Engine, rid: str):
    """The ruleset ``--ruleset`` names — an installed id, or a local TOML file (a path
    ending in ``.toml`` or holding a folder separator) — or None after printing why not."""
    try:
        if is_ruleset_file(rid):
            return engine.add_ruleset_file(rid)
        return engine.ruleset(rid)
    except RulesetError as exc:
        for p in exc.problems:
            err_console.print(p, markup=False)
        return None


def is_ruleset_file(value: str) -> bool:
    """A ``--ruleset`` value that is a path to a local file, not an installed id."""
    return value.lower().endswith(".toml") or "/" in value or os.sep in value


def _cmd_evaluate(args: argparse.Namespace) -> int:
    # one pause for the whole short-lived command: each stage's own pause would end in a
    # full collection over every record still alive (~0.1 s each on a national batch)
    with gc_paused():
        return _evaluate(args)


def _evaluate(args: argparse.Namespace) -> int:
    engine = _engine()
    rs = _ruleset(engine, args.ruleset)
    if rs is None:
        return EXIT_INPUT
    writers = engine.registry.writers
    if args.format not in writers:
        err_console.print(
            f"不支持的报告格式 {args.format}（可用：{', '.join(sorted(writers))}）", markup=False
        )
        return EXIT_INPUT
    writer = writers[args.format]
    target = None
    if writer.files is not None:  # a folder format (parquet): --output is the folder
        return _evaluate_to_folder(args, engine, rs, writer)
    if args.output:
        target = output_path(args.output, f"report{writer.extension}", (args.schools, args.county))
        if target is not None and target.suffix.lower() != writer.extension:
            err_console.print(
                f"提示：报告格式为 {args.format}，但文件 {target.name} 的扩展名不是 {writer.extension}。",
                markup=False,
            )
    if args.format != "json" and target is None:
        err_console.print("该格式需要 --output 指定输出文件（标准输出只用于 JSON）", markup=False)
        return EXIT_INPUT
    with progress_steps(err_console, 3) as step:
        report = _load_and_evaluate(args, engine, rs, step)
        step.advance(f"生成 {args.format} 报告")
        write_failed: OSError | None = None
        if target is not None:
            try:
                write_report(report, args.format, target)
            except OSError as exc:
                write_failed = exc
    _plugin_problems(report)
    if target is not None:
        if write_failed is not None:
            err_console.print(output_error(target, write_failed), markup=False)
            return EXIT_INPUT
        print_summary(report, err_console)
        err_console.print(f"报告已写入 {target}", markup=False)
    else:
        if not write_output(render(report, "json") + b"\n", None):
            return EXIT_INPUT
        print_summary(report, err_console)
    return EXIT_OK if report.passed else EXIT_FAILED


def _evaluate_to_folder(args: argparse.Namespace, engine: Engine, rs: Any, writer: Any) -> int:
    """``--format parquet``: the report's tables written as files into the ``--output`` folder."""
    if not args.output or args.output == "-":
        err_console.print(
            f"格式 {args.format} 写出一个文件夹，需要 --output 指定文件夹（标准输出只用于 JSON）",
            markup=False,
        )
        return EXIT_INPUT
    folder = Path(args.output)
    if folder.exists() and not folder.is_dir():
        err_console.print(
            f"格式 {args.format} 写出一个文件夹，但 {folder} 是一个文件；请换一个文件夹名。",
            markup=False,
        )
        return EXIT_INPUT
    with progress_steps(err_console, 3) as step:
        report = _load_and_evaluate(args, engine, rs, step)
        step.advance(f"生成 {args.format} 报告")
        try:
            written = write_report(report, args.format, folder)
        except ImportError as exc:  # the optional extra is not installed
            err_console.print(str(exc), markup=False)
            return EXIT_INPUT
        except OSError as exc:
            err_console.print(output_error(folder, exc), markup=False)
            return EXIT_INPUT
    _plugin_problems(report)
    print_summary(report, err_console)
    err_console.print(f"报告已写入文件夹 {written}", markup=False)
    return EXIT_OK if report.passed else EXIT_FAILED


def _load_and_evaluate(args: argparse.Namespace, engine: Engine, rs: Any, step: Any) -> Report:
    """Read, check and evaluate the command's data: the report alone comes back, so the
    records (and the columns pulled from them) are freed before the report is written —
    the write step is where the peak memory of a national batch is."""
    step.advance("读取并校验数据")
    inputs = engine.load(args.schools, args.county, ruleset=rs.id)
    if inputs.has_errors:
        raise InputError(inputs.issues)
    step.advance(f"评估（{len(inputs.schools)} 所学校）")
    return engine.evaluate(rs.id, inputs)


def _plugin_problems(report: Report) -> None:
    for problem in report.provenance.get("plugin_problems", []):
        err_console.print(f"[yellow]插件 {escape(problem)}（评估未受影响）[/]", markup=True)


def load_sample() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The core sample county (no plugin's fields; ``Engine.sample()`` adds them)."""
    from junheng.sample import load_sample as core_sample

    return core_sample()


def _cmd_demo(args: argparse.Namespace) -> int:
    engine = _engine()
    rs = _ruleset(engine, args.ruleset)
    if rs is None:
        return EXIT_INPUT
    schools, county = engine.sample()
    report = engine.evaluate(
        rs.id, schools, county, provenance={"inputs": {"sample": "junheng.sample"}}
    )
    out = Path(args.output)
    written, skipped = [], []
    writers = engine.registry.writers
    order = [f for f in ("json", "html", "xlsx", "md") if f in writers]
    order += sorted(set(writers) - set(order))
    with progress_steps(err_console, len(order)) as step:
        for fmt in order:
            step.advance(f"生成 {fmt} 报告")
            folder = writers[fmt].files is not None  # parquet: a folder report-parquet/
            name = f"report-{fmt}" if folder else f"report{writers[fmt].extension}"
            try:
                written.append(write_report(report, fmt, out / name))
            except ImportError as exc:  # an optional extra (pyarrow) not installed: skipped
                skipped.append((fmt, exc))
            except OSError as exc:
                err_console.print(output_error(out / name, exc), markup=False)
                return EXIT_INPUT
    print_summary(report, console)
    console.print(f"\n报告已写入 (reports written) {out.resolve()}：", markup=False)
    for path in written:
        console.print(f"  {path.name}", markup=False)
    for fmt, exc in skipped:  # said after the reports, as a note: the demo itself worked
        err_console.print(f"未生成 {fmt} 格式（可选）：{exc}", markup=False)
    return EXIT_OK if report.passed else EXIT_FAILED
