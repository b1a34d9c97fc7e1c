"""Readers: JSON, CSV (UTF-8, BOM, GB18030) and XLSX, with located issues on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from junheng import readers
from junheng.readers import json as json_reader
from junheng.readers import read_county, read_schools

EN_HEADER = "id,name,county_code,year,school_type,primary.students,primary.classes,primary.teachers"
ZH_HEADER = (
    "学校标识码,学校名称,县级行政区划代码,统计年度,学校类型,小学在校生数,小学班级数,小学专任教师数"
)
ROW_A = "360121-001,第一小学,360121,2025,primary,420,10,26"
ROW_B = "360121-002,第二小学,360121,2025,小学,300,8,20"

EXPECTED_A = {
    "id": "360121-001",
    "name": "第一小学",
    "county_code": "360121",
    "year": 2025,
    "school_type": "primary",
    "primary": {"students": 420, "classes": 10, "teachers": 26},
}


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _xlsx(path: Path, rows: list[list[object]], hidden_first: bool = False) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    if hidden_first:
        sheet.title = "隐藏"
        sheet.append(["junk"])
        sheet.sheet_state = "hidden"
        sheet = workbook.create_sheet("数据")
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def _codes(result) -> list[str]:
    return [i.code for i in result.issues]


# --------------------------------------------------------------------------- JSON


def test_json_array(tmp_path, school):
    path = tmp_path / "schools.json"
    path.write_text(json.dumps([school(), school(id="360121-002")]), encoding="utf-8")
    result = read_schools(path)
    assert result.issues == []
    assert [r["id"] for r in result.records] == ["360121-001", "360121-002"]
    assert result.rows == [1, 2]
    assert result.row_unit == "条"


def test_json_object_with_schools_key_and_non_object_items(tmp_path, school):
    path = tmp_path / "schools.json"
    path.write_text(json.dumps({"schools": [school(), 5, school(id="x")]}), encoding="utf-8")
    result = read_schools(path)
    assert result.rows == [1, 3]
    (issue,) = result.issues
    assert (issue.code, issue.row, issue.severity) == ("parse", 2, "error")


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('[{"id": "a", "name": ', "不是有效的 JSON"),
        ('"just a string"', "顶层应为学校记录的数组"),
        ("id,name\n1,2\n", "不是有效的 JSON"),
        ("[]", "没有学校记录"),
    ],
)
def test_bad_json_is_a_located_issue(tmp_path, content, needle):
    path = _write(tmp_path / "schools.json", content)
    result = read_schools(path)
    assert result.records == []
    (issue,) = result.issues
    assert issue.code == "parse" and issue.file == "schools.json"
    assert needle in issue.message


def test_county_json_object_and_array(tmp_path):
    one = _write(tmp_path / "county.json", json.dumps({"county_code": "360121"}))
    assert read_county(one).records == [{"county_code": "360121"}]
    many = _write(tmp_path / "c2.json", json.dumps([{"county_code": "1"}, {"county_code": "2"}]))
    assert len(read_county(many).records) == 2
    bad = _write(tmp_path / "c3.json", "42")
    assert _codes(read_county(bad)) == ["parse"]


# --------------------------------------------------------------------------- CSV


def test_csv_utf8_english_headers(tmp_path):
    path = _write(tmp_path / "s.csv", f"{EN_HEADER}\n{ROW_A}\n")
    result = read_schools(path)
    assert result.issues == []
    assert result.records == [EXPECTED_A]
    assert result.rows == [2]


def test_csv_utf8_bom(tmp_path):
    path = _write(tmp_path / "s.csv", f"{EN_HEADER}\r\n{ROW_A}\r\n", "utf-8-sig")
    result = read_schools(path)
    assert result.issues == [] and result.records == [EXPECTED_A]


def test_csv_gb18030_chinese_headers_and_labels(tmp_path):
    path = _write(tmp_path / "s.csv", f"{ZH_HEADER}\n{ROW_A}\n{ROW_B}\n", "gb18030")
    result = read_schools(path)
    assert result.issues == []
    assert result.records[0] == EXPECTED_A
    assert result.records[1]["school_type"] == "primary"  # from the label 小学
    assert result.records[1]["name"] == "第二小学"
    assert result.rows == [2, 3]


def test_csv_second_header_row_is_skipped_and_rows_count_it(tmp_path):
    units = "id,name,county_code,year,school_type,primary.students [人],primary.classes [个],"
    units += "primary.teachers [人]"
    path = _write(tmp_path / "s.csv", f"{ZH_HEADER}\n{units}\n{ROW_A}\n")
    result = read_schools(path)
    assert result.issues == [] and result.records == [EXPECTED_A]
    assert result.rows == [3]


def test_csv_blank_rows_are_skipped(tmp_path):
    path = _write(tmp_path / "s.csv", f"{EN_HEADER}\n,,,,,,,\n{ROW_A}\n\n")
    result = read_schools(path)
    assert result.records == [EXPECTED_A] and result.rows == [3]


def test_csv_undecodable_bytes_are_an_encoding_issue(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes(b"id,name\n\x80\xff\xfe\x80,\xff\n")
    result = read_schools(path)
    assert _codes(result) == ["encoding"]
    assert "GB18030" in result.issues[0].message


def test_xlsx_content_in_a_csv_file(tmp_path):
    xlsx = _xlsx(tmp_path / "real.xlsx", [["id"], ["a"]])
    path = tmp_path / "s.csv"
    path.write_bytes(xlsx.read_bytes())
    result = read_schools(path)
    assert _codes(result) == ["parse"] and "XLSX" in result.issues[0].message


# --------------------------------------------------------------------------- cell conversion


def _one_row(tmp_path: Path, header: str, row: str):
    path = _write(tmp_path / "s.csv", f"id,{header}\nS1,{row}\n")
    return read_schools(path)


@pytest.mark.parametrize(
    ("header", "cell", "expected"),
    [
        ("primary.students", "12.0", {"primary": {"students": 12}}),
        ("books", '"1,200"', {"books": 1200}),
        ("sports_area_m2", "3600.5", {"sports_area_m2": 3600.5}),
        ("sports_area_m2", "3600", {"sports_area_m2": 3600}),
        ("primary.pass_rate_pct", "97.5%", {"primary": {"pass_rate_pct": 97.5}}),
        ("boarding", "是", {"boarding": True}),
        ("boarding", "否", {"boarding": False}),
        ("boarding", "Y", {"boarding": True}),
        ("boarding", "n", {"boarding": False}),
        ("boarding", "1", {"boarding": True}),
        ("boarding", "FALSE", {"boarding": False}),
        ("school_type", "nine_year", {"school_type": "nine_year"}),
        ("school_type", "九年一贯制学校", {"school_type": "nine_year"}),
        ("location", "镇区", {"location": "town"}),
        ("books", "", {}),
        ("books", "  ", {}),
    ],
)
def test_cell_conversion(tmp_path, header, cell, expected):
    result = _one_row(tmp_path, header, cell)
    assert result.issues == []
    assert result.records == [{"id": "S1", **expected}]


@pytest.mark.parametrize(
    ("header", "cell", "code"),
    [
        ("primary.students", "12.5", "schema.type"),
        ("primary.students", "很多", "schema.type"),
        ("books", "nan", "schema.type"),
        ("boarding", "也许", "schema.type"),
        ("school_type", "九年制", "schema.enum"),
    ],
)
def test_unconvertible_cell_is_located_and_left_out(tmp_path, header, cell, code):
    result = _one_row(tmp_path, header, cell)
    assert result.records == [{"id": "S1"}]
    (issue,) = result.issues
    assert (issue.code, issue.severity, issue.row, issue.record_id, issue.field) == (
        code,
        "error",
        2,
        "S1",
        header,
    )
    assert issue.found == cell and issue.expected
    assert issue.file == "s.csv" and cell in issue.message and header in issue.message


def test_unknown_and_untitled_columns_warn_once_each(tmp_path):
    path = _write(tmp_path / "s.csv", "id,备注,books,,\nS1,x,5,7,\nS2,y,6,,\n")
    result = read_schools(path)
    assert [r["books"] for r in result.records] == [5, 6]
    assert _codes(result) == ["unknown_column", "unknown_column"]
    assert all(i.severity == "warning" and i.row == 1 for i in result.issues)
    assert "备注" in result.issues[0].message
    assert "第 D 列" in result.issues[1].message


def test_duplicate_column_is_an_error(tmp_path):
    path = _write(tmp_path / "s.csv", "id,books,图书册数\nS1,5,6\n")
    result = read_schools(path)
    assert result.records == [{"id": "S1", "books": 5}]
    (issue,) = result.issues
    assert (issue.code, issue.field) == ("duplicate_column", "books")


# --------------------------------------------------------------------------- XLSX


def test_xlsx_chinese_headers_native_types(tmp_path):
    rows = [
        [*ZH_HEADER.split(","), "是否寄宿制学校"],
        ["360121-001", "第一小学", 360121, 2025, "小学", 420, 10.0, 26, True],
    ]
    result = read_schools(_xlsx(tmp_path / "s.xlsx", rows))
    assert result.issues == []
    assert result.records == [{**EXPECTED_A, "boarding": True}]
    assert result.rows == [2]
    assert result.row_unit == "行"


def test_xlsx_english_headers_first_visible_sheet(tmp_path):
    rows = [EN_HEADER.split(","), ROW_A.split(",")]
    result = read_schools(_xlsx(tmp_path / "s.xlsx", rows, hidden_first=True))
    assert result.issues == [] and result.records == [EXPECTED_A]


def test_xlsx_bad_cells_are_located(tmp_path):
    rows = [EN_HEADER.split(","), ["A", "n", "360121", 2025, "primary", 10.5, "十", 3]]
    result = read_schools(_xlsx(tmp_path / "s.xlsx", rows))
    assert [(i.field, i.row) for i in result.issues] == [
        ("primary.students", 2),
        ("primary.classes", 2),
    ]


def test_not_an_xlsx(tmp_path):
    path = _write(tmp_path / "s.xlsx", f"{EN_HEADER}\n{ROW_A}\n")
    result = read_schools(path)
    assert _codes(result) == ["parse"] and "XLSX" in result.issues[0].message


def test_truncated_xlsx(tmp_path):
    good = _xlsx(tmp_path / "good.xlsx", [["id"], ["a"]])
    path = tmp_path / "s.xlsx"
    path.write_bytes(good.read_bytes()[:300])
    assert _codes(read_schools(path)) == ["parse"]


# --------------------------------------------------------------------------- files


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("missing.csv", None, "不存在"),
        ("empty.csv", "", "为空"),
        ("empty.json", "  \n", "为空"),
        ("s.txt", "x", "不支持的文件类型"),
        ("s.xls", "x", ".xlsx"),
        ("header_only.csv", EN_HEADER + "\n", "没有学校数据行"),
    ],
)
def test_file_level_problems(tmp_path, name, content, needle):
    path = tmp_path / name
    if content is not None:
        _write(path, content)
    result = read_schools(path)
    assert result.records == []
    (issue,) = result.issues
    assert issue.severity == "error" and issue.file == name and needle in issue.message


def test_directory_is_not_a_file(tmp_path):
    (tmp_path / "d.csv").mkdir()
    assert _codes(read_schools(tmp_path / "d.csv")) == ["parse"]


# --------------------------------------------------------------------------- county forms


def test_county_two_column_csv_with_finance_and_scores(tmp_path):
    text = (
        "字段,值,说明\n"
        "county_code,360121,\n"
        "县（市、区）名称,示例县,\n"
        "教师交流轮岗比例,12.5,%\n"
        "vetoes.major_safety_accident,否,\n"
        "finance.2023.education_appropriation_yuan,1000000,\n"
        "2024年教育财政拨款,1200000,\n"
        "finance[2024].recurrent_revenue_yuan,9000000,\n"
        "scores.B1,4.5,\n"
        "不存在的项,1,\n"
    )
    result = read_county(_write(tmp_path / "county.csv", text, "gb18030"))
    (record,) = result.records
    assert record == {
        "county_code": "360121",
        "name": "示例县",
        "items": {"teacher_rotation_pct": 12.5},
        "vetoes": {"major_safety_accident": False},
        "scores": {"B1": 4.5},
        "finance": [
            {"year": 2023, "education_appropriation_yuan": 1000000},
            {
                "year": 2024,
                "education_appropriation_yuan": 1200000,
                "recurrent_revenue_yuan": 9000000,
            },
        ],
    }
    assert _codes(result) == ["unknown_column"]
    assert result.issues[0].row == 10
    rows = result.field_rows[0]
    assert rows["items.teacher_rotation_pct"] == 4
    assert rows["finance[1].education_appropriation_yuan"] == 7


def test_county_xlsx_bad_value(tmp_path):
    rows = [["county_code", "360121"], ["items.teacher_rotation_pct", "很多"]]
    result = read_county(_xlsx(tmp_path / "county.xlsx", rows))
    assert result.records == [{"county_code": "360121"}]
    (issue,) = result.issues
    assert (issue.code, issue.row, issue.field) == ("schema.type", 2, "items.teacher_rotation_pct")


@pytest.fixture(params=["msgspec", "orjson"])
def large_json_parser(request, monkeypatch):
    """Large JSON files parsed by msgspec (the fastjson extra) or, without it, orjson."""
    monkeypatch.setattr(readers, "DUPLICATE_KEY_CHECK_BYTES", 10)
    if request.param == "orjson":
        monkeypatch.setattr(json_reader, "_msgspec", lambda: None)
    else:
        assert json_reader._msgspec() is not None, "msgspec is in the test extra"
    return request.param


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gb18030", b""), ("utf-16", b"")],
)
def test_large_json_from_bytes_or_the_text_path(
    tmp_path, large_json_parser, school, encoding, prefix
):
    """Large files go to msgspec/orjson as bytes; what it refuses takes the decoding text path."""
    records = [school(name="青溪县实验小学"), school(id="360121-002")]
    path = tmp_path / "schools.json"
    path.write_bytes(prefix + json.dumps(records, ensure_ascii=False).encode(encoding))
    result = read_schools(path)
    assert result.records == records
    # the one thing said: repeated keys were not looked for in a file this large
    assert [i.code for i in result.issues] == ["duplicate_key_unchecked"]
    assert not result.has_errors


def test_large_truncated_json_reports_the_standard_librarys_position(tmp_path, large_json_parser):
    path = _write(tmp_path / "schools.json", '[\n{"id": "a",\n "name": ')
    (issue,) = read_schools(path).issues
    assert issue.code == "parse" and "第3行" in issue.message


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('[{"id": "a", "primary": {"students": 1e400}}]', "1e400 超出可表示的数值范围"),
        ('[{"id": "a", "primary": {"students": NaN}}]', "NaN 不是 JSON 允许的数值"),
        ("[" * 5000 + "]" * 5000, "嵌套过深"),
        ('[{"id": "a", "primary": {"students": ' + "9" * 5000 + "}}]", "不是有效的 JSON"),
    ],
)
def test_large_json_the_fast_parsers_refuse_gets_the_reference_message(
    tmp_path, large_json_parser, text, said
):
    (issue,) = read_schools(_write(tmp_path / "schools.json", text)).issues
    assert issue.code == "parse" and said in issue.message, issue.message


def test_large_json_integers_past_64_bits_stay_exact_with_msgspec(tmp_path, monkeypatch, school):
    """As the standard library (the small-file path) reads them; orjson makes them floats."""
    monkeypatch.setattr(readers, "DUPLICATE_KEY_CHECK_BYTES", 10)
    big = 123456789012345678901234567890
    record = school(primary={"students": big, "classes": 3})
    result = read_schools(_write(tmp_path / "schools.json", json.dumps([record])))
    assert result.records[0]["primary"]["students"] == big
    assert type(result.records[0]["primary"]["students"]) is int
