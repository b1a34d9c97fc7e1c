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


@pytest.fixture
def wide_consoles(monkeypatch):
    """The CLI's consoles 400 columns wide: a file name or an id in a table stays on one line
    (tests that read the terminal output use it with ``pytest.mark.usefixtures``)."""
    from junheng.cli._common import console, err_console

    monkeypatch.setattr(console, "width", 400)
    monkeypatch.setattr(err_console, "width", 400)


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


def county_copy(schools, county, code, name, *, record=True, drop=(), **changes):
    """The sample county's schools and county record under another county ``code`` and
    ``name`` (school ids and central-school links renamed with it); ``changes`` update
    blocks of the county record (``vetoes={"admission_by_exam": True}``), ``drop`` removes
    fields (``("survey.satisfaction_pct",)``); ``record=False`` gives no county record."""
    prefix = schools[0]["county_code"]

    def moved(text):
        return code + text[len(prefix) :] if text and text.startswith(prefix) else text

    copied = [
        {
            **s,
            "id": moved(s["id"]),
            "county_code": code,
            "central_school_id": moved(s.get("central_school_id")),
        }
        for s in schools
    ]
    if not record:
        return copied, None
    rec = copy.deepcopy(county)
    rec.update(county_code=code, name=name)
    for block, values in changes.items():
        rec.setdefault(block, {}).update(values)
    for path in drop:
        block, _, field = path.partition(".")
        rec[block].pop(field)
    return copied, rec


@pytest.fixture(scope="module")
def batch(engine):
    """Factory of a multi-county batch from the sample with every installed province's
    fields (``engine.sample()``, which reaches a verdict under every ruleset):
    ``batch((code, name, kwargs), ...)`` → (schools, counties), the sample (360199 青溪县) first."""
    sample = engine.sample()

    def make(*specs):
        schools, counties = list(sample[0]), [sample[1]]
        for code, name, kwargs in specs:
            s, c = county_copy(sample[0], sample[1], code, name, **kwargs)
            schools += s
            if c is not None:
                counties.append(c)
        return schools, counties

    return make


@pytest.fixture(scope="module")
def basic_batch(engine, batch):
    """national.basic.2012, where the sample passes: 甲县 fails (a county item), 乙县 cannot
    be judged (no satisfaction survey), 青溪县 passes."""
    schools, counties = batch(
        ("360198", "甲县", {"items": {"schools_meet_basic_standard": False}}),
        ("360197", "乙县", {"drop": ("survey.satisfaction_pct",)}),
    )
    return engine.evaluate("national.basic.2012", schools, counties)


@pytest.fixture(scope="module")
def quality_batch(engine, batch):
    """national.quality.2017: the sample twice more, 甲县 with a veto that applies."""
    schools, counties = batch(
        ("360198", "甲县", {"vetoes": {"admission_by_exam": True}}),
        ("360197", "乙县", {}),
    )
    return engine.evaluate("national.quality.2017", schools, counties)
