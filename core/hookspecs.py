"""Hook specifications: the whole plugin API of junheng, grouped by lifecycle phase.

A plugin is a module (or object) whose functions carry ``@junheng.hookimpl``
and have the names below. Installed distributions register plugin modules in
the entry-point group ``junheng``; the built-in provincial plugins are loaded
the same way and use nothing but these hooks.

Modelled on pytest's and datasette's hookspecs: one docstring per hook, with
its calling semantics stated. None of these hooks is *firstresult* or
*historic*: each is called once per plugin (by :func:`junheng.discovery.call_each`,
so a plugin that raises is named in ``Engine.problems`` and the others still
run), and every non-None result is collected in registration order.

Lifecycle, in the order the engine calls the hooks:

1. discovery (``Engine()``): ``junheng_schema_extensions``, ``junheng_readers``,
   ``junheng_formula_functions``, ``junheng_rulesets``;
2. reading and validation: the readers and schema fields contributed above;
3. evaluation (``Engine.evaluate``): ``junheng_prepare_records``;
4. reporting: ``junheng_report_sections``.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("junheng")


# -- 1. Discovery: rule data ------------------------------------------------------


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


# -- 1. Discovery: input formats and fields ---------------------------------------


@hookspec
def junheng_schema_extensions() -> Any:
    """Return provincial fields to add to the school and county record schemas.

    Shape: ``{"school": {PATH: PROPERTY, ...}, "county": {PATH: PROPERTY, ...}}``
    where PROPERTY is a JSON Schema property (draft 2020-12) with a Chinese
    ``title``, an English ``description``, ``type`` and, for numbers, ``x-unit``,
    ``minimum`` and ``maximum``. PATH says where the field goes:

    - school: ``name`` (school-wide field) or ``stage.name`` (added to both the
      ``primary`` and ``junior`` blocks);
    - county: ``items.name``, ``survey.name``, ``vetoes.name`` or
      ``finance[].name`` (a per-year series field).

    Extensions only add: a PATH that already exists is reported naming the
    plugin and ignored. Added fields are optional; once registered they are
    part of the field catalogue (validation, spreadsheet headers, templates)
    and visible to ruleset formulas by their name, exactly like built-in fields.
    Registration is process-wide (the catalogue is process-wide).
    """


@hookspec
def junheng_readers() -> Any:
    """Return a mapping of file extension (``".dbf"``, lower case, with the dot) to a
    reader callable ``reader(path, kind) -> junheng.readers.ReadResult`` where
    ``kind`` is ``"schools"`` or ``"county"``.

    :func:`junheng.read_schools` / :func:`junheng.read_county` consult these
    readers for extensions they do not handle themselves (``.json``, ``.csv``,
    ``.xlsx`` cannot be overridden). A reader must not raise on user data: it
    returns problems as ``DataIssue`` s in the ``ReadResult``. An extension
    claimed by two plugins is reported naming the later plugin, which is ignored.
    """


# -- 3. Evaluation -----------------------------------------------------------------


@hookspec
def junheng_prepare_records(schools: list, county: dict | None, ruleset_id: str) -> Any:
    """Called before evaluation with the validated school records (a list of dicts)
    and county record of one county. A plugin may return a new list of school
    records (e.g. to fold village schools into a central school); return None to
    leave them unchanged. Plugins are called in registration order, each seeing
    the previous result."""


# -- 4. Reporting ------------------------------------------------------------------


@hookspec
def junheng_report_sections(report: Any) -> Any:
    """Called after each evaluation with the :class:`junheng.Report`; return a list of
    extra report sections (or None).

    A section is a dict::

        {"id": "jiangxi.owners",            # unique, lower-case, dotted
         "title": "各股室整改任务",           # Chinese heading
         "columns": ["股室", "未达标项"],      # optional: column headings
         "rows": [["教育股", 2], ...],        # list of rows: lists (matching
                                              #   columns) or dicts of scalars
         "note": "..."}                       # optional paragraph (plain text)

    Cells are JSON scalars (str, int, float, bool, None). Sections are carried
    in ``report.sections`` and in the JSON report under ``"sections"`` in plugin
    order; the HTML/XLSX/Markdown writers render each as a titled table. A
    malformed section is dropped and reported naming the plugin.
    """
