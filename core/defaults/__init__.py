"""The engine's defaults, written as plugins (datasette's ``DEFAULT_PLUGINS``).

Every :class:`~junheng.Engine` registers these first, through the same hooks a
third party implements: the JSON/CSV/XLSX readers, the four report writers and
the built-in formula functions. A plugin replaces a default reader or writer by
contributing the same extension or format (it is called first, see
:mod:`junheng.hookspecs`); built-in function names stay reserved.
"""

DEFAULT_PLUGINS: tuple[str, ...] = (
    "junheng.defaults.functions",
    "junheng.defaults.readers",
    "junheng.defaults.writers",
)
