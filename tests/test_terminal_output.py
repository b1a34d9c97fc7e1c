"""Terminal and listing habits (issue 16, item 5): gaps beside their items, ids never wrapped,
plain lines when standard output is not a terminal."""

from __future__ import annotations

import json
import re

import pytest

import junheng
from junheng.cli import main
from junheng.cli._common import console, err_console


def test_rulesets_list_through_a_pipe_is_one_line_per_ruleset(run_cli):
    done = run_cli("rulesets", "list")  # stdout is a pipe here
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    ids = junheng.Engine().ruleset_ids()
    assert [line.split("\t")[0] for line in lines] == ids
    assert all(len(line.split("\t")) == 6 for line in lines)
    assert len([line for line in lines if re.search(r"\.", line)]) == len(ids)  # grep -c '\.'


def test_rulesets_list_as_json(run_cli):
    done = run_cli("rulesets", "list", "--format", "json")
    rows = json.loads(done.stdout)
    assert {r["id"] for r in rows} == set(junheng.Engine().ruleset_ids())
    assert all(isinstance(r["unverified"], int) for r in rows)


@pytest.mark.parametrize("width", [60, 90])
def test_each_gap_is_on_the_line_of_its_item(tmp_path, monkeypatch, capsys, width):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(err_console, "width", width)
    monkeypatch.setattr(console, "width", width)
    assert main(["demo", "--output", "d"]) == 1
    out, err = capsys.readouterr()
    err = out + err
    report = json.loads((tmp_path / "d" / "report.json").read_text("utf-8"))
    failing = [s for s in report["schools"] if s["passed"] is False]
    gap_lines = [line for line in err.splitlines() if "缺 " in line]
    assert gap_lines
    titles = {
        c_id: check["unit"]
        for s in failing
        for c_id, check in s["checks"].items()
        if check["met"] is False
    }
    assert titles
    rules = junheng.Engine().ruleset("national.quality.2017")
    for line in gap_lines:
        cells = [c.strip() for c in re.split(r"[│┃]", line) if c.strip()]
        item, gap = cells[-2], cells[-1]
        assert gap.startswith("缺 ") and item, line  # the item's (first) text is on this line
        assert any(
            (rules.indicators.get(cid) or rules.school_rules.get(cid)).meta.title.startswith(item)
            for cid in titles
        ), line
