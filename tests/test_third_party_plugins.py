"""Third-party plugins pip-installed into a fresh virtual environment, used through the CLI.

One distribution ``thirdparty-labs`` registers three plugins in the entry-point group
``junheng``:

- ``labs``: a school field ``labs_count``, a formula function ``per100`` reading it,
  a ruleset ``labs.quality`` (extends national.quality.2017) using both, and a
  ``junheng_prepare_records`` that removes the school ``360199-030``;
- ``closer``: a ``junheng_prepare_records`` that removes the school ``360199-031``;
- ``typo``: a misspelt hook ``junheng_ruleset``.

The installed ``junheng`` then validates records carrying the plugin's field with no
``--ruleset`` (the same registry as ``evaluate``), evaluates the plugin's ruleset with
neither removed school in the report, and warns naming the misspelt hook's plugin.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from venvs import Venv, explain

PYPROJECT = """
[build-system]
requires = ["setuptools>=61", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "thirdparty-labs"
version = "0.1.0"
dependencies = ["junheng"]

[project.entry-points.junheng]
labs = "thirdparty_labs.labs"
closer = "thirdparty_labs.closer"
typo = "thirdparty_labs.typo"

[tool.setuptools]
packages = ["thirdparty_labs"]

[tool.setuptools.package-data]
thirdparty_labs = ["*.toml"]
"""

LABS = """
from importlib import resources

from junheng import hookimpl
from junheng.formula import FormulaFunction


@hookimpl
def junheng_schema_extensions():
    return {"school": {"labs_count": {
        "type": "integer", "title": "实验室数", "description": "Labs of the school.",
        "x-unit": "间", "minimum": 0, "maximum": 200}}}


@hookimpl
def junheng_formula_functions():
    return [FormulaFunction("per100", lambda x, n: x / n * 100, 2, 2, "每百名学生")]


@hookimpl
def junheng_rulesets():
    return [resources.files(__package__).joinpath("labs.toml")]


@hookimpl
def junheng_prepare_records(schools, county, ruleset_id):
    schools[:] = [s for s in schools if s["id"] != "360199-030"]
"""

CLOSER = """
from junheng import hookimpl


@hookimpl
def junheng_prepare_records(schools):
    return [s for s in schools if s["id"] != "360199-031"]
"""

TYPO = """
from junheng import hookimpl


@hookimpl
def junheng_ruleset():
    return []
"""

RULESET = """
id = "labs.quality"
title = "实验室配置（第三方测试规则集）"
source = "第三方测试细则"
extends = "national.quality.2017"

[indicators.labs_per100]
title = "每百名学生实验室数"
formula = "per100(labs_count, students)"
unit = "间/百名学生"
threshold = 0.5
source = "第三方测试细则第一条"
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    root = tmp_path_factory.mktemp("third-party")
    src = root / "thirdparty-labs"
    package = src / "thirdparty_labs"
    package.mkdir(parents=True)
    (src / "pyproject.toml").write_text(PYPROJECT, "utf-8")
    (package / "__init__.py").write_text("", "utf-8")
    for name, text in (("labs.py", LABS), ("closer.py", CLOSER), ("typo.py", TYPO)):
        (package / name).write_text(textwrap.dedent(text), "utf-8")
    (package / "labs.toml").write_text(RULESET, "utf-8")
    env = Venv(root)
    env.install(src)
    # the sample county with the plugin's field on every school
    assert env.junheng("sample", "--output", "data").returncode == 0
    schools = json.loads((root / "data" / "schools.json").read_text("utf-8"))
    assert {"360199-030", "360199-031"} <= {s["id"] for s in schools}
    for k, school in enumerate(schools):
        school["labs_count"] = k % 7
    (root / "data" / "schools.json").write_text(json.dumps(schools, ensure_ascii=False), "utf-8")
    return env


def test_validate_without_ruleset_accepts_the_plugin_field(installed):
    done = installed.junheng("validate", "data/schools.json", "--county", "data/county.json")
    assert done.returncode == 0, explain(done)
    assert "labs_count" not in done.stdout  # no "unknown field" about it
    # and the misspelt hook is named, with the hook it meant
    assert "typo" in done.stderr and "junheng_ruleset" in done.stderr, explain(done)
    assert "junheng_rulesets" in done.stderr


def test_evaluate_uses_field_function_ruleset_and_both_preparations(installed):
    done = installed.junheng(
        "evaluate",
        "data/schools.json",
        "--county",
        "data/county.json",
        "--ruleset",
        "labs.quality",
        "--output",
        "report.json",
    )
    assert done.returncode in (0, 1), explain(done)
    assert "typo" in done.stderr and "junheng_ruleset" in done.stderr
    report = json.loads((installed.root / "report.json").read_text("utf-8"))
    ids = {s["id"] for s in report["schools"]} | {s["id"] for s in report["excluded_schools"]}
    assert "360199-030" not in ids and "360199-031" not in ids
    assert "360199-001" in ids
    checks = [s["checks"]["labs_per100"] for s in report["schools"]]
    assert checks and all(c["value"] is not None for c in checks)
    assert any(c["met"] is False for c in checks) and any(c["met"] is True for c in checks)


def test_plugins_lists_the_third_party_contributions(installed):
    done = installed.junheng("plugins")
    assert done.returncode == 0, explain(done)
    text = "".join(done.stdout.split())
    for expected in ("labs", "closer", "labs.quality", "per100", "school:labs_count"):
        assert expected in text, explain(done)
    assert "junheng_ruleset" in done.stdout


def test_the_plugin_field_is_in_the_template_and_reads_back(installed, tmp_path):
    done = installed.junheng("template", "--format", "csv", "--output", "t.csv")
    assert done.returncode == 0, explain(done)
    header = (installed.root / "t.csv").read_text("utf-8-sig").splitlines()[1]
    assert "labs_count [间]" in header
    assert Path(installed.root / "t.csv").stat().st_size > 0
