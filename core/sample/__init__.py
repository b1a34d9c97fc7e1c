"""The bundled fictional sample county 青溪县 (schools.json, county.json) used by ``junheng demo``.

These files hold the core fields only; each province plugin adds the values of
its own fields through ``junheng_sample`` (:meth:`junheng.Engine.sample`).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

__all__ = ["load_sample"]


def load_sample() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Fresh copies of the core sample's school records and county record."""
    folder = resources.files(__name__)
    schools = json.loads(folder.joinpath("schools.json").read_text("utf-8"))
    county = json.loads(folder.joinpath("county.json").read_text("utf-8"))
    return schools, county
