"""Malformed data corpus through the real CLI: exit 2, located message, no traceback, nothing written.

Each case builds input files in a temporary folder and runs, in-process,
``junheng validate SCHOOLS [--county C] --format json`` and
``junheng evaluate SCHOOLS [--county C] --ruleset national.quality.2017 --output out.json``.
Both must exit 2; validate must list an error located in the case's file
(``file`` set, plus the expected fragment somewhere in the issues), evaluate
must print the fragment, never a traceback, and must leave the folder exactly as
it was (no report, no temporary file). A handful of cases also run the
installed ``junheng`` script in a subprocess (:func:`test_subprocess_spot_checks`).

The corpus is :data:`CASES` (``id: (builder, fragment)``); the builder writes the
files and returns ``(schools_name, county_name_or_None)``. See SECURITY.md.
"""

from __future__ import annotations

import codecs
import copy
import io
import json
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

import junheng.readers as readers
from junheng.cli import main

pytestmark = pytest.mark.usefixtures("wide_consoles")

RULESET = "national.quality.2017"

SCHOOL = {
    "id": "360121-001",
    "name": "示例第一小学",
    "county_code": "360121",
    "year": 2025,
    "school_type": "primary",
    "primary": {"students": 420, "classes": 10, "teachers": 26},
    "teaching_room_area_m2": 2300,
    "sports_area_m2": 3600,
}
COUNTY = {"county_code": "360121", "year": 2025}
HEADER = ["id", "name", "county_code", "year", "school_type"]
HEADER += ["primary.students", "primary.classes", "primary.teachers"]
ROW = ["360121-001", "第一小学", "360121", 2025, "primary", 420, 10, 26]


def school(**changes):
    record = copy.deepcopy(SCHOOL)
    for key, value in changes.items():
        if "." in key:
            block, field = key.split(".")
            record[block][field] = value
        else:
            record[key] = value
    return record


Builder = Callable[[Path], tuple[str, str | None]]


def text(name: str, content: str | bytes, county: str | None = None) -> Builder:
    """A schools file with this content (and optionally a valid county file)."""

    def build(d: Path) -> tuple[str, str | None]:
        data = content.encode("utf-8") if isinstance(content, str) else content
        (d / name).write_bytes(data)
        if county:
            (d / county).write_text(json.dumps(COUNTY), encoding="utf-8")
        return name, county

    return build


def schools_json(*records, raw: str | None = None) -> Builder:
    return text("schools.json", raw if raw is not None else json.dumps(list(records)))


def county(name: str, content: str | bytes) -> Builder:
    """A valid schools file and this county file."""

    def build(d: Path) -> tuple[str, str | None]:
        (d / "schools.json").write_text(json.dumps([SCHOOL]), encoding="utf-8")
        data = content.encode("utf-8") if isinstance(content, str) else content
        (d / name).write_bytes(data)
        return "schools.json", name

    return build


def csv_text(*rows: list, header: list | None = None) -> str:
    lines = [header or HEADER, *rows]
    return "\n".join(",".join(str(c) for c in row) for row in lines) + "\n"


def _stray_byte_csv(row: int) -> bytes:
    """A UTF-8 CSV of ``row`` + 20 rows with one byte that is no UTF-8 in row ``row``."""
    rows = [[f"360121-{i:04d}", f"第{i}小学", *ROW[2:]] for i in range(1, row + 20)]
    data = csv_text(*rows).encode("utf-8")
    at = data.index(f"第{row - 1}小学".encode())  # the header is row 1
    return data[:at] + b"\xff" + data[at:]


def xlsx(name: str, make: Callable[[openpyxl.Workbook], None]) -> Builder:
    def build(d: Path) -> tuple[str, str | None]:
        workbook = openpyxl.Workbook()
        make(workbook)
        workbook.save(d / name)
        return name, None

    return build


def _rows(rows: list[list]) -> Callable[[openpyxl.Workbook], None]:
    def make(workbook):
        for row in rows:
            workbook.active.append(row)

    return make


def _merged_header(workbook):
    sheet = workbook.active
    sheet.append(["学校基本信息", None, None, None, None, "小学", None, None])
    sheet.merge_cells("A1:E1")
    sheet.merge_cells("F1:H1")
    sheet.append(HEADER)
    sheet.append(ROW)


def _merged_header_cell(workbook):
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(ROW)
    sheet.merge_cells("A1:B1")  # the name column loses its header


