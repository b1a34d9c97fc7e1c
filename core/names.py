"""The names a formula may read, for schools and for counties — defined once, here.

Ruleset compilation checks every formula against these names, the units step
builds a column for each school name a ruleset reads, county evaluation
fills each county name from the county record or from what the engine computed,
validation and templates ask for the record fields behind the names, and
explanations label each name. All of them ask a :class:`NameSpace`, built from
an engine's field catalogues (core fields plus its plugins' fields).

School formulas (one value per school × stage unit):

- every numeric or yes/no field of a stage block (``students``, ``teachers``, …),
  read from the unit's stage;
- every numeric or yes/no school-wide field (``sports_area_m2``, ``boarding``),
  quantities apportioned to the stage by student share;
- ``school_<field>`` for a school-wide field: the whole school's value (for an
  apportioned quantity, its total before the split); ``school_students``,
  ``school_classes``;
- ``stage_primary`` / ``stage_junior`` and ``type_<school type>`` (1 or 0);
- the ruleset's parameters, indicator ids and school-rule ids.

County formulas (one value per county):

- every field of the county record's ``items``, ``survey`` and ``vetoes``;
- every ``finance[]`` field, from the latest year;
- ``cv_<stage>_<indicator>``, ``composite_cv_<stage>``, ``schools_all_passed``,
  ``school_count``, ``cv_all_met``;
- the ruleset's parameters, county-item ids and multi-year ids, with
  ``<multi-year id>_years_met`` and ``<multi-year id>_years_missed``.

Multi-year conditions read the ``finance[]`` fields of the year judged and, with
``prev(x)`` and ``growth(x)``, of the year before, plus the parameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from .domain import SCHOOL_TYPES, STAGE_TITLES, STAGES
from .fields import FieldCatalogue, FieldInfo

#: a compiled ruleset (:class:`junheng.ruleset.Ruleset`, which is built on these names:
#: only its rule tables are read here)
Ruleset = Any

__all__ = ["COUNTY_BLOCKS", "NameSpace", "is_apportioned"]

#: blocks of the county record whose fields are county formula names
COUNTY_BLOCKS = ("items", "survey", "vetoes")
#: names every county formula may read, computed by the engine
COUNTY_COMPUTED = ("schools_all_passed", "school_count", "cv_all_met")
#: school-level helper names computed by the units step
SCHOOL_COMPUTED = ("school_students", "school_classes", "stage_primary", "stage_junior")
_NUMERIC = ("number", "integer", "boolean")


def is_apportioned(field: FieldInfo) -> bool:
    """Quantities (areas, money, counts) are split between stages by student share;
    yes/no flags, sizes, hours and the year are not, nor a field whose schema says
    ``"x-apportion": false`` (a count of kinds, of indicators met …)."""
    if field.type not in ("number", "integer"):
        return False
    if field.apportion is not None:
        return field.apportion
    name = field.path
    return not (name.endswith("_min_area_m2") or name.endswith("_hours") or name == "year")


@attrs.frozen
class NameSpace:
    """What formulas may read, derived from one engine's school and county catalogues."""

    school_catalogue: FieldCatalogue
    county_catalogue: FieldCatalogue
    #: fields of a stage block (``students`` …), numeric or yes/no, in schema order
    stage_fields: tuple[str, ...]
    #: school-wide numeric or yes/no fields, in schema order
    wide_fields: tuple[str, ...]
    #: the school-wide quantities apportioned by student share
    apportioned: frozenset[str]
    #: county record fields per name: ``teacher_rotation_pct`` → ``items.teacher_rotation_pct``
    county_record: Mapping[str, str]
    #: ``finance[]`` fields other than the year, in schema order
    finance_fields: tuple[str, ...]

    @classmethod
    def from_catalogues(cls, school: FieldCatalogue, county: FieldCatalogue) -> NameSpace:
        stage = tuple(
            f.path.split(".", 1)[1]
            for f in school
            if f.path.startswith(f"{STAGES[0]}.") and f.type in _NUMERIC
        )
        wide = [f for f in school if "." not in f.path and f.type in _NUMERIC]
        record = {}
        for f in county:
            head, _, rest = f.path.partition(".")
            if head in COUNTY_BLOCKS and rest and "." not in rest:
                record[rest] = f.path
        finance = tuple(
            f.path.split(".", 1)[1]
            for f in county
            if f.path.startswith("finance[].") and f.path != "finance[].year"
        )
        return cls(
            school_catalogue=school,
            county_catalogue=county,
            stage_fields=stage,
            wide_fields=tuple(f.path for f in wide),
            apportioned=frozenset(f.path for f in wide if is_apportioned(f)),
            county_record=record,
            finance_fields=finance,
        )

    # -- schools ---------------------------------------------------------------------

    def school_base(self, parameters: Iterable[str] = ()) -> set[str]:
        """Names of the record and the units step, plus ``parameters``."""
        names = set(self.stage_fields) | set(self.wide_fields)
        names |= {f"school_{f}" for f in self.wide_fields}
        names |= set(SCHOOL_COMPUTED)
        names |= {f"type_{t}" for t in SCHOOL_TYPES}
        return names | set(parameters)

    def school_fields_read(self, ruleset: Ruleset) -> frozenset[str]:
        """Record field names (stage or school-wide) the ruleset's school formulas read."""
        known = set(self.stage_fields) | set(self.wide_fields)
        out: set[str] = set()
        for name in _school_formula_names(ruleset):
            if name.startswith("school_") and name.removeprefix("school_") in self.wide_fields:
                name = name.removeprefix("school_")
            elif name in ("school_students", "school_classes"):
                name = name.removeprefix("school_")
            if name in known:
                out.add(name)
        return frozenset(out)

    def required_school_fields(self, ruleset: Ruleset) -> set[str]:
        """School record paths the ruleset reads (``primary.students``, ``sports_area_m2``):
        validation warns about each one a school lacks, templates collect them."""
        paths = {f"{s}.{f}" for s in ruleset.stages for f in ("students", "classes", "teachers")}
        stage = set(self.stage_fields)
        for name in self.school_fields_read(ruleset):
            if name in stage:
                paths |= {f"{s}.{name}" for s in ruleset.stages}
            else:
                paths.add(name)
        return paths

    # -- counties --------------------------------------------------------------------

    def cv_names(self, indicators: Iterable[str]) -> set[str]:
        names = {f"cv_{s}_{i}" for s in STAGES for i in indicators}
        return names | {f"composite_cv_{s}" for s in STAGES}

    def county_base(self, parameters: Iterable[str], indicators: Iterable[str]) -> set[str]:
        """County names that are not results of the ruleset's own county rules."""
        names = set(self.county_record) | set(self.finance_fields) | self.cv_names(indicators)
        return names | set(COUNTY_COMPUTED) | set(parameters)

    @staticmethod
    def county_results(county_items: Iterable[str], multi_year: Iterable[str]) -> set[str]:
        """Names the ruleset's own county rules define."""
        multi = list(multi_year)
        names = set(county_items) | set(multi)
        names |= {f"{m}_years_met" for m in multi} | {f"{m}_years_missed" for m in multi}
        return names

    def series_names(self, parameters: Iterable[str]) -> set[str]:
        """Names a multi-year condition may read (``prev``/``growth`` of the finance ones)."""
        return set(self.finance_fields) | set(parameters)

    def county_fields_read(self, ruleset: Ruleset) -> set[str]:
        """County record paths the ruleset's county formulas read (``items.teacher_rotation_pct``,
        ``finance[].teacher_avg_salary_yuan``)."""
        out: set[str] = set()
        for name in _county_formula_names(ruleset):
            name = name.split("@", 1)[0]  # prev(x) reads x of the year before
            if name in self.county_record:
                out.add(self.county_record[name])
            elif name in self.finance_fields:
                out.add(f"finance[].{name}")
        return out

    # -- labels -------------------------------------------------------------------------

    def label(self, name: str, ruleset: Ruleset | None = None) -> str:
        """What a name stands for, in Chinese, for explanations: the record field's title,
        a CV's indicator, a rule's title; the name itself when nothing better is known."""
        field = self.county_field(name)
        if field is not None:
            return field.title
        field = self.school_field(name)
        if field is not None:  # a stage field's title names the first stage: drop it
            stage_title = STAGE_TITLES[STAGES[0]]
            title = field.title.removeprefix(stage_title) if "." in field.path else field.title
            return f"全校{title}" if name.startswith("school_") else title
        if ruleset is not None:
            for table in (ruleset.indicators, ruleset.school_rules, ruleset.county_items):
                if name in table:
                    return table[name].meta.title
            for rid, rule in ruleset.multi_year.items():
                if name == rid:
                    return rule.meta.title
                if name == f"{rid}_years_met":
                    return f"{rule.meta.title}达到的年数"
                if name == f"{rid}_years_missed":
                    return f"{rule.meta.title}未达到的年数"
            for stage in STAGES:
                for iid, ind in ruleset.indicators.items():
                    if name == f"cv_{stage}_{iid}":
                        return f"{STAGE_TITLES[stage]}{ind.meta.title}差异系数"
                if name == f"composite_cv_{stage}":
                    return f"{STAGE_TITLES[stage]}综合差异系数"
            if name in ruleset.parameter_meta:
                return ruleset.parameter_meta[name].title
        return _COMPUTED_LABELS.get(name, name)

    def county_field(self, name: str) -> FieldInfo | None:
        """The county record field a county name reads (latest finance year for a series)."""
        path = self.county_record.get(name)
        if path is None and name in self.finance_fields:
            path = f"finance[].{name}"
        return self.county_catalogue.get(path) if path else None

    def school_field(self, name: str) -> FieldInfo | None:
        name = name.removeprefix("school_") if name.startswith("school_") else name
        if name in self.stage_fields:
            return self.school_catalogue.get(f"{STAGES[0]}.{name}")
        return self.school_catalogue.get(name) if name in self.wide_fields else None


_COMPUTED_LABELS: Mapping[str, str] = {
    "schools_all_passed": "所有学校均达标",
    "school_count": "参评学校（学段）数",
    "cv_all_met": "所有差异系数均达标",
    "school_students": "全校在校生数",
    "school_classes": "全校班级数",
    "stage_primary": "小学学段",
    "stage_junior": "初中学段",
}


def _school_formula_names(ruleset: Any) -> set[str]:
    names: set[str] = set()
    for ind in ruleset.indicators.values():
        names |= ind.formula.names
        if ind.shortfall is not None:
            names |= ind.shortfall.names
    for rule in ruleset.school_rules.values():
        if rule.formula is not None:
            names |= rule.formula.names
    return names


def _county_formula_names(ruleset: Any) -> set[str]:
    names: set[str] = set()
    for item in ruleset.county_items.values():
        if item.formula is not None:
            names |= item.formula.names
    for rule in ruleset.multi_year.values():
        names |= rule.condition.names
    for veto in ruleset.vetoes.values():
        names |= veto.when.names
    if ruleset.score is not None:
        for node in ruleset.score.nodes:
            if node.formula is not None:
                names |= node.formula.names
    return names
