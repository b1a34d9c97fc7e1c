"""The data-collection template: layout, dropdowns, and the round trip back through the reader."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from junheng.cli._common import atomic_path
from junheng.fields import school_fields
from junheng.readers import read_schools
from junheng.template import build_template, template_fields
from junheng.validation import validate, validate_files

FILLED = {
    "学校标识码": ["360121-001", "360121-002", "360121-003"],
    "学校名称": ["城关小学", "城关九年制学校", "石桥教学点"],
    "县级行政区划代码": ["360121", "360121", "360121"],
    "统计年度": [2025, 2025, 2025],
    "学校类型": ["小学", "九年一贯制学校", "教学点"],
    "所属中心校标识码": [None, None, "360121-001"],
    "城乡分类": ["城区", "镇区", "乡村"],
    "是否寄宿制学校": ["否", "是", "否"],
    "小学在校生数": [420, 380, 35],
    "小学班级数": [10, 9, 3],
    "小学专任教师数": [26, 24, 4],
    "初中在校生数": [None, 260, None],
    "初中班级数": [None, 6, None],
    "初中专任教师数": [None, 22, None],
    "教学及辅助用房面积": [2300, 3900.5, 180],
    "教学仪器设备值": [980000, 1500000, 40000],
}


def _load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def test_xlsx_template_headers_and_layout():
    workbook = _load(build_template("xlsx"))
    sheet = workbook.worksheets[0]
    fields = template_fields()
    titles = [c.value for c in sheet[1]]
    paths = [c.value for c in sheet[2]]
    assert titles == [f.title for f in fields]
    assert titles[:5] == ["学校标识码", "学校名称", "县级行政区划代码", "统计年度", "学校类型"]
    assert paths[titles.index("小学在校生数")] == "primary.students [人]"
    assert paths[titles.index("学校类型")] == "school_type"
    assert sheet.freeze_panes == "C3"
    assert sheet.column_dimensions["A"].width >= 10
    note = sheet.cell(row=1, column=titles.index("小学在校生数") + 1).comment
    assert note is not None and "Enrolled students" in note.text
    assert workbook.sheetnames == ["学校数据", "填表说明"]


def test_xlsx_template_dropdowns():
    sheet = _load(build_template("xlsx")).worksheets[0]
    titles = [c.value for c in sheet[1]]
    by_formula = {}
    for validation in sheet.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            by_formula[cell_range.coord.split(":")[0]] = (validation.type, validation.formula1)

    def column(title: str) -> str:
        return f"{openpyxl.utils.get_column_letter(titles.index(title) + 1)}3"

    school_type = by_formula[column("学校类型")]
    assert school_type[0] == "list"
    for label in ("小学", "初中", "九年一贯制学校", "教学点", "特殊教育学校"):
        assert label in school_type[1]
    assert by_formula[column("城乡分类")] == ("list", '"城区,镇区,乡村"')
    assert by_formula[column("是否寄宿制学校")] == ("list", '"是,否"')
    assert by_formula[column("小学在校生数")] == ("whole", "0")


def test_csv_template_has_bom_and_two_header_rows():
    data = build_template("csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 2
    assert rows[0] == [f.title for f in school_fields()]
    assert "primary.students [人]" in rows[1]


def test_template_fields_narrowed_by_ruleset_fields():
    paths = [f.path for f in template_fields({"primary.students", "books"})]
    assert paths[:5] == ["id", "name", "county_code", "year", "school_type"]
    assert "books" in paths and "primary.students" in paths
    assert "computers" not in paths


def test_xlsx_round_trip_template_filled_read_validated(tmp_path):
    workbook = _load(build_template("xlsx"))
    sheet = workbook.worksheets[0]
    titles = [c.value for c in sheet[1]]
    for title, values in FILLED.items():
        col = titles.index(title) + 1
        for offset, value in enumerate(values):
            sheet.cell(row=3 + offset, column=col, value=value)
    path = tmp_path / "filled.xlsx"
    workbook.save(path)

    result = read_schools(path)
    assert result.issues == []
    assert result.rows == [3, 4, 5]
    nine_year = result.records[1]
    assert nine_year["school_type"] == "nine_year"
    assert nine_year["boarding"] is True
    assert nine_year["junior"] == {"students": 260, "classes": 6, "teachers": 22}
    assert nine_year["location"] == "town"
    assert result.records[2]["central_school_id"] == "360121-001"
    assert validate(result.records, rows=result.rows) == []
    _, _, issues = validate_files(path)
    assert issues == []


def test_csv_round_trip(tmp_path):
    text = build_template("csv").decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for n in range(3):
        writer.writerow(
            [
                "" if FILLED.get(title, [None] * 3)[n] is None else FILLED[title][n]
                for title in header
            ]
        )
    path = tmp_path / "filled.csv"
    path.write_bytes((text + buffer.getvalue()).encode("gb18030"))
    _, _, issues = validate_files(path)
    assert issues == []


def test_cli_template_writes_xlsx_and_csv(run_cli, tmp_path):
    done = run_cli("template", "--format", "xlsx", "--output", "out/t.xlsx")
    assert done.returncode == 0, done.stderr
    sheet = openpyxl.load_workbook(tmp_path / "out" / "t.xlsx").worksheets[0]
    assert sheet["A1"].value == "学校标识码" and sheet["A2"].value == "id"
    done = run_cli("template", "--output", "t.csv")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "t.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "t.csv"]  # no temp files left


def test_atomic_write_leaves_target_untouched_on_failure(tmp_path):
    target = tmp_path / "t.xlsx"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("boom")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.xlsx"]
