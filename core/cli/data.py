"""Data commands of the CLI: ``validate``, ``template`` and ``sample``."""

from __future__ import annotations

import argparse
import json
from importlib import resources
from pathlib import Path
from typing import Any

from junheng.cli._common import (
    EXIT_INPUT,
    EXIT_OK,
    UsageError,
    atomic_write_bytes,
    console,
    err_console,
    output_error,
    output_path,
    print_issues,
    write_output,
)
from junheng.issues import count_issues
from junheng.template import build_template, template_fields

__all__ = ["SAMPLE_FILES", "copy_sample", "register", "run_validate", "write_sample"]

#: files of the bundled sample county, in package ``junheng.sample``
SAMPLE_FILES = ("schools.json", "county.json")


def register(subparsers: Any) -> None:
    """Add ``validate``, ``template`` and ``sample`` to the ``junheng`` parser."""
    p = subparsers.add_parser(
        "validate",
        help="检查输入数据，列出全部问题 (validate input data)",
        description=(
            "检查学校数据（及县域数据）是否符合数据规范，一次列出全部错误和警告。\n"
            "Validate school (and county) data against the schemas; report every problem.\n"
            "退出码 (exit): 0 无错误 (no errors; warnings allowed), 2 有错误 (errors found)."
        ),
    )
    p.add_argument(
        "schools",
        metavar="SCHOOLS",
        nargs="?",
        help="学校数据文件 (.json/.csv/.xlsx)；只检查县域数据时可省略",
    )
    p.add_argument("--county", metavar="COUNTY", help="县域数据文件 (.json/.csv/.xlsx)")
    p.add_argument(
        "--ruleset",
        metavar="ID|FILE",
        help=(
            "规则集编号或本地规则集文件：同时提示该规则集所需而缺失的数据项，"
            "检查自评得分不超过满分、经费年度齐全 (ruleset id or a local TOML file)"
        ),
    )
    p.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="输出格式：table 表格（默认）或 json (output format)",
    )
    p.set_defaults(handler=_cmd_validate)

    p = subparsers.add_parser(
        "template",
        help="生成数据采集模板 (write a data-collection template)",
        description=(
            "根据数据规范生成 Excel/CSV 数据采集模板。学校模板：第1行中文字段名，第2行字段路径和单位；\n"
            "县域模板（--county）：规则集读取的每一项县级数据一行（字段 | 值 | 名称 | 单位 | 分类 | 填写要求 | 依据），\n"
            "含逐年经费和评分自查表（每个自评项的满分、下限、所属项目）。\n"
            "Write an XLSX/CSV data-collection template: schools, or (--county) the county inputs a ruleset reads."
        ),
    )
    p.add_argument(
        "--ruleset",
        metavar="ID|FILE",
        help="只包含该规则集所需的数据项；县域模板还列出其评分自查表 (ruleset id or a local TOML file)",
    )
    p.add_argument(
        "--county",
        action="store_true",
        help="生成县域数据模板（县级指标、一票否决情形、逐年经费、评分自查表）(county template)",
    )
    p.add_argument(
        "--year",
        type=int,
        metavar="YEAR",
        help="县域模板的评估年度，经费按此前各年度列出；默认为去年 (evaluation year)",
    )
    p.add_argument(
        "--format",
        choices=("xlsx", "csv"),
        default=None,
        help="模板格式，默认按 --output 的扩展名，否则 xlsx (template format)",
    )
    p.add_argument("--output", "-o", metavar="PATH", required=True, help="输出文件 (output file)")
    p.set_defaults(handler=_cmd_template)

    p = subparsers.add_parser(
        "sample",
        help="写出内置示例县数据 (write the bundled sample county)",
        description=(
            "把内置示例县的 schools.json 和 county.json（含已安装各省插件的字段）写入指定目录。\n"
            "Write the bundled sample county's inputs (schools.json, county.json), with the\n"
            "fields of every installed province plugin, into DIR."
        ),
    )
    p.add_argument(
        "--output", "-o", metavar="DIR", required=True, help="输出目录 (output directory)"
    )
    p.set_defaults(handler=_cmd_sample)


def run_validate(
    schools: str | Path | None,
    county: str | Path | None = None,
    *,
    ruleset: str | None = None,
    fmt: str = "table",
    engine: Any = None,
) -> int:
    """Validate files with the engine's fields and readers and print the result; the exit
    status (0 or 2). With ``ruleset``, each field it needs and a school lacks is warned about.
    """
    from junheng.cli.evaluation import _engine

    engine = engine or _engine()
    records = schools if schools is not None else []  # --county alone: the county data only
    issues = list(engine.load(records, county, ruleset=ruleset).issues)
    errors, warnings = count_issues(issues)
    if fmt == "json":
        payload = {
            "errors": errors,
            "warnings": warnings,
            "issues": [i.to_dict() for i in issues],
        }
        console.out(json.dumps(payload, ensure_ascii=False, indent=2), highlight=False)
    else:
        print_issues(issues)
    return EXIT_INPUT if errors else EXIT_OK


