"""Hostile values inside valid-looking records (issue 12): huge integers, lone surrogates,
control characters, formula injection into the XLSX ledger, rich markup in ids.

Every test here failed before its fix (exit 3, a writer crash, a live formula, a
MarkupError). The files are real: JSON written to disk, XLSX written by junheng and
read back with openpyxl, the CLI run in-process.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import openpyxl
import pytest

import junheng
from junheng.cli import main
from junheng.outputs import render

RULESET = "national.quality.2017"


pytestmark = pytest.mark.usefixtures("wide_consoles")


@pytest.fixture(scope="module")
def sample(engine):
    return engine.sample()


def _files(tmp_path: Path, schools, county, *, ascii_json: bool = False) -> tuple[str, str]:
    (tmp_path / "s.json").write_text(json.dumps(schools, ensure_ascii=ascii_json), "utf-8")
    (tmp_path / "c.json").write_text(json.dumps(county, ensure_ascii=False), "utf-8")
    return str(tmp_path / "s.json"), str(tmp_path / "c.json")


def _validate_json(capsys, schools_file: str, county_file: str) -> tuple[int, list[dict]]:
    status = main(["validate", schools_file, "--county", county_file, "--format", "json"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "内部错误" not in out + err
    return status, json.loads(out)["issues"]


# -- 4. integers beyond float range ---------------------------------------------------------


@pytest.mark.parametrize("field", ["primary.students", "teaching_room_area_m2"])
def test_an_integer_beyond_float_range_is_a_located_error(sample, tmp_path, capsys, field):
    schools, county = copy.deepcopy(sample)
    if "." in field:
        block, key = field.split(".")
        schools[3][block][key] = 10**400
    else:
        schools[3][field] = 10**400
    files = _files(tmp_path, schools, county)
    status, issues = _validate_json(capsys, *files)
    assert status == 2
    (error,) = [i for i in issues if i["severity"] == "error"]
    assert error["field"] == field and error["record_id"] == schools[3]["id"]
    assert "401 位" in error["message"] and len(error["message"]) < 200
    assert main(["evaluate", *files[:1], "--county", files[1], "--ruleset", RULESET]) == 2
    assert "401 位" in capsys.readouterr().err


def test_a_csv_integer_beyond_float_range_names_its_cell(tmp_path, capsys):
    header = (
        "id,name,county_code,year,school_type,primary.students,primary.classes,primary.teachers"
    )
    row = "360121-001,一小,360121,2025,primary," + "9" * 400 + ",10,26"
    (tmp_path / "s.csv").write_text(header + "\n" + row + "\n", "utf-8")
    status = main(["validate", str(tmp_path / "s.csv"), "--format", "json"])
    issues = json.loads(capsys.readouterr().out)["issues"]
    assert status == 2
    assert any(i["row"] == 2 and i["field"] == "primary.students" for i in issues), issues


def test_the_api_refuses_a_huge_integer_with_a_located_error(engine, sample):
    schools, county = copy.deepcopy(sample)
    schools[0]["primary"]["teachers"] = 10**5000  # past Python's 4,300-digit print limit
    with pytest.raises(junheng.InputError) as caught:
        engine.evaluate(RULESET, schools, county)
    (issue,) = caught.value.issues
    assert issue.field == "primary.teachers" and "位的整数" in issue.message


# -- 5 and 7. lone surrogates and control characters -----------------------------------------


@pytest.mark.parametrize(
    "text, words",
    [
        ("第一\ud800小学", "代理码位 U+D800"),
        ("第一\x0b小学", "垂直制表符"),  # Word's manual line break
        ("第一\x00小学", "空字符 NUL"),
        ("第一\x1f小学", "控制字符 U+001F"),
        ("第一\uffff小学", "非字符 U+FFFF"),
    ],
)
def test_unsafe_characters_in_a_name_are_a_located_error(sample, tmp_path, capsys, text, words):
    schools, county = copy.deepcopy(sample)
    schools[2]["name"] = text
    files = _files(tmp_path, schools, county, ascii_json=True)
    status, issues = _validate_json(capsys, *files)
    assert status == 2
    (error,) = [i for i in issues if i["severity"] == "error"]
    assert error["code"] == "text.unsafe" and error["field"] == "name" and error["row"] == 3
    assert words in error["message"] and "第 3 个字符" in error["message"]


def test_a_surrogate_in_an_id_of_a_record_with_another_error_prints(sample, tmp_path, capsys):
    schools, county = copy.deepcopy(sample)
    schools[1]["id"] = "\ud800"
    schools[1]["primary"]["students"] = "many"
    files = _files(tmp_path, schools, county, ascii_json=True)
    assert main(["validate", *files[:1], "--county", files[1]]) == 2  # the table, on a terminal
    out, err = capsys.readouterr()
    assert "\\ud800" in out and "Traceback" not in out + err
    _status, issues = _validate_json(capsys, *files)
    assert {i["code"] for i in issues if i["severity"] == "error"} >= {"text.unsafe", "schema.type"}
    assert all("\\ud800" in i["message"] for i in issues if i["row"] == 2)


def test_a_control_character_in_a_county_name_is_a_located_error(sample, tmp_path, capsys):
    schools, county = copy.deepcopy(sample)
    county["name"] = "示例县\x0b"
    status, issues = _validate_json(capsys, *_files(tmp_path, schools, county))
    assert status == 2
    (error,) = [i for i in issues if i["severity"] == "error"]
    assert error["file"] == "c.json" and error["field"] == "name"


@pytest.mark.parametrize("fmt", ["json", "html", "md", "xlsx"])
def test_writers_put_out_unsafe_text_of_unvalidated_records(engine, sample, fmt):
    """Records passed with validate_input=False (or a plugin's text) never crash a writer."""
    schools, county = copy.deepcopy(sample)
    failing = engine.evaluate(RULESET, schools, county).schools
    worst = next(i for i in range(len(failing.passed)) if failing.passed[i] == 0.0)
    target = next(s for s in schools if s["id"] == failing.row(worst).id)
    target["name"] = "坏\x0b\x00名\ud800"  # a failing school: every format names it
    target["id"] = target["id"] + "\ud800"
    report = engine.evaluate(RULESET, schools, county, validate_input=False)
    data = render(report, fmt)
    if fmt == "json":
        doc = json.loads(data)
        names = {s["name"] for s in doc["schools"]}
        assert "坏\x0b\x00名\ufffd" in names  # JSON can carry controls, escaped; not surrogates
    elif fmt in ("html", "md"):
        text = data.decode("utf-8")
        assert "坏\ufffd\ufffd名\ufffd" in text and "\x0b" not in text


# -- 6. formula injection into the XLSX ledger ------------------------------------------------


def test_text_starting_like_a_formula_stays_text_in_every_sheet(engine, sample, tmp_path):
    schools, county = copy.deepcopy(sample)
    hostile = {
        2: '=HYPERLINK("http://evil.example/","点击")',
        3: "=cmd|' /C calc'!A0",
        4: "+1+2",
        5: "@SUM(A1:A9)",
        6: "-2+3",
    }
    for index, name in hostile.items():
        schools[index]["name"] = name
    report = engine.evaluate(RULESET, schools, county)
    path = tmp_path / "r.xlsx"
    path.write_bytes(render(report, "xlsx"))
    workbook = openpyxl.load_workbook(path)
    seen = set()
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if cell.value in hostile.values():
                    assert cell.quotePrefix, (sheet.title, cell.coordinate)
                    seen.add(cell.value)
    assert seen == set(hostile.values())  # every name is there, as the text it is


def test_the_template_writes_formula_like_titles_as_text(tmp_path):
    from junheng.fields import FieldInfo
    from junheng.template import build_template

    field = FieldInfo(
        path="x_count", title="=1+1", type="integer", required=False, description="", unit=None
    )
    path = tmp_path / "t.xlsx"
    path.write_bytes(build_template("xlsx", [field]))
    cell = openpyxl.load_workbook(path)["学校数据"]["A1"]
    assert cell.value == "=1+1" and cell.data_type == "s" and cell.quotePrefix


# -- rich markup in user text ------------------------------------------------------------------


@pytest.mark.parametrize("school_id", ["bad[/red]", "[link=http://evil.example]x[/link]", "[bold"])
def test_ids_are_never_read_as_terminal_markup(sample, tmp_path, capsys, school_id):
    schools, county = copy.deepcopy(sample)
    schools[0]["id"] = school_id
    schools[0]["primary"]["students"] = "many"
    files = _files(tmp_path, schools, county)
    assert main(["validate", *files[:1], "--county", files[1]]) == 2
    out, err = capsys.readouterr()
    assert school_id in out and "Traceback" not in out + err and "内部错误" not in out + err
    assert "\x1b]8;" not in out  # no terminal hyperlink


def test_a_file_name_with_brackets_is_shown_as_it_is(sample, tmp_path, capsys):
    schools, _county = copy.deepcopy(sample)
    schools[0]["primary"]["students"] = "many"
    name = tmp_path / "[red]学校[link=x].json"
    name.write_text(json.dumps(schools, ensure_ascii=False), "utf-8")
    assert main(["validate", str(name)]) == 2
    out, err = capsys.readouterr()
    assert "[red]学校[link=x].json" in out and "内部错误" not in out + err


# -- the terminal says what the warnings are ---------------------------------------------------


def test_the_terminal_names_the_warnings_not_only_their_count(sample, tmp_path, capsys):
    schools, county = copy.deepcopy(sample)
    county["year"] = schools[0]["year"] - 1
    files = _files(tmp_path, schools, county)
    out = str(tmp_path / "r.json")  # never the working directory (the repository)
    main(["evaluate", *files[:1], "--county", files[1], "--ruleset", RULESET, "-o", out])
    err = capsys.readouterr().err
    assert "条警告" in err
    assert "不一致" in err and f"共 {len(schools)} 条，同类" in err


# -- API input shapes ---------------------------------------------------------------------------


def _same_report(engine, schools, county, expected) -> bool:
    got = engine.evaluate(RULESET, schools, county).to_dict()
    return got["schools"] == expected["schools"] and got["counties"] == expected["counties"]


def test_numpy_and_decimal_numbers_are_the_numbers_they_hold(engine, sample):
    np = pytest.importorskip("numpy")
    from decimal import Decimal

    schools, county = copy.deepcopy(sample)
    expected = engine.evaluate(RULESET, schools, county).to_dict()
    schools[0]["primary"]["students"] = np.int64(schools[0]["primary"]["students"])
    schools[1]["teaching_room_area_m2"] = Decimal(str(schools[1]["teaching_room_area_m2"]))
    schools[2]["sports_area_m2"] = np.float64(schools[2]["sports_area_m2"])
    schools[3]["year"] = np.int32(schools[3]["year"])
    county["items"]["teacher_rotation_pct"] = Decimal(str(county["items"]["teacher_rotation_pct"]))
    county["survey"]["satisfaction_pct"] = np.float32(county["survey"]["satisfaction_pct"])
    finance = county["finance"][0]
    finance["education_appropriation_yuan"] = np.int64(finance["education_appropriation_yuan"])
    assert _same_report(engine, schools, county, expected)
    assert not engine.validate(schools, county)  # valid, no warning either


def test_any_iterable_of_mappings_is_taken(engine, sample):
    schools, county = sample
    expected = engine.evaluate(RULESET, schools, county).to_dict()
    assert _same_report(engine, (s for s in schools), county, expected)
    assert _same_report(engine, tuple(schools), [county], expected)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "decimal-nan", "numpy-nan"], ids=str)
