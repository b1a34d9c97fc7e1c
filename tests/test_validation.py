"""Validation: schema errors in Chinese with locations, cross-record rules, warnings."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest
from jsonschema import Draft202012Validator

from junheng.fields import load_schema
from junheng.validation import _schema_errors, validate, validate_files

PRIMARY = {"students": 300, "classes": 8, "teachers": 20}
JUNIOR = {"students": 200, "classes": 5, "teachers": 18}


def _by_code(issues, code):
    return [i for i in issues if i.code == code]


def _errors(issues):
    return [i for i in issues if i.severity == "error"]


def test_sample_county_is_valid():
    root = files("junheng.sample")
    schools = json.loads(root.joinpath("schools.json").read_text(encoding="utf-8"))
    county = json.loads(root.joinpath("county.json").read_text(encoding="utf-8"))
    assert validate(schools, county) == []


def test_valid_school_has_no_issues(school):
    assert validate([school()]) == []


def test_minimum_message_names_file_row_school_field_value_and_bound(school):
    record = school(id="360121-003")
    record["primary"]["students"] = -3
    (issue,) = validate([school(), record], schools_file="data/schools.csv", rows=[3, 5])
    assert issue.message == (
        "schools.csv 第5行 学校 360121-003 字段 primary.students（小学在校生数）: "
        "值 -3 小于最小值 0（人）。"
    )
    assert (issue.code, issue.severity, issue.file, issue.row) == (
        "schema.minimum",
        "error",
        "schools.csv",
        5,
    )
    assert (issue.record_id, issue.field, issue.found, issue.expected) == (
        "360121-003",
        "primary.students",
        -3,
        0,
    )


def test_json_positions_read_as_records(school):
    (issue,) = validate([school(books=-1)], schools_file="schools.json")
    assert issue.message.startswith("schools.json 第1条 学校 360121-001 字段 books（图书册数）")


@pytest.mark.parametrize(
    ("overrides", "code", "field", "needle"),
    [
        ({"computers": 200000}, "schema.maximum", "computers", "大于最大值 100000（台）"),
        ({"books": "many"}, "schema.type", "books", "类型不对，应为整数"),
        ({"boarding": "yes"}, "schema.type", "boarding", "是/否"),
        ({"school_type": "kindergarten"}, "schema.enum", "school_type", "九年一贯制学校"),
        ({"county_code": "36012"}, "schema.pattern", "county_code", "^[0-9]{6}$"),
        ({"colour": "red"}, "schema.additionalProperties", "colour", "不是已知字段"),
        ({"name": ""}, "schema.minLength", "name", "长度"),
    ],
)
def test_schema_error_kinds(school, overrides, code, field, needle):
    (issue,) = validate([school(**overrides)])
    assert (issue.code, issue.field) == (code, field)
    assert needle in issue.message


def test_required_fields_reported_one_by_one(school):
    record = school()
    del record["name"], record["year"]
    del record["primary"]["teachers"]
    issues = validate([record])
    assert sorted((i.code, i.field) for i in issues) == [
        ("schema.required", "name"),
        ("schema.required", "primary.teachers"),
        ("schema.required", "year"),
    ]
    assert all("缺少必填字段" in i.message for i in issues)


def test_all_errors_collected_at_once(school):
    bad = school(id="B", books=-1, computers="x", county_code="1")
    bad["primary"]["classes"] = -2
    issues = validate([school(), bad, school(id="C", multimedia_rooms=5000)])
    assert sorted((i.record_id, i.field) for i in _errors(issues)) == [
        ("B", "books"),
        ("B", "computers"),
        ("B", "county_code"),
        ("B", "primary.classes"),
        ("C", "multimedia_rooms"),
    ]


def test_duplicate_id_reported_once_per_extra_occurrence(school):
    issues = validate(
        [school(), school(name="另一所"), school(id="X"), school()], rows=[2, 3, 4, 5]
    )
    dups = _by_code(issues, "duplicate_id")
    assert [(i.row, i.record_id) for i in dups] == [(3, "360121-001"), (5, "360121-001")]
    assert "第2" in dups[0].message
    assert len(issues) == 2


def test_teaching_point_without_its_central_school(school):
    point = school(id="TP", school_type="teaching_point", central_school_id="CENTRAL")
    point["primary"] = {"students": 30, "classes": 3, "teachers": 4}
    (issue,) = validate([school(), point])
    assert (issue.code, issue.record_id, issue.field, issue.found) == (
        "missing_central_school",
        "TP",
        "central_school_id",
        "CENTRAL",
    )
    ok = school(id="CENTRAL")
    assert validate([ok, point]) == []


def test_county_mismatch(school):
    county = {"county_code": "360121", "year": 2025}
    issues = validate([school(), school(id="B", county_code="360122")], county)
    (issue,) = issues
    assert (issue.code, issue.record_id, issue.found, issue.expected) == (
        "county_mismatch",
        "B",
        "360122",
        "360121",
    )


def test_year_mismatch_is_a_warning(school):
    (issue,) = validate([school(year=2024)], {"county_code": "360121", "year": 2025})
    assert (issue.code, issue.severity) == ("year_mismatch", "warning")


@pytest.mark.parametrize(
    ("school_type", "blocks", "mismatches"),
    [
        ("primary", ["primary"], 0),
        ("primary", ["junior"], 2),
        ("primary", ["primary", "junior"], 1),
        ("junior", ["junior"], 0),
        ("junior", ["primary", "junior"], 1),
        ("nine_year", ["primary", "junior"], 0),
        ("nine_year", ["primary"], 1),
        ("twelve_year", ["junior"], 0),
        ("twelve_year", ["primary", "junior"], 0),
        ("twelve_year", ["primary"], 1),
        ("complete_middle", ["junior"], 0),
        ("complete_middle", ["primary", "junior"], 1),
        ("teaching_point", ["primary"], 0),
        ("teaching_point", ["junior"], 2),
        ("special_education", ["primary"], 0),
        ("special_education", ["junior"], 0),
        ("special_education", ["primary", "junior"], 0),
        ("special_education", [], 1),
    ],
)
def test_stage_blocks_must_fit_school_type(school, school_type, blocks, mismatches):
    record = school(school_type=school_type)
    del record["primary"]
    for block in blocks:
        record[block] = dict(PRIMARY if block == "primary" else JUNIOR)
    issues = validate([record])
    assert len(_by_code(issues, "stage_mismatch")) == mismatches
    assert len(issues) == mismatches


@pytest.mark.parametrize(
    ("stage_overrides", "top_overrides", "field"),
    [
        ({"teachers": 500}, {}, "primary.teachers"),
        ({"teachers_above_degree": 30}, {}, "primary.teachers_above_degree"),
        ({"backbone_teachers_city": 9}, {}, "primary.backbone_teachers_city"),
        ({"classes": 500, "students": 400}, {}, "primary.classes"),
        ({"max_class_size": 200, "students": 150, "classes": 5}, {}, "primary.max_class_size"),
        ({}, {"equipment_value_yuan": 500_000_000}, "equipment_value_yuan"),
        ({"classes": 0}, {}, "primary.classes"),
    ],
)
def test_implausible_values_are_warnings(school, stage_overrides, top_overrides, field):
    record = school(**top_overrides)
    record["primary"].update(stage_overrides)
    issues = validate([record])
    assert [(i.code, i.severity, i.field) for i in issues] == [("implausible", "warning", field)]


def test_invalid_values_do_not_also_warn(school):
    record = school()
    record["primary"]["students"] = -5
    assert [i.code for i in validate([record])] == ["schema.minimum"]


def test_required_fields_seam_warns_on_missing_ruleset_fields(school):
    issues = validate(
        [school()],
        required_fields={"primary.pe_arts_teachers", "primary.max_class_size", "junior.students"},
    )
    assert [(i.code, i.severity, i.field) for i in issues] == [
        ("missing_field", "warning", "primary.max_class_size")
    ]


def test_county_schema_errors_and_duplicate_finance_year():
    county = {
        "county_code": "360121",
        "items": {"teacher_rotation_pct": 120},
        "finance": [{"year": 2023}, {"year": 2023, "education_appropriation_yuan": -1}],
    }
    issues = validate([], county, county_file="county.json")
    assert sorted((i.code, i.field) for i in issues) == [
        ("duplicate_year", "finance[1].year"),
        ("schema.maximum", "items.teacher_rotation_pct"),
        ("schema.minimum", "finance[1].education_appropriation_yuan"),
    ]
    rotation = next(i for i in issues if i.field == "items.teacher_rotation_pct")
    assert rotation.message == (
        "county.json 第1条 县 360121 字段 items.teacher_rotation_pct（教师交流轮岗比例）: "
        "值 120 大于最大值 100（%）。"
    )


def test_validate_files_locates_county_form_rows(tmp_path, school):
    (tmp_path / "schools.json").write_text(json.dumps([school()]), encoding="utf-8")
    (tmp_path / "county.csv").write_text(
        "字段,值\ncounty_code,360121\n教师交流轮岗比例,150\n", encoding="utf-8"
    )
    _, counties, issues = validate_files(tmp_path / "schools.json", tmp_path / "county.csv")
    assert counties == [{"county_code": "360121", "items": {"teacher_rotation_pct": 150}}]
    (issue,) = issues
    assert (issue.file, issue.row, issue.field) == ("county.csv", 3, "items.teacher_rotation_pct")


def test_validate_files_reports_an_unreadable_required_cell_once(tmp_path):
    (tmp_path / "s.csv").write_text(
        "id,name,county_code,year,school_type,primary.students,primary.classes,primary.teachers\n"
        "A,一小,360121,2025,primary,很多,8,20\n",
        encoding="utf-8",
    )
    _, _, issues = validate_files(tmp_path / "s.csv")
    assert [(i.code, i.row, i.field) for i in issues] == [("schema.type", 2, "primary.students")]


def test_schema_backend_reports_what_jsonschema_reports(school):
    """Differential seam: the private backend must agree with jsonschema itself."""
    records = [school(), school(books=-1, computers="x"), {"id": 5}, school(extra=1)]
    reference = Draft202012Validator(load_schema("school"))
    for record in records:
        ours = sorted((e.keyword, e.path) for e in _schema_errors(record, "school"))
        theirs = sorted(
            (str(e.validator), tuple(e.absolute_path)) for e in reference.iter_errors(record)
        )
        assert ours == theirs


def test_a_school_cannot_be_its_own_central_school(school):
    point = school(id="TP", school_type="teaching_point", central_school_id="TP")
    point["primary"] = {"students": 30, "classes": 3, "teachers": 4}
    (issue,) = validate([school(), point])
    assert (issue.code, issue.record_id, issue.field) == (
        "missing_central_school",
        "TP",
        "central_school_id",
    )
