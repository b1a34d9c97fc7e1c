"""The Engine: plugins in, rulesets by id, reports out.

    engine = junheng.Engine()                       # plugins from entry points
    inputs = engine.load("schools.xlsx", "county.xlsx")
    report = engine.evaluate("national.quality.2017", inputs)

The engine owns a pluggy manager (:mod:`junheng.discovery`) and the
:class:`~junheng.registry.Registry` of everything its plugins contributed
(:mod:`junheng.contributions`): fields, formula functions, readers, writers,
ruleset files. It passes the registry explicitly to the readers, validation,
the units step and the writers, so two engines with different plugins in one
process never see each other's contributions. It compiles rulesets on first
use (and keeps them), lets plugins prepare each county's records
(``junheng_prepare_records``) and runs :func:`junheng.evaluate.evaluate`.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from . import __version__
from .bulk import NumberTooLarge, RecordColumns, gc_paused
from .contributions import discover
from .discovery import HookCall, PluginError, PluginProblem, call, make_manager
from .evaluate import evaluate
from .inputs import Inputs, Source, load
from .issues import DataIssue, InputError
from .readers import ReadResult, read_county, read_schools
from .readers.arrow import read_table
from .registry import RulesetSource
from .results import Report
from .ruleset import (
    MAX_EXTENDS_DEPTH,
    Ruleset,
    RulesetError,
    build_ruleset,
    check_structure,
    read_toml,
    strip_origin,
)
from .sampling import SampleCall
from .sections import checked_sections
from .tables import is_table
from .validation import huge_integer_errors, missing_field_issues, validate
from .validation.county_rules import county_rule_issues
from .validation.where import locate

__all__ = ["LOCAL_PLUGIN", "Engine", "RulesetInfo", "ruleset_hash"]

#: issue codes that depend on the ruleset the data were checked for
_RULESET_CODES = frozenset({"missing_field", "missing_year", "score_above_maximum"})
#: who a ruleset added from a local file (:meth:`Engine.add_ruleset_file`) comes from
LOCAL_PLUGIN = "本地文件 (local file)"


@attrs.frozen
class RulesetInfo:
    """A ruleset as listed by ``junheng rulesets list``."""

    id: str
    title: str
    basis: str
    source: str
    plugin: str
    file: str
    extends: str | None


class Engine:
    """Discovers plugins, resolves rulesets, evaluates counties.

    ``plugins``: plugin objects (modules or objects with hook implementations)
    registered after the installed ones; ``entry_points=False``: only the defaults
    and ``plugins``. ``Engine.problems`` lists every plugin problem, naming the plugin.
    """

    def __init__(self, plugins: Iterable[Any] | None = None, *, entry_points: bool = True):
        self._pm, self.plugins, problems = make_manager(
            plugins or (), use_entry_points=entry_points
        )
        found = discover(self._pm, self.plugins, self)
        self.registry = found.registry
        self.problems: list[PluginProblem] = problems + found.problems
        self.contributions = found.contributions
        self._cache: dict[str, Ruleset] = {}
        self._local: dict[str, RulesetSource] = {}

    @property
    def plugin_manager(self) -> Any:
        """The pluggy plugin manager (tracing, hook wrappers, ``pm.hook.*`` as pluggy has them)."""
        return self._pm

    pm = plugin_manager

    # -- plugins -------------------------------------------------------------------------

    def plugin_hooks(self, plugin: str) -> list[str]:
        """Names of the hooks a registered plugin implements."""
        obj = self._pm.get_plugin(plugin)
        if obj is None:
            return []
        return sorted(
            caller.name
            for caller in self._pm.get_hookcallers(obj) or ()
            if caller.name.startswith("junheng_")
        )

    def hook(self, name: str, state: HookCall | None = None, **kwargs: Any) -> HookCall:
        """Call a hook through pluggy, each implementation contained (:func:`discovery.call`)."""
        return call(self._pm, name, state, engine=self, **kwargs)

    # -- rulesets -------------------------------------------------------------------------

    def ruleset_infos(self) -> list[RulesetInfo]:
        return [
            RulesetInfo(
                id=rid,
                title=src.data["title"],
                basis=src.data.get("basis", ""),
                source=src.data.get("source", ""),
                plugin=src.plugin,
                file=str(src.file),
                extends=src.data.get("extends"),
            )
            for rid, src in sorted(self._rulesets().items())
        ]

    def ruleset_ids(self) -> list[str]:
        return sorted(self._rulesets())

    def _rulesets(self) -> Mapping[str, RulesetSource]:
        """The plugins' rulesets and the local files added with :meth:`add_ruleset_file`."""
        return {**self.registry.rulesets, **self._local} if self._local else self.registry.rulesets

    def add_ruleset_file(self, path: str | os.PathLike[str]) -> Ruleset:
        """Load a ruleset from a local TOML file — a province's or a county's own, no plugin
        needed — and add it to this engine; returns it compiled. The file may ``extends``
        any installed ruleset. Raises :class:`RulesetError` naming the file when it cannot
        be read, is malformed, or takes the id of an installed ruleset.

        >>> engine = Engine()
        >>> rs = engine.add_ruleset_file("my.toml")  # doctest: +SKIP
        >>> engine.evaluate(rs.id, schools, county)  # doctest: +SKIP
        """
        file = Path(path)
        if not file.is_file():  # a folder, a device (/dev/zero), nothing at all
            what = "不存在" if not file.exists() else "不是普通文件"
            raise RulesetError([f"{file}: 规则集文件{what} (not a regular file)"])
        data, name = read_toml(file)
        check_structure(data, name)
        rid = data["id"]
        installed = self.registry.rulesets.get(rid)
        if installed is not None:
            raise RulesetError(
                [f"{name}: 规则集编号 {rid} 已被插件 {installed.plugin} 的规则集使用，请换一个编号"]
            )
        known = self._local.get(rid)
        if known is not None and Path(known.file).resolve() != file.resolve():
            raise RulesetError([f"{name}: 规则集编号 {rid} 已由本地文件 {known.name} 使用"])
        self._local[rid] = RulesetSource(rid, file, name, LOCAL_PLUGIN, data)
        self._cache.clear()  # a ruleset extending this id may be cached
        return self.ruleset(rid)

    def ruleset(self, ruleset_id: str) -> Ruleset:
        """The compiled ruleset with this id (``extends`` resolved); RulesetError if unknown or bad."""
        if ruleset_id in self._cache:
            return self._cache[ruleset_id]
        rulesets = self._rulesets()
        chain: list[tuple[Mapping[str, Any], str]] = []
        seen: list[str] = []
        rid: str | None = ruleset_id
        while rid is not None:
            # name the file that asked for ``rid`` (the child), not just the ids
            asker = f"{chain[-1][1]}: " if chain else ""
            if rid in seen:
                raise RulesetError(
                    [f"{asker}规则集继承出现循环 (extends cycle): {' → '.join([*seen, rid])}"]
                )
            if len(seen) >= MAX_EXTENDS_DEPTH:
                raise RulesetError(
                    [f"{asker}规则集继承层数超过 {MAX_EXTENDS_DEPTH}: {' → '.join(seen)}"]
                )
            if rid not in rulesets:
                known = ", ".join(self.ruleset_ids()) or "（无）"
                what = (
                    f"继承 (extends) 的父规则集 '{rid}' 不存在"
                    if chain
                    else f"未知的规则集 '{rid}'"
                )
                raise RulesetError([f"{asker}{what}（可用：{known}）"])
            seen.append(rid)
            src = rulesets[rid]
            chain.append((src.data, src.name))
            rid = src.data.get("extends")
        chain.reverse()
        rs = build_ruleset(chain, names=self.registry.names, functions=self.registry.functions)
        self._cache[ruleset_id] = rs
        return rs

    def _ruleset_files(self, ruleset: Ruleset) -> list[dict[str, str]]:
        """The files of the ruleset's ``extends`` chain (root first), each with the plugin
        that gave it (or :data:`LOCAL_PLUGIN`) and the SHA-256 of its bytes."""
        out = []
        rulesets = self._rulesets()
        rid: str | None = ruleset.id
        while rid is not None and rid in rulesets and len(out) <= MAX_EXTENDS_DEPTH:
            src = rulesets[rid]
            try:
                digest = hashlib.sha256(src.file.read_bytes()).hexdigest()
            except (OSError, AttributeError):  # a file gone since it was loaded
                digest = None
            # a plugin's file by its folder and name (never the installation's path: a
            # report from a server does not show where it is installed)
            shown = src.name if src.plugin == LOCAL_PLUGIN else "/".join(Path(src.name).parts[-2:])
            out.append({"id": rid, "file": shown, "plugin": src.plugin, "sha256": digest})
            rid = src.data.get("extends")
        return out[::-1]

    def plugins_needed(self, ruleset: Ruleset) -> set[str]:
        """Plugins the ruleset depends on: those giving it or an ``extends`` ancestor, and
        those contributing formula functions it calls. A hook of any other plugin that
        fails during evaluation is reported and evaluation goes on without it."""
        needed: set[str] = set()
        rid: str | None = ruleset.id
        rulesets = self._rulesets()
        while rid is not None and rid in rulesets and len(needed) <= MAX_EXTENDS_DEPTH:
            needed.add(rulesets[rid].plugin)
            rid = rulesets[rid].data.get("extends")
        owners = self.registry.function_owners
        for formula in _formulas(ruleset):
            needed |= {owners[f] for f in formula.functions if f in owners}
        return needed - {info.name for info in self.plugins if info.default}

    def required_fields(self, ruleset: Ruleset) -> set[str]:
        """School field paths the ruleset's formulas read (for validation messages)."""
        return self.registry.names.required_school_fields(ruleset)

    # -- data -----------------------------------------------------------------------------

    def read_schools(self, path: Any) -> ReadResult:
        """School records from a file, with this engine's readers and fields."""
        return read_schools(path, self.registry)

    def read_county(self, path: Any) -> ReadResult:
        """County record(s) from a file, with this engine's readers and fields."""
        return read_county(path, self.registry)

    def load(self, schools: Source, county: Source = None, *, ruleset: str | None = None) -> Inputs:
        """Read (file paths) or take (records) the schools and county data, validated.

        ``schools``: a path, or any iterable of school records (mappings); ``county``:
        a path, a county record, a list of them, or None. With ``ruleset``, fields that
        ruleset needs and a school lacks are warned about too. Never raises on user
        data: every problem is a located issue in ``inputs.issues`` (check
        ``inputs.has_errors`` before evaluating, or let :meth:`evaluate` raise).
        """
        required = None
        rs = None
        if ruleset is not None:
            rs = self.ruleset(ruleset)
            required = self.required_fields(rs)
        with gc_paused():
            inputs = load(
                self.registry, schools, county, required_fields=required, ruleset_id=ruleset
            )
        if rs is None or not inputs.counties:
            return inputs
        return attrs.evolve(inputs, issues=(*inputs.issues, *self._county_issues(inputs, rs)))

    def _county_issues(self, inputs: Inputs, rs: Ruleset) -> list[DataIssue]:
        """What ``rs`` asks of the county records (scores within their maximum, the
        fiscal years its multi-year rules judge, the fields it reads)."""
        read = inputs.county_read
        where = locate(
            read.file if read is not None else None,
            read.rows if read is not None else None,
            "县",
            self.registry.county_fields,
            read.field_rows if read is not None else (),
        )
        return county_rule_issues(inputs.counties, rs, self.registry.names, where)

    def validate(
        self, schools: Sequence[Mapping[str, Any]], county: Any = None, **kwargs: Any
    ) -> list[DataIssue]:
        """Every problem in these records, against this engine's schemas (see
        :func:`junheng.validation.validate`)."""
        return validate(schools, county, registry=self.registry, **kwargs)

    def sample(self) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The bundled sample county (青溪县): its school records and county record, with
        the values of every installed province's own fields (``junheng_sample``)."""
        from .sample import load_sample

        schools, county = load_sample()
        state = self.hook(
            "junheng_sample", SampleCall(schools, county), schools=schools, county=county
        )
        self.problems += [p for p in state.problems if p not in self.problems]
        return schools, county

    # -- evaluation ---------------------------------------------------------------------------

    def evaluate(
        self,
        ruleset_id: str,
        schools: Inputs | Sequence[Mapping[str, Any]],
        county: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        validate_input: bool = True,
        data_issues: Sequence[DataIssue] = (),
        provenance: Mapping[str, Any] | None = None,
        columns: RecordColumns | None = None,
    ) -> Report:
        """Evaluate schools (and the county record or records) with one ruleset.

        ``schools`` is what :meth:`load` returned, or school records (then ``county``
        the county record(s)). Raises :class:`InputError` listing every error when
        the data are invalid; warnings are carried into ``report.data_issues``.
        ``validate_input=False`` (with ``data_issues`` from an earlier validation)
        and ``columns`` are for callers that validated these very records themselves.
        """
        rs = self.ruleset(ruleset_id)
        if columns is not None and columns.records is not schools:
            raise ValueError("columns 不是从这份学校记录中提取的 (columns.records is not schools)")
        recheck = False
        if isinstance(schools, Inputs):
            inputs = schools
            recheck = inputs.checked_for != rs.id
        elif validate_input:
            inputs = self.load(schools, county, ruleset=rs.id)
            inputs = attrs.evolve(inputs, issues=(*data_issues, *inputs.issues))
        else:
            if is_table(schools):  # read as columns (reader errors are still errors)
                read = read_table(schools, "schools", self.registry.school_fields)
                schools, columns = read.records, read.columns
                data_issues = (*data_issues, *read.issues)
            if is_table(county):
                county = read_table(county, "county", self.registry.county_fields).records
            counties = [county] if isinstance(county, Mapping) else list(county or [])
            inputs = Inputs(
                schools, counties, tuple(data_issues), checked_for=rs.id, columns=columns
            )
        if inputs.has_errors:
            raise InputError(inputs.errors)
        issues = list(inputs.issues)
        if recheck:  # loaded without this ruleset: the fields it needs were not asked for
            issues = [i for i in issues if i.code not in _RULESET_CODES]
            issues += self._missing_fields(inputs, rs)
            issues += self._county_issues(inputs, rs) if inputs.counties else []
            if any(i.is_error for i in issues):
                raise InputError([i for i in issues if i.is_error])
        issues = _drop_irrelevant_missing_fields(
            issues, inputs.columns or RecordColumns(inputs.schools), rs
        )
        try:
            with gc_paused():
                return self._evaluate(
                    rs, inputs, issues, {**inputs.provenance, **dict(provenance or {})}
                )
        except NumberTooLarge:  # in records validated elsewhere (validate_input=False)
            read = inputs.school_read
            errors = huge_integer_errors(
                inputs.schools,
                inputs.counties,
                registry=self.registry,
                file=read.file if read is not None else None,
                rows=read.rows if read is not None else None,
            )
            if not errors:
                raise
            raise InputError(errors) from None

    def plan(
        self,
        ruleset_id: str,
        schools: Inputs | Sequence[Mapping[str, Any]] | str,
        county: Any = None,
        *,
        costs: Any = None,
        budget: float | None = None,
    ) -> Any:
        """The least-cost additions that make every county's schools and CVs pass
        (:func:`junheng.plan.plan`, which this delegates to; docs/plan.md)."""
        from .plan import plan  # imported when used: the planner is not needed to evaluate

        return plan(self, ruleset_id, schools, county, costs=costs, budget=budget)

    def _missing_fields(self, inputs: Inputs, rs: Ruleset) -> list[DataIssue]:
        """Warnings for fields this ruleset needs that the loaded schools lack."""
        read = inputs.school_read
        return missing_field_issues(
            inputs.schools,
            self.required_fields(rs),
            registry=self.registry,
            file=read.file if read is not None else None,
            rows=read.rows if read is not None else None,
            columns=inputs.columns,
        )

    def _evaluate(
        self, rs: Ruleset, inputs: Inputs, issues: list[DataIssue], provenance: Mapping[str, Any]
    ) -> Report:
        by_code = {str(c.get("county_code")): c for c in inputs.counties}
        schools, hook_problems, prepared = self._prepare(rs, inputs.schools, by_code)
        needed = self.plugins_needed(rs)
        for problem in hook_problems:
            if problem.plugin in needed:
                # the ruleset comes from (or calls functions of) this plugin: its
                # preparation may be what the rules assume, so do not guess
                raise PluginError(problem.plugin, problem.message)
        started = time.perf_counter()
        prov = {
            "engine": "junheng",
            "engine_version": __version__,
            "ruleset_id": rs.id,
            "ruleset_sha256": ruleset_hash(rs),
            "ruleset_files": self._ruleset_files(rs),
            "evaluated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            **dict(provenance),
        }
        report = evaluate(
            rs,
            schools,
            by_code,
            data_issues=issues,
            provenance=prov,
            # a plugin may have changed the records: pull from what it gave
            columns=None if prepared else inputs.columns,
            registry=self.registry,
        )
        report.provenance["evaluate_seconds"] = round(time.perf_counter() - started, 6)
        state = self.hook("junheng_report_sections", report=report)
        sections, problems = checked_sections(state)
        problems = hook_problems + problems  # plugins the ruleset does not need: reported
        if problems:
            report.provenance["plugin_problems"] = [f"{p.plugin}: {p.message}" for p in problems]
        if sections:
            report = attrs.evolve(report, sections=tuple(sections))
        return report

    def _prepare(
        self, rs: Ruleset, schools: Sequence[Mapping[str, Any]], by_code: Mapping[str, Any]
    ) -> tuple[Sequence[Mapping[str, Any]], list[PluginProblem], bool]:
        """``junheng_prepare_records`` once per county, composed in pluggy's call order."""
        if not self._pm.hook.junheng_prepare_records.get_hookimpls():
            return schools, [], False
        from .preparation import prepare

        return (*prepare(self, rs.id, schools, by_code), True)


