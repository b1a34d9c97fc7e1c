"""Faults: failing plugins, unwritable outputs, a full disk, Ctrl-C — clean exits, no partial files.

Exit statuses (documented in junheng.cli and SECURITY.md): 2 for an output that
cannot be written, 3 for a plugin failing where the ruleset needs it (naming the
plugin), 130 for an interruption. Reports are written atomically
(:mod:`junheng.atomic`), so no case leaves a report or a temporary file behind,
and an existing report is left as it was.
"""

from __future__ import annotations

import errno
import importlib
import json
import os
from pathlib import Path

import pytest

import junheng.atomic
import junheng.cli.evaluation as cli_evaluation
import junheng.engine
from junheng import hookimpl
from junheng.cli import main
from junheng.cli._common import console, err_console
from junheng.cli.data import copy_sample
from junheng.discovery import PluginError
from junheng.engine import Engine
from junheng.formula import FormulaFunction

RULESET = "national.quality.2017"


@pytest.fixture
def sample(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(console, "width", 300)
    monkeypatch.setattr(err_console, "width", 300)
    # the core sample (no province's fields): some tests evaluate it with an engine
    # of the national plugin alone
    copy_sample(tmp_path / "in")
    return tmp_path


def _listing(d: Path) -> set[str]:
    return {str(p.relative_to(d)) for p in d.rglob("*")}


def _evaluate(*extra: str) -> int:
    return main(
        ["evaluate", "in/schools.json", "--county", "in/county.json", "--ruleset", RULESET, *extra]
    )


# --------------------------------------------------------------------------- outputs


def test_output_under_a_regular_file_exits_2_with_a_chinese_message(sample, capsys):
    (sample / "somefile").write_text("x")
    before = _listing(sample)
    assert _evaluate("--output", "somefile/out.json") == 2
    err = capsys.readouterr().err
    assert "无法写入 somefile/out.json" in err and "不是文件夹" in err
    assert "Traceback" not in err and "内部错误" not in err
    assert _listing(sample) == before


def test_demo_into_a_regular_file_exits_2(sample, capsys):
    (sample / "somefile").write_text("x")
    assert main(["demo", "--output", "somefile/demo"]) == 2
    err = capsys.readouterr().err
    assert "无法写入" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("code", "words"),
    [(errno.ENOSPC, "磁盘空间不足"), (errno.EACCES, "没有写入权限"), (errno.EROFS, "只读")],
)
def test_disk_full_or_denied_mid_write_leaves_nothing(sample, capsys, monkeypatch, code, words):
    def failing_fsync(fd):  # the bytes went into the temporary file; the disk refuses them
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(junheng.atomic.os, "fsync", failing_fsync)
    before = _listing(sample)
    assert _evaluate("--output", "out/report.json") == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert not (sample / "out" / "report.json").exists()
    assert not [p for p in (sample / "out").iterdir()]  # no temporary file either
    assert _listing(sample) - before == {"out"}


def test_disk_full_keeps_the_previous_report(sample, capsys, monkeypatch):
    assert _evaluate("--output", "report.json") == 1
    old = (sample / "report.json").read_bytes()

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(junheng.atomic.os, "fsync", full)
    capsys.readouterr()
    assert _evaluate("--output", "report.json") == 2
    assert (sample / "report.json").read_bytes() == old
    assert sorted(p.name for p in sample.iterdir()) == ["in", "report.json"]


def test_disk_full_on_stdout_exits_2(sample, capsys, monkeypatch):
    class FullStdout:
        class buffer:  # mimics sys.stdout.buffer
            @staticmethod
            def write(data):
                raise OSError(errno.ENOSPC, "No space left on device")

        @staticmethod
        def flush():
            pass

    monkeypatch.setattr("sys.stdout", FullStdout)
    assert _evaluate() == 2
    assert "磁盘空间不足" in capsys.readouterr().err


# --------------------------------------------------------------------------- Ctrl-C


