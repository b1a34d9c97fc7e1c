"""CLI commands that evaluate: ``evaluate``, ``demo``, ``rulesets list|show``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from junheng.bulk import gc_paused
from junheng.cli._common import (
    EXIT_FAILED,
    EXIT_INPUT,
    EXIT_OK,
    console,
    err_console,
    output_error,
    output_path,
    write_stdout,
)
from junheng.cli._ruleset_text import print_ruleset_notes
from junheng.cli.progress import steps as progress_steps
from junheng.engine import Engine
from junheng.issues import InputError
from junheng.outputs import EXTENSIONS, render, write_report
from junheng.ruleset import STAGE_TITLES, RulesetError
from junheng.summary import print_summary

DEMO_RULESET = "national.quality.2017"


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "evaluate",
        help="评估学校与县域数据 (evaluate schools and county data)",
        description="按规则集评估学校与县域数据并输出报告。\nEvaluate with a ruleset and write a report.",
    )
    p.add_argument("schools", metavar="SCHOOLS", help="学校数据文件 (.json/.csv/.xlsx)")
    p.add_argument("--county", metavar="COUNTY", help="县域数据文件 (.json/.csv/.xlsx)")
    p.add_argument("--ruleset", metavar="ID", required=True, help="规则集编号 (ruleset id)")
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
        help="报告文件（已有文件夹：写入其中的 report.<格式>；- 为标准输出）；省略时 JSON 输出到标准输出",
    )
    p.set_defaults(handler=_cmd_evaluate)

    p = subparsers.add_parser(
        "demo",
        help="评估内置示例县 (evaluate the bundled sample county)",
        description=f"用 {DEMO_RULESET} 评估内置的示例县，并把报告写入目录。",
    )
    p.add_argument(
        "--output", "-o", metavar="DIR", default="junheng-demo", help="输出目录，默认 junheng-demo"
    )
    p.set_defaults(handler=_cmd_demo)

    p = subparsers.add_parser("rulesets", help="列出或查看规则集 (list or show rulesets)")
    sub = p.add_subparsers(title="子命令", dest="rulesets_command", metavar="list|show")
    q = sub.add_parser("list", help="列出所有规则集 (list rulesets)")
    q.set_defaults(handler=_cmd_rulesets_list)
    q = sub.add_parser("show", help="查看一个规则集 (show one ruleset)")
    q.add_argument("ruleset_id", metavar="ID", help="规则集编号")
    q.add_argument("--resolved", action="store_true", help="显示继承合并后的规则及其来源文件")
    q.set_defaults(handler=_cmd_rulesets_show)
    p.set_defaults(handler=lambda args: (p.print_help(), EXIT_INPUT)[1])


def _engine() -> Engine:
    engine = Engine()
    for problem in engine.problems:
        err_console.print(
            f"[yellow]插件 {escape(problem.plugin)}：{escape(problem.message)}[/]", markup=True
        )
    return engine


def _ruleset(engine: Engine, rid: str):
    try:
        return engine.ruleset(rid)
    except RulesetError as exc:
        for p in exc.problems:
            err_console.print(p, markup=False)
        return None


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
        step.advance("读取并校验数据")
        inputs = engine.load(args.schools, args.county, ruleset=rs.id)
        if inputs.has_errors:
            raise InputError(inputs.issues)
        step.advance(f"评估（{len(inputs.schools)} 所学校）")
        report = engine.evaluate(rs.id, inputs)
        step.advance(f"生成 {args.format} 报告")
        write_failed: OSError | None = None
        if target is not None:
            try:
                write_report(report, args.format, target)
            except OSError as exc:
                write_failed = exc
    for problem in report.provenance.get("plugin_problems", []):
        err_console.print(f"[yellow]插件 {escape(problem)}（评估未受影响）[/]", markup=True)
    if target is not None:
        if write_failed is not None:
            err_console.print(output_error(target, write_failed), markup=False)
            return EXIT_INPUT
        print_summary(report, err_console)
        err_console.print(f"报告已写入 {target}", markup=False)
    else:
        try:
            write_stdout(render(report, "json") + b"\n")
        except BrokenPipeError:
            raise  # the reader went away: a quiet exit (cli.main)
        except OSError as exc:  # a full disk behind a redirect
            err_console.print(output_error("标准输出 (stdout)", exc), markup=False)
            return EXIT_INPUT
        print_summary(report, err_console)
    return EXIT_OK if report.passed else EXIT_FAILED


def load_sample() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The core sample county (no plugin's fields; ``Engine.sample()`` adds them)."""
    from junheng.sample import load_sample as core_sample

    return core_sample()


def _cmd_demo(args: argparse.Namespace) -> int:
    engine = _engine()
    schools, county = engine.sample()
    report = engine.evaluate(
        DEMO_RULESET, schools, county, provenance={"inputs": {"sample": "junheng.sample"}}
    )
    out = Path(args.output)
    written = []
    writers = engine.registry.writers
    order = [f for f in ("json", "html", "xlsx", "md") if f in writers]
    order += sorted(set(writers) - set(order))
    with progress_steps(err_console, len(order)) as step:
        for fmt in order:
            step.advance(f"生成 {fmt} 报告")
            name = f"report{writers[fmt].extension}"
            try:
                written.append(write_report(report, fmt, out / name))
            except OSError as exc:
                err_console.print(output_error(out / name, exc), markup=False)
                return EXIT_INPUT
    print_summary(report, console)
    console.print(f"\n报告已写入 (reports written) {out.resolve()}：", markup=False)
    for path in written:
        console.print(f"  {path.name}", markup=False)
    return EXIT_OK if report.passed else EXIT_FAILED