def _hidden_data_sheet(workbook):
    hidden = workbook.active
    hidden.title = "数据"
    for row in (HEADER, ROW):
        hidden.append(row)
    hidden.sheet_state = "hidden"
    workbook.create_sheet("说明").append(["请填写隐藏工作表"])


def _all_sheets_hidden(d: Path) -> str:
    """openpyxl refuses to save this, Excel files can have it: patch workbook.xml."""
    xlsx("w.xlsx", _rows([HEADER, ROW]))(d)
    with zipfile.ZipFile(d / "w.xlsx") as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    (d / "w.xlsx").unlink()
    members["xl/workbook.xml"] = members["xl/workbook.xml"].replace(
        b'state="visible"', b'state="hidden"'
    )
    assert b'state="hidden"' in members["xl/workbook.xml"]
    zip_with("schools.xlsx", members)(d)
    return "schools.xlsx"


def _formulas(workbook):
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append([*ROW[:5], "=10*42", "=SUM(1,9)", 26])


def _formula_in_id(workbook):
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(['="360121-"&"001"', *ROW[1:]])


def zip_with(
    name: str, members: dict[str, bytes], declared: dict[str, int] | None = None
) -> Builder:
    """A zip file; ``declared`` patches the uncompressed sizes written in the directory."""

    def build(d: Path) -> tuple[str, str | None]:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for member, data in members.items():
                zf.writestr(member, data)
        data = buf.getvalue()
        for member, size in (declared or {}).items():
            data = _patch_size(data, member.encode(), size)
        (d / name).write_bytes(data)
        return name, None

    return build


def _patch_size(data: bytes, member: bytes, size: int) -> bytes:
    """Rewrite the uncompressed-size fields of ``member`` (local header and directory)."""
    out = bytearray(data)
    for sig, name_len_at, size_at, header_len in (
        (b"PK\x03\x04", 26, 22, 30),
        (b"PK\x01\x02", 28, 24, 46),
    ):
        start = 0
        while (at := out.find(sig, start)) >= 0:
            n = int.from_bytes(out[at + name_len_at : at + name_len_at + 2], "little")
            if out[at + header_len : at + header_len + n] == member:
                out[at + size_at : at + size_at + 4] = size.to_bytes(4, "little")
            start = at + 4
    return bytes(out)


def _minimal_xlsx_members(sheet_xml: bytes) -> dict[str, bytes]:
    buf = io.BytesIO()
    workbook = openpyxl.Workbook()
    workbook.active.append(HEADER)
    workbook.save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members["xl/worksheets/sheet1.xml"] = sheet_xml
    return members


def deep_json(depth: int) -> str:
    return "[" * depth + "]" * depth


