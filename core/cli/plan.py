"""CLI command ``plan``: the least additions that make each county's schools and CVs pass.

    junheng plan SCHOOLS [--county COUNTY] --ruleset ID|FILE [--costs COSTS.toml]
                 [--format json|xlsx|html|md] [--output PATH] [--apply-to DIR] [--budget YUAN]

Everything is read, checked and computed before anything is written: bad data, a bad costs
file or data no addition can make pass (a school without students) exit 2 with every
problem located and nothing written. Exit 0: the plan makes every school-based criterion
pass (the engine's verdict on the data after the plan); 1: some cannot be reached by school
additions (listed in the plan).
"""

from __future__ import annotations

import argparse
from typing import Any

from rich.markup import escape

from junheng.bulk import gc_paused
from junheng.cli._common import (
    EXIT_FAILED,
    EXIT_INPUT,
    EXIT_OK,
    err_console,
    output_error,
    output_path,
    write_output,
)
from junheng.cli.evaluation import _engine, _ruleset
from junheng.issues import InputError

FORMATS = ("json", "xlsx", "html", "md")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "plan",
        help="整改方案：达标所需的最少新增 (the least additions that make a county pass)",
        description=(
            "为每个县求出使每所学校达标、各项差异系数不超限的最少新增（教师、面积、设备、教室……），"
            "按单价计费最低，并由引擎对应用方案后的数据重新评估。\n"
            "Find the least-cost additions per school that make every school meet its standard "
            "and every difference coefficient its limit; verified by evaluating the data after the plan."
        ),
    )
    p.add_argument("schools", metavar="SCHOOLS", help="学校数据文件 (.json/.csv/.xlsx)")
    p.add_argument("--county", metavar="COUNTY", help="县域数据文件 (.json/.csv/.xlsx)")
    p.add_argument(
        "--ruleset",
        metavar="ID|FILE",
        required=True,
        help="规则集编号，或本地规则集文件 (ruleset id or a local TOML file)",
    )
    p.add_argument(
        "--costs",
        metavar="COSTS.toml",
        help="单价文件（TOML；覆盖默认单价，可关闭某项措施）；省略时用默认单价（含假设值）",
    )
    p.add_argument(
        "--format",
        default="json",
        choices=FORMATS,
        metavar="json|xlsx|html|md",
        help="方案格式，默认 json",
    )
    p.add_argument("--output", "-o", metavar="PATH", help="方案文件；省略时 JSON 输出到标准输出")
    p.add_argument(
        "--apply-to",
        metavar="DIR",
        help="把应用方案后的数据写入 DIR/schools.json（给出 --county 时还有 DIR/county.json）",
    )
    p.add_argument(
        "--budget",
        metavar="YUAN",
        type=_budget,
        help="预算（元）：按每元完成的达标项目数排序各项措施，并说明预算能完成哪些",
    )
    p.set_defaults(handler=_cmd_plan)


def _budget(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"预算必须是非负数（元），得到 {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"预算必须是非负的有限数（元），得到 {text!r}")
    return value


def _cmd_plan(args: argparse.Namespace) -> int:
    with gc_paused():
        return _plan(args)


def _plan(args: argparse.Namespace) -> int:
    from junheng.plan import load_costs, plan
    from junheng.plan.report import render_plan, write_apply_to

    engine = _engine()
    rs = _ruleset(engine, args.ruleset)  # an installed id or a local ruleset file
    if rs is None:
        return EXIT_INPUT
    target = None
    if args.output:  # refused when it is one of the inputs, as every command's output is
        inputs_given = (args.schools, args.county, args.costs)
        target = output_path(args.output, f"plan.{args.format}", inputs_given)
    if args.format != "json" and target is None:
        err_console.print("该格式需要 --output 指定输出文件（标准输出只用于 JSON）", markup=False)
        return EXIT_INPUT
    costs = load_costs(args.costs, school_fields=engine.registry.school_fields)
    inputs = engine.load(args.schools, args.county, ruleset=rs.id)
    if inputs.has_errors:
        raise InputError(inputs.issues)
    result = plan(engine, rs.id, inputs, costs=costs, budget=args.budget)
    data = render_plan(result, args.format)  # rendered whole before anything is written
    if args.apply_to:
        try:
            written = write_apply_to(result, args.apply_to, county_given=bool(args.county))
        except OSError as exc:
            err_console.print(output_error(args.apply_to, exc), markup=False)
            return EXIT_INPUT
        for path in written:
            err_console.print(f"方案后的数据已写入 {path}", markup=False)
    # every byte of standard output checked (a short write written on, a closed pipe quiet)
    if not write_output(data if target is not None else data + b"\n", target):
        return EXIT_INPUT
    if target is not None:
        err_console.print(f"方案已写入 {target}", markup=False)
    _summary(result)
    return EXIT_OK if result.school_based_met else EXIT_FAILED


def _summary(result: Any) -> None:
    from junheng.plan.report import STATUS_TITLES, county_title, money

    for c in result.counties:
        colour = "green" if c.school_based_met else "red"
        err_console.print(
            f"[bold]{escape(county_title(c))}[/] [{colour}]{escape(STATUS_TITLES[c.status])}[/]",
            markup=True,
        )
        err_console.print(
            f"  新增 {len(c.additions)} 项、交流轮岗 {sum(m.count for m in c.moves)} 人次；"
            f"一次性投入 {money(c.one_off_cost)} 元，新增年度支出 {money(c.yearly_cost)} 元/年"
            f"（逐项补齐报告差距约 {money(c.naive_cost)} 元）",
            markup=False,
        )
        for u in c.unreachable[:5]:
            err_console.print(f"  无法达到：{u.school_name} {u.title}：{u.reason}", markup=False)
        if len(c.unreachable) > 5:
            err_console.print(f"  ……另有 {len(c.unreachable) - 5} 项无法达到", markup=False)
        for a in c.county_actions:
            err_console.print(f"  县级事项：{a.title}（{a.detail or a.note}）", markup=False)
    if result.budget is not None:
        b = result.budget
        err_console.print(
            f"预算 {money(b['budget'])} 元：可完成 {b['closed_within']} 项，"
            f"使用 {money(b['spent_within'])} 元",
            markup=False,
        )
