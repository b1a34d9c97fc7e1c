"""Local rulesets without a plugin, and every built-in ruleset reaching a verdict (issue 13).

Through the CLI, in-process, on real files: ``rulesets new`` writes a starting file,
which is completed the way a provincial office would (uncommenting its TODO blocks and
putting in numbers), checked, and evaluated with ``--ruleset ./FILE``.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

import junheng
from junheng.cli import main
from junheng.cli._common import console, err_console

RULESETS = junheng.Engine().ruleset_ids()


@pytest.fixture(autouse=True)
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(console, "width", 300)
    monkeypatch.setattr(err_console, "width", 300)
    assert main(["sample", "--output", "s"]) == 0
    return tmp_path


def _evaluate(ruleset: str, output: str = "r.json") -> int:
    return main(
        [
            "evaluate",
            "s/schools.json",
            "--county",
            "s/county.json",
            "--ruleset",
            ruleset,
            "-o",
            output,
        ]
    )


def _complete(text: str, numbers: dict[str, str]) -> str:
    """Uncomment every TODO block and put in ``numbers`` (formula → new formula) and a source."""
    out, inside = [], False
    for line in text.splitlines():
        if line.startswith("# TODO"):
            inside = True
            continue
        if inside and line.startswith("#   "):
            continue  # the block's explanation stays out
        if inside and line.startswith("# "):
            line = line[2:]
            for old, new in numbers.items():
                line = line.replace(old, new)
            line = line.replace(
                "请填写：依据文件及条款", "甘肃省办学基本标准督导评估细则（本地）第三条"
            )
        elif inside and not line.strip():
            inside = False
        out.append(line)
    return "\n".join(out) + "\n"


def test_a_new_local_ruleset_lists_the_unverified_values_and_evaluates_as_it_is(folder, capsys):
    assert main(["rulesets", "new", "my.gansu", "--extends", "gansu.basic", "-o", "my.toml"]) == 0
    text = (folder / "my.toml").read_text("utf-8")
    assert 'extends = "gansu.basic"' in text and 'id = "my.gansu"' in text
    todos = re.findall(r"^# TODO（(待核实|缺少数值)）(.+)$", text, re.M)
    base = junheng.Engine().ruleset("gansu.basic")
    assert len(todos) == base.unverified_count() >= 2
    assert "# [school_rules.basic_standard_core]" in text  # a block to uncomment
    assert "现依据：" in text  # each TODO keeps its citation
    capsys.readouterr()
    assert _evaluate("./my.toml") == 0  # the sample passes gansu.basic, and this file as it is
    report = json.loads((folder / "r.json").read_text("utf-8"))
    files = report["provenance"]["ruleset_files"]
    assert [f["id"] for f in files] == ["national.basic.2012", "gansu.basic", "my.gansu"]
    mine = files[-1]
    assert mine["file"] == "my.toml" and mine["plugin"].startswith("本地文件")
    assert mine["sha256"] == hashlib.sha256((folder / "my.toml").read_bytes()).hexdigest()
    assert report["provenance"]["ruleset_id"] == "my.gansu"


def test_a_completed_local_ruleset_changes_the_verdict_it_should(folder, capsys):
    assert main(["rulesets", "new", "my.gansu", "--extends", "gansu.basic", "-o", "my.toml"]) == 0
    text = (folder / "my.toml").read_text("utf-8")
    # the province's rule, once known: 24 of the 28 ordinary indicators, and the sample's
    # schools meet only 27 of them after a (hypothetical) stricter count of 30 core ones
    completed = _complete(text, {">= 28": ">= 24", ">= 12": ">= 13"})
    (folder / "my.toml").write_text(completed, "utf-8")
    capsys.readouterr()
    assert main(["rulesets", "check", "my.toml"]) == 0
    out = capsys.readouterr().out
    assert "修改" in out and "school_rules.basic_standard_ordinary.formula" in out
    assert "仍待核实的数值：0 个" in out
    assert _evaluate("./my.toml") == 1  # no school meets 13 core indicators: it fails
    report = json.loads((folder / "r.json").read_text("utf-8"))
    (county,) = report["counties"]
    assert county["passed"] is False
    assert all(c["status"] != "not_evaluated" for c in county["criteria"])


@pytest.mark.parametrize(
    "body, words",
    [
        (
            '[indicators.x]\ntitle = "x"\nsource = "s"\nformula = "nonsense_field * 2"\nthreshold = 1\n',
            "nonsense_field",
        ),
        ("[indicators.x\n", "TOML"),
        ('[indicators.teaching_room_area_per_student]\nthreshold = "4.5"\n', "应为数字"),
    ],
    ids=["unknown-name", "syntax", "string-threshold"],
)
def test_a_broken_local_file_is_exit_2_with_a_located_message(folder, capsys, body, words):
    head = 'id = "my.bad"\ntitle = "坏"\nsource = "s"\nextends = "national.quality.2017"\n'
    (folder / "bad.toml").write_text(head + body, "utf-8")
    before = sorted(p.name for p in folder.iterdir())
    for argv in (
        ["rulesets", "check", "bad.toml"],
        ["evaluate", "s/schools.json", "--ruleset", "./bad.toml", "-o", "r.json"],
        ["demo", "--ruleset", "./bad.toml", "-o", "d"],
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert "bad.toml" in err and words in err and "Traceback" not in err
    assert sorted(p.name for p in folder.iterdir()) == before  # nothing written


def test_a_local_file_may_not_take_an_installed_id(folder, capsys):
    (folder / "x.toml").write_text(
        'id = "national.quality.2017"\ntitle = "冒名"\nsource = "s"\nextends = "national.basic.2012"\n',
        "utf-8",
    )
    assert main(["rulesets", "check", "x.toml"]) == 2
    assert "已被插件" in capsys.readouterr().err


def test_the_api_adds_a_local_ruleset_file(folder):
    assert (
        main(["rulesets", "new", "my.q", "--extends", "national.quality.2017", "-o", "q.toml"]) == 0
    )
    engine = junheng.Engine()
    rs = engine.add_ruleset_file(folder / "q.toml")
    assert rs.id == "my.q" and "my.q" in engine.ruleset_ids()
    schools, county = engine.sample()
    assert engine.evaluate("my.q", schools, county).counties[0].passed is False


# -- every built-in ruleset reaches a verdict on the sample ------------------------------------


@pytest.mark.parametrize("rid", RULESETS)
def test_demo_reaches_a_verdict_under_every_ruleset(folder, capsys, rid):
    status = main(["demo", "--ruleset", rid, "--output", "d"])
    report = json.loads((folder / "d" / "report.json").read_text("utf-8"))
    (county,) = report["counties"]
    assert [c["id"] for c in county["criteria"] if c["status"] == "not_evaluated"] == []
    assert status == (0 if county["passed"] else 1)
    for name in ("report.html", "report.xlsx", "report.md"):
        assert (folder / "d" / name).stat().st_size > 1000


def test_the_sample_passes_some_rulesets_and_fails_others():
    engine = junheng.Engine()
    schools, county = engine.sample()
    verdicts = {rid: engine.evaluate(rid, schools, county).counties[0].passed for rid in RULESETS}
    assert sum(verdicts.values()) >= 3 and sum(not v for v in verdicts.values()) >= 3, verdicts
    # the story: basic balance passed, quality balance not yet
    assert verdicts["national.basic.2012"] and not verdicts["national.quality.2017"]


def test_demo_without_a_ruleset_is_national_quality(folder, capsys):
    assert main(["demo", "--output", "d"]) == 1
    report = json.loads((Path("d") / "report.json").read_text("utf-8"))
    assert report["ruleset"]["id"] == "national.quality.2017"
