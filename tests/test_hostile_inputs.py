"""Hostile and everyday-odd input (issue 12): each case once silently wrong, a crash or a
resource bomb, now refused with a located message or read right.

Every test here failed before its fix. The spreadsheets are real files written with
openpyxl (or, where openpyxl refuses to write what Excel files can hold, patched zip
members) and read back through the CLI or the library.
"""

from __future__ import annotations

import copy
import json
import resource
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

import junheng.readers as readers

RULESET = "national.quality.2017"


pytestmark = pytest.mark.usefixtures("wide_consoles")


@pytest.fixture(scope="module")
def sample(engine):
    return engine.sample()


def _county_sheet(path: Path, county: dict, percent_fields: set[str]) -> Path:
    """The county record as the two-column form, ``percent_fields`` as Excel percent cells."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["字段", "值"])
    for block in ("items", "survey", "vetoes"):
        for key, value in county.get(block, {}).items():
            if key in percent_fields:
                ws.append([f"{block}.{key}", value / 100])
                ws.cell(ws.max_row, 2).number_format = "0.0%"
            else:
                ws.append([f"{block}.{key}", value])
    for entry in county.get("finance", []):
        for key, value in entry.items():
            if key != "year":
                ws.append([f"finance.{entry['year']}.{key}", value])
    for key in ("county_code", "name", "year"):
        ws.append([key, county[key]])
    wb.save(path)
    return path


# -- 1. Excel percentage cells ---------------------------------------------------------------


def test_percent_formatted_cells_read_as_the_percent_they_show(engine, sample, tmp_path):
    schools, county = sample
    percent = {k for k in county["items"] if k.endswith("_pct")} | {
        "social_recognition_pct",
        "satisfaction_pct",
    }
    path = _county_sheet(tmp_path / "county.xlsx", county, percent)
    read = engine.read_county(path)
    assert not read.issues, read.issues
    record = read.records[0]
    assert record["survey"]["social_recognition_pct"] == pytest.approx(88.6)
    assert record["items"]["teacher_rotation_pct"] == pytest.approx(8.5)
    by_sheet = engine.evaluate(RULESET, schools, record)
    by_json = engine.evaluate(RULESET, schools, county)
    assert [(c.id, c.status) for c in by_sheet.counties[0].criteria] == [
        (c.id, c.status) for c in by_json.counties[0].criteria
    ]
    veto = {c.id: c.status for c in by_sheet.counties[0].vetoes}
    assert veto["low_social_recognition"] == "met"


def test_a_percent_cell_in_a_field_that_is_no_percent_is_refused(engine, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(
        [
            "id",
            "name",
            "county_code",
            "year",
            "school_type",
            "primary.students",
            "primary.classes",
            "primary.teachers",
        ]
    )
    ws.append(["A1", "甲小学", "360199", 2025, "primary", 4.2, 10, 26])
    ws.cell(2, 6).number_format = "0%"
    wb.save(tmp_path / "s.xlsx")
    read = engine.read_schools(tmp_path / "s.xlsx")
    assert any(i.field == "primary.students" and "百分比" in i.message for i in read.issues)


def test_a_fraction_in_a_percent_field_is_warned_about(engine, tmp_path):
    (tmp_path / "c.csv").write_text(
        "字段,值\ncounty_code,360199\nyear,2025\nsurvey.social_recognition_pct,0.886\n"
        "items.junior_dropout_rate_pct,0.35\n",
        encoding="utf-8",
    )
    read = engine.read_county(tmp_path / "c.csv")
    warned = [i for i in read.issues if i.code == "fraction_percent"]
    assert [i.field for i in warned] == [
        "survey.social_recognition_pct"
    ]  # a dropout of 0.35 % is normal
    assert warned[0].row == 4 and "88.6" in warned[0].message


# -- 2. XLSX resource bombs ----------------------------------------------------------------------


def _xlsx_members(sheet_xml: bytes, shared: bytes | None = None) -> dict[str, bytes]:
    rels = b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    if shared is not None:
        rels += b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    rels += b"</Relationships>"
    types = b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    if shared is not None:
        types += b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    types += b"</Types>"
    members = {
        "[Content_Types].xml": types,
        "_rels/.rels": b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": rels,
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    if shared is not None:
        members["xl/sharedStrings.xml"] = shared
    return members


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


HEAD_ROW = (
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c>'
    b'<c r="B1" t="inlineStr"><is><t>name</t></is></c></row>'
)


def _sheet(rows: bytes, dimension: bytes = b"A1:XFD1048576") -> bytes:
    return (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<dimension ref="' + dimension + b'"/><sheetData>' + rows + b"</sheetData></worksheet>"
    )


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("far_row", [20_000, 1_048_576])
def test_a_declared_huge_dimension_costs_nothing(engine, tmp_path, far_row):
    far = f'<row r="{far_row}"><c r="A{far_row}" t="inlineStr"><is><t>X</t></is></c></row>'.encode()
    path = _zip(tmp_path / "bomb.xlsx", _xlsx_members(_sheet(HEAD_ROW + far)))
    assert path.stat().st_size < 6_000
    before = _peak_mib()
    started = time.perf_counter()
    read = engine.read_schools(path)
    assert time.perf_counter() - started < 3
    assert _peak_mib() - before < 100
    assert read.rows == [far_row] and read.records[0]["id"] == "X"


def test_a_string_table_bomb_is_refused_before_loading(engine, tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_XLSX_STRINGS", 1_000)  # the real bound is 2 million
    shared = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + b"<si><t/></si>" * 5_000
        + b"</sst>"
    )
    path = _zip(tmp_path / "s.xlsx", _xlsx_members(_sheet(HEAD_ROW), shared))
    read = engine.read_schools(path)
    assert [i.code for i in read.issues] == ["too_large"]
    assert "共享字符串" in read.issues[0].message and "5,000" in read.issues[0].message


def test_too_many_cells_are_refused_naming_the_bound(engine, tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_XLSX_CELLS", 50)
    rows = HEAD_ROW + b"".join(
        f'<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="B{n}"><v>{n}</v></c></row>'.encode()
        for n in range(2, 60)
    )
    read = engine.read_schools(_zip(tmp_path / "s.xlsx", _xlsx_members(_sheet(rows))))
    assert [i.code for i in read.issues] == ["too_large"] and "单元格" in read.issues[0].message


def test_rows_padded_to_a_far_column_are_refused(engine, tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_XLSX_CELLS", 100_000)
    rows = HEAD_ROW + b"".join(
        f'<row r="{n}"><c r="XFD{n}"><v>1</v></c></row>'.encode() for n in range(2, 40)
    )
    read = engine.read_schools(_zip(tmp_path / "s.xlsx", _xlsx_members(_sheet(rows, b"A1:B1"))))
    assert [i.code for i in read.issues] == ["too_large"] and "补齐" in read.issues[0].message


# -- other XLSX oddities ------------------------------------------------------------------------


def test_an_encrypted_workbook_is_said_to_be_encrypted(engine, tmp_path):
    ole = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(500)
        + "EncryptedPackage".encode("utf-16-le")
        + bytes(500)
    )
    (tmp_path / "s.xlsx").write_bytes(ole)
    read = engine.read_schools(tmp_path / "s.xlsx")
    assert read.has_errors and "加密" in read.issues[0].message


def test_merged_header_cells_are_said_to_be_merged(engine, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "name", "county_code"])
    ws.append(["A", "甲", "360199"])
    ws.merge_cells("A1:B1")
    wb.save(tmp_path / "s.xlsx")
    read = engine.read_schools(tmp_path / "s.xlsx")
    assert any("合并单元格" in i.message and "A1:B1" in i.message for i in read.issues)


def test_hidden_rows_holding_data_are_warned_about(engine, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "name"])
    ws.append(["A", "甲"])
    ws.append(["B", "乙"])
    ws.row_dimensions[3].hidden = True
    wb.save(tmp_path / "s.xlsx")
    read = engine.read_schools(tmp_path / "s.xlsx")
    (warning,) = [i for i in read.issues if i.code == "hidden_rows"]
    assert warning.row == 3 and "隐藏" in warning.message


def test_excel_error_values_are_refused_in_every_field(engine, tmp_path):
    (tmp_path / "s.csv").write_text(
        "id,name,county_code,year,school_type\nA,#N/A,360199,2025,primary\n", encoding="utf-8"
    )
    read = engine.read_schools(tmp_path / "s.csv")
    assert any(i.field == "name" and "Excel 错误值" in i.message for i in read.issues)


def test_an_instructions_sheet_placed_first_is_passed_over_and_said(engine, tmp_path):
    wb = openpyxl.Workbook()
    guide = wb.active
    guide.title = "填表说明"
    guide.append(["请在下一个工作表中填写"])
    data = wb.create_sheet("学校数据")
    data.append(["id", "name", "county_code", "year", "school_type"])
    data.append(["A", "甲小学", "360199", 2025, "primary"])
    wb.save(tmp_path / "s.xlsx")
    read = engine.read_schools(tmp_path / "s.xlsx")
    assert read.records and read.records[0]["id"] == "A"
    assert any(i.code == "sheet_chosen" and "学校数据" in i.message for i in read.issues)


@pytest.mark.parametrize("text", ["٤٢٠", "4²", "4_200", "½"])
def test_other_digits_are_not_numbers(engine, tmp_path, text):
    (tmp_path / "s.csv").write_text(
        "id,name,county_code,year,school_type,primary.students\n"
        f"A,甲小学,360199,2025,primary,{text}\n",
        encoding="utf-8",
    )
    read = engine.read_schools(tmp_path / "s.csv")
    assert any(i.field == "primary.students" for i in read.issues if i.is_error)
    assert "primary" not in read.records[0]


def test_full_width_digits_still_read(engine, tmp_path):
    (tmp_path / "s.csv").write_text(
        "id,name,county_code,year,school_type,primary.students\nA,甲小学,360199,２０２５,primary,４２０\n",
        encoding="utf-8",
    )
    read = engine.read_schools(tmp_path / "s.csv")
    assert read.records[0]["primary"]["students"] == 420 and read.records[0]["year"] == 2025


def test_json_file_cli_unchanged_by_sheet_rules(run_cli, tmp_path):
    """A JSON county file of the sample evaluates as before (the XLSX rules do not touch it)."""
    assert run_cli("sample", "--output", "s").returncode == 0
    done = run_cli(
        "evaluate",
        "s/schools.json",
        "--county",
        "s/county.json",
        "--ruleset",
        RULESET,
        "--output",
        "r.json",
    )
    assert done.returncode == 1
    report = json.loads((tmp_path / "r.json").read_text("utf-8"))
    assert not [i for i in report["data_issues"] if i["code"] == "fraction_percent"]


# -- sanity warnings: what was silently taken is said -------------------------------------------


def test_schools_of_several_years_are_warned_about(engine, sample):
    schools, _ = copy.deepcopy(sample)
    for record in schools[:3]:
        record["year"] -= 1
    warned = [i for i in engine.validate(schools) if i.code == "mixed_years"]
    assert [i.record_id for i in warned] == [s["id"] for s in schools[:3]]
    assert "2024 年 3 所" in warned[0].message and not warned[0].is_error


def test_a_mistyped_county_code_making_a_tiny_county_is_warned_about(engine, sample):
    schools, _ = copy.deepcopy(sample)
    schools[7]["county_code"] = "360198"  # one digit off
    warned = [i for i in engine.validate(schools) if i.code == "lone_county"]
    assert [i.record_id for i in warned] == [schools[7]["id"]]
    assert "是否输错了代码" in warned[0].message
    # with the county records given, a school outside them is an error as before
    assert any(i.code == "county_mismatch" for i in engine.validate(schools, sample[1]))


def test_a_county_stage_with_one_school_says_its_cv_means_nothing(engine, sample):
    schools, county = copy.deepcopy(sample)
    junior = [s for s in schools if "junior" in s]
    keep = [s for s in schools if "junior" not in s] + [
        s for s in junior if s["school_type"] == "junior"
    ][:1]
    report = engine.evaluate(RULESET, keep, county)
    cvs = [c for c in report.counties[0].criteria if c.kind == "cv" and c.stage == "junior"]
    assert cvs and all("只有 1 所学校" in c.detail for c in cvs)
    primary = [c for c in report.counties[0].criteria if c.kind == "cv" and c.stage == "primary"]
    assert not any("只有 1 所学校" in c.detail for c in primary)


def test_one_json_file_holding_schools_and_county(engine, sample, tmp_path, run_cli):
    schools, county = sample
    path = tmp_path / "both.json"
    path.write_text(json.dumps({"schools": schools, "county": county}, ensure_ascii=False), "utf-8")
    alone = engine.read_schools(path)
    assert len(alone.records) == len(schools)
    (warning,) = alone.issues
    assert warning.code == "ignored_part" and "--county" in warning.message
    done = run_cli("validate", "both.json", "--county", "both.json", "--format", "json")
    assert done.returncode == 0 and json.loads(done.stdout)["issues"] == []
    assert engine.read_county(path).records == [county]