def copy_sample(output: str | Path, package: str = "junheng.sample") -> list[Path]:
    """Copy the sample county's files from ``package`` into ``output``; the written paths.

    Raises FileNotFoundError when the package lacks a file, NotADirectoryError
    when ``output`` exists and is not a directory.
    """
    target = Path(output)
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(str(target))
    root = resources.files(package)
    contents = {}
    for name in SAMPLE_FILES:
        resource = root.joinpath(name)
        if not resource.is_file():
            raise FileNotFoundError(f"{package}/{name}")
        contents[name] = resource.read_bytes()
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in contents.items():
        atomic_write_bytes(target / name, data)
        written.append(target / name)
    return written


def _engine_and_ruleset(args: argparse.Namespace) -> tuple[Any, Any]:
    """The engine (every installed plugin) and the ``--ruleset`` (None without one);
    ``(None, None)`` after printing why the ruleset cannot be loaded."""
    from junheng.cli.evaluation import _engine, _ruleset

    engine = _engine()
    if args.ruleset is None:
        return engine, None
    rs = _ruleset(engine, args.ruleset)
    return (engine, rs) if rs is not None else (None, None)


def _cmd_validate(args: argparse.Namespace) -> int:
    # with --ruleset, each field the ruleset needs and a school lacks is warned about
    if args.schools is None and args.county is None:
        raise UsageError("请给出学校数据文件 SCHOOLS，或用 --county 只检查县域数据")
    engine, rs = _engine_and_ruleset(args)
    if engine is None:
        return EXIT_INPUT
    return run_validate(
        args.schools, args.county, ruleset=rs.id if rs else None, fmt=args.format, engine=engine
    )


def _cmd_template(args: argparse.Namespace) -> int:
    raw = Path(args.output)
    fmt = args.format or ("csv" if raw.suffix.lower() == ".csv" else "xlsx")
    engine, rs = _engine_and_ruleset(args)
    if engine is None:
        return EXIT_INPUT
    if args.county:
        return _county_template(args, engine, rs, fmt)
    output = output_path(args.output, f"学校数据采集表.{fmt}")
    required = engine.required_fields(rs) if rs is not None else None
    fields = template_fields(required, engine.registry.school_fields)
    data = build_template(fmt, fields)
    if not write_output(data, output):
        return EXIT_INPUT
    if output is None:
        return EXIT_OK
    console.print(f"已生成模板 (template written): {output}（{len(fields)} 个字段）", markup=False)
    return EXIT_OK


def write_sample(output: str | Path, engine: Any) -> list[Path]:
    """Write the engine's sample county (core fields and every installed province's own
    fields, ``Engine.sample()``) as ``schools.json`` and ``county.json`` into ``output``."""
    target = Path(output)
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(str(target))
    schools, county = engine.sample()
    contents = {"schools.json": schools, "county.json": county}
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in contents.items():
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        atomic_write_bytes(target / name, text.encode("utf-8"))
        written.append(target / name)
    return written


def _cmd_sample(args: argparse.Namespace) -> int:
    from junheng.cli.evaluation import _engine

    try:
        written = write_sample(args.output, _engine())
    except NotADirectoryError:
        err_console.print(f"{args.output} 已存在且不是目录 (not a directory)", markup=False)
        return EXIT_INPUT
    except OSError as exc:
        err_console.print(output_error(args.output, exc), markup=False)
        return EXIT_INPUT
    for path in written:
        console.print(f"已复制 (copied): {path}", markup=False)
    return EXIT_OK


def _county_template(args: argparse.Namespace, engine: Any, rs: Any, fmt: str) -> int:
    from datetime import date

    from junheng.county_template import all_county_rows, build_county_template, county_rows

    year = args.year or date.today().year - 1
    catalogue = engine.registry.county_fields
    if rs is None:
        rows, title = all_county_rows(catalogue, year), "全部县级数据项"
    else:
        rows, title = (
            county_rows(rs, engine.registry.names, catalogue, year),
            f"{rs.title}（{rs.id}）",
        )
    output = output_path(args.output, f"县域数据采集表.{fmt}")
    data = build_county_template(fmt, rows, title)
    if not write_output(data, output):
        return EXIT_INPUT
    if output is None:
        return EXIT_OK
    scores = sum(1 for r in rows if r.key.startswith("scores."))
    console.print(
        f"已生成县域模板 (county template written): {output}（{len(rows)} 项"
        + (f"，其中评分自查表 {scores} 项" if scores else "")
        + f"，评估年度 {year}）",
        markup=False,
    )
    return EXIT_OK
