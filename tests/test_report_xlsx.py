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


# --------------------------------------------------------------------------- a batch


def _rows(ws):
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _table_after(rows, first_header):
    """The rows of the table whose header row starts with ``first_header`` (to a blank row)."""
    start = next(k for k, r in enumerate(rows) if r and r[0] == first_header)
    header, out = rows[start], []
    for r in rows[start + 1 :]:
        if all(c is None for c in r):
            break
        out.append(dict(zip(header, r, strict=False)))
    return header, out


def test_a_batch_starts_with_the_county_overview_sheet(basic_batch):
    wb = _book(basic_batch)
    assert wb.sheetnames == ["县域汇总", *SHEETS]
    ws = wb["县域汇总"]
    rows = _rows(ws)
    assert rows[0][0] == "县域汇总：3 个县（区）"
    assert rows[2][0] == "通过 1 个，未通过 1 个，未能认定（有未评估的项目）1 个"
    header, counties = _table_after(rows, "县（区）代码")
    assert header[:4] == ["县（区）代码", "县（区）", "结论", "未达标项目数"]
    assert "其中：县级指标" in header and "其中：综合差异系数" in header
    # every county, failing first, then the one not judged, then the one that passes
    assert [(r["县（区）代码"], r["县（区）"], r["结论"]) for r in counties] == [
        ("360198", "甲县", "未通过"),
        ("360197", "乙县", "未能认定"),
        ("360199", "青溪县", "通过"),
    ]
    first = counties[0]
    assert first["未达标项目数"] == 1 and first["其中：县级指标"] == 1
    assert first["其中：综合差异系数"] == 0 and first["未达标学校（学段）"] == 0
    # the worst CV of each county against its limit, as numbers
    assert all(0 < r["差异系数"] < r["限值"] for r in counties)
    assert (
        ws.freeze_panes == "C6"
        and ws.auto_filter.ref == f"A5:{ws.cell(5, len(header)).column_letter}8"
    )
    verdict = ws.cell(row=6, column=3)
    assert verdict.font.b and verdict.font.color.rgb.endswith("C00000")
    _, frequent = _table_after(rows, "项目")
    assert [(r["项目"], r["未达标县（区）"]) for r in frequent] == [
        ("县域内义务教育学校均达到省定办学基本标准", 1)
    ]
    assert frequent[0]["涉及的县（区）"] == "甲县" and frequent[0]["占比"] == pytest.approx(1 / 3)
    _, cvs = _table_after(rows, "学段")
    assert len(cvs) == 2 * (8 + 1)  # 8 indicators and the composite CV, per stage
    assert all(r["有差异系数的县（区）"] == 3 and r["超过限值的县（区）"] == 0 for r in cvs)


def test_the_overview_sheet_names_vetoes_and_counties_past_the_cv_limit(quality_batch):
    wb = _book(quality_batch)
    rows = _rows(wb["县域汇总"])
    _, counties = _table_after(rows, "县（区）代码")
    by_code = {r["县（区）代码"]: r for r in counties}
    assert set(by_code) == {"360197", "360198", "360199"}
    assert by_code["360198"]["一票否决"] == "以考试方式招生"
    assert by_code["360198"]["其中：一票否决"] == 1 and by_code["360199"]["其中：一票否决"] == 0
    assert by_code["360199"]["差异系数最大的指标"] == "生均体育运动场馆面积"
    assert by_code["360199"]["学段"] == "小学"
    assert by_code["360199"]["差异系数"] == pytest.approx(0.612, abs=5e-4)
    _, cvs = _table_after(rows, "学段")
    sports = next(r for r in cvs if r["学段"] == "小学" and r["指标"] == "生均体育运动场馆面积")
    assert sports["超过限值的县（区）"] == 3 and sports["限值"] == 0.5
    assert sports["超过限值的县（区）名单"].count("（0.612）") == 3
    # 汇总 lists each veto once, its condition in Chinese, and where it applies
    _, vetoes = _table_after(_rows(wb["汇总"]), "否决情形")
    exam = next(r for r in vetoes if r["否决情形"] == "以考试方式招生")
    assert exam["判定条件"] == "考试招生为“是”"
    assert exam["存在（否决）的县数"] == 1 and exam["存在否决的县（区）"] == "甲县"
    assert exam["未发生"] == 2 and exam["未评估"] == 0


def test_one_county_vetoes_read_in_chinese_on_the_summary(engine, sample):
    wb = _book(engine.evaluate("national.quality.2017", *sample))
    _, vetoes = _table_after(_rows(wb["汇总"]), "否决情形")
    conditions = {r["否决情形"]: (r["判定条件"], r["结论"]) for r in vetoes}
    assert conditions["社会认可度低于85%"] == ("社会认可度低于 85%", "未发生")
    assert conditions["以考试方式招生"] == ("考试招生为“是”", "未发生")
    assert len(conditions) == 6
    text = " ".join(str(c) for r in _rows(wb["汇总"]) for c in r if c is not None)
    assert "social_recognition_pct" not in text and "admission_by_exam" not in text


def test_the_workbook_is_deterministic(quality_batch):
    assert render(quality_batch, "xlsx") == render(quality_batch, "xlsx")


# --------------------------------------------------------------------------- the writer


def test_the_sheet_writer_round_trips_through_openpyxl():
    from junheng.outputs.sheets import Style, Workbook

    wb = Workbook()
    wb.title, wb.creator, wb.created = "标题 <&>", "junheng", "2026-12-02T01:43:06Z"
    ws = wb.sheet("表 'A'")
    red = wb.style(Style(fill="FFC7CE", bold=True, color="C00000", number_format='#,##0" m²"'))
    wrap = wb.style(wrap=True, top=True, border=True, indent=2)
    ws.column_widths([12, 30])
    ws.append(["文本 <b>&", 1, 2.5, True, None, "", float("nan"), float("inf")], [0, red, red, 0])
    ws.row(4, ["=1+1", "+x", " 前后空格 ", "a\nb"], wrap)
    ws.freeze, ws.auto_filter = "B2", "A1:D4"
    with pytest.raises(ValueError, match="above the next row"):
        ws.row(1, ["rows are written top-down"])
    book = openpyxl.load_workbook(io.BytesIO(wb.save()))
    assert book.sheetnames == ["表 'A'"]
    s = book["表 'A'"]
    assert [c.value for c in s[1]][:4] == ["文本 <b>&", 1, 2.5, True]
    assert s["E1"].value is None and s["F1"].value is None and s["G1"].value is None
    assert s["B1"].fill.fgColor.rgb == "FFFFC7CE" and s["B1"].font.b
    assert s["B1"].number_format == '#,##0" m²"' and s["C1"].font.color.rgb == "FFC00000"
    assert s["A2"].value is None  # row 2 and 3 were left empty
    formula = s["A4"]
    assert formula.value == "=1+1" and formula.data_type == "s" and formula.quotePrefix
    assert s["B4"].quotePrefix and not s["C4"].quotePrefix
    assert s["C4"].value == " 前后空格 " and s["D4"].value == "a\nb"
    assert s["D4"].alignment.wrap_text and s["D4"].alignment.indent == 2
    assert s["D4"].border.left.style == "thin"
    assert s.freeze_panes == "B2" and s.auto_filter.ref == "A1:D4"
    assert s.column_dimensions["B"].width == 30
    assert book.properties.title == "标题 <&>" and book.properties.creator == "junheng"