def _formulas(rs: Ruleset) -> list[Any]:
    """Every compiled formula of a ruleset."""
    out: list[Any] = []
    for ind in rs.indicators.values():
        out += [ind.formula, ind.shortfall]
    out += [r.formula for r in rs.school_rules.values()]
    out += [c.formula for c in rs.county_items.values()]
    out += [m.condition for m in rs.multi_year.values()]
    out += [v.when for v in rs.vetoes.values()]
    if rs.score:
        out += [n.formula for n in rs.score.nodes]
    return [f for f in out if f is not None]


def _drop_irrelevant_missing_fields(
    issues: list[DataIssue], schools: RecordColumns, rs: Ruleset
) -> list[DataIssue]:
    """A field the ruleset needs is not missing from a school the ruleset leaves out."""
    excluded_types = set()
    if rs.preparation.teaching_points == "exclude":
        excluded_types.add("teaching_point")
    if rs.preparation.special_education == "exclude":
        excluded_types.add("special_education")
    if not excluded_types or not any(i.code == "missing_field" for i in issues):
        return issues
    got = schools.values(["id", "school_type"])
    left_out = {
        str(sid)
        for sid, kind in zip(got["id"], got["school_type"], strict=True)
        if kind in excluded_types
    }
    return [i for i in issues if not (i.code == "missing_field" and i.record_id in left_out)]


def ruleset_hash(rs: Ruleset) -> str:
    """Content hash of the resolved rule data (independent of where the files are installed)."""
    text = json.dumps(strip_origin(rs.raw), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