def test_ctrl_c_mid_evaluation_exits_130_and_writes_nothing(sample, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(junheng.engine, "evaluate", interrupted)
    before = _listing(sample)
    assert _evaluate("--output", "report.json") == 130
    err = capsys.readouterr().err
    assert "已中断" in err and "Traceback" not in err
    assert _listing(sample) == before


def test_ctrl_c_mid_write_exits_130_and_leaves_no_partial_file(sample, capsys, monkeypatch):
    def interrupted(fd):  # data is in the temporary file, not yet renamed
        raise KeyboardInterrupt

    monkeypatch.setattr(junheng.atomic.os, "fsync", interrupted)
    before = _listing(sample)
    assert _evaluate("--output", "report.json") == 130
    assert _listing(sample) == before


def test_ctrl_c_during_demo_leaves_only_complete_reports(sample, capsys, monkeypatch):
    real = junheng.atomic.os.fsync
    calls = []

    def third_write_interrupted(fd):
        calls.append(fd)
        if len(calls) == 3:
            raise KeyboardInterrupt
        real(fd)

    monkeypatch.setattr(junheng.atomic.os, "fsync", third_write_interrupted)
    assert main(["demo", "--output", "demo"]) == 130
    names = sorted(p.name for p in (sample / "demo").iterdir())
    assert all(not n.startswith(".") for n in names), names  # no temporary file
    assert len(names) == 2
    json.loads((sample / "demo" / "report.json").read_bytes())  # complete


# --------------------------------------------------------------------------- plugins

NATIONAL = importlib.import_module("junheng.plugins.national")


class _PrepareRaises:
    """Raises in junheng_prepare_records; contributes nothing the national ruleset needs."""

    __name__ = "flaky-prepare"

    @hookimpl
    def junheng_prepare_records(self, schools, county, ruleset_id):
        raise RuntimeError("boom in prepare")


class _SectionRaises:
    __name__ = "flaky-section"

    @hookimpl
    def junheng_report_sections(self, report):
        raise ValueError("boom in sections")


def _sample_records():
    from junheng.cli.evaluation import load_sample

    return load_sample()


def test_a_plugin_the_ruleset_does_not_need_is_reported_and_evaluation_continues():
    schools, county = _sample_records()
    plain = Engine(entry_points=False, plugins=[NATIONAL]).evaluate(RULESET, schools, county)
    engine = Engine(entry_points=False, plugins=[NATIONAL, _PrepareRaises(), _SectionRaises()])
    report = engine.evaluate(RULESET, schools, county)
    problems = report.provenance["plugin_problems"]
    assert any(p.startswith("flaky-prepare:") and "boom in prepare" in p for p in problems)
    assert any(p.startswith("flaky-section:") and "boom in sections" in p for p in problems)
    assert report.passed == plain.passed
    assert [c.passed for c in report.counties] == [c.passed for c in plain.counties]


class _ProvinceWithBrokenPrepare:
    """Gives a ruleset and fails preparing records for it: the evaluation must stop."""

    __name__ = "broken-province"

    def __init__(self, path):
        self.path = path

    @hookimpl
    def junheng_rulesets(self):
        return [self.path]

    @hookimpl
    def junheng_prepare_records(self, schools, county, ruleset_id):
        raise RuntimeError("cannot fold teaching points")


def test_a_plugin_the_ruleset_needs_fails_the_evaluation_naming_it(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(
        'id = "broken.quality"\ntitle = "坏省"\nsource = "s"\nextends = "national.quality.2017"\n',
        encoding="utf-8",
    )
    engine = Engine(entry_points=False, plugins=[NATIONAL, _ProvinceWithBrokenPrepare(path)])
    schools, county = _sample_records()
    with pytest.raises(PluginError) as info:
        engine.evaluate("broken.quality", schools, county)
    assert info.value.plugin == "broken-province"
    assert "cannot fold teaching points" in str(info.value)


class _BadFunction:
    __name__ = "bad-function"

    def __init__(self, path):
        self.path = path

    @hookimpl
    def junheng_formula_functions(self):
        def explode(x):
            raise ZeroDivisionError("inside plugin function")

        return [FormulaFunction("explode", explode, 1, 1, "raises")]

    @hookimpl
    def junheng_rulesets(self):
        return [self.path]


def test_a_formula_function_raising_is_a_plugin_error_naming_the_plugin(tmp_path):
    path = tmp_path / "f.toml"
    path.write_text(
        'id = "fn.quality"\ntitle = "函数"\nsource = "s"\nextends = "national.quality.2017"\n'
        '[indicators.exploding]\ntitle = "炸"\nsource = "s"\nformula = "explode(students)"\n',
        encoding="utf-8",
    )
    engine = Engine(entry_points=False, plugins=[NATIONAL, _BadFunction(path)])
    assert "bad-function" in engine.plugins_needed(engine.ruleset("fn.quality"))
    schools, county = _sample_records()
    with pytest.raises(PluginError, match="bad-function: 公式函数 explode 出错"):
        engine.evaluate("fn.quality", schools, county)


class _GarbageFunction:
    """A formula function whose return value is no column of numbers."""

    __name__ = "garbage-function"

    def __init__(self, path, result):
        self.path, self.result = path, result

    @hookimpl
    def junheng_formula_functions(self):
        return [FormulaFunction("garbage", lambda x: self.result(x), 1, 1, "garbage")]

    @hookimpl
    def junheng_rulesets(self):
        return [self.path]


@pytest.mark.parametrize(
    "result, words",
    [
        (lambda x: "很多", "返回了 str"),
        (lambda x: None, "返回了 NoneType"),
        (lambda x: [1.0, 2.0, 3.0], "形状为 (3,)"),
        (lambda x: x.reshape(-1, 1), "形状为"),
        (lambda x: {"a": 1}, "返回了 dict"),
        (lambda x: [object()] * len(x), "返回了 list"),
    ],
    ids=["text", "none", "short-list", "sideways", "mapping", "objects"],
)
def test_a_formula_function_returning_garbage_is_a_plugin_error_naming_it(tmp_path, result, words):
    path = tmp_path / "g.toml"
    path.write_text(
        'id = "fn.garbage"\ntitle = "函数"\nsource = "s"\nextends = "national.quality.2017"\n'
        '[indicators.junk]\ntitle = "垃圾"\nsource = "s"\nformula = "garbage(students)"\n'
        "threshold = 1\n",
        encoding="utf-8",
    )
    engine = Engine(entry_points=False, plugins=[NATIONAL, _GarbageFunction(path, result)])
    schools, county = _sample_records()
    with pytest.raises(PluginError) as info:
        engine.evaluate("fn.garbage", schools, county)
    assert info.value.plugin == "garbage-function"
    assert "公式函数 garbage" in info.value.message and words in info.value.message


def test_a_formula_function_returning_numbers_of_the_right_shape_works(tmp_path):
    path = tmp_path / "g.toml"
    path.write_text(
        'id = "fn.fine"\ntitle = "函数"\nsource = "s"\nextends = "national.quality.2017"\n'
        '[indicators.half]\ntitle = "一半"\nsource = "s"\nformula = "garbage(students)"\n'
        "threshold = 1\n",
        encoding="utf-8",
    )
    plugin = _GarbageFunction(path, lambda x: (x / 2).tolist())  # a list is fine: numbers
    engine = Engine(entry_points=False, plugins=[NATIONAL, plugin])
    schools, county = _sample_records()
    report = engine.evaluate("fn.fine", schools, county)
    row = report.schools.row(0)
    assert row.checks["half"].value == pytest.approx(row.students / 2)


def test_cli_reports_a_plugin_failure_with_exit_4_naming_the_plugin(sample, capsys, monkeypatch):
    path = sample / "p.toml"
    path.write_text(
        'id = "broken.quality"\ntitle = "坏省"\nsource = "s"\nextends = "national.quality.2017"\n',
        encoding="utf-8",
    )
    real_engine = cli_evaluation.Engine

    def engine_with_broken_plugin():
        return real_engine(entry_points=False, plugins=[NATIONAL, _ProvinceWithBrokenPrepare(path)])

    monkeypatch.setattr(cli_evaluation, "Engine", engine_with_broken_plugin)
    before = _listing(sample)
    status = main(
        ["evaluate", "in/schools.json", "--ruleset", "broken.quality", "--output", "r.json"]
    )
    err = capsys.readouterr().err
    assert status == 4  # a plugin's failure, not a bug of junheng's (that is 3)
    assert "插件 broken-province 出错" in err and "cannot fold teaching points" in err
    assert "Traceback" not in err
    assert _listing(sample) == before


def test_cli_warns_about_an_unneeded_failing_plugin_and_still_reports(sample, capsys, monkeypatch):
    real_engine = cli_evaluation.Engine

    def engine_with_flaky_plugin():
        return real_engine(entry_points=False, plugins=[NATIONAL, _PrepareRaises()])

    monkeypatch.setattr(cli_evaluation, "Engine", engine_with_flaky_plugin)
    assert _evaluate("--output", "r.json") == 1
    err = capsys.readouterr().err
    assert "flaky-prepare" in err and "评估未受影响" in err
    report = json.loads((sample / "r.json").read_bytes())
    assert any("flaky-prepare" in p for p in report["provenance"]["plugin_problems"])
