"""Hand-worked plans (tests/plan_cases/*.toml): inputs, the arithmetic, the plan expected.

Each file is a ruleset case (``junheng.testing``: ``[[schools]]``, ``[county]``, a ``base``
of shared defaults, ``[expect]`` for the evaluation before the plan) plus ``[expect_plan]``:
the plan's status, its costs, exactly the additions and moves expected, and CVs after. The
records after the plan are evaluated again here, independently of what the plan reports.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from junheng.plan import plan
from junheng.ruleset import read_toml
from junheng.testing import check_case, load_case

CASES = Path(__file__).parent / "plan_cases"
FILES = sorted(p for p in CASES.glob("*.toml") if not p.name.startswith(("_", "costs_")))


def test_there_are_the_four_cases_the_issue_asks_for():
    names = {p.stem for p in FILES}
    assert {
        "cv_water_filling",
        "nine_year_1000m2",
        "relax_cheaper",
        "move_cheaper_than_hire",
    } <= names


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_plan_case(path, engine):
    data, _ = read_toml(path)
    assert data.get("worked", "").strip(), "a case writes its arithmetic out (worked = ...)"
    case = load_case(path)
    problems = check_case(case, engine)  # the evaluation before the plan is as worked out
    assert not problems, problems
    costs = str(CASES / data["costs"]) if "costs" in data else None
    result = plan(engine, case.ruleset, case.schools, case.county, costs=costs)
    want = data["expect_plan"]
    county = result.counties[0]
    assert county.status == want["status"]
    for key in ("total_cost", "one_off_cost", "yearly_cost", "naive_cost"):
        if key in want:
            assert math.isclose(getattr(county, key), want[key], abs_tol=1e-6), (
                key,
                getattr(county, key),
            )
    # stage: null for a school-wide asset, the stage for a teacher
    got = sorted((a.school_id, a.lever, a.amount, a.stage) for a in county.additions)
    expected = sorted(
        (a["school"], a["lever"], float(a["amount"]), a.get("stage")) for a in want["additions"]
    )
    assert got == expected
    moves = sorted((m.from_id, m.to_id, m.field, m.count) for m in county.moves)
    assert moves == sorted((m["from"], m["to"], m["field"], m["count"]) for m in want["moves"])
    # the engine's own verdict on the records after the plan
    after = engine.evaluate(case.ruleset, list(result.schools_after), case.county)
    school_based = [c for c in after.counties[0].criteria if c.kind in ("schools", "cv")]
    assert school_based and all(c.status == "met" for c in school_based)
    for stage, inds in want.get("cv_after", {}).items():
        for iid, value in inds.items():
            cv = next(c for c in county.cvs if c.indicator == iid and c.stage == stage)
            assert math.isclose(cv.after, value, rel_tol=1e-9), (iid, cv.after)
