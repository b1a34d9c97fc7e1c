"""Hook specifications: the whole plugin API of junheng, grouped by lifecycle phase.

A plugin is a module (or object) whose functions are named after the hooks
below, marked ``@junheng.hookimpl`` (an unmarked function named ``junheng_*``
is taken as an implementation too, as pytest does; a ``junheng_*`` name that is
no hook is reported naming the plugin, so a misspelt hook never loads
silently). Installed distributions register plugin modules in the entry-point
group ``junheng``. The engine's own defaults — the JSON/CSV/XLSX readers, the
report writers, the built-in formula functions — are plugins too
(:data:`junheng.defaults.DEFAULT_PLUGINS`), and each built-in province uses
nothing but these hooks.

Modelled on pytest's and datasette's hookspecs: one docstring per hook with its
calling semantics. Every hook is called through pluggy (``pm.hook.<name>``), so
hook wrappers, tracing and ``tryfirst``/``trylast`` work as pluggy defines
them: implementations are called last registered first; the engine registers
its defaults first, then installed plugins by entry-point name, then
``Engine(plugins=[...])`` in list order. No hook is *firstresult* and none is
*historic* (every plugin is registered before any hook is called). An
implementation that raises, or returns something of the wrong shape, is
reported naming the plugin (``Engine.problems``, the report's
``provenance.plugin_problems``) and the other plugins still run; only a plugin
the chosen ruleset depends on stops an evaluation (:class:`junheng.PluginError`).

Lifecycle, in the order the engine calls the hooks:

1. discovery, once per :class:`junheng.Engine`: ``junheng_schema_extensions``,
   ``junheng_formula_functions``, ``junheng_readers``, ``junheng_writers``,
   ``junheng_rulesets`` — everything they contribute goes into the engine's
   :class:`~junheng.registry.Registry`, never into module state;
2. the bundled sample (``Engine.sample()``): ``junheng_sample``;
3. evaluation (``Engine.evaluate``): ``junheng_prepare_records``, once per county;
4. reporting: ``junheng_report_sections``.

Discovery hooks and the later ones may take an ``engine`` argument (the
:class:`junheng.Engine` calling them), as datasette hands ``datasette`` to its
hooks; an implementation lists only the arguments it uses.
"""

from __future__ import annotations

from typing import Any

import pluggy

__all__ = ["PROJECT", "hookimpl", "hookspec"]

PROJECT = "junheng"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# -- 1. Discovery: fields -----------------------------------------------------------


@hookspec(firstresult=False, historic=False)
def junheng_schema_extensions(engine: Any) -> Any:
    """Return the fields this plugin adds to the school and county record schemas.

    Shape: ``{"school": {PATH: PROPERTY, ...}, "county": {PATH: PROPERTY, ...}}``
    where PROPERTY is a JSON Schema property (draft 2020-12) with a Chinese
    ``title``, an English ``description``, ``type`` and, for numbers, ``x-unit``,
    ``minimum`` and ``maximum``. PATH says where the field goes:

    - school: ``name`` (school-wide field) or ``stage.name`` (added to both the
      ``primary`` and ``junior`` blocks);
    - county: ``items.name``, ``survey.name``, ``vetoes.name`` or
      ``finance[].name`` (a per-year series field).

    Added fields are optional. They belong to the engine that called the hook:
    its validation, spreadsheet headers, templates and ruleset formulas see them
    (by their name, exactly like built-in fields); another engine without this
    plugin does not. Extensions only add: a PATH the core schema has is reported
    and ignored; a PATH another plugin already added is shared when it has the
    same ``type`` (the first definition applies) and reported otherwise.
    Contributions are taken in registration order (the first keeps a PATH).
    """


@hookspec(firstresult=False, historic=False)
def junheng_formula_functions(engine: Any) -> Any:
    """Return an iterable of :class:`junheng.formula.FormulaFunction` made available
    to every ruleset's formulas of this engine.

    Names are unique: a name already taken (the defaults' ``min``, ``max``,
    ``round`` … included) is reported naming the plugin and ignored; the first
    plugin in registration order keeps it. A function that raises while
    evaluating stops the evaluation with a :class:`junheng.PluginError` naming
    the plugin (the ruleset called it, so it depends on it).
    """


