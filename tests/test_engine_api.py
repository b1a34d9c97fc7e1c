"""The Python API: many counties in one call, typed results, input errors."""

import copy
import importlib

import pytest

import junheng
from junheng.bulk import RecordColumns
from junheng.engine import Engine
from junheng.validation import validate


def _copy_county(schools, county, code):
    """The sample county under another county code (ids and central schools renamed)."""
    out = []
    for s in copy.deepcopy(schools):
        s["id"] = f"{code}-{s['id']}"
        s["county_code"] = code
        if s.get("central_school_id"):
            s["central_school_id"] = f"{code}-{s['central_school_id']}"
        out.append(s)
    return out, dict(copy.deepcopy(county), county_code=code)


def test_many_counties_in_one_call_match_single_county_runs(engine, sample):
    schools, county = sample
    other_schools, other_county = _copy_county(schools, county, "360198")
    other_county["items"]["teacher_rotation_pct"] = 15
    other_county["items"]["quality_high_school_quota_pct"] = 60
    both = engine.evaluate("national.quality.2017", schools + other_schools, [county, other_county])
    alone = engine.evaluate("national.quality.2017", schools, county)
    assert [c.county_code for c in both.counties] == ["360198", "360199"]
    a, b = both.county("360199"), alone.counties[0]
    assert [(c.id, c.status, c.value) for c in a.criteria] == [
        (c.id, c.status, c.value) for c in b.criteria
    ]
    failed_other = {c.id for c in both.county("360198").failed_criteria}
    assert failed_other == {"schools", "cv.primary.sports_area_per_student"}


def test_typed_school_results(engine, sample):
    schools, county = sample
    report = engine.evaluate("national.quality.2017", schools, county)
    rows = {(r.id, r.stage): r for r in report.schools.rows()}
    r = rows[("360199-013", "primary")]  # 白石镇中心小学: equipment at 86 %
    assert isinstance(r, junheng.results.SchoolResult)
    assert r.passed is True
    eq = r.checks["equipment_value_per_student"]
    assert eq.met is False and eq.unit == "元" and eq.value == pytest.approx(1720)
    assert "教督〔2017〕6号" in eq.source and eq.formula == "equipment_value_yuan / students"
    # nine-year school split into two units
    assert ("360199-025", "primary") in rows and ("360199-025", "junior") in rows


def test_invalid_records_raise_input_error_with_every_problem(engine, sample):
    schools, county = sample
    bad = copy.deepcopy(schools)
    bad[0]["primary"]["students"] = -1
    bad[1]["id"] = bad[2]["id"]
    with pytest.raises(junheng.InputError) as info:
        engine.evaluate("national.quality.2017", bad, county)
    codes = {i.code for i in info.value.issues}
    assert "duplicate_id" in codes and "schema.minimum" in codes


def _facts(report):
    return (
        [
            (c.county_code, c.passed, [(k.id, k.status, k.value) for k in c.criteria])
            for c in report.counties
        ],
        report.schools.to_list(),
    )


def test_columns_shared_with_validation_give_the_same_report(engine, sample):
    schools, county = sample
    columns = RecordColumns(schools)
    issues = validate(
        schools,
        county,
        required_fields=engine.required_fields(engine.ruleset("national.quality.2017")),
        columns=columns,
    )
    shared = engine.evaluate(
        "national.quality.2017",
        schools,
        county,
        validate_input=False,
        data_issues=issues,
        columns=columns,
    )
    fresh = engine.evaluate("national.quality.2017", schools, county)
    assert _facts(shared) == _facts(fresh)
    with pytest.raises(ValueError, match="columns"):
        engine.evaluate("national.quality.2017", list(schools), county, columns=columns)
    with pytest.raises(ValueError, match="columns"):
        validate(list(schools), county, columns=columns)


class _PrepareInPlace:
    """Changes the records in place (returns nothing): what validation pulled is stale."""

    __name__ = "in-place"

    @junheng.hookimpl
    def junheng_prepare_records(self, schools, county, ruleset_id):
        for s in schools:
            if s["id"] == "360199-004":
                s["sports_area_m2"] = s["sports_area_m2"] * 3


def test_columns_are_not_reused_when_a_plugin_prepares_records(sample):
    national = importlib.import_module("junheng.plugins.national")
    schools, county = copy.deepcopy(sample)
    before = Engine(entry_points=False, plugins=[national]).evaluate(
        "national.quality.2017", schools, county
    )
    assert (
        before.schools.row(before.schools.find("360199-004")[0])
        .checks["sports_area_per_student"]
        .met
        is False
    )
    report = Engine(entry_points=False, plugins=[national, _PrepareInPlace()]).evaluate(
        "national.quality.2017", schools, county
    )
    row = report.schools.row(report.schools.find("360199-004")[0])
    assert row.checks["sports_area_per_student"].met is True  # the prepared value was read


def test_records_of_other_mapping_types_evaluate_like_dicts(engine, sample):
    from collections import OrderedDict

    schools, county = sample

    def ordered(value):
        if type(value) is dict:
            return OrderedDict((k, ordered(v)) for k, v in value.items())
        return value

    plain = engine.evaluate("national.quality.2017", schools, county)
    other = engine.evaluate("national.quality.2017", [ordered(s) for s in schools], county)
    assert _facts(other) == _facts(plain)
