"""The built-in provinces as plugins: their fields in templates and explanations, the years
a multi-year rule missed in every report, Jiangxi's per-office section."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import openpyxl
import pytest

import junheng
from junheng import hookimpl
from junheng.outputs import render
from junheng.testing import load_case

CASE = "tests/cases/gansu.basic/growth_missed_2021_2023.toml"
CASES = Path(__file__).parent / "cases"


class _Files:
    """A plugin contributing ruleset files (a local overlay of a built-in ruleset)."""

    def __init__(self, *files):
        self.__name__ = "test-files"
        self.files = files

    @hookimpl
    def junheng_rulesets(self):
        return list(self.files)


MISSED = "2021年、2023年：教育财政拨款增长不高于财政经常性收入增长"


@pytest.fixture(scope="module")
def gansu_report(engine):
    from pathlib import Path

    case = load_case(Path(__file__).resolve().parents[1] / CASE)
    return engine.evaluate(case.ruleset, case.schools, case.county)


def test_template_of_gansu_has_the_gansu_fields(run_cli, tmp_path):
    done = run_cli("template", "--ruleset", "gansu.basic", "--format", "csv", "--output", "g.csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO((tmp_path / "g.csv").read_text("utf-8-sig"))))
    assert "达到的办学基本标准核心指标数" in rows[0]
    assert "basic_standard_core_met [项]" in rows[1]
    assert "basic_standard_ordinary_met [项]" in rows[1]
    national = run_cli("template", "--ruleset", "national.quality.2017", "--output", "n.csv")
    assert national.returncode == 0
    assert "basic_standard_core_met" not in (tmp_path / "n.csv").read_text("utf-8-sig")


def test_explain_gansu_substitutes_every_name_and_names_the_missed_years(run_cli, tmp_path):
    assert run_cli("sample", "--output", "s").returncode == 0
    done = run_cli(
        "explain",
        "--county-code",
        "360199",
        "s/schools.json",
        "--county",
        "s/county.json",
        "--ruleset",
        "gansu.basic",
        "--format",
        "json",
    )
    assert done.returncode in (0, 1), done.stderr
    steps = {s["id"]: s for s in json.loads(done.stdout)["steps"]}
    for step in steps.values():
        # a chain reads "formula = the formula with the numbers = value ≥ requirement"
        formula = step.get("formula") or ""
        substituted = step["chain"].removeprefix(formula)
        for name, value in (step.get("inputs") or {}).items():
            assert name not in substituted, (step["id"], name, step["chain"])
            assert value is not None, (step["id"], name)  # the sample gives every county value
    veto = steps["three_growths_missed"]
    assert veto["chain"].startswith("1 >= 2")
    assert "2022年：教育财政拨款增长不高于财政经常性收入增长" in veto["parts"]
    years = [line for line in veto["parts"] if re.match(r"\s*20\d\d年：", line)]
    assert len(years) == 4  # the evidence line and the three years judged, each substituted
    assert not any(
        re.search(r"[a-z]+_[a-z_]+", line.split("：", 1)[1].split("→")[0]) for line in years
    )
    text = run_cli(
        "explain",
        "--county-code",
        "360199",
        "s/schools.json",
        "--county",
        "s/county.json",
        "--ruleset",
        "gansu.basic",
    )
    assert "2022年：教育财政拨款增长不高于财政经常性收入增长" in text.stdout
    assert "three_growths_years_missed >= 2 →" not in text.stdout


def test_the_missed_years_are_in_every_report(gansu_report):
    doc = json.loads(render(gansu_report, "json"))
    (veto,) = [c for c in doc["counties"][0]["vetoes"] if c["id"] == "three_growths_missed"]
    assert veto["evidence"] == [MISSED] and veto["status"] == "failed"
    assert MISSED in render(gansu_report, "html").decode()
    assert MISSED in render(gansu_report, "md").decode()
    book = openpyxl.load_workbook(io.BytesIO(render(gansu_report, "xlsx")))
    cells = [str(c.value) for row in book["汇总"].iter_rows() for c in row if c.value]
    assert any(MISSED in c for c in cells)


def test_a_required_multi_year_rule_lists_each_year(engine, sample):
    schools, county = engine.sample()
    report = engine.evaluate("jiangxi.quality", schools, county)
    (rule,) = [c for c in report.counties[0].criteria if c.id == "two_no_decrease"]
    doc = rule.to_dict()
    assert [y["year"] for y in doc["years"]] == [2022, 2023, 2024]
    assert all(y["met"] is True and y["missed"] == [] for y in doc["years"])


def test_jiangxi_reports_the_tasks_of_each_office(engine):
    schools, county = engine.sample()
    report = engine.evaluate("jiangxi.quality", schools, county)
    (section,) = report.sections
    assert section["id"] == "jiangxi.owners" and section["plugin"] == "jiangxi"
    owners = {row[1]: row for row in section["rows"]}
    assert "每年交流轮岗教师比例不低于符合交流条件教师总数的10%" in owners["人事股"][4]
    failed_checks = sum(len(r.failed_checks) for r in report.schools.rows())
    assert sum(row[2] for row in section["rows"]) == failed_checks
    book = openpyxl.load_workbook(io.BytesIO(render(report, "xlsx")))
    assert "各股室整改任务" in book.sheetnames
    national = engine.evaluate("national.quality.2017", schools, county)
    assert national.sections == ()


def _chongqing(engine, sample, scores, overlay=None):
    schools, county = sample
    county = {**county, "scores": scores}
    if overlay is None:
        return engine.evaluate("chongqing.qualified", schools, county)
    return overlay.evaluate("test.chongqing.bonus-not-counted", schools, county)


def test_every_report_states_how_chongqing_reads_its_bonus(engine, sample):
    """source 003 does not say whether the 5 bonus points count toward the 85: the ruleset
    states its reading and every report shows it with the points judged."""
    scores = {"safeguards": 50, "disparity": 27, "public_evaluation": 6, "bonus": 3}
    report = _chongqing(engine, sample, scores)
    doc = json.loads(render(report, "json"))
    score = doc["counties"][0]["score"]
    assert score["bonus_counts_toward_pass"] is True and score["bonus_points"] == 3
    assert "原文未说明奖励加分是否计入85分" in score["note"]
    crit = {c["id"]: c for c in doc["counties"][0]["criteria"]}
    assert crit["score.total"]["value"] == 86 and crit["score.total"]["status"] == "met"
    assert "含奖励加分 3，计入认定分数线" in crit["score.total"]["detail"]
    for fmt in ("html", "md"):
        text = render(report, fmt).decode("utf-8")
        assert "奖励加分计入认定分数线" in text, fmt
    book = openpyxl.load_workbook(io.BytesIO(render(report, "xlsx")))
    cells = [c for row in book["评分表"].iter_rows(values_only=True) for c in row if c]
    assert any("奖励加分计入认定分数线" in str(c) for c in cells)


def test_the_other_bonus_reading_judges_the_points_without_the_bonus(engine, sample):
    overlay = junheng.Engine(plugins=[_Files(CASES / "_rulesets" / "bonus_not_counted.toml")])
    scores = {"safeguards": 50, "disparity": 27, "public_evaluation": 6, "bonus": 3}
    report = _chongqing(engine, sample, scores, overlay)
    c = report.counties[0]
    total = next(x for x in c.criteria if x.id == "score.total")
    assert (c.score.total, total.value, total.status) == (86, 83, "failed")
    assert "奖励加分不计入认定分数线" in total.detail
    html = render(report, "html").decode("utf-8")
    assert "奖励加分不计入认定分数线：按不含奖励加分的 83 分与 85 分比较" in html
