"""junheng (均衡): rules engine for county compulsory-education balance inspections.

The public API is deliberately small::

    import junheng
    engine = junheng.Engine()                      # plugins from the entry-point group "junheng"
    inputs = engine.load("schools.xlsx", "county.xlsx")   # or records already in memory
    report = engine.evaluate("national.quality.2017", inputs)

- :class:`Engine` — discovers plugins, loads rulesets and data, evaluates, explains;
- :class:`Inputs`, :class:`Report`, :class:`DataIssue`, :class:`InputError`,
  :class:`PluginError` — what it takes and gives;
- :data:`hookimpl` / :data:`hookspec` — the markers of the plugin API
  (:mod:`junheng.hookspecs`);
- :func:`read_schools` / :func:`read_county` — read JSON, CSV or XLSX input with
  the core fields (an engine's: ``engine.read_schools``).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

try:
    __version__ = _version("junheng")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+unknown"

from .discovery import PluginError
from .engine import Engine
from .hookspecs import hookimpl, hookspec
from .inputs import Inputs
from .issues import DataIssue, InputError
from .readers import read_county, read_schools
from .results import Report

__all__ = [
    "DataIssue",
    "Engine",
    "InputError",
    "Inputs",
    "PluginError",
    "Report",
    "__version__",
    "hookimpl",
    "hookspec",
    "read_county",
    "read_schools",
]
