"""Ruleset commands of the CLI: ``rulesets list``, ``show``, ``new`` and ``check``.

``new`` writes the starting file of a local ruleset that extends an installed one
(:func:`junheng.local_rulesets.starter_toml`); ``check`` loads a local file, prints
every located problem (exit 2) or what it changes against its base (exit 0). Every
``--ruleset`` of the CLI takes such a file as well as an installed id.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from junheng.cli._common import (
    EXIT_INPUT,
    EXIT_OK,
    atomic_write_bytes,
    console,
    err_console,
    output_error,
    output_path,
)
from junheng.cli._ruleset_text import print_ruleset_notes
from junheng.cli.evaluation import _engine, _ruleset
from junheng.local_rulesets import ruleset_changes, starter_toml, todo_items
from junheng.ruleset import STAGE_TITLES, RulesetError, read_toml

ID_PATTERN_HINT = "小写字母开头，可含小写字母、数字、点、横线和下划线，如 my.province"


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "rulesets", help="列出、查看、新建或检查规则集 (list, show, create or check rulesets)"
    )
    sub = p.add_subparsers(title="子命令", dest="rulesets_command", metavar="list|show|new|check")
    q = sub.add_parser(
        "list",
        help="列出所有规则集 (list rulesets)",
        description=(
            "列出所有规则集。在终端中是表格；输出不是终端时（管道、重定向）每个规则集一行、\n"
            "以制表符分隔：编号、名称、依据、继承、待核实数值个数、插件（像 ls、kubectl 那样）。"
        ),
    )
    q.add_argument(
        "--format",
        choices=("table", "tsv", "json"),
        default=None,
        help="输出格式：table 表格、tsv 制表符分隔、json；默认终端中为 table，否则为 tsv",
    )
    q.set_defaults(handler=_cmd_rulesets_list)
    q = sub.add_parser("show", help="查看一个规则集 (show one ruleset)")
    q.add_argument("ruleset_id", metavar="ID|FILE", help="规则集编号或本地规则集文件")
    q.add_argument("--resolved", action="store_true", help="显示继承合并后的规则及其来源文件")
    q.set_defaults(handler=_cmd_rulesets_show)
    q = sub.add_parser(
        "new",
        help="新建本地规则集文件，列出父规则集待核实的数值 (start a local ruleset file)",
        description=(
            "写出一个继承 BASE 的本地规则集文件：父规则集中没有公开依据的数值（待核实、缺少数值）\n"
            "以注释的 TODO 列出，附现依据和说明，填上本省文件中的数值即完成本省细则。\n"
            "Write a local ruleset file extending BASE, listing BASE's unverified values as TODOs."
        ),
    )
    q.add_argument("new_id", metavar="ID", help=f"新规则集编号（{ID_PATTERN_HINT}）")
    q.add_argument("--extends", metavar="BASE", required=True, help="父规则集编号或文件")
    q.add_argument("--output", "-o", metavar="FILE", help="输出文件，默认 ID.toml（- 为标准输出）")
    q.set_defaults(handler=_cmd_rulesets_new)
    q = sub.add_parser(
        "check",
        help="检查本地规则集文件 (check a local ruleset file)",
        description=(
            "加载本地规则集文件：有问题时逐条列出（文件、规则、位置），退出码 2；\n"
            "否则列出它相对父规则集新增、修改、删除的内容和仍待核实的数值。"
        ),
    )
    q.add_argument("file", metavar="FILE", help="本地规则集文件 (.toml)")
    q.set_defaults(handler=_cmd_rulesets_check)
    p.set_defaults(handler=lambda args: (p.print_help(), EXIT_INPUT)[1])


def _cmd_rulesets_list(args: argparse.Namespace) -> int:
    engine = _engine()
    rows = []
    for info in engine.ruleset_infos():
        try:
            unverified: int | None = engine.ruleset(info.id).unverified_count()
        except RulesetError:
            unverified = None  # loading failed: said in the table, null in JSON
        rows.append((info, unverified))
    fmt = args.format or ("table" if console.is_terminal else "tsv")
    if fmt == "json":
        payload = [
            {
                "id": info.id,
                "title": info.title,
                "basis": info.basis,
                "extends": info.extends,
                "unverified": unverified,
                "plugin": info.plugin,
            }
            for info, unverified in rows
        ]
        console.out(json.dumps(payload, ensure_ascii=False, indent=2), highlight=False)
        return EXIT_OK
    if fmt == "tsv":  # one line per ruleset, never wrapped: for grep, cut, awk
        for info, unverified in rows:
            cells = (info.id, info.title, info.basis, info.extends or "", unverified, info.plugin)
            line = "\t".join("加载失败" if c is None else " ".join(str(c).split()) for c in cells)
            sys.stdout.write(line + "\n")
        return EXIT_OK
    table = Table(header_style="bold")
    for col in ("编号 id", "名称", "依据文件", "继承", "待核实数值", "插件"):
        table.add_column(col, overflow="fold")
    table.columns[0].no_wrap = True
    for info, unverified in rows:
        table.add_row(
            *map(escape, (info.id, info.title, info.basis, info.extends or "")),
            "[red]加载失败[/]" if unverified is None else str(unverified),
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


def _cmd_rulesets_new(args: argparse.Namespace) -> int:
    import re

    if not re.fullmatch(r"[a-z][a-z0-9._-]{0,63}", args.new_id):
        err_console.print(f"规则集编号 {args.new_id} 不合规：{ID_PATTERN_HINT}", markup=False)
        return EXIT_INPUT
    engine = _engine()
    if args.new_id in engine.ruleset_ids():
        err_console.print(
            f"规则集编号 {args.new_id} 已被已安装的规则集使用，请换一个编号", markup=False
        )
        return EXIT_INPUT
    base = _ruleset(engine, args.extends)
    if base is None:
        return EXIT_INPUT
    target = output_path(args.output or f"{args.new_id}.toml", f"{args.new_id}.toml")
    text = starter_toml(args.new_id, base, str(target) if target is not None else None)
    if target is None:
        console.out(text, end="", highlight=False)
        return EXIT_OK
    if target.exists():
        err_console.print(f"{target} 已存在，未覆盖；请换一个文件名或先删除它", markup=False)
        return EXIT_INPUT
    try:
        atomic_write_bytes(target, text.encode("utf-8"))
    except OSError as exc:
        err_console.print(output_error(target, exc), markup=False)
        return EXIT_INPUT
    todos = todo_items(base)
    console.print(
        f"已写出 {target}：继承 {base.id}，{len(todos)} 个待完善的数值（TODO）。\n"
        f"完善后检查：junheng rulesets check {target}",
        markup=False,
    )
    return EXIT_OK


def _cmd_rulesets_check(args: argparse.Namespace) -> int:
    engine = _engine()
    rs = _ruleset(engine, args.file if args.file.lower().endswith(".toml") else f"./{args.file}")
    if rs is None:
        return EXIT_INPUT
    try:
        data, _ = read_toml(Path(args.file))
    except RulesetError as exc:  # pragma: no cover - it was read just now
        for problem in exc.problems:
            err_console.print(problem, markup=False)
        return EXIT_INPUT
    base = _ruleset(engine, rs.extends) if rs.extends else None
    console.print(
        f"规则集 {rs.id}（{rs.title}）检查通过"
        + (f"，继承 {rs.extends}" if rs.extends else "")
        + f"：{len(rs.checks)} 项学校检查、{len(rs.county_items)} 项县级指标、"
        f"{len(rs.vetoes)} 项一票否决" + (f"、评分表 {len(rs.score.nodes)} 项" if rs.score else ""),
        markup=False,
    )
    changes = list(ruleset_changes(data, base))
    if changes:
        table = Table(title="相对父规则集的修改", header_style="bold")
        for col in ("类别", "位置", "原值", "新值"):
            table.add_column(col, overflow="fold")
        for change in changes:
            table.add_row(
                change.kind,
                escape(change.where),
                escape("" if change.before is None else str(change.before)),
                escape("" if change.after is None else str(change.after)),
            )
        console.print(table)
    else:
        console.print("没有修改父规则集的任何内容。", markup=False)
    left = rs.unverified_count()
    console.print(
        f"仍待核实的数值：{left} 个" + ("（报告中标为“数值待核实”）" if left else ""), markup=False
    )
    return EXIT_OK
