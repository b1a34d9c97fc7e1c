"""Every hand-worked case file under tests/cases/ must hold (see junheng.testing).

The cases themselves are collected and run by junheng's pytest plugin
(``junheng.pytest_plugin``, entry point ``pytest11``): each file is a test item
``tests/cases/<ruleset id>/<case>.toml::<case>``. This module checks that every
built-in ruleset has cases and that plain ``pytest`` collects each case file once.
"""

import subprocess
import sys
from pathlib import Path

from junheng.pytest_plugin import _is_case
from junheng.testing import load_case

ROOT = Path(__file__).parent / "cases"
# files and folders starting with "_" hold shared defaults and case-local rulesets
CASES = sorted(
    p
    for p in ROOT.rglob("*.toml")
    if not any(part.startswith("_") for part in p.relative_to(ROOT).parts)
)


def test_cases_exist_for_every_builtin_ruleset(engine):
    covered = {load_case(p).ruleset for p in CASES}
    missing = set(engine.ruleset_ids()) - covered
    assert not missing, f"rulesets without hand-worked cases: {sorted(missing)}"


def test_plain_pytest_collects_every_case_file_once():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    items = [Path(line.split("::")[0]) for line in done.stdout.splitlines() if "::" in line]
    assert sorted(p.parts[-2:] for p in items) == sorted(p.parts[-2:] for p in CASES)
    assert all(_is_case(p) for p in CASES)
    assert not any(_is_case(p) for p in ROOT.rglob("_*.toml"))
