"""``junheng explain``: the reasoning chain behind one school's or one county's result.

    junheng explain SCHOOL_ID SCHOOLS [--county COUNTY] --ruleset ID [--stage primary|junior]
    junheng explain --county-code CODE SCHOOLS [--county COUNTY] --ruleset ID

For a school: every check (indicator or school rule), its formula, the formula
with the school's numbers substituted, the requirement, the result, the gap in
real units and the source clause — per stage for schools that teach both. For a
county: every criterion of the verdict (all schools, each CV, county items,
multi-year rules, vetoes, score), the same way. ``--format json`` prints the
chain as JSON. Exit status: 0 the school (or county) passes, 1 it does not,
2 bad input or an unknown school / county code.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from junheng.cli._common import EXIT_FAILED, EXIT_INPUT, EXIT_OK, console, err_console
from junheng.domain import STAGES
from junheng.explain import explain_county, explain_school, render_text
from junheng.issues import InputError


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "explain",
        help="说明一所学校或一个县的评估过程 (explain a school's or a county's result)",
        description=(
            "逐条列出规则、公式、代入数值后的计算、标准、依据条款和结论。\n"
            "  junheng explain SCHOOL_ID SCHOOLS [--county COUNTY] --ruleset ID [--stage primary|junior]\n"
            "  junheng explain --county-code CODE SCHOOLS [--county COUNTY] --ruleset ID"
        ),
    )
    p.add_argument(
        "targets",
        nargs="+",
        metavar="[SCHOOL_ID] SCHOOLS",
        help="学校代码和学校数据文件；使用 --county-code 时只给学校数据文件",
    )
    p.add_argument("--county", metavar="COUNTY", help="县域数据文件 (.json/.csv/.xlsx)")
    p.add_argument(
        "--ruleset",
        metavar="ID|FILE",
        required=True,
        help="规则集编号或本地规则集文件 (ruleset id or file)",
    )
    p.add_argument("--stage", choices=STAGES, help="只说明该学段 (primary 小学 / junior 初中)")
    p.add_argument("--county-code", metavar="CODE", help="说明该县（区）的县级评估")
    p.add_argument("--format", choices=("text", "json"), default="text", help="输出格式，默认 text")
    p.set_defaults(handler=_cmd_explain)


def _cmd_explain(args: argparse.Namespace) -> int:
    from junheng.cli.evaluation import _engine, _ruleset

    if args.county_code:
        if len(args.targets) != 1:
            err_console.print("用法：junheng explain --county-code CODE SCHOOLS --ruleset ID")
            return EXIT_INPUT
        school_id, schools_path = None, args.targets[0]
    else:
        if len(args.targets) != 2:
            err_console.print(
                "用法：junheng explain SCHOOL_ID SCHOOLS --ruleset ID"
                "（或 --county-code CODE SCHOOLS）"
            )
            return EXIT_INPUT
        school_id, schools_path = args.targets
    engine = _engine()
    rs = _ruleset(engine, args.ruleset)
    if rs is None:
        return EXIT_INPUT
    inputs = engine.load(schools_path, args.county, ruleset=rs.id)
    if inputs.has_errors:
        raise InputError(inputs.issues)
    report = engine.evaluate(rs.id, inputs)

    if school_id is not None:
        try:
            result = explain_school(report, school_id, args.stage)
        except KeyError:
            where = f"（学段 {args.stage}）" if args.stage else ""
            err_console.print(f"学校 {school_id}{where} 不在 {schools_path} 中", markup=False)
            return EXIT_INPUT
        passed = all(u["passed"] is not False for u in result["units"])
    else:
        try:
            result = explain_county(report, args.county_code)
        except KeyError:
            known = ", ".join(c.county_code for c in report.counties) or "（无）"
            err_console.print(
                f"县（区）代码 {args.county_code} 不在学校数据中（有：{known}）", markup=False
            )
            return EXIT_INPUT
        passed = result["passed"]

    if args.format == "json":
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    else:
        render_text(result, console)
    return EXIT_OK if passed else EXIT_FAILED
