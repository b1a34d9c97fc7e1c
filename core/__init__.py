"""junheng (均衡): rules engine for county compulsory-education balance inspections.

The public API is deliberately small:

- :class:`Engine` — discovers plugins, loads rulesets, evaluates schools.
- :data:`hookimpl` — the marker plugins use to implement hooks.
- :func:`read_schools` / :func:`read_county` — read JSON, CSV or XLSX input.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

import pluggy

try:
    __version__ = _version("junheng")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+unknown"

hookimpl = pluggy.HookimplMarker("junheng")

# Imported after hookimpl/__version__ exist: the engine's modules use both.
from .engine import Engine  # noqa: E402
from .issues import DataIssue, InputError  # noqa: E402
from .readers import read_county, read_schools  # noqa: E402
from .results import Report  # noqa: E402

__all__ = [
    "DataIssue",
    "Engine",
    "InputError",
    "Report",
    "__version__",
    "hookimpl",
    "read_county",
    "read_schools",
]
