"""Properties of every plan, on generated counties (hypothesis).

For any county of primary, junior and nine-year schools whose resources range from far
below to far above ``national.quality.2017``'s requirements:

* applying the plan makes every school-based criterion pass — checked by evaluating the
  records after the plan with the engine, not by trusting the plan;
* no plan adds to (or moves teachers into) a school that needs nothing, unless a
  difference coefficient requires it;
* every amount is a whole number of units, every cost non-negative, and a move never
  leaves its school of origin short of anything.
"""

from __future__ import annotations

import math

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from junheng import Engine
from junheng.plan import plan

ENGINE = Engine()
RULESET = "national.quality.2017"
#: requirement per student (per 100 for counts): primary, junior
NEED = {
    "teachers_above_degree": (4.2, 5.3, 100),
    "backbone_teachers_county": (1.0, 1.0, 100),
    "pe_arts_teachers": (0.9, 0.9, 100),
    "teaching_room_area_m2": (4.5, 5.8, 1),
    "sports_area_m2": (7.5, 10.2, 1),
    "equipment_value_yuan": (2000, 2500, 1),
    "multimedia_rooms": (2.3, 2.4, 100),
}
WIDE = ("teaching_room_area_m2", "sports_area_m2", "equipment_value_yuan", "multimedia_rooms")
factor = st.floats(min_value=0.2, max_value=3.0, allow_nan=False)
school = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["primary", "primary", "junior", "nine_year"]),
        "primary": st.integers(30, 1800),
        "junior": st.integers(30, 1500),
        "factors": st.fixed_dictionaries({k: factor for k in NEED}),
    }
)


def _records(specs):
    out = []
    for k, spec in enumerate(specs):
        stages = {
            "primary": ("primary",),
            "junior": ("junior",),
            "nine_year": ("primary", "junior"),
        }
        own = stages[spec["type"]]
        rec = {
            "id": f"990001-{k:03d}",
            "name": f"学校{k}",
            "county_code": "990001",
            "year": 2025,
            "school_type": spec["type"],
            "central_school_id": None,
        }
        total = sum(spec[s] for s in own)
        classes = 0
        for s in own:
            n = spec[s]
            c = math.ceil(n / 40)
            classes += c
            block = {"students": n, "classes": c, "max_class_size": 40}
            for kind in ("teachers_above_degree", "backbone_teachers_county", "pe_arts_teachers"):
                need = NEED[kind][0 if s == "primary" else 1] * n / 100
                block[kind] = max(0, round(need * spec["factors"][kind]))
            block["teachers"] = (
                max(block["teachers_above_degree"], block["backbone_teachers_county"])
                + block["pe_arts_teachers"]
                + max(1, n // 25)
            )
            block["senior_title_teachers"] = block["teachers"] // 3
            block["backbone_teachers_city"] = block["backbone_teachers_county"] // 2
            rec[s] = block
        for field in WIDE:
            p, j, scale = NEED[field]
            need = sum((p if s == "primary" else j) * spec[s] for s in own) / scale
            value = need * spec["factors"][field]
            rec[field] = round(value) if field == "multimedia_rooms" else round(value, 1)
        rec |= {
            "music_rooms": math.ceil(classes / 12),
            "art_rooms": math.ceil(classes / 12),
            "music_room_min_area_m2": 100,
            "art_room_min_area_m2": 95,
            "public_funds_yuan": 100000,
            "teacher_training_funds_yuan": 6000,
            "computers": total // 10,
            "books": total * 30,
            "special_room_kinds": 9,
        }
        out.append(rec)
    return out


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(school, min_size=2, max_size=9))
def test_every_plan_passes_and_adds_only_where_needed(specs):
    records = _records(specs)
    result = plan(ENGINE, RULESET, records)
    county = result.counties[0]
    assert county.unreachable == ()
    # the engine's verdict on the records after the plan, evaluated afresh
    after = ENGINE.evaluate(RULESET, list(result.schools_after))
    school_based = [c for c in after.counties[0].criteria if c.kind in ("schools", "cv")]
    assert school_based and all(c.status == "met" for c in school_based), [
        (c.id, c.status, c.value) for c in school_based
    ]
    assert county.school_based_met
    before = ENGINE.evaluate(RULESET, records)
    needs_something = {r.id for r in before.schools.rows() if r.passed is not True}
    for a in county.additions:
        assert a.amount == int(a.amount) and a.amount > 0 and a.cost >= 0
        if a.school_id not in needs_something:
            assert a.reason == "cv", a
    for m in county.moves:
        assert m.count >= 1 and m.cost >= 0
        if m.to_id not in needs_something:
            assert m.reason == "cv", m
    # a school that gave teachers still meets everything (it is among the passing units)
    passed_after = {r.id for r in after.schools.rows() if r.passed}
    assert {m.from_id for m in county.moves} <= passed_after
