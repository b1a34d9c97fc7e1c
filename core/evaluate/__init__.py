"""Evaluate a batch of schools (any number of counties) against one compiled ruleset.

The pipeline, one way only, one module per step:

1. :mod:`junheng.units` — records to school × stage units (stage split,
   apportioned assets, teaching points folded or excluded);
2. :mod:`~junheng.evaluate.schools` — indicators and school rules over whole columns;
3. :mod:`~junheng.evaluate.groups` — student-weighted CVs per county × stage;
4. :mod:`~junheng.evaluate.county` — county values, multi-year rules, county items,
   vetoes, the score tree, recorded in a :class:`~junheng.results.CountyTable`;
5. :mod:`~junheng.evaluate.criteria` — each county's verdict, read from what was recorded,
   in the words of :mod:`~junheng.evaluate.sentences`.

Columns throughout; the only per-county Python work is assembling the criteria.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..bulk import RecordColumns, gc_paused
from ..names import NameSpace
from ..registry import Registry
from ..results import Report
from ..ruleset import Ruleset
from ..units import build_units
from .county import county_table
from .criteria import county_results
from .groups import group_stats
from .schools import school_checks, stage_array

__all__ = ["evaluate"]


def evaluate(
    ruleset: Ruleset,
    schools: Sequence[Mapping[str, Any]],
    counties: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    data_issues: Sequence[Any] = (),
    provenance: Mapping[str, Any] | None = None,
    columns: RecordColumns | None = None,
    registry: Registry | None = None,
) -> Report:
    """Evaluate ``schools`` (validated records) and the county records keyed by county code.

    ``columns``: fields already pulled from these very records (see
    :func:`~junheng.units.build_units`); ``registry``: the engine's (its fields).
    """
    counties = counties or {}
    registry = registry or Registry.core()
    names: NameSpace = registry.names
    with gc_paused():
        units = build_units(
            schools,
            ruleset.preparation,
            ruleset.stages,
            fields=names.school_fields_read(ruleset),
            columns=columns,
            names=names,
        )
        env: dict[str, Any] = dict(units.columns)
        for name, value in ruleset.parameters.items():
            env[name] = stage_array(units, value)
        table = school_checks(ruleset, units, env)
        groups = group_stats(ruleset, units, env)
        values = county_table(ruleset, units, table, groups, counties, names)
        results = county_results(ruleset, units, table, groups, values, counties)
    return Report(
        ruleset=ruleset,
        counties=tuple(results),
        schools=table,
        data_issues=tuple(data_issues),
        provenance=dict(provenance or {}),
        county_table=values,
        registry=registry,
    )