def test_nan_and_infinity_are_refused_located(engine, sample, value):
    from decimal import Decimal

    np = pytest.importorskip("numpy")
    value = {"decimal-nan": Decimal("NaN"), "numpy-nan": np.float32("nan")}.get(value, value)
    schools, county = copy.deepcopy(sample)
    schools[4]["sports_area_m2"] = value
    with pytest.raises(junheng.InputError) as caught:
        engine.evaluate(RULESET, schools, county)
    (issue,) = caught.value.issues
    assert issue.row == 5 and issue.field == "sports_area_m2"
    assert "NaN 或无穷大" in issue.message or "大于最大值" in issue.message


@pytest.mark.parametrize("schools", [42, b"[]", 3.5], ids=["int", "bytes", "float"])
def test_what_is_no_list_of_records_is_one_clear_error(engine, schools):
    with pytest.raises(junheng.InputError) as caught:
        engine.evaluate(RULESET, schools)
    (issue,) = caught.value.issues
    assert "记录（字典）的列表或文件路径" in issue.message


def test_a_county_code_given_as_the_county_is_one_clear_error(engine, sample):
    schools, _ = sample
    with pytest.raises(junheng.InputError) as caught:
        engine.evaluate(RULESET, schools, "360199")
    assert len(caught.value.issues) == 1  # not one per character
    assert "360199" in caught.value.issues[0].message


