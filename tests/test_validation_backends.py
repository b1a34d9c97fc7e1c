"""Differential test: the jsonschema-rs fast path and plain jsonschema agree.

Both backends are run on a valid corpus (bench-generated national records, the
sample county) and an invalid corpus (one mutation per record of every kind the
schemas check). For every record they must flag the same (record, path, keyword)
set, and ``validate()`` must return the same issues with and without the fast
backend.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import random
from importlib import resources
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from junheng import validation
from junheng.fields import load_schema

jsonschema_rs = pytest.importorskip("jsonschema_rs")

ROOT = Path(__file__).resolve().parent.parent


def _generate(n: int):
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.generate(n, seed=7)


def _sample():
    base = resources.files("junheng.sample")
    schools = json.loads(base.joinpath("schools.json").read_text(encoding="utf-8"))
    county = json.loads(base.joinpath("county.json").read_text(encoding="utf-8"))
    return schools, county


def _mutations(record: dict, rng: random.Random) -> list[dict]:
    """One invalid copy of ``record`` per kind of schema rule."""
    stage = "primary" if "primary" in record else "junior"
    out = []

    def m(fn):
        r = copy.deepcopy(record)
        fn(r)
        out.append(r)

    m(lambda r: r.pop("id"))  # required
    m(lambda r: r.update(bogus=1))  # additionalProperties
    m(lambda r: r.update(year="2025"))  # type
    m(lambda r: r.update(year=1999))  # minimum
    m(lambda r: r.update(year=2101))  # maximum
    m(lambda r: r.update(year=2025.5))  # type (non-integral float)
    m(lambda r: r.update(year=2025.0))  # valid: integral float is an integer
    m(lambda r: r.update(school_type="college"))  # enum
    m(lambda r: r.update(county_code="12345"))  # pattern
    m(lambda r: r.update(id=""))  # minLength
    m(lambda r: r.update(name="x" * 201))  # maxLength
    m(lambda r: r.update(boarding=None))  # type null
    m(lambda r: r.update(central_school_id=5))  # type of a union
    m(lambda r: r[stage].update(students=-1))  # nested minimum
    m(lambda r: r[stage].update(students=True))  # bool is not an integer
    m(lambda r: r[stage].update(classes="12"))  # nested type
    m(lambda r: r[stage].pop("teachers"))  # nested required
    m(lambda r: r[stage].update(extra=3))  # nested additionalProperties
    m(lambda r: r.update({stage: [1, 2]}))  # block of the wrong type
    m(lambda r: r.update(equipment_value_yuan=2e10))  # number maximum
    m(lambda r: r.update(sports_area_m2=[]))  # array for a number
    m(lambda r: r.update(books=10**30))  # a huge integer
    m(lambda r: (r.pop("name"), r.update(year="x"), r[stage].update(students=-5)))  # several
    return out


def _ref(validator: Draft202012Validator, record) -> set[tuple[tuple, str]]:
    return {(tuple(e.absolute_path), str(e.validator)) for e in validator.iter_errors(record)}


def _fast(validator, record) -> set[tuple[tuple, str]]:
    return {(tuple(e.instance_path), str(e.schema_path[-1])) for e in validator.iter_errors(record)}


def _corpus():
    schools, counties = _generate(300)
    sample_schools, sample_county = _sample()
    valid = {"school": [*schools, *sample_schools], "county": [*counties, sample_county]}
    rng = random.Random(11)
    invalid = {"school": [], "county": []}
    for rec in [*sample_schools[:6], *schools[:20]]:
        invalid["school"] += _mutations(rec, rng)
    for c in [*counties[:3], sample_county]:
        for bad in (
            {"county_code": 360199},
            {"year": "2025"},
            {"finance": {"year": 2024}},
            {"items": {"teacher_rotation_pct": "high"}},
            {"surplus": True},
        ):
            invalid["county"].append({**copy.deepcopy(c), **bad})
        invalid["county"].append({k: v for k, v in c.items() if k != "county_code"})
    return valid, invalid


def test_backends_flag_the_same_records_paths_and_keywords():
    valid, invalid = _corpus()
    for name in ("school", "county"):
        schema = load_schema(name)
        ref = Draft202012Validator(schema)
        fast = jsonschema_rs.Draft202012Validator(schema)
        for corpus, expect_valid in ((valid[name], True), (invalid[name], None)):
            for i, record in enumerate(corpus):
                want = _ref(ref, record)
                assert _fast(fast, record) == want, (name, i, record)
                assert fast.is_valid(record) == (not want), (name, i)
                if expect_valid:
                    assert not want, (name, i, want)
        assert any(_ref(ref, r) for r in invalid[name])


def _fresh():
    """A registry of the core schemas with nothing compiled yet (the backend is chosen then)."""
    from junheng.registry import Registry

    return Registry.build(load_schema("school"), load_schema("county"))


def test_validate_same_issues_with_and_without_fast_backend(monkeypatch):
    valid, invalid = _corpus()
    schools = valid["school"] + invalid["school"]
    counties = valid["county"][:2] + invalid["county"][:4]
    required = {"primary.students", "junior.pe_arts_teachers", "teaching_room_area_m2"}
    fast = validation.validate(schools, counties, required_fields=required)
    monkeypatch.setattr(validation.schema, "jsonschema_rs", None)
    slow = validation.validate(schools, counties, required_fields=required, registry=_fresh())
    assert [i.to_dict() for i in fast] == [i.to_dict() for i in slow]
    assert any(i.is_error for i in fast)
