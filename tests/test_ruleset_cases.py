"""Every hand-worked case file under tests/cases/ must hold (see junheng.testing)."""

from pathlib import Path

import pytest

from junheng.testing import check_case, load_case

ROOT = Path(__file__).parent / "cases"
# files and folders starting with "_" hold shared defaults and case-local rulesets
CASES = sorted(
    p
    for p in ROOT.rglob("*.toml")
    if not any(part.startswith("_") for part in p.relative_to(ROOT).parts)
)


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_case(path, engine):
    case = load_case(path)
    problems = check_case(case, engine)
    assert not problems, f"{case.title}\n" + "\n".join(problems)


def test_cases_exist_for_every_builtin_ruleset(engine):
    covered = {load_case(p).ruleset for p in CASES}
    missing = set(engine.ruleset_ids()) - covered
    assert not missing, f"rulesets without hand-worked cases: {sorted(missing)}"
