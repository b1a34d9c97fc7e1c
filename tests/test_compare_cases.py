"""The hand-worked comparison cases (tests/compare_cases/*.toml, described in its README):
each case's inputs evaluated twice with the real engine, both reports written to disk as
JSON, compared by the CLI in-process, and the comparison held to exactly what the case
says — everything the case does not list must not have changed."""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from compare_helpers import assert_valid_comparison

import junheng
from junheng.cli import main
from junheng.outputs import render
from junheng.ruleset import read_toml
from junheng.testing import REMOVE, load_case

FOLDER = Path(__file__).parent / "compare_cases"
CASES = sorted(p for p in FOLDER.glob("*.toml") if not p.name.startswith("_"))


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(base))
    for key, value in over.items():
        if value == REMOVE:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _inputs(path: Path):
    """(old schools, old county, new schools, new county, new ruleset, new ruleset files)."""
    case = load_case(path)
    data, _ = read_toml(path)
    new = data.get("new", {})
    old_schools, new_schools = [], []
    for school in case.schools:
        only = school.pop("only", None)
        if only != "new":
            old_schools.append(school)
        if only != "old":
            new_schools.append(_merge(school, new.get("schools", {}).get(school["id"], {})))
    new_county = _merge(case.county or {}, new.get("county", {})) if case.county else None
    files = [path.parent / f for f in new.get("ruleset_files", [])]
    return (
        case.ruleset,
        old_schools,
        case.county,
        new.get("ruleset", case.ruleset),
        files,
        new_schools,
        new_county,
        data.get("expect", {}),
    )


def _close(actual: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(expected, str) or expected is None:
        return actual == expected
    if actual is None or isinstance(actual, bool):
        return False
    return math.isclose(actual, expected, rel_tol=1e-6, abs_tol=1e-9)


def _fields(where: str, actual: Mapping[str, Any], expected: Mapping[str, Any], problems: list):
    for key, value in expected.items():
        if not _close(actual.get(key), value):
            problems.append(f"{where}.{key} = {actual.get(key)!r}，期望 {value!r}")


def _exact(where: str, actual: list, expected: list, problems: list) -> None:
    if sorted(actual) != sorted(expected):
        problems.append(f"{where} = {sorted(actual)}，期望 {sorted(expected)}")


def _check(doc: Mapping[str, Any], expect: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    if doc["ruleset"]["same"] != expect.get("same_ruleset", True):
        problems.append(f"ruleset.same = {doc['ruleset']['same']}")
    wanted_notes = expect.get("notes", [])
    if len(doc["notes"]) != len(wanted_notes) or not all(
        w in n for w, n in zip(wanted_notes, doc["notes"], strict=False)
    ):
        problems.append(f"notes = {doc['notes']}，期望含 {wanted_notes}")
    counties = {c["county_code"]: c for c in doc["counties"]}
    _exact("counties", list(counties), list(expect.get("counties", {})), problems)
    for code, want in expect.get("counties", {}).items():
        county = counties.get(code)
        if county is None:
            continue
        if county["verdict"] != want.get("verdict", "unchanged"):
            problems.append(f"{code}.verdict = {county['verdict']}，期望 {want.get('verdict')}")
        by_id = {}
        for key in ("newly_met", "newly_failed", "newly_not_evaluated"):
            ids = [c["id"] for c in county[key]]
            _exact(f"{code}.{key}", ids, want.get(key, []), problems)
            by_id.update({c["id"]: c for c in county[key]})
        still = {c["id"]: c for c in county["still_failed"]}
        _exact(f"{code}.still_failed", list(still), list(want.get("still_failed", {})), problems)
        for cid, fields in want.get("still_failed", {}).items():
            if cid in still:
                _fields(f"{code}.still_failed.{cid}", still[cid], fields, problems)
        for cid, fields in want.get("criteria", {}).items():
            if cid not in by_id:
                problems.append(f"{code}: {cid} 不在变化的项目中")
            else:
                _fields(f"{code}.{cid}", by_id[cid], fields, problems)
        for key in ("criteria_only_old", "criteria_only_new"):
            _exact(f"{code}.{key}", [c["id"] for c in county[key]], want.get(key, []), problems)
        crossed = {
            f"{v['stage']}.{v['indicator']}": v
            for v in county["cv"]
            if v["change"] in ("newly_met", "newly_failed")
        }
        _exact(f"{code}.cv_crossed", list(crossed), list(want.get("cv_crossed", {})), problems)
        for key, fields in want.get("cv_crossed", {}).items():
            if key in crossed:
                _fields(f"{code}.cv.{key}", crossed[key], fields, problems)
    schools = {f"{s['id']}/{s['stage']}": s for s in doc["schools"]}
    _exact("schools", list(schools), list(expect.get("schools", {})), problems)
    for key, want in expect.get("schools", {}).items():
        school = schools.get(key)
        if school is None:
            continue
        _fields(key, school, {k: v for k, v in want.items() if k != "gaps"}, problems)
        gaps = {g["check"]: g for g in school["gaps"]}
        _exact(f"{key}.gaps", list(gaps), list(want.get("gaps", {})), problems)
        for cid, fields in want.get("gaps", {}).items():
            if cid in gaps:
                _fields(f"{key}.{cid}", gaps[cid], fields, problems)
    for side in ("schools_only_old", "schools_only_new"):
        units = {f"{s['id']}/{s['stage']}": s for s in doc[side]}
        _exact(side, list(units), expect.get(side, []), problems)
        for key, words in expect.get("excluded_reason", {}).items():
            if key in units and words not in (units[key]["excluded_reason"] or ""):
                problems.append(f"{key}.excluded_reason = {units[key]['excluded_reason']!r}")
    return problems


def test_there_is_a_case_per_kind_of_change():
    names = {p.stem for p in CASES}
    for kind in (
        "verdict_failed_to_passed",
        "verdict_passed_to_failed",
        "criteria_newly_met_and_newly_failed",
        "cv_crosses_limit_upward",
        "cv_crosses_limit_downward",
        "school_gap_closed",
        "school_gap_reduced",
        "school_gap_grown",
        "school_gap_new",
        "schools_only_in_one_report",
        "ruleset_version_changed",
        "newly_not_evaluated",
    ):
        assert kind in names


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_compare_case(path: Path, tmp_path: Path, capfd):
    old_rs, old_schools, old_county, new_rs, files, new_schools, new_county, expect = _inputs(path)
    engine = junheng.Engine()
    for f in files:
        engine.add_ruleset_file(f)
    old = engine.evaluate(old_rs, old_schools, old_county)
    new = engine.evaluate(new_rs, new_schools, new_county)
    (tmp_path / "old.json").write_bytes(render(old, "json"))
    (tmp_path / "new.json").write_bytes(render(new, "json"))
    out = tmp_path / "compare.json"
    status = main(
        ["compare", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "-o", str(out)]
    )
    captured = capfd.readouterr()
    assert status == 0, captured.err
    doc = json.loads(out.read_text("utf-8"))
    assert_valid_comparison(doc)
    problems = _check(doc, expect)
    title = read_toml(path)[0]["title"]
    assert not problems, f"{title}\n" + "\n".join(f"  - {p}" for p in problems)
