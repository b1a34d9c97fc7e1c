"""The field catalogue derived from the record schemas."""

from __future__ import annotations

import pytest

from junheng.fields import (
    FieldCatalogue,
    FieldInfo,
    county_fields,
    display_path,
    load_schema,
    school_fields,
)


def test_school_catalogue_flattens_stage_blocks_in_schema_order():
    paths = [f.path for f in school_fields()]
    assert paths[:5] == ["id", "name", "county_code", "year", "school_type"]
    assert "primary.students" in paths and "junior.backbone_teachers_city" in paths
    assert "primary" not in paths  # objects are not leaves
    assert paths.index("primary.students") < paths.index("junior.students")


def test_every_field_has_title_description_and_type():
    for catalogue in (school_fields(), county_fields()):
        for field in catalogue:
            assert field.title and field.description, field.path
            assert field.type in ("integer", "number", "string", "boolean"), field.path


def test_field_info_carries_unit_bounds_and_requiredness():
    students = school_fields().get("primary.students")
    assert students is not None
    assert (students.title, students.unit, students.type) == ("小学在校生数", "人", "integer")
    assert (students.minimum, students.maximum) == (0, 20000)
    assert students.required
    assert not school_fields().get("books").required
    assert school_fields().get("central_school_id").nullable
    assert students.label == "primary.students（小学在校生数）"
    assert students.header_row2() == "primary.students [人]"
    assert students.expected_text() == "整数，0 到 20000（人）"


def test_county_finance_is_a_series_and_scores_a_map():
    county = county_fields()
    year = county.get("finance[].year")
    assert year is not None and year.series
    assert county.get("items.teacher_rotation_pct").unit == "%"
    assert county.for_instance_path(["finance", 2, "education_appropriation_yuan"]).path == (
        "finance[].education_appropriation_yuan"
    )
    assert county.for_instance_path(["scores", "B3"]).path == "scores.*"
    assert county.get("county_code").required


@pytest.mark.parametrize(
    "header",
    [
        "primary.students",
        "Primary.Students",
        "  primary.students ",
        "小学在校生数",
        " 小学 在校生数 ",
        "小学在校生数（人）",
        "小学在校生数(人)",
        "primary.students [人]",
        "ｐｒｉｍａｒｙ．ｓｔｕｄｅｎｔｓ",
    ],
)
def test_headers_resolve_by_path_or_title_tolerantly(header):
    field = school_fields().resolve_header(header)
    assert field is not None and field.path == "primary.students"


@pytest.mark.parametrize("header", ["students", "在校生数", "", None, "primary.student"])
def test_unknown_headers_do_not_resolve(header):
    assert school_fields().resolve_header(header) is None


def test_enum_cells_resolve_by_code_or_label():
    school_type = school_fields().get("school_type")
    assert school_type.parse_enum("nine_year") == "nine_year"
    assert school_type.parse_enum("九年一贯制学校") == "nine_year"
    assert school_type.parse_enum(" 教学点 ") == "teaching_point"
    assert school_type.parse_enum("NINE_YEAR") == "nine_year"
    assert school_type.parse_enum("九年制") is None
    assert school_fields().get("location").parse_enum("乡村") == "rural"
    assert "九年一贯制学校（nine_year）" in school_type.expected_text()


def test_ambiguous_titles_are_rejected():
    a = FieldInfo("a", "同名", "A", None, "integer")
    b = FieldInfo("b", "同名", "B", None, "integer")
    with pytest.raises(ValueError, match="ambiguous"):
        FieldCatalogue.from_fields("x", [a, b])


def test_load_schema_reads_package_data_and_returns_a_copy():
    schema = load_schema("school")
    assert schema["$schema"].endswith("2020-12/schema")
    schema["properties"].clear()
    assert load_schema("school")["properties"]


def test_display_path():
    assert display_path(["finance", 0, "year"]) == "finance[0].year"
    assert display_path(["primary", "students"]) == "primary.students"
    assert display_path([]) == ""