CASES: dict[str, tuple[Builder, str]] = {
    # -- JSON: syntax and shape ---------------------------------------------------------
    "json_truncated": (schools_json(raw=json.dumps([SCHOOL])[:-30]), "JSON"),
    "json_empty_file": (schools_json(raw=""), "文件为空"),
    "json_whitespace_only": (schools_json(raw="  \n\t \n"), "文件为空"),
    "json_top_level_string": (schools_json(raw='"schools"'), "顶层"),
    "json_top_level_number": (schools_json(raw="42"), "顶层"),
    "json_top_level_null": (schools_json(raw="null"), "顶层"),
    "json_object_without_schools": (schools_json(raw=json.dumps(SCHOOL)), "顶层"),
    "json_array_of_numbers": (schools_json(raw="[1, 2, 3]"), "对象"),
    "json_empty_array": (schools_json(raw="[]"), "没有学校记录"),
    "json_nan": (schools_json(raw=json.dumps([SCHOOL]).replace("420", "NaN")), "NaN"),
    "json_infinity": (
        schools_json(raw=json.dumps([SCHOOL]).replace("420", "Infinity")),
        "Infinity",
    ),
    "json_minus_infinity": (
        schools_json(raw=json.dumps([SCHOOL]).replace("2300", "-Infinity")),
        "Infinity",
    ),
    "json_overflowing_float": (
        schools_json(raw=json.dumps([SCHOOL]).replace("2300", "1e400")),
        "1e400",
    ),
    "json_5000_digit_integer": (
        schools_json(raw=json.dumps([SCHOOL]).replace("420", "9" * 5000)),
        "JSON",
    ),
    "json_deeply_nested": (schools_json(raw=deep_json(100_000)), "嵌套"),
    "json_nested_in_field": (
        schools_json(raw=json.dumps([SCHOOL]).replace("420", deep_json(5000))),
        "JSON",
    ),
    "json_duplicate_keys": (
        schools_json(
            raw=json.dumps([SCHOOL]).replace('"year": 2025', '"year": 2025, "year": 2024')
        ),
        "year",
    ),
    "json_single_quotes": (schools_json(raw="[{'id': 'x'}]"), "JSON"),
    "json_trailing_comma": (schools_json(raw=json.dumps([SCHOOL])[:-1] + ",]"), "JSON"),
    "json_comments": (schools_json(raw="// 学校\n" + json.dumps([SCHOOL])), "JSON"),
    "json_two_documents": (schools_json(raw=json.dumps([SCHOOL]) * 2), "JSON"),
    # -- JSON: values -------------------------------------------------------------------
    "string_in_numeric_field": (
        schools_json(school(**{"primary.students": "很多"})),
        "primary.students",
    ),
    "numeric_string": (schools_json(school(**{"primary.students": "420"})), "primary.students"),
    "boolean_in_numeric_field": (
        schools_json(school(**{"primary.teachers": True})),
        "primary.teachers",
    ),
    "negative_count": (schools_json(school(**{"primary.students": -5})), "primary.students"),
    "absurd_count": (schools_json(school(**{"primary.students": 10**12})), "primary.students"),
    "absurd_area": (schools_json(school(sports_area_m2=1e14)), "sports_area_m2"),
    "fractional_count": (schools_json(school(**{"primary.classes": 10.5})), "primary.classes"),
    "null_required": (schools_json(school(id=None)), "id"),
    "missing_required": (
        schools_json({k: v for k, v in SCHOOL.items() if k != "school_type"}),
        "school_type",
    ),
    "unknown_school_type": (schools_json(school(school_type="university")), "school_type"),
    "stage_block_is_a_list": (schools_json(school(primary=[420, 10, 26])), "primary"),
    "huge_string": (schools_json(school(name="校" * 200_000)), "name"),
    "duplicate_school_ids": (schools_json(SCHOOL, SCHOOL), "360121-001"),
    "stage_mismatch": (schools_json(school(school_type="junior")), "junior"),
    # -- encodings and BOMs -------------------------------------------------------------
    "utf8_bom_truncated": (schools_json(raw="\ufeff" + json.dumps([SCHOOL])[:50]), "JSON"),
    "utf16_without_bom": (
        text("schools.json", json.dumps([SCHOOL]).encode("utf-16-le")),
        "schools.json",
    ),
    "utf32_with_bom": (text("schools.json", json.dumps([SCHOOL]).encode("utf-32")), "schools.json"),
    "double_bom": (
        text("schools.json", codecs.BOM_UTF8 * 2 + json.dumps([SCHOOL]).encode()),
        "JSON",
    ),
    "csv_undecodable": (text("schools.csv", b"id,name\n\xff\xfe\xfa\x80\x81,x\n" * 3), "编码"),
    # issue 12: encodings that decode as GB18030 without an error, into nonsense
    "csv_big5": (
        text(
            "schools.csv",
            csv_text(*[[*ROW[:1], f"第一實驗小學{i}", *ROW[2:]] for i in range(9)]).encode("big5"),
        ),
        "Big5",
    ),
    "csv_shift_jis": (
        text(
            "schools.csv",
            csv_text(*[[*ROW[:1], f"東京第一小学校{i}", *ROW[2:]] for i in range(9)]).encode(
                "shift_jis"
            ),
        ),
        "Shift-JIS",
    ),
    "csv_one_stray_byte_in_row_1500": (
        text("schools.csv", _stray_byte_csv(1500)),
        "第 1500 行有无法识别的字节",
    ),
    "csv_oversize_cell_located": (
        text("schools.csv", csv_text(ROW, ROW) + '360121-003,"' + "长" * 140_000 + '",360121\n'),
        "第 4 行有一个单元格超过",
    ),
    # -- CSV ------------------------------------------------------------------------------
    "csv_header_only": (text("schools.csv", csv_text()), "没有学校数据"),
    "csv_ragged_long_row": (text("schools.csv", csv_text([*ROW, "多余", "列"])), "单元格"),
    "csv_ragged_short_row": (text("schools.csv", csv_text(ROW[:3])), "school_type"),
    "csv_string_in_number": (
        text("schools.csv", csv_text([*ROW[:5], "四百二十", 10, 26])),
        "primary.students",
    ),
    "csv_nan_text": (text("schools.csv", csv_text([*ROW[:5], "nan", 10, 26])), "primary.students"),
    "csv_formula_text": (
        text("schools.csv", csv_text([*ROW[:5], "=A1*2", 10, 26])),
        "primary.students",
    ),
    "csv_unterminated_quote": (
        text("schools.csv", csv_text(ROW) + '360121-002,"第二小学,360121\n'),
        "schools.csv",
    ),
    "csv_field_too_large": (
        text("schools.csv", csv_text([*ROW[:1], "x" * 200_000, *ROW[2:]])),
        "CSV",
    ),
    "csv_nul_bytes": (
        text("schools.csv", csv_text(ROW).replace("第一", "第\x00一")),
        "schools.csv",
    ),
    "csv_is_really_html": (
        text("schools.csv", "<html><body><table><tr><td>id</td></tr></table></body></html>\n"),
        "id",
    ),
    "csv_is_really_xlsx": (text("schools.csv", b"PK\x03\x04" + b"\x00" * 200), "XLSX"),
    # -- XLSX -----------------------------------------------------------------------------
    "xlsx_merged_title_row": (xlsx("schools.xlsx", _merged_header), "schools.xlsx"),
    "xlsx_merged_header_cell": (xlsx("schools.xlsx", _merged_header_cell), "name"),
    "xlsx_hidden_data_sheet": (xlsx("schools.xlsx", _hidden_data_sheet), "schools.xlsx"),
    "xlsx_all_sheets_hidden": (lambda d: (_all_sheets_hidden(d), None), "可见"),
    "xlsx_formulas_without_values": (xlsx("schools.xlsx", _formulas), "公式"),
    "xlsx_formula_in_id": (xlsx("schools.xlsx", _formula_in_id), "公式"),
    "xlsx_text_in_number": (
        xlsx("schools.xlsx", _rows([HEADER, [*ROW[:5], "四百", 10, 26]])),
        "primary.students",
    ),
    "xlsx_header_only": (xlsx("schools.xlsx", _rows([HEADER])), "没有学校数据"),
    "xlsx_empty_workbook": (xlsx("schools.xlsx", _rows([])), "schools.xlsx"),
    "xlsx_is_really_json": (text("schools.xlsx", json.dumps([SCHOOL])), "XLSX"),
    "xlsx_is_really_csv": (text("schools.xlsx", csv_text(ROW)), "XLSX"),
    "xlsx_truncated_zip": (lambda d: (_truncated_xlsx(d), None), "XLSX"),
    "xlsx_zip_but_not_workbook": (zip_with("schools.xlsx", {"hello.txt": b"hi"}), "XLSX"),
    "xlsx_zip_bomb_declared": (
        zip_with(
            "schools.xlsx",
            _minimal_xlsx_members(b"<worksheet/>" + b" " * 1000),
            declared={"xl/worksheets/sheet1.xml": 4_000_000_000},
        ),
        "解压",
    ),
    "xlsx_too_many_members": (
        zip_with("schools.xlsx", {f"x/{i}.xml": b"" for i in range(12_000)}),
        "XLSX",
    ),
    "json_not_json_png": (text("schools.json", b"\x89PNG\r\n\x1a\n" + bytes(200)), "JSON"),
    "json_is_really_xlsx": (lambda d: (_xlsx_as(d, "schools.json"), None), "schools.json"),
    # -- files ----------------------------------------------------------------------------
    "missing_file": (lambda d: ("nowhere.json", None), "不存在"),
    "directory": (lambda d: ((d / "dir.json").mkdir() or "dir.json", None), "文件夹"),
    "unsupported_extension": (text("schools.txt", json.dumps([SCHOOL])), ".txt"),
    "legacy_xls": (text("schools.xls", b"\xd0\xcf\x11\xe0" + bytes(100)), ".xls"),
    "symlink_to_dev_zero": (lambda d: (_symlink(d, "zero.json", "/dev/zero"), None), "普通文件"),
    "sparse_huge_json": (lambda d: (_sparse(d, "huge.json", 3 << 30), None), "过大"),
    "sparse_huge_csv": (lambda d: (_sparse(d, "huge.csv", 2 << 30), None), "过大"),
    # -- county file ----------------------------------------------------------------------
    "county_truncated": (county("county.json", json.dumps(COUNTY)[:-3]), "county.json"),
    "county_array_of_numbers": (county("county.json", "[1, 2]"), "county.json"),
    "county_code_mismatch": (
        county("county.json", json.dumps({**COUNTY, "county_code": "110101"})),
        "110101",
    ),
    "county_nan_finance": (
        county(
            "county.json",
            '{"county_code": "360121", "year": 2025, "finance": [{"year": 2024, "education_appropriation_yuan": NaN}]}',
        ),
        "NaN",
    ),
    "county_csv_bad_value": (
        county("county.csv", "字段,值\ncounty_code,360121\nyear,二〇二五\n"),
        "year",
    ),
    "county_missing": (lambda d: (schools_json(SCHOOL)(d)[0], "nowhere-county.json"), "不存在"),
}


