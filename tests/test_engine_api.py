"""The Python API: many counties in one call, typed results, input errors."""

import copy

import pytest

import junheng


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
