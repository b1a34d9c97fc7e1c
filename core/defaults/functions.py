"""Default plugin: the built-in formula functions (``min``, ``max``, ``round``, ``count_met`` …)."""

from __future__ import annotations

from ..formula import BUILTIN_FUNCTIONS
from ..hookspecs import hookimpl


@hookimpl
def junheng_formula_functions():
    return list(BUILTIN_FUNCTIONS.values())
