"""The bundled sample county (junheng.sample): valid, complete and internally consistent."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest
from jsonschema import Draft202012Validator

SCHOOL_TYPES = {
    "primary",
    "junior",
    "nine_year",
    "complete_middle",
    "teaching_point",
    "special_education",
}


def _load(package: str, name: str):
    return json.loads(files(package).joinpath(name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def schools() -> list[dict]:
    return _load("junheng.sample", "schools.json")


@pytest.fixture(scope="module")
def county() -> dict:
    return _load("junheng.sample", "county.json")


def test_schools_valid_against_schema(schools):
    validator = Draft202012Validator(_load("junheng.schemas", "school.schema.json"))
    errors = [
        f"{s.get('id')}: {list(e.path)}: {e.message}"
        for s in schools
        for e in validator.iter_errors(s)
    ]
    assert errors == []


def test_county_valid_against_schema(county):
    validator = Draft202012Validator(_load("junheng.schemas", "county.schema.json"))
    assert [e.message for e in validator.iter_errors(county)] == []


def test_school_count_and_types(schools):
    assert 40 <= len(schools) <= 60
    assert SCHOOL_TYPES <= {s["school_type"] for s in schools}


def test_unique_ids(schools):
    ids = [s["id"] for s in schools]
    assert len(ids) == len(set(ids))


def test_county_code_matches(schools, county):
    assert {s["county_code"] for s in schools} == {county["county_code"]}
    assert {s["year"] for s in schools} == {county["year"]}


def test_teaching_points_small_with_existing_central_school(schools):
    by_id = {s["id"]: s for s in schools}
    points = [s for s in schools if s["school_type"] == "teaching_point"]
    assert 6 <= len(points) <= 8
    for point in points:
        assert point["primary"]["students"] < 50
        central = by_id.get(point["central_school_id"])
        assert central is not None, point["id"]
        assert central["school_type"] == "primary"
        assert "中心小学" in central["name"]
    assert any(p["primary"]["students"] < 20 for p in points)


def test_stage_blocks_match_school_type(schools):
    for s in schools:
        kind = s["school_type"]
        if kind in ("primary", "teaching_point"):
            assert "primary" in s and "junior" not in s, s["id"]
        elif kind in ("junior", "complete_middle"):
            assert "junior" in s and "primary" not in s, s["id"]
        elif kind == "nine_year":
            assert "primary" in s and "junior" in s, s["id"]
        else:
            assert "primary" in s or "junior" in s, s["id"]


def test_backbone_city_is_subset_of_county(schools):
    for s in schools:
        for stage in ("primary", "junior"):
            block = s.get(stage)
            if block:
                assert block["backbone_teachers_city"] <= block["backbone_teachers_county"]
                assert block["teachers_above_degree"] <= block["teachers"]


def test_county_finance_covers_three_years(county):
    years = [row["year"] for row in county["finance"]]
    assert {2022, 2023, 2024} <= set(years)
    assert county["scores"] == {}
    assert not any(county["vetoes"].values())
