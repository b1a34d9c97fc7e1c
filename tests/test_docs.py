"""docs/ is the public contract, kept true: commands, options, hooks, fields, ids, examples."""

from __future__ import annotations

import argparse
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

from junheng import hookspecs
from junheng.cli import _common as codes
from junheng.cli import build_parser
from junheng.fields import county_fields, school_fields
from junheng.issues import __doc__ as issues_doc

DOCS = Path(__file__).resolve().parents[1] / "docs"
README = Path(__file__).resolve().parents[1] / "README.md"


def _text(name: str) -> str:
    return (DOCS / name).read_text("utf-8")


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _commands():
    for name, sub in _subparsers(build_parser()).items():
        nested = _subparsers(sub)
        if nested:
            for inner, p in nested.items():
                yield f"{name} {inner}", name, p
        else:
            yield name, name, sub


def _section(text: str, command: str) -> str:
    match = re.search(
        rf"^### `junheng {re.escape(command)}`$(.*?)(?=^### |^## |\Z)", text, re.M | re.S
    )
    assert match, f"docs/cli.md has no section ### `junheng {command}`"
    return match.group(1)


def test_every_command_and_option_is_documented():
    text = _text("cli.md")
    for full, top, parser in _commands():
        section = _section(text, top)
        assert f"junheng {full}" in section, full
        for action in parser._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert option in section, f"{full}: {option} not in docs/cli.md"


def test_every_documented_command_exists():
    documented = set(re.findall(r"^### `junheng ([a-z]+)`$", _text("cli.md"), re.M))
    assert documented == set(_subparsers(build_parser()))


def test_exit_status_table_matches_the_codes():
    rows = dict(re.findall(r"^\| (\d+) \| (.+) \|$", _text("cli.md"), re.M))
    for value in (
        codes.EXIT_OK,
        codes.EXIT_FAILED,
        codes.EXIT_INPUT,
        codes.EXIT_INTERNAL,
        codes.EXIT_INTERRUPTED,
    ):
        assert str(value) in rows, value


def test_every_hook_is_documented_with_its_arguments():
    text = _text("plugins.md")
    hooks = [n for n in dir(hookspecs) if n.startswith("junheng_")]
    assert hooks
    for name in hooks:
        args = ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
        assert f"#### `{name}({args})`" in text, f"{name}({args}) not in docs/plugins.md"
    documented = set(re.findall(r"^#### `(junheng_[a-z_]+)\(", text, re.M))
    assert documented == set(hooks)


def test_every_core_field_is_documented():
    text = _text("data.md")
    for field in (*school_fields(), *county_fields()):
        head, _, name = field.path.partition(".")
        shown = f"primary. / junior.{name}" if head in ("primary", "junior") else field.path
        assert f"`{shown}`" in text, field.path


def test_every_ruleset_id_and_issue_code_is_documented(engine):
    text = _text("data.md")
    for rid in engine.ruleset_ids():
        assert f"`{rid}`" in text, rid
    for code in re.findall(r"^``([a-z_.<>]+)``", issues_doc, re.M):
        assert f"`{code}`" in text, code


def test_the_contract_is_in_the_repository_and_linked():
    contract = _text("CONTRACT.md")
    assert "# The public contract" in contract and "junheng evaluate SCHOOLS" in contract
    readme = README.read_text("utf-8")
    for page in ("docs/python-api.md", "docs/plugins.md"):
        assert page in readme
    for page in ("CONTRACT.md", "cli.md", "python-api.md", "plugins.md", "data.md", "plan.md"):
        assert f"({page})" in _text("README.md")


BLOCKS = [
    *re.findall(r"```python\n(.*?)```", _text("python-api.md"), re.S),
    *re.findall(r"```python\n(.*?)```", _text("plan.md"), re.S),
]


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{k}" for k in range(len(BLOCKS))])
def test_python_api_examples_run(tmp_path, code):
    sample = subprocess.run(
        [sys.executable, "-m", "junheng", "sample", "--output", "sample"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert sample.returncode == 0, sample.stderr
    (tmp_path / "example.py").write_text(code, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "example.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
