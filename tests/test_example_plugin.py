"""The documented path of a province's IT team, end to end: examples/junheng-example-province.

The example distribution is copied to a temporary folder (so no build/ or
*.egg-info lands in the checkout), built and pip-installed into a fresh virtual
environment that sees the test interpreter's packages through a ``.pth`` file
(the junheng under test and its dependencies, never another installation in the
base Python; nothing is downloaded: ``--no-build-isolation
--no-deps`` and ``PIP_NO_INDEX``), and then used through that environment's
``junheng`` command: ``rulesets list`` shows the plugin's ruleset and
``evaluate --ruleset example.quality`` reports the province's thresholds.

A fast in-process test checks the example's ruleset and hand-worked case
without installing anything.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from venvs import Venv, explain

from junheng import Engine
from junheng.testing import check_case, load_case

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "junheng-example-province"
CASES = sorted((EXAMPLE / "tests" / "cases").rglob("*.toml"))


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 300):
    return subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, encoding="utf-8", timeout=timeout
    )


_explain = explain


# -- in process: the example's ruleset and its hand-worked case ----------------------


@pytest.fixture
def example_plugin(monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # no __pycache__ in the checkout
    monkeypatch.syspath_prepend(str(EXAMPLE))
    monkeypatch.delitem(sys.modules, "junheng_example_province", raising=False)
    import junheng_example_province

    yield junheng_example_province
    sys.modules.pop("junheng_example_province", None)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_example_case_in_process(path, example_plugin):
    engine = Engine(plugins=[example_plugin])
    assert not engine.problems, engine.problems
    case = load_case(path)
    problems = check_case(case, engine)
    assert not problems, f"{case.title}\n" + "\n".join(problems)


def test_example_ruleset_overrides_only_what_differs(example_plugin):
    engine = Engine(plugins=[example_plugin])
    example = engine.ruleset("example.quality")
    national = engine.ruleset("national.quality.2017")
    assert example.extends == "national.quality.2017"
    # nothing of its own is unverified: only what it inherits (national's scope assumption)
    assert example.unverified_count() == national.unverified_count()
    equipment = example.indicators["equipment_value_per_student"]
    # cited by key and clause, shown with the document's issuer, title and number
    assert equipment.meta.document == "example_2099_1"
    assert equipment.meta.source.startswith("示例省教育厅《示例省县域义务教育优质均衡发展督导")
    assert "（示例省教育厅〔2099〕1号）第三条：" in equipment.meta.source
    # the CV limit is still the national one, cited to the inherited national document
    assert equipment.cv_document == "moe_2017_6" and "教督〔2017〕6号" in equipment.cv_source
    # rule tables: the national ones, minus the removed rule, plus the added veto
    assert set(example.indicators) == set(national.indicators)
    assert set(example.school_rules) == set(national.school_rules)
    assert set(example.county_items) == set(national.county_items) - {"quota_tilt"}
    assert set(example.vetoes) == set(national.vetoes) | {"education_funds_diverted"}
    # inherited rules are untouched
    for rid in ("teachers_above_degree_per100", "sports_area_per_student"):
        mine, theirs = example.indicators[rid], national.indicators[rid]
        assert (mine.threshold, mine.cv_limit, mine.formula.text, mine.meta.source) == (
            theirs.threshold,
            theirs.cv_limit,
            theirs.formula.text,
            theirs.meta.source,
        )
    assert equipment.cv_limit == national.indicators["equipment_value_per_student"].cv_limit


# -- installed into a virtual environment, used through its CLI --------------------


@pytest.fixture(scope="module")
def example_venv(tmp_path_factory):
    """A venv seeing the test interpreter's packages, with the example plugin pip-installed."""
    root = tmp_path_factory.mktemp("example-plugin")
    src = root / "junheng-example-province"
    shutil.copytree(
        EXAMPLE,
        src,
        ignore=shutil.ignore_patterns(
            "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache"
        ),
    )
    env = Venv(root)
    env.install(src)
    return {"python": env.python, "env": env.env, "root": root, "venv": env}


def _junheng(venv_info, *args: str):
    """The venv's junheng: its interpreter running the junheng package it sees."""
    return venv_info["venv"].junheng(*args)


def test_installed_plugin_is_listed_and_evaluates(example_venv):
    # the plugin is installed in the venv only, never into the test interpreter
    assert importlib.util.find_spec("junheng_example_province") is None

    listed = _junheng(example_venv, "rulesets", "list")
    assert listed.returncode == 0, _explain(listed)
    assert "example.quality" in listed.stdout, _explain(listed)
    assert "national.quality.2017" in listed.stdout, _explain(listed)

    plugins = _junheng(example_venv, "plugins")
    assert plugins.returncode == 0, _explain(plugins)
    assert "example" in plugins.stdout and "example.quality" in plugins.stdout, _explain(plugins)

    sample = example_venv["root"] / "sample"
    copied = _junheng(example_venv, "sample", "--output", str(sample))
    assert copied.returncode == 0, _explain(copied)

    out = example_venv["root"] / "report.json"
    evaluated = _junheng(
        example_venv,
        "evaluate",
        str(sample / "schools.json"),
        "--county",
        str(sample / "county.json"),
        "--ruleset",
        "example.quality",
        "--format",
        "json",
        "--output",
        str(out),
    )
    assert evaluated.returncode in (0, 1), _explain(evaluated)
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["ruleset"]["id"] == "example.quality"

    thresholds = {
        s["stage"]: s["checks"]["equipment_value_per_student"]["threshold"]
        for s in report["schools"]
        if "equipment_value_per_student" in s["checks"]
    }
    assert thresholds == {"primary": 2200, "junior": 2800}

    county = report["counties"][0]
    criteria = {c["id"]: c for c in county["criteria"] + county["vetoes"]}
    assert criteria["teacher_rotation"]["limit"] == 15  # overridden (national: 10)
    assert criteria["education_funds_diverted"]["kind"] == "veto"  # added
    assert "quota_tilt" not in criteria  # removed
    assert county["passed"] is (evaluated.returncode == 0)


def test_installed_plugin_resolved_origin_and_own_cases(example_venv):
    shown = _junheng(example_venv, "rulesets", "show", "example.quality", "--resolved")
    assert shown.returncode == 0, _explain(shown)
    assert "2200" in shown.stdout and "quality.toml" in shown.stdout, _explain(shown)

    # the example's own test suite, as the province's IT team runs it after installing
    tests = _run(
        [
            str(example_venv["python"]),
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(example_venv["root"] / "junheng-example-province" / "tests"),
        ],
        cwd=example_venv["root"],
        env=example_venv["env"],
    )
    assert tests.returncode == 0, _explain(tests)
    # the hand-worked case file is a test of its own, collected by junheng's pytest plugin
    cases = list(
        (example_venv["root"] / "junheng-example-province" / "tests" / "cases").rglob("*.toml")
    )
    assert f"{len(cases) + 1} passed" in tests.stdout, _explain(tests)