def _truncated_xlsx(d: Path) -> str:
    xlsx("full.xlsx", _rows([HEADER, ROW]))(d)
    data = (d / "full.xlsx").read_bytes()
    (d / "full.xlsx").unlink()
    (d / "schools.xlsx").write_bytes(data[: len(data) // 2])
    return "schools.xlsx"


def _xlsx_as(d: Path, name: str) -> str:
    xlsx("w.xlsx", _rows([HEADER, ROW]))(d)
    (d / "w.xlsx").rename(d / name)
    return name


def _symlink(d: Path, name: str, target: str) -> str:
    (d / name).symlink_to(target)
    return name


def _sparse(d: Path, name: str, size: int) -> str:
    with open(d / name, "wb") as fh:
        fh.truncate(size)  # a hole: no disk used, but stat says gigabytes
    return name


def test_corpus_size():
    assert len(CASES) >= 40


def _listing(d: Path) -> set[str]:
    return {str(p.relative_to(d)) for p in d.rglob("*")}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_input_exits_2_located_and_writes_nothing(tmp_path, capsys, monkeypatch, case):
    monkeypatch.chdir(tmp_path)
    build, fragment = CASES[case]
    schools, county_file = build(tmp_path)
    county_args = ["--county", county_file] if county_file else []
    before = _listing(tmp_path)

    status = main(["validate", schools, *county_args, "--format", "json"])
    out, err = capsys.readouterr()
    assert status == 2, out + err
    assert "Traceback" not in out + err
    issues = json.loads(out)["issues"]
    errors = [i for i in issues if i["severity"] == "error"]
    assert errors, issues
    named = {Path(f).name for f in (schools, county_file) if f}
    assert all(i["file"] in named for i in errors), errors  # located: every error names its file
    assert fragment in json.dumps(issues, ensure_ascii=False), issues

    status = main(["evaluate", schools, *county_args, "--ruleset", RULESET, "--output", "out.json"])
    out, err = capsys.readouterr()
    assert status == 2, out + err
    assert "Traceback" not in out + err
    assert fragment in err, err
    assert _listing(tmp_path) == before  # no report, no temporary file


def test_json_duplicate_keys_checked_only_up_to_the_bound(tmp_path, monkeypatch):
    """Above DUPLICATE_KEY_CHECK_BYTES the fast parser is used and the last value wins."""
    raw = json.dumps([SCHOOL]).replace('"year": 2025', '"year": 2024, "year": 2025')
    (tmp_path / "s.json").write_text(raw, encoding="utf-8")
    assert readers.read_schools(tmp_path / "s.json").has_errors
    monkeypatch.setattr(readers, "DUPLICATE_KEY_CHECK_BYTES", 10)
    result = readers.read_schools(tmp_path / "s.json")
    assert not result.has_errors and result.records[0]["year"] == 2025


def test_real_zip_bomb_is_refused_before_decompressing(tmp_path, monkeypatch):
    """A sheet that really inflates past the bound (bound lowered so the test stays small)."""
    monkeypatch.setattr(readers, "MAX_XLSX_UNCOMPRESSED_BYTES", 5_000_000)
    sheet = b"<worksheet>" + b" " * 20_000_000 + b"</worksheet>"  # ~20 kB compressed
    zip_with("bomb.xlsx", _minimal_xlsx_members(sheet))(tmp_path)
    assert (tmp_path / "bomb.xlsx").stat().st_size < 200_000
    result = readers.read_schools(tmp_path / "bomb.xlsx")
    assert [i.code for i in result.issues] == ["too_large"]
    assert "解压" in result.issues[0].message


@pytest.mark.parametrize(
    "case", ["json_truncated", "xlsx_zip_bomb_declared", "csv_ragged_long_row"]
)
def test_subprocess_spot_checks(run_cli, tmp_path, case):
    build, fragment = CASES[case]
    schools, _ = build(tmp_path)
    before = _listing(tmp_path)
    done = run_cli("evaluate", schools, "--ruleset", RULESET, "--output", "out.json")
    assert done.returncode == 2
    assert "Traceback" not in done.stdout + done.stderr
    assert fragment in done.stderr
    assert _listing(tmp_path) == before
    assert os.listdir(tmp_path)
