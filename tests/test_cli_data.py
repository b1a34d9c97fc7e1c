"""The data commands of the installed ``junheng`` CLI, end to end."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from junheng import __version__
from junheng.cli import main
from junheng.cli.data import SAMPLE_FILES, copy_sample
from junheng.issues import DataIssue, InputError

ACCEPTANCE_CSV = (
    "学校标识码,学校名称,县级行政区划代码,统计年度,学校类型,小学在校生数,小学班级数,小学专任教师数,图书册数\n"
    "360121-001,城关小学,360121,2025,小学,420,10,26,12000\n"
    "360121-002,东门小学,360121,2025,小学,-3,8,20,9000\n"
    "360121-003,西门小学,360121,2025,小学,300,8,20,很多\n"
    "360121-001,南门小学,360121,2025,小学,280,7,18,8000\n"
)


def test_version_and_help(run_cli):
    done = run_cli("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"junheng {__version__}"
    done = run_cli("--help")
    assert done.returncode == 0
    for word in ("用法", "validate", "template", "sample", "Rules engine"):
        assert word in done.stdout
    done = run_cli("validate", "--help")
    assert done.returncode == 0 and "学校数据文件" in done.stdout and "--county" in done.stdout


@pytest.mark.parametrize(
    "args",
    [(), ("bogus",), ("validate",), ("template",), ("template", "--format", "pdf", "-o", "x")],
)
def test_usage_errors_exit_2(run_cli, args):
    done = run_cli(*args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


def test_python_dash_m_works(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "junheng", "--version"], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0 and "junheng" in done.stdout


def test_sample_then_validate_exits_0(run_cli, tmp_path):
    done = run_cli("sample", "--output", "s")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == sorted(SAMPLE_FILES)
    done = run_cli("validate", "s/schools.json", "--county", "s/county.json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "发现 0 个错误" in done.stdout or "未发现问题" in done.stdout


def test_sample_into_a_file_exits_2(run_cli, tmp_path):
    (tmp_path / "taken").write_text("x")
    done = run_cli("sample", "--output", "taken")
    assert done.returncode == 2 and "不是目录" in done.stderr


def test_copy_sample_from_a_fixture_package(tmp_path, monkeypatch):
    package = tmp_path / "pkg" / "fakesample"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "schools.json").write_text("[]")
    (package / "county.json").write_text('{"county_code": "360121"}')
    monkeypatch.syspath_prepend(str(tmp_path / "pkg"))
    written = copy_sample(tmp_path / "out" / "deep", package="fakesample")
    assert [p.read_text() for p in written] == ["[]", '{"county_code": "360121"}']
    (package / "county.json").unlink()
    with pytest.raises(FileNotFoundError):
        copy_sample(tmp_path / "out2", package="fakesample")
    assert not (tmp_path / "out2").exists()


def test_acceptance_gb18030_csv_every_problem_once(run_cli, tmp_path):
    (tmp_path / "schools.csv").write_bytes(ACCEPTANCE_CSV.encode("gb18030"))
    done = run_cli("validate", "schools.csv", "--format", "json")
    assert done.returncode == 2, done.stderr
    report = json.loads(done.stdout)
    located = sorted((i["code"], i["row"], i["record_id"], i["field"]) for i in report["issues"])
    assert located == [
        ("duplicate_id", 5, "360121-001", "id"),
        ("schema.minimum", 3, "360121-002", "primary.students"),
        ("schema.type", 4, "360121-003", "books"),
    ]
    assert (report["errors"], report["warnings"]) == (3, 0)
    assert all(i["file"] == "schools.csv" for i in report["issues"])

    done = run_cli("validate", "schools.csv")
    assert done.returncode == 2
    out = done.stdout
    assert "发现 3 个错误、0 个警告" in out
    for needle in ("-3 小于最小值 0", "很多", "重复", "primary.students", "books"):
        assert needle in out
    for header in ("文件", "行", "学校", "字段", "问题"):
        assert header in out
    assert "Traceback" not in done.stderr


def test_validate_warnings_only_exits_0(run_cli, tmp_path):
    (tmp_path / "s.csv").write_text(
        "id,name,county_code,year,school_type,primary.students,primary.classes,primary.teachers,备注\n"
        "A,一小,360121,2025,primary,10,2,30,x\n",
        encoding="utf-8",
    )
    done = run_cli("validate", "s.csv")
    assert done.returncode == 0, done.stdout
    assert "发现 0 个错误、2 个警告" in done.stdout


def test_validate_county_mismatch_via_cli(run_cli, tmp_path):
    (tmp_path / "s.json").write_text(
        json.dumps(
            [
                {
                    "id": "A",
                    "name": "一小",
                    "county_code": "360122",
                    "year": 2025,
                    "school_type": "primary",
                    "primary": {"students": 10, "classes": 1, "teachers": 2},
                }
            ]
        ),
        encoding="utf-8",
    )
    (tmp_path / "c.json").write_text('{"county_code": "360121"}', encoding="utf-8")
    done = run_cli("validate", "s.json", "--county", "c.json", "--format", "json")
    assert done.returncode == 2
    assert [i["code"] for i in json.loads(done.stdout)["issues"]] == ["county_mismatch"]


@pytest.mark.parametrize(
    ("name", "content"),
    [("missing.json", None), ("bad.json", '[{"id": '), ("bad.xlsx", "not a workbook")],
)
def test_bad_files_exit_2_without_traceback(run_cli, tmp_path, name, content):
    if content is not None:
        (tmp_path / name).write_text(content, encoding="utf-8")
    done = run_cli("validate", name)
    assert done.returncode == 2
    assert "Traceback" not in done.stdout + done.stderr
    assert name in done.stdout


def _register_failing(handler):
    def register(subparsers):
        subparsers.add_parser("boom").set_defaults(handler=handler)

    return register


def test_internal_error_exits_3_with_short_message(monkeypatch, capsys):
    import junheng.cli as cli

    def explode(args: argparse.Namespace) -> int:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(cli, "_COMMAND_MODULES", ("data", "_boom"))
    fake = type(sys)("junheng.cli._boom")
    fake.register = _register_failing(explode)
    monkeypatch.setitem(sys.modules, "junheng.cli._boom", fake)
    monkeypatch.delenv("JUNHENG_DEBUG", raising=False)
    assert main(["boom"]) == 3
    err = capsys.readouterr().err
    assert "内部错误" in err and "ZeroDivisionError" in err and "Traceback" not in err


def test_input_error_from_a_handler_exits_2(monkeypatch, capsys):
    import junheng.cli as cli

    issue = DataIssue.located("error", "parse", "坏了。", file="x.csv", row=2)

    def reject(args: argparse.Namespace) -> int:
        raise InputError([issue])

    monkeypatch.setattr(cli, "_COMMAND_MODULES", ("data", "_reject"))
    fake = type(sys)("junheng.cli._reject")
    fake.register = _register_failing(reject)
    monkeypatch.setitem(sys.modules, "junheng.cli._reject", fake)
    assert main(["boom"]) == 2
    assert "发现 1 个错误" in capsys.readouterr().err
