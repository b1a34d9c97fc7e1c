"""Folding teaching points into their central school (issue 12, item 13): no pupil lost.

Two teaching points naming each other as central school were both dropped (53 pupils in
no unit, each "folded into the other"); a chain A → B → C gave C 795 pupils instead of
813. Now validation names the chain (warning) and the cycle (error), folding follows a
chain to its end, and per county: pupils in = pupils of the units evaluated + pupils of
the units excluded without being folded.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

import junheng
from junheng import hookimpl

FOLD = Path(__file__).parent / "cases" / "_rulesets" / "fold.toml"


class _Fold:
    __name__ = "fold-overlay"

    @hookimpl
    def junheng_rulesets(self):
        return [FOLD]


@pytest.fixture(scope="module")
def engine():
    return junheng.Engine(plugins=[_Fold()])


@pytest.fixture
def sample(engine):
    return copy.deepcopy(engine.sample())


def _by_id(schools):
    return {s["id"]: s for s in schools}


def _pupils_counted(report) -> dict[str, float]:
    """Per county: pupils of the units evaluated + pupils of the units excluded unfolded."""
    units = report.schools.units
    students = units.columns["students"]
    unfolded = np.array([f is None for f in units.folded_into], dtype=bool)
    out = {}
    for k, code in enumerate(units.county_codes):
        mine = units.county_index == k
        out[code] = (
            students[mine & units.included].sum()
            + students[mine & ~units.included & unfolded].sum()
        )
    return out


def _pupils_in(schools, code) -> float:
    return float(
        sum(
            s.get(stage, {}).get("students", 0)
            for s in schools
            if s["county_code"] == code
            for stage in ("primary", "junior")
        )
    )


def _assert_no_pupil_lost(report, schools):
    for code, counted in _pupils_counted(report).items():
        assert counted == pytest.approx(_pupils_in(schools, code)), code


def test_the_sample_folds_without_losing_a_pupil(engine, sample):
    schools, county = sample
    report = engine.evaluate("test.quality.fold", schools, county)
    _assert_no_pupil_lost(report, schools)


def test_a_chain_of_teaching_points_folds_into_its_end(engine, sample):
    schools, county = sample
    points = [s for s in schools if s["school_type"] == "teaching_point"]
    a, b = points[0], points[1]
    root = b["central_school_id"]
    a["central_school_id"] = b["id"]  # A → B → root
    issues = engine.validate(schools, county)
    chain = [i for i in issues if i.code == "central_school_chain"]
    assert [i.record_id for i in chain] == [a["id"]] and chain[0].severity == "warning"
    assert root in chain[0].message
    report = engine.evaluate("test.quality.fold", schools, county)
    _assert_no_pupil_lost(report, schools)
    units = report.schools.units
    root_unit = next(u for u in range(units.size) if units.ids[u] == root and units.stage[u] == 0)
    own = _by_id(schools)[root]["primary"]["students"]
    folded = sum(
        p["primary"]["students"] for p in points if p is a or p["central_school_id"] == root
    )
    assert units.columns["students"][root_unit] == own + folded
    a_unit = next(u for u in range(units.size) if units.ids[u] == a["id"])
    assert units.folded_into[a_unit] == root and b["id"] in units.excluded_reason[a_unit]


def test_teaching_points_naming_each_other_are_an_error(engine, sample):
    schools, county = sample
    points = [s for s in schools if s["school_type"] == "teaching_point"]
    a, b = points[0], points[1]
    a["central_school_id"], b["central_school_id"] = b["id"], a["id"]
    issues = engine.validate(schools, county)
    cycle = [i for i in issues if i.code == "central_school_cycle"]
    assert {i.record_id for i in cycle} == {a["id"], b["id"]}
    for issue in cycle:
        assert issue.is_error
        assert (
            f"{a['id']} → {b['id']}" in issue.message or f"{b['id']} → {a['id']}" in issue.message
        )
    with pytest.raises(junheng.InputError):
        engine.evaluate("test.quality.fold", schools, county)


def test_a_cycle_given_unvalidated_is_excluded_saying_so_never_folded(engine, sample):
    schools, county = sample
    points = [s for s in schools if s["school_type"] == "teaching_point"]
    a, b = points[0], points[1]
    a["central_school_id"], b["central_school_id"] = b["id"], a["id"]
    report = engine.evaluate("test.quality.fold", schools, county, validate_input=False)
    units = report.schools.units
    for point in (a, b):
        u = next(u for u in range(units.size) if units.ids[u] == point["id"])
        assert units.folded_into[u] is None and not units.included[u]
        assert "互相指向" in units.excluded_reason[u]
    _assert_no_pupil_lost(report, schools)


def test_a_three_long_chain_counts_every_pupil_once(engine, sample):
    schools, county = sample
    points = [s for s in schools if s["school_type"] == "teaching_point"]
    a, b, c = points[:3]
    root = c["central_school_id"]
    a["central_school_id"], b["central_school_id"] = b["id"], c["id"]  # A → B → C → root
    report = engine.evaluate("test.quality.fold", schools, county)
    _assert_no_pupil_lost(report, schools)
    units = report.schools.units
    for point in (a, b, c):
        u = next(u for u in range(units.size) if units.ids[u] == point["id"])
        assert units.folded_into[u] == root
