"""Hook specifications: the whole plugin API of junheng, grouped by lifecycle phase.

A plugin is a module (or object) whose functions carry ``@junheng.hookimpl``
and have the names below. Installed distributions register plugin modules in
the entry-point group ``junheng``; the built-in provincial plugins are loaded
the same way and use nothing but these hooks.

Modelled on pytest's and datasette's hookspecs: one docstring per hook, with
its calling semantics stated (every hook here collects results from all
plugins unless it says *firstresult*).
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("junheng")


# -- Rule data ---------------------------------------------------------------


@hookspec
def junheng_rulesets() -> Any:
    """Return an iterable of ruleset TOML files (paths or ``importlib.resources``
    Traversables). Ruleset ids must be unique across all plugins; a duplicate id
    is reported naming both plugins and the later one is ignored."""


@hookspec
def junheng_formula_functions() -> Any:
    """Return an iterable of :class:`junheng.formula.FormulaFunction` made available
    to every ruleset's formulas. Names must be unique across plugins and must not
    shadow a built-in function; conflicts are reported naming the plugin."""


# -- Records -------------------------------------------------------------------


@hookspec
def junheng_prepare_records(schools: list, county: dict | None, ruleset_id: str) -> Any:
    """Called before evaluation with the validated school records (a list of dicts)
    and county record of one county. A plugin may return a new list of school
    records (e.g. to fold village schools into a central school); return None to
    leave them unchanged. Plugins are called in registration order, each seeing
    the previous result."""