def _cmd_rulesets_list(args: argparse.Namespace) -> int:
    engine = _engine()
    table = Table(header_style="bold")
    for col in ("编号 id", "名称", "依据文件", "继承", "待核实数值", "插件"):
        table.add_column(col, overflow="fold")
    for info in engine.ruleset_infos():
        try:
            unverified = str(engine.ruleset(info.id).unverified_count())
        except RulesetError:
            unverified = "[red]加载失败[/]"
        table.add_row(
            *map(escape, (info.id, info.title, info.basis, info.extends or "")),
            unverified,
            escape(info.plugin),
        )
    console.print(table)
    return EXIT_OK


def _plain(*texts: str) -> list[str]:
    """Ruleset text (a local file's, a plugin's) shown as written, never read as rich markup."""
    return [escape(str(t)) for t in texts]


def _cmd_rulesets_show(args: argparse.Namespace) -> int:
    engine = _engine()
    rs = _ruleset(engine, args.ruleset_id)
    if rs is None:
        return EXIT_INPUT
    console.print(f"[bold]{escape(rs.title)}[/]（{escape(rs.id)}，版本 {escape(rs.version)}）")
    console.print(f"依据：{rs.basis}", markup=False)
    if rs.extends:
        console.print(f"继承：{rs.extends}", markup=False)
    console.print(f"文件：{' → '.join(rs.files)}", markup=False)
    table = Table(header_style="bold", show_lines=True)
    for col in ("类别", "编号", "名称", "公式 / 条件", "要求", "来源"):
        table.add_column(col, overflow="fold")

    def origin(meta) -> str:
        flag = " [yellow]（待核实）[/]" if meta.unverified else ""
        if meta.unverified_stages:  # only some stages' numbers lack a source
            stages = "、".join(STAGE_TITLES.get(s, s) for s in meta.unverified_stages)
            flag = f" [yellow]（{stages}数值待核实）[/]"
        where = ""
        if args.resolved:
            by_file: dict[str, list[str]] = {}
            for key, file in meta.key_origins.items():
                by_file.setdefault(file, []).append(key)
            if len(by_file) > 1:  # a child overrode only some keys: say which came from where
                where = "".join(
                    f"\n[dim]{escape(', '.join(keys))} ← {escape(file)}[/]"
                    for file, keys in by_file.items()
                )
            elif meta.origin:
                where = f"\n[dim]{escape(meta.origin)}[/]"
        return f"{escape(meta.source)}{flag}{where}"

    for iid, ind in rs.indicators.items():
        req = ""
        if ind.threshold:
            op = "≥" if ind.direction == "min" else "≤"
            req = f"{op} {ind.threshold.to_json()} {ind.unit}"
        if ind.cv_limit:
            req += f"\n差异系数 ≤ {ind.cv_limit.to_json()}"
        table.add_row("指标", *_plain(iid, ind.meta.title, ind.formula.text, req), origin(ind.meta))
    for rid, rule in rs.school_rules.items():
        text = (
            f"{len(rule.indicators)} 项中至少 {rule.min_met} 项达标，余项 ≥ {rule.rest_min_ratio:.0%}"
            if rule.kind == "k_of_n"
            else rule.formula.text
        )
        table.add_row("学校规则", *_plain(rid, rule.meta.title, text, ""), origin(rule.meta))
    if rs.composite_cv:
        c = rs.composite_cv
        table.add_row(
            "综合差异系数",
            *_plain(
                "composite_cv", c.meta.title, "、".join(c.indicators), f"≤ {c.limit.to_json()}"
            ),
            origin(c.meta),
        )
    for rid, item in rs.county_items.items():
        text = item.formula.text if item.formula else (item.check or item.meta.note or "人工认定")
        req = ""
        if item.kind == "value":
            req = f"{'≥' if item.direction == 'min' else '≤'} {item.threshold:g} {item.unit or ''}"
        table.add_row(
            *_plain(item.category or "县级指标", rid, item.meta.title, text, req), origin(item.meta)
        )
    for rid, rule in rs.multi_year.items():
        table.add_row(
            "多年度",
            *_plain(rid, rule.meta.title, rule.condition.text),
            f"近{rule.years}年至少{rule.min_years_met}年",
            origin(rule.meta),
        )
    for rid, veto in rs.vetoes.items():
        table.add_row(
            "一票否决", *_plain(rid, veto.meta.title, veto.when.text, ""), origin(veto.meta)
        )
    if rs.score:
        for n in rs.score.nodes:
            text = (
                n.formula.text
                if n.formula
                else ("自评得分" if n.kind == "assessed" else "下级合计")
            )
            req = f"{n.points:g} 分" + (f"，不低于 {n.floor:g}" if n.floor is not None else "")
            table.add_row("评分", *_plain(n.meta.id, n.meta.title, text, req), origin(n.meta))
    console.print(table)
    print_ruleset_notes(rs, console)
    return EXIT_OK
