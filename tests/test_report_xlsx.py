"""The XLSX rectification ledger read back with openpyxl: sheets, the ledger's school rows
equal the JSON report's failed checks one for one, owners, colours, CVs and the score sheet."""

from __future__ import annotations

import io
import json
import textwrap
from importlib import resources

import openpyxl
import pytest

import junheng
from junheng import hookimpl
from junheng.outputs import render

SAMPLE = resources.files("junheng.sample")
SHEETS = [
    "汇总",
    "学校达标矩阵",
    "整改台账",
    "差异系数",
    "评分表",
    "未评估项目",
    "数据问题",
    "依据文件",
]
OWNER_RULESET = textwrap.dedent(
    """
    id = "test.owner"
    title = "测试：责任股室"
    basis = "测试"
    source = "测试"
    version = "1"
    extends = "national.quality.2017"

    [indicators.sports_area_per_student]
    owner = "计划财务股"

    [county_items.teacher_rotation]
    owner = "人事股"
    """
)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    path = tmp_path_factory.mktemp("rs") / "owner.toml"
    path.write_text(OWNER_RULESET, "utf-8")

    class OwnerPlugin:
        @hookimpl
        def junheng_rulesets(self):
            return [path]

    return junheng.Engine(plugins=[OwnerPlugin()])


def _book(report):
    return openpyxl.load_workbook(io.BytesIO(render(report, "xlsx")))


def _ledger(wb):
    ws = wb["整改台账"]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    return header, [dict(zip(header, r, strict=True)) for r in rows[1:]]


def test_sheets_and_summary(engine, sample):
    wb = _book(engine.evaluate("national.quality.2017", *sample))
    assert wb.sheetnames == SHEETS
    text = [c for row in wb["汇总"].iter_rows(values_only=True) for c in row if c is not None]
    assert "未通过" in text and "青溪县" in text
    titles = {"小学生均体育运动场馆面积校际差异系数", "优质高中招生名额分配比例不低于50%"}
    assert titles <= set(text)


def test_ledger_school_rows_equal_json_failed_checks_one_for_one(engine, sample):
    report = engine.evaluate("national.quality.2017", *sample)
    doc = json.loads(render(report, "json"))
    expected = [
        (s["id"], s["stage"], cid, c["value"], c["shortfall"], c["unit"])
        for s in doc["schools"]
        for cid, c in s["checks"].items()
        if c["met"] is False
    ]
    header, ledger = _ledger(_book(report))
    for col in (
        "学校",
        "学段",
        "指标",
        "现状值",
        "标准",
        "差距（单位）",
        "责任股室",
        "整改措施",
        "完成时限",
    ):
        assert col in header
    stage = {"小学": "primary", "初中": "junior"}
    got = [
        (r["学校代码"], stage[r["学段"]], r["指标编号"], r["现状值"], r["差距（单位）"], r["单位"])
        for r in ledger
        if r["类型"] == "学校"
    ]
    assert len(expected) == 15
    assert sorted(got) == sorted(expected)  # same multiset: one row per failed check, no more
    # blank columns for the office to fill in
    assert all(r["整改措施"] is None and r["完成时限"] is None for r in ledger)
    row = next(r for r in ledger if r["学校代码"] == "360199-002" and r["单位"] == "m²")
    assert row["学校"] == "青溪县第二小学" and row["差距（单位）"] == pytest.approx(1404)
    assert row["标准"] == "≥ 4.5 m²/生" and row["责任股室"] == "未指定"


def test_ledger_county_rows_are_the_failed_county_criteria(engine, sample):
    report = engine.evaluate("national.quality.2017", *sample)
    _, ledger = _ledger(_book(report))
    county_rows = {r["指标编号"]: r for r in ledger if r["类型"] == "县级"}
    assert set(county_rows) == {
        "cv.primary.sports_area_per_student",
        "teacher_rotation",
        "quality_high_school_quota",
    }
    quota = county_rows["quality_high_school_quota"]
    assert quota["现状值"] == 48 and quota["差距（单位）"] == 2 and quota["单位"] == "%"


def test_owner_comes_from_the_ruleset(engine, sample):
    _, ledger = _ledger(_book(engine.evaluate("test.owner", *sample)))
    owners = {(r["学校代码"], r["指标编号"]): r["责任股室"] for r in ledger}
    assert owners[("360199-004", "sports_area_per_student")] == "计划财务股"
    assert owners[(None, "teacher_rotation")] == "人事股"
    assert owners[(None, "cv.primary.sports_area_per_student")] == "计划财务股"
    assert owners[("360199-002", "teaching_room_area_per_student")] == "未指定"


def test_matrix_is_colour_coded_with_values_and_thresholds(engine, sample):
    wb = _book(engine.evaluate("national.quality.2017", *sample))
    ws = wb["学校达标矩阵"]
    header = [c.value for c in ws[1]]
    col = header.index("生均体育运动场馆面积（m²/生）") + 1
    assert header[col] == "标准"
    rows = {ws.cell(row=r, column=2).value: r for r in range(2, ws.max_row + 1)}
    assert ws.max_row - 1 == 40  # one row per included school × stage
    bad = ws.cell(row=rows["360199-004"], column=col)
    good = ws.cell(row=rows["360199-001"], column=col)
    assert bad.value == pytest.approx(4.8) and ws.cell(row=bad.row, column=col + 1).value == 7.5
    assert bad.fill.fgColor.rgb.endswith("FFC7CE") and good.fill.fgColor.rgb.endswith("C6EFCE")
    assert ws.cell(row=rows["360199-004"], column=5).value == "未达标"


def test_cv_sheet_and_score_sheet(engine, sample):
    wb = _book(engine.evaluate("national.basic.2012", *sample))
    cvs = list(wb["差异系数"].iter_rows(values_only=True))
    composite = [r for r in cvs if r[2] == "composite_cv"]
    assert {r[1] for r in composite} == {"小学", "初中"}
    assert all(r[7] < r[8] and r[9] == "达标" for r in composite)
    score = list(wb["评分表"].iter_rows(values_only=True))
    assert score[1][1] == "government_effort" and score[1][4] == 100
    assert score[-1][2] == "总分"
    # county without data: every county item appears on the not-evaluated sheet
    wb = _book(engine.evaluate("national.quality.2017", sample[0]))
    missing = list(wb["未评估项目"].iter_rows(values_only=True))[1:]
    assert len(missing) >= 20 and all(r[3] for r in missing)


def test_cli_evaluate_writes_xlsx_and_needs_output_for_binary_formats(run_cli, tmp_path):
    for name in ("schools.json", "county.json"):
        (tmp_path / name).write_bytes(SAMPLE.joinpath(name).read_bytes())
    args = (
        "evaluate",
        "schools.json",
        "--county",
        "county.json",
        "--ruleset",
        "national.quality.2017",
    )
    done = run_cli(*args, "--format", "xlsx", "-o", "台账.xlsx")
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""  # the summary goes to stderr
    wb = openpyxl.load_workbook(tmp_path / "台账.xlsx")
    assert wb.sheetnames == SHEETS
    done = run_cli(*args, "--format", "html")
    assert done.returncode == 2 and done.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "county.json",
        "schools.json",
        "台账.xlsx",
    ]
