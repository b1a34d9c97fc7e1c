"""Run every hand-worked case under tests/cases/ against the installed plugin.

    pip install -e '.[test]'    # next to junheng
    python -m pytest -q

``junheng.Engine()`` discovers the plugin through its entry point, exactly as the
``junheng`` command does, so a case failing with "unknown ruleset" means the
plugin is not installed (or its entry point is wrong).
"""

from pathlib import Path

import pytest

from junheng import Engine
from junheng.testing import check_case, load_case

CASES = sorted((Path(__file__).parent / "cases").rglob("*.toml"))


@pytest.fixture(scope="module")
def engine():
    return Engine()


def test_plugin_is_discovered(engine):
    assert "example.quality" in engine.ruleset_ids(), [str(p) for p in engine.problems]


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_case(path, engine):
    case = load_case(path)
    problems = check_case(case, engine)
    assert not problems, f"{case.title}\n" + "\n".join(problems)
