"""The report: everything one evaluation produced, and its JSON form (CONTRACT.md shape)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ..ruleset import Ruleset
from .county import CountyResult, CountyTable
from .schools import SchoolTable

if TYPE_CHECKING:
    from ..registry import Registry

__all__ = ["SCHEMA_VERSION", "Report"]

#: the version of the JSON report's shape (``schema_version``, ``schemas/report.schema.json``):
#: raised only when a key is renamed or removed or changes meaning, never for an added key
SCHEMA_VERSION = 1


@attrs.frozen
class Report:
    """Everything one evaluation produced."""

    ruleset: Ruleset
    counties: tuple[CountyResult, ...]
    schools: SchoolTable
    data_issues: tuple[Any, ...]
    provenance: Mapping[str, Any]
    # extra titled blocks from plugins (``junheng_report_sections``, see hookspecs):
    # dicts {"id", "title", "rows", optional "columns", "note", "plugin"}
    sections: tuple[Mapping[str, Any], ...] = ()
    #: the county values evaluation used (explanations and writers read them)
    county_table: CountyTable | None = attrs.field(default=None, repr=False, eq=False)
    #: the registry of the engine that evaluated (its fields, writers, name space)
    registry: Registry | None = attrs.field(default=None, repr=False, eq=False)

    @property
    def passed(self) -> bool:
        return bool(self.counties) and all(c.passed for c in self.counties)

    def county(self, code: str) -> CountyResult:
        for c in self.counties:
            if c.county_code == code:
                return c
        raise KeyError(code)

    def counties_to_arrow(self) -> Any:
        """The county table as a ``pyarrow.Table`` (:mod:`junheng.results.columnar`; the
        ``junheng[arrow]`` extra): one row per county, its verdict and every criterion."""
        from .columnar import counties_arrow

        return counties_arrow(self)

    def counties_to_pandas(self) -> Any:
        """:meth:`counties_to_arrow` as a pandas DataFrame."""
        from .columnar import frame

        return frame(self.counties_to_arrow(), "pandas")

    def counties_to_polars(self) -> Any:
        """:meth:`counties_to_arrow` as a polars DataFrame."""
        from .columnar import frame

        return frame(self.counties_to_arrow(), "polars")

    def rules_catalogue(self) -> dict[str, Any]:
        """Static facts about each school check: title, formula, unit, source."""
        rs = self.ruleset
        out: dict[str, Any] = {}
        for cid in rs.checks:
            if cid in rs.indicators:
                ind = rs.indicators[cid]
                out[cid] = {
                    **ind.meta.to_json(),
                    "kind": "indicator",
                    "formula": ind.formula.text,
                    "unit": ind.unit,
                    "total_unit": ind.total_unit or ind.unit,
                    "direction": ind.direction,
                    "threshold": ind.threshold.to_json() if ind.threshold else None,
                }
            else:
                r = rs.school_rules[cid]
                out[cid] = {**r.meta.to_json(), "kind": r.kind}
                if r.kind == "k_of_n":
                    out[cid].update(
                        indicators=list(r.indicators),
                        min_met=r.min_met,
                        rest_min_ratio=r.rest_min_ratio,
                    )
                else:
                    out[cid]["formula"] = r.formula.text if r.formula else None
        return out

    def to_dict(self, *, schools: bool = True) -> dict[str, Any]:
        """The CONTRACT.md report as plain data. ``schools=False`` leaves the ``schools``
        array empty (the JSON writer streams it from :meth:`SchoolTable.iter_dicts`)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "ruleset": {**self.ruleset.describe(), "unverified": self.ruleset.unverified_count()},
            "provenance": dict(self.provenance),
            "counties": [c.to_dict() for c in self.counties],
            "schools": self.schools.to_list() if schools else [],
            "excluded_schools": self.schools.excluded(),
            "rules": self.rules_catalogue(),
            "data_issues": [
                i.to_dict() if hasattr(i, "to_dict") else dict(i) for i in self.data_issues
            ],
            "sections": [dict(s) for s in self.sections],
        }
