"""The README's Python examples run as written (on the sample county's files)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = [
    block
    for block in re.findall(r"```python\n(.*?)```", README.read_text("utf-8"), re.S)
    if "junheng.Engine()" in block
]


def test_the_readme_has_runnable_api_examples():
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{k}" for k in range(len(BLOCKS))])
def test_readme_example_runs(tmp_path, code):
    (tmp_path / "sample").mkdir()
    for name in ("schools.json", "county.json"):
        data = resources.files("junheng.sample").joinpath(name).read_bytes()
        (tmp_path / "sample" / name).write_bytes(data)
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    if "write_report" in code:  # one line per school unit
        text = (tmp_path / "report.json").read_text("utf-8")
        lines = [line for line in text.splitlines() if line.startswith('    {"id":')]
        assert len(lines) == len(json.loads(text)["schools"]) > 0
