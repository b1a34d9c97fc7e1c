"""Data-driven ruleset test cases: a TOML file of inputs and the outcomes worked out by hand.

A case file reads like a worked example for a policy analyst::

    title = "6项达标、余项为要求的86%：学校资源配置达标"
    ruleset = "national.quality.2017"
    worked = '''生均教学仪器设备值 1720 元 = 2000 × 86% ≥ 85% ...'''

    [defaults.school]            # merged into every school (stage blocks merged key by key)
    county_code = "990001"
    ...

    [[schools]]
    id = "A"
    school_type = "primary"
    equipment_value_yuan = 172000

    [county]                     # optional county record, merged over [defaults.county]
    ...

    [expect.schools.A.primary]   # school id, then stage
    passed = true
    checks.resource_allocation = { met = true, value = 6 }
    checks.equipment_value_per_student = { met = false, shortfall = 28000 }

    [expect.counties.990001]
    passed = false
    failed = ["teacher_rotation"]            # exactly these criteria failed
    not_evaluated = []                        # exactly these were not evaluated
    criteria.teacher_rotation = { status = "failed", value = 8.5 }
    cv.primary.sports_area_per_student = 0.6
    composite_cv.primary = 0.2
    score_total = 88

    [expect]
    excluded = ["TP1"]                        # school ids left out of the checks

``"__remove__"`` in an input deletes that key from the merged record (TOML has
no null); ``"__none__"`` as an expected value means undefined / not evaluated.
Numbers match within ``tolerance`` (default 1e-6, set per file). Run them with
:func:`check_case` (the project's tests do, for every file under tests/cases).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from .engine import Engine
from .hookspecs import hookimpl
from .ruleset import read_toml


@attrs.frozen
class Case:
    path: str
    title: str
    ruleset: str
    ruleset_files: tuple[str, ...]
    schools: list[dict[str, Any]]
    county: dict[str, Any] | None
    expect: Mapping[str, Any]
    tolerance: float


REMOVE = "__remove__"  # TOML has no null: this value deletes the key from the merged record
NONE = "__none__"  # expected value "undefined / not evaluated" (JSON null)


def _deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(base))
    for k, v in over.items():
        if v == REMOVE:
            out.pop(k, None)
        elif isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


_STAGES_OF_TYPE = {
    "primary": ("primary",),
    "teaching_point": ("primary",),
    "junior": ("junior",),
    "complete_middle": ("junior",),
    "nine_year": ("primary", "junior"),
    "twelve_year": ("primary", "junior"),
    "special_education": ("primary",),
}


def load_case(path: str | Path) -> Case:
    """Read a case file; ``base = "file.toml"`` (relative) supplies shared ``[defaults]``."""
    data, name = read_toml(path)
    defaults: dict[str, Any] = {}
    if "base" in data:
        base, _ = read_toml(Path(path).parent / data["base"])
        defaults = base.get("defaults", {})
    defaults = _deep_merge(defaults, data.get("defaults", {}))
    schools = []
    for s in data.get("schools", []):
        merged = _deep_merge(defaults.get("school", {}), s)
        # stage blocks default by school type; `junior = false` removes one
        for stage in _STAGES_OF_TYPE.get(merged.get("school_type", ""), ()):
            if stage not in merged:
                merged[stage] = {}
        for stage in ("primary", "junior"):
            if merged.get(stage) is False:
                del merged[stage]
            elif stage in merged:
                merged[stage] = _deep_merge(defaults.get(stage, {}), merged[stage])
        schools.append(merged)
    county = None
    if "county" in data:
        county = _deep_merge(defaults.get("county", {}), data["county"])
    return Case(
        path=name,
        title=data.get("title", name),
        ruleset=data["ruleset"],
        ruleset_files=tuple(str(Path(path).parent / f) for f in data.get("ruleset_files", [])),
        schools=schools,
        county=county,
        expect=data.get("expect", {}),
        tolerance=float(data.get("tolerance", 1e-6)),
    )


class _CaseRulesets:
    """A plugin object contributing the case's own ruleset files (e.g. an ``extends`` overlay)."""

    def __init__(self, files: tuple[str, ...]):
        self.__name__ = "case-rulesets"
        self._files = files

    @hookimpl
    def junheng_rulesets(self):
        return [Path(f) for f in self._files]


