"""Property-based tests (hypothesis): CV invariants, monotone checks, determinism, no crashes.

Example counts are set per property with ``settings(max_examples=...)`` and
listed in SECURITY.md (``JUNHENG_PROPERTY_SCALE=N`` multiplies them all); ``deadline=None`` because a first evaluation compiles
the ruleset. Random school records come from ``schemas/school.schema.json`` via
hypothesis-jsonschema (in the ``test`` extra) and from a strategy of
realistic primary/junior/nine-year schools written here.
"""

from __future__ import annotations

import json
import os
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from junheng.engine import Engine
from junheng.fields import load_schema
from junheng.issues import InputError
from junheng.outputs.json_report import render
from junheng.stats import weighted_cv
from junheng.validation import validate

RULESET = "national.quality.2017"
#: multiply every example count, for a longer hunt: JUNHENG_PROPERTY_SCALE=20 pytest tests/test_properties.py
SCALE = max(1, int(os.environ.get("JUNHENG_PROPERTY_SCALE", "1")))
FAST = settings(max_examples=300 * SCALE, deadline=None)
SLOW = settings(
    max_examples=40 * SCALE,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_ENGINE: list[Engine] = []


def engine() -> Engine:
    if not _ENGINE:
        _ENGINE.append(Engine())
        _ENGINE[0].ruleset(RULESET)
    return _ENGINE[0]


# --------------------------------------------------------------------------- weighted CV

positive = st.floats(min_value=0.01, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def groups_of_schools(draw, min_size=1):
    n = draw(st.integers(min_value=min_size, max_value=40))
    n_groups = draw(st.integers(min_value=1, max_value=4))
    values = np.array(draw(st.lists(positive, min_size=n, max_size=n)))
    weights = np.array(
        draw(st.lists(st.integers(min_value=1, max_value=3000), min_size=n, max_size=n)), float
    )
    groups = np.array(
        draw(st.lists(st.integers(0, n_groups - 1), min_size=n, max_size=n)), dtype=np.intp
    )
    return values, weights, groups, n_groups


def _cv(values, weights, groups, n_groups):
    return weighted_cv(values, weights, groups, n_groups, np.ones(len(values), bool)).cv


@FAST
@given(groups_of_schools(), st.floats(min_value=1e-3, max_value=1e3))
def test_cv_is_invariant_under_scaling_the_resource(data, k):
    values, weights, groups, n_groups = data
    np.testing.assert_allclose(
        _cv(values * k, weights, groups, n_groups),
        _cv(values, weights, groups, n_groups),
        rtol=1e-7,
        atol=1e-9,
    )


@FAST
@given(groups_of_schools(), st.randoms(use_true_random=False))
def test_cv_is_invariant_under_reordering_schools(data, rnd):
    values, weights, groups, n_groups = data
    order = list(range(len(values)))
    rnd.shuffle(order)
    np.testing.assert_allclose(
        _cv(values[order], weights[order], groups[order], n_groups),
        _cv(values, weights, groups, n_groups),
        rtol=1e-9,
        atol=1e-12,
    )


@FAST
@given(groups_of_schools(), positive)
def test_cv_is_zero_when_all_schools_are_equal(data, level):
    _, weights, groups, n_groups = data
    cv = _cv(np.full(len(weights), level), weights, groups, n_groups)
    present = np.bincount(groups, minlength=n_groups) > 0
    assert np.all(np.abs(cv[present]) < 1e-9)
    assert np.all(np.isnan(cv[~present]))  # an empty group has no CV, not 0


@FAST
@given(
    groups_of_schools(),
    st.lists(st.floats(min_value=-1e6, max_value=1e6) | st.just(float("nan")), max_size=40),
)
def test_cv_is_never_negative(data, noise):
    values, weights, groups, n_groups = data
    values = values.copy()
    values[: len(noise)] = noise[: len(values)]  # zeros, negatives and NaN too
    cv = _cv(values, weights, groups, n_groups)
    assert np.all(np.isnan(cv) | (cv >= 0))


# --------------------------------------------------------------------------- schools

RESOURCES = {  # field → schema maximum (school-wide fields, then stage fields)
    "teaching_room_area_m2": 1_000_000,
    "sports_area_m2": 10_000_000,
    "equipment_value_yuan": 10_000_000_000,
    "multimedia_rooms": 1000,
    "computers": 100_000,
    "books": 10_000_000,
}
STAGE_RESOURCES = ("teachers_above_degree", "backbone_teachers_county", "pe_arts_teachers")


@st.composite
def stage_block(draw):
    students = draw(st.integers(min_value=0, max_value=3000))
    teachers = draw(st.integers(min_value=0, max_value=300))
    block = {
        "students": students,
        "classes": draw(st.integers(min_value=0, max_value=60)),
        "teachers": teachers,
    }
    for field in (*STAGE_RESOURCES, "senior_title_teachers", "backbone_teachers_city"):
        if draw(st.booleans()):
            block[field] = draw(st.integers(min_value=0, max_value=teachers))
    return block


@st.composite
def school_records(draw, min_size=1, max_size=12):
    n = draw(st.integers(min_value=min_size, max_value=max_size))
    records = []
    for i in range(n):
        kind = draw(st.sampled_from(["primary", "junior", "nine_year", "teaching_point"]))
        record = {
            "id": f"360121-{i:03d}",
            "name": f"学校{i}",
            "county_code": "360121",
            "year": 2025,
            "school_type": kind,
        }
        if kind in ("primary", "nine_year", "teaching_point"):
            record["primary"] = draw(stage_block())
        if kind in ("junior", "nine_year"):
            record["junior"] = draw(stage_block())
        for field, top in RESOURCES.items():
            if draw(st.booleans()):
                record[field] = draw(st.integers(min_value=0, max_value=min(top, 5_000_000)))
        records.append(record)
    return records


def _checks(report) -> dict[tuple[str, str, str], bool | None]:
    return {
        (s["id"], s["stage"], cid): c["met"]
        for s in report.to_dict()["schools"]
        for cid, c in s["checks"].items()
    }


@SLOW
@given(school_records(max_size=6), st.data())
def test_school_checks_are_monotone_in_a_resource(records, data):
    """More of a resource never turns a met check into an unmet one (all are minimums)."""
    field = data.draw(st.sampled_from([*RESOURCES, *STAGE_RESOURCES]))
    bump = data.draw(st.integers(min_value=1, max_value=10_000))
    more = json.loads(json.dumps(records))
    for record in more:
        record["id"] = "B" + record["id"]
        if field in RESOURCES:
            record[field] = min(record.get(field, 0) + bump, RESOURCES[field])
        for stage in ("primary", "junior"):
            block = record.get(stage)
            if field in STAGE_RESOURCES and block is not None:
                block[field] = min(block.get(field, 0) + bump, block["teachers"])
    report = engine().evaluate(RULESET, records + more, validate_input=False)
    checks = _checks(report)
    for (sid, stage, cid), met in checks.items():
        if sid.startswith("B") or met is not True:
            continue
        after = checks[("B" + sid, stage, cid)]
        assert after is True, (field, bump, sid, stage, cid)


_TIME_FIELDS = re.compile(rb'("evaluated_at": )"[^"]*"|("evaluate_seconds": )[0-9.e+-]+')


@settings(max_examples=25 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(school_records(max_size=10))
def test_evaluation_is_deterministic(records):
    """Two engines, same input: byte-identical JSON reports apart from the time fields."""
    first = render(Engine().evaluate(RULESET, records, validate_input=False))
    second = render(engine().evaluate(RULESET, records, validate_input=False))
    assert _TIME_FIELDS.sub(rb"\1\2T", first) == _TIME_FIELDS.sub(rb"\1\2T", second)
    assert len(_TIME_FIELDS.findall(first)) == 2


def _pipeline(records, county=None) -> None:
    """validate + evaluate: issues or a report, never another exception."""
    issues = validate(records, county)
    errors = [i for i in issues if i.is_error]
    try:
        report = engine().evaluate(RULESET, records, county)
    except InputError as exc:
        assert errors, exc.issues
        assert all(i.is_error for i in exc.issues)
        return
    assert not errors
    json.loads(render(report))


SCHOOL_SCHEMA = load_schema("school")
COUNTY_SCHEMA = load_schema("county")

try:  # in the ``test`` extra; without it only this property is skipped
    from hypothesis_jsonschema import from_schema
except ImportError:  # pragma: no cover
    from_schema = None


@pytest.mark.skipif(from_schema is None, reason="hypothesis-jsonschema not installed")
@SLOW
@given(st.data())
def test_records_generated_from_the_schema_never_crash_the_pipeline(data):
    records = data.draw(st.lists(from_schema(SCHOOL_SCHEMA), min_size=1, max_size=5))
    county = data.draw(st.none() | from_schema(COUNTY_SCHEMA))
    _pipeline(records, county)


@SLOW
@given(school_records(max_size=8))
def test_realistic_records_never_crash_the_pipeline(records):
    _pipeline(records)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
keys = st.sampled_from([*SCHOOL_SCHEMA["properties"], "x"])


county_keys = st.sampled_from([*COUNTY_SCHEMA["properties"], "x"])


@SLOW
@given(
    st.lists(st.dictionaries(keys, json_values, max_size=10), min_size=1, max_size=4),
    st.none() | st.dictionaries(county_keys, json_values, max_size=6),
)
def test_arbitrary_json_records_never_crash_the_pipeline(records, county):
    _pipeline(records, county)