# -- 1. Discovery: input and output formats ----------------------------------------------


@hookspec(firstresult=False, historic=False)
def junheng_readers(engine: Any) -> Any:
    """Return a mapping of file extension (``".dbf"``, lower case, with the dot) to a
    reader callable ``reader(path, kind) -> junheng.readers.ReadResult`` where
    ``kind`` is ``"schools"`` or ``"county"``.

    A reader must not raise on user data: it returns problems as ``DataIssue`` s
    in the ``ReadResult``. Readers are taken in pluggy's call order and the first
    for an extension wins, so a plugin replaces a default reader (``.csv`` …) the
    way a later pytest plugin overrides a built-in one; between two plugins that
    are not defaults, the one called later is reported and ignored.
    """


@hookspec(firstresult=False, historic=False)
def junheng_writers(engine: Any) -> Any:
    """Return a mapping of report format (``"json"``, ``"dbf"`` …) to a
    :class:`junheng.outputs.Writer` (extension, media type, and ``render(report)
    -> bytes`` or ``stream(report, binary_file)``).

    ``junheng evaluate --format``, ``junheng demo`` and ``write_report`` offer
    every format of the engine. Resolution as for :func:`junheng_readers`.
    """


# -- 1. Discovery: rule data --------------------------------------------------------------


@hookspec(firstresult=False, historic=False)
def junheng_rulesets(engine: Any) -> Any:
    """Return an iterable of ruleset TOML files (paths or ``importlib.resources``
    Traversables). Ruleset ids must be unique across all plugins; a duplicate id
    is reported naming both plugins and the one registered later is ignored."""


# -- 2. The bundled sample ---------------------------------------------------------------


@hookspec(firstresult=False, historic=False)
def junheng_sample(engine: Any, schools: list, county: dict) -> Any:
    """Add this plugin's own fields to the bundled sample county (青溪县), in place.

    ``schools`` is the list of sample school records and ``county`` the sample
    county record; a province sets the values of the fields it contributes
    (``junheng_schema_extensions``) so that ``junheng demo --ruleset`` and
    ``junheng sample`` show its rules working. Return value ignored. Called by
    ``Engine.sample()`` in pluggy's call order; without this plugin the sample
    simply lacks its fields.
    """


# -- 3. Evaluation -------------------------------------------------------------------------


@hookspec(firstresult=False, historic=False)
def junheng_prepare_records(
    schools: list, county: dict | None, ruleset_id: str, engine: Any
) -> Any:
    """Prepare one county's validated school records before evaluation, **in place**.

    Called once per county of the batch, with that county's school records (a
    list of dicts) and its county record (None if none was given), in pluggy's
    call order. Like pytest's ``pytest_collection_modifyitems``, an
    implementation modifies ``schools`` in place (remove, replace or append
    records) and each plugin sees what the previous ones left; returning a new
    list instead is accepted too (it replaces the contents before the next plugin
    runs). What remains must be a list of mappings: anything else is reported
    naming the plugin and that plugin's change is undone.
    """


# -- 4. Reporting ----------------------------------------------------------------------------


@hookspec(firstresult=False, historic=False)
def junheng_report_sections(report: Any, engine: Any) -> Any:
    """Called after each evaluation with the :class:`junheng.Report`; return a list of
    extra report sections (or None).

    A section is a dict::

        {"id": "myprovince.owners",         # unique, lower-case, dotted
         "title": "各股室整改任务",           # Chinese heading
         "columns": ["股室", "未达标项"],      # optional: column headings
         "rows": [["教育股", 2], ...],        # list of rows: lists (matching
                                              #   columns) or dicts of scalars
         "note": "..."}                       # optional paragraph (plain text)

    Cells are JSON scalars (str, int, float, bool, None). Sections are carried
    in ``report.sections`` and in the JSON report under ``"sections"`` in pluggy's
    call order; every report writer renders each as a titled table. A malformed
    section is dropped and reported naming the plugin.
    """