def _close(actual: Any, expected: Any, tol: float) -> bool:
    if expected == NONE:
        return actual is None
    if isinstance(expected, list):  # e.g. a criterion's evidence sentences
        actual = list(actual) if isinstance(actual, (list, tuple)) else actual
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_close(a, e, tol) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, bool) or expected is None or isinstance(expected, str):
        return actual == expected
    if actual is None:
        return False
    return math.isclose(float(actual), float(expected), rel_tol=tol, abs_tol=tol)


def check_case(case: Case, engine: Engine | None = None) -> list[str]:
    """Evaluate the case and return every mismatch (empty list = the case holds)."""
    if case.ruleset_files:
        engine = Engine(plugins=[_CaseRulesets(case.ruleset_files)])
    engine = engine or Engine()
    report = engine.evaluate(case.ruleset, case.schools, case.county)
    problems: list[str] = []
    exp = case.expect
    tol = case.tolerance

    rows = {(r.id, r.stage): r for r in report.schools.rows(included_only=False)}
    included = {(r.id, r.stage) for r in report.schools.rows()}
    for sid, stages in exp.get("schools", {}).items():
        for stage, want in stages.items():
            row = rows.get((sid, stage))
            if row is None:
                problems.append(f"学校 {sid}/{stage} 不在结果中")
                continue
            if (
                "passed" in want
                and (row.passed if (sid, stage) in included else None) != want["passed"]
            ):
                problems.append(f"{sid}/{stage}: passed = {row.passed}, 期望 {want['passed']}")
            for cid, fields in want.get("checks", {}).items():
                check = row.checks.get(cid)
                if check is None:
                    problems.append(f"{sid}/{stage}: 没有检查项 {cid}")
                    continue
                for key, value in fields.items():
                    actual = getattr(check, key)
                    if not _close(actual, value, tol):
                        problems.append(f"{sid}/{stage} {cid}.{key} = {actual!r}, 期望 {value!r}")

    if "excluded" in exp:
        excluded = sorted({e["id"] for e in report.schools.excluded()})
        if excluded != sorted(exp["excluded"]):
            problems.append(f"未参评学校 = {excluded}, 期望 {sorted(exp['excluded'])}")

    for code, want in exp.get("counties", {}).items():
        try:
            county = report.county(code)
        except KeyError:
            problems.append(f"县 {code} 不在结果中")
            continue
        if "passed" in want and county.passed != want["passed"]:
            problems.append(f"县 {code}: passed = {county.passed}, 期望 {want['passed']}")
        for key, status in (("failed", "failed"), ("not_evaluated", "not_evaluated")):
            if key in want:
                got = sorted(c.id for c in county.criteria if c.status == status)
                if got != sorted(want[key]):
                    problems.append(f"县 {code} {key} = {got}, 期望 {sorted(want[key])}")
        by_id = {c.id: c for c in county.criteria}
        for cid, fields in want.get("criteria", {}).items():
            c = by_id.get(cid)
            if c is None:
                problems.append(f"县 {code}: 没有评估项 {cid}")
                continue
            for key, value in fields.items():
                if not _close(getattr(c, key), value, tol):
                    problems.append(f"县 {code} {cid}.{key} = {getattr(c, key)!r}, 期望 {value!r}")
        groups = {g.stage: g for g in county.groups}
        for stage, inds in want.get("cv", {}).items():
            for iid, value in inds.items():
                g = groups.get(stage)
                actual = g.indicators[iid].cv if g and iid in g.indicators else None
                if not _close(actual, value, tol):
                    problems.append(f"县 {code} {stage} {iid} 差异系数 = {actual}, 期望 {value}")
        for stage, value in want.get("composite_cv", {}).items():
            g = groups.get(stage)
            actual = g.composite_cv if g else None
            if not _close(actual, value, tol):
                problems.append(f"县 {code} {stage} 综合差异系数 = {actual}, 期望 {value}")
        if "score_total" in want:
            actual = county.score.total if county.score else None
            if not _close(actual, want["score_total"], tol):
                problems.append(f"县 {code} 总分 = {actual}, 期望 {want['score_total']}")
        for nid, value in want.get("score_points", {}).items():
            lines = {line.id: line for line in county.score.lines} if county.score else {}
            actual = lines[nid].points if nid in lines else None
            if not _close(actual, value, tol):
                problems.append(f"县 {code} 评分项 {nid} = {actual}, 期望 {value}")
    return problems
