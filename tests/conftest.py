"""Shared test helpers: a valid school record and a runner for the installed CLI."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

_SCHOOL = {
    "id": "360121-001",
    "name": "示例第一小学",
    "county_code": "360121",
    "year": 2025,
    "school_type": "primary",
    "central_school_id": None,
    "primary": {
        "students": 420,
        "classes": 10,
        "teachers": 26,
        "teachers_above_degree": 21,
        "senior_title_teachers": 12,
        "backbone_teachers_county": 5,
        "backbone_teachers_city": 2,
        "pe_arts_teachers": 5,
    },
    "teaching_room_area_m2": 2300,
    "sports_area_m2": 3600,
    "equipment_value_yuan": 980000,
    "computers": 60,
    "books": 12600,
    "multimedia_rooms": 11,
    "music_rooms": 1,
    "art_rooms": 1,
}


@pytest.fixture
def school():
    """Factory for a valid primary school; keyword arguments override top-level keys."""

    def make(**overrides):
        record = copy.deepcopy(_SCHOOL)
        record.update(overrides)
        return record

    return make


def _cli_command() -> list[str]:
    # the script next to this interpreter, never another installation found on PATH
    script = Path(sys.executable).with_name("junheng")
    return [str(script)] if script.exists() else [sys.executable, "-m", "junheng"]


@pytest.fixture
def run_cli(tmp_path: Path):
    """Run the installed ``junheng`` CLI in a subprocess (cwd = tmp_path)."""

    def run(*args: str | os.PathLike[str]) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "COLUMNS": "250", "PYTHONIOENCODING": "utf-8"}
        return subprocess.run(
            [*_cli_command(), *map(str, args)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=120,
        )

    return run


@pytest.fixture(scope="module")
def sample():
    """The bundled sample county's (schools, county), freshly parsed for each test module."""
    from importlib import resources

    folder = resources.files("junheng.sample")
    schools = json.loads(folder.joinpath("schools.json").read_text("utf-8"))
    county = json.loads(folder.joinpath("county.json").read_text("utf-8"))
    return schools, county


@pytest.fixture(scope="module")
def engine():
    """An Engine with the installed plugins, shared within a test module."""
    import junheng

    return junheng.Engine()
