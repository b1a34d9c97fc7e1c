"""Comparing two evaluations: ``junheng compare OLD NEW`` and its Python API.

Quality-balance counties are evaluated every year (动态监测, 复查) and after each round of
rectification (整改). This package reads two JSON reports — the documents ``junheng
evaluate --format json`` writes, as ``schemas/report.schema.json`` describes them, never the
engine's internals — and says what changed: per county the verdict, the criteria newly met,
newly failed, still failed (with the movement of their values) and newly not evaluated, each
difference coefficient against its limit; per school unit (matched by id and stage) the gaps
closed, reduced, grown and new, in real units; the schools and counties only one report has;
and, said first, whether the two were evaluated with the same ruleset (id, version, content),
the same junheng and the same input files::

    import junheng
    from junheng.compare import compare_reports, render

    comparison = compare_reports("2024/report.json", "2025/report.json")
    for county in comparison.counties:
        print(county.county_code, county.verdict, [c.id for c in county.newly_met])
    for school in comparison.schools:
        print(school.name, [(g.title, g.change, g.old_shortfall, g.new_shortfall) for g in school.gaps])
    render(comparison, "xlsx")        # bytes; also "json" (schemas/compare.schema.json), "html", "md"

``compare_reports`` takes paths, report documents (``report.to_dict()``) or
:class:`~junheng.Report` objects, and raises :class:`~junheng.InputError` listing every
problem of both inputs (file, JSON path, school or county, what was found, what is expected)
when either is not a report this junheng reads.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from ..atomic import atomic_write_bytes
from ..bulk import gc_paused
from ..issues import InputError
from .diff import compare_documents
from .model import (
    SCHEMA_VERSION,
    Comparison,
    CountyComparison,
    CountyOnlyIn,
    CriterionChange,
    CvChange,
    GapChange,
    InputChange,
    RulesetInfo,
    SchoolComparison,
    SchoolOnlyIn,
    Side,
)
from .read import Source, read_report

__all__ = [
    "FORMATS",
    "SCHEMA_VERSION",
    "Comparison",
    "CountyComparison",
    "CountyOnlyIn",
    "CriterionChange",
    "CvChange",
    "GapChange",
    "InputChange",
    "RulesetInfo",
    "SchoolComparison",
    "SchoolOnlyIn",
    "Side",
    "compare_reports",
    "render",
    "write",
]

#: format → file extension of the comparison renderers
FORMATS: dict[str, str] = {"json": ".json", "html": ".html", "xlsx": ".xlsx", "md": ".md"}
_MODULES = {"json": "json_doc", "html": "html", "xlsx": "xlsx", "md": "markdown"}


def compare_reports(old: Source, new: Source) -> Comparison:
    """Compare the report ``old`` (the earlier evaluation) with ``new``.

    Each is a path to a JSON report, a report document (a mapping) or a
    :class:`~junheng.Report`. Raises :class:`~junheng.InputError` with the problems of both
    when either cannot be compared.
    """
    with gc_paused():  # millions of small objects, none of them in a cycle
        old_doc, old_issues = read_report(old, "OLD")
        new_doc, new_issues = read_report(new, "NEW")
        if old_doc is None or new_doc is None:
            raise InputError([*old_issues, *new_issues])
        return compare_documents(old_doc, new_doc, _label(old, "OLD"), _label(new, "NEW"))


def _label(source: Source, default: str) -> str:
    return str(source) if isinstance(source, (str, os.PathLike)) else default


def render(comparison: Comparison, fmt: str) -> bytes:
    """The comparison as ``json``, ``html``, ``xlsx`` or ``md`` bytes."""
    if fmt not in FORMATS:
        raise ValueError(f"不支持的格式 {fmt!r}（可用：{', '.join(FORMATS)}）")
    module = importlib.import_module(f"{__name__}.{_MODULES[fmt]}")
    return module.render(comparison)


def write(comparison: Comparison, fmt: str, path: str | Path) -> Path:
    """Render the comparison and write it to ``path`` atomically (rendered whole first:
    a failure never touches the target)."""
    data = render(comparison, fmt)
    atomic_write_bytes(path, data)
    return Path(path)
