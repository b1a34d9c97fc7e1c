"""pytest plugin: hand-worked ruleset cases are tests, collected from ``tests/cases/**/*.toml``.

Installed with junheng (entry point ``pytest11``), like OpenFisca's YAML test
runner: a province's repository keeps its worked examples as data files under a
``cases`` folder and runs them with plain ``pytest``, no test module to copy::

    tests/cases/example.quality/equipment_rotation_veto.toml   # one case (see junheng.testing)
    tests/cases/example.quality/_base.toml                     # shared defaults: "_" is not a case

Every ``.toml`` file below a folder named ``cases`` whose name (and folders below
``cases``) does not start with ``_`` and that names a ``ruleset`` is one test item;
it evaluates the case with an :class:`~junheng.Engine` of the installed plugins
(one per session) and fails listing every mismatch between the engine's result
and the outcome worked out by hand. ``-p no:junheng`` switches the plugin off.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

_ENGINE = pytest.StashKey[Any]()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix == ".toml" and _is_case(file_path):
        return CaseFile.from_parent(parent, path=file_path)
    return None


def _is_case(path: Path) -> bool:
    parts = path.parts
    if "cases" not in parts[:-1]:
        return False
    below = parts[len(parts) - 1 - parts[::-1].index("cases") :]
    if any(p.startswith("_") for p in below):
        return False
    try:
        head = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return False
    return any(line.lstrip().startswith("ruleset") for line in head.splitlines())


class CaseFile(pytest.File):
    """A case file: one test item, named after the file."""

    def collect(self):
        yield CaseItem.from_parent(self, name=self.path.stem)


class CaseFailed(Exception):
    """The engine's result differs from the case's expected outcomes."""


class CaseItem(pytest.Item):
    """One hand-worked case: inputs → the verdicts, checks and CVs worked out by hand."""

    def runtest(self) -> None:
        from .testing import check_case, load_case

        case = load_case(self.path)
        problems = check_case(case, _engine(self.config))
        if problems:
            raise CaseFailed(f"{case.title}\n" + "\n".join(f"  - {p}" for p in problems))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, CaseFailed):
            return f"用例与引擎结果不一致 (case does not hold): {excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"junheng case {self.path.parent.name}/{self.name}"


def _engine(config: pytest.Config) -> Any:
    engine = config.stash.get(_ENGINE, None)
    if engine is None:
        from . import Engine

        engine = config.stash[_ENGINE] = Engine()
    return engine