def test_a_huge_integer_in_records_said_to_be_validated_is_still_located(engine, sample):
    schools, county = copy.deepcopy(sample)
    schools[0]["teaching_room_area_m2"] = 10**5000
    with pytest.raises(junheng.InputError) as caught:
        engine.evaluate(RULESET, schools, county, validate_input=False)
    assert caught.value.issues[0].field == "teaching_room_area_m2"
    schools, county = copy.deepcopy(sample)
    county["finance"][1]["education_appropriation_yuan"] = 10**400
    with pytest.raises(junheng.InputError) as caught:
        engine.evaluate("gansu.basic", schools, county, validate_input=False)
    assert caught.value.issues[0].field == "finance[1].education_appropriation_yuan"


# -- Markdown: user text is text, never HTML or a link -------------------------------------------


def test_markdown_report_shows_hostile_names_as_text(engine, sample):
    markdown_it = pytest.importorskip("markdown_it")
    schools, county = copy.deepcopy(sample)
    failing = engine.evaluate(RULESET, schools, county).schools
    ids = [failing.row(i).id for i in range(len(failing.passed)) if failing.passed[i] == 0.0]
    names = {
        ids[0]: "<script>alert(1)</script>小学",
        ids[1]: "<img src=x onerror=alert(1)>小学",
        ids[2]: "[点我](javascript:alert(1))小学",
    }
    for record in schools:
        if record["id"] in names:
            record["name"] = names[record["id"]]
    county["name"] = "**粗体**县_下划线_"
    text = render(engine.evaluate(RULESET, schools, county), "md").decode("utf-8")
    html = markdown_it.MarkdownIt("commonmark", {"html": True}).enable("table").render(text)
    assert "<script" not in html and "<img" not in html
    assert 'href="javascript' not in html and "<a " not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;小学" in html  # shown, as typed
    assert "[点我](javascript:alert(1))小学" in html
    assert "<strong>粗体</strong>" not in html and "**粗体**县_下划线_" in html
    assert "<strong>评估结论：" in html  # the report's own emphasis still renders


def test_unhashable_values_in_the_across_record_fields_never_crash(engine, sample):
    """Found by the HTTP fuzzer: a county record whose county_code is an object."""
    schools, county = copy.deepcopy(sample)
    county["county_code"] = {"a": 1}
    schools[0]["id"] = ["x"]
    schools[1]["central_school_id"] = {"b": 2}
    schools[2]["year"] = [2025]
    schools[39]["school_type"] = {"c": 3}
    issues = engine.validate(schools, [county, {"county_code": ["y"]}])
    assert issues and all(i.file is None or i.file for i in issues)
    assert any(i.field == "county_code" and i.is_error for i in issues)
