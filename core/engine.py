"""The Engine: plugins in, rulesets by id, reports out.

    engine = junheng.Engine()                       # plugins from entry points
    report = engine.evaluate("national.quality.2017", schools, county=county)

The engine owns a pluggy manager, the registry of ruleset files contributed by
plugins (id → file, plugin), and a cache of compiled rulesets. It validates the
records (raising :class:`junheng.issues.InputError` with every problem at once),
lets plugins prepare them, and runs :func:`junheng.evaluate.evaluate`.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from . import __version__
from .bulk import RecordColumns
from .discovery import (
    PluginError,
    PluginInfo,
    PluginProblem,
    call_each,
    load_entry_points,
    make_manager,
    register_objects,
)
from .evaluate import county_scalar_names, evaluate, finance_field_names
from .fields import register_schema_extension, school_fields
from .formula import BUILTIN_FUNCTIONS, FormulaFunction
from .issues import DataIssue, InputError
from .readers import register_reader
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
from .units import stage_field_names
from .validation import validate


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
    """Discovers plugins, resolves rulesets, evaluates counties."""

    def __init__(self, plugins: Iterable[Any] | None = None, *, entry_points: bool = True):
        self._pm = make_manager()
        self.plugins: list[PluginInfo] = []
        self.problems: list[PluginProblem] = []
        if entry_points:
            infos, problems = load_entry_points(self._pm)
            self.plugins += infos
            self.problems += problems
        if plugins:
            self.plugins += register_objects(self._pm, plugins)
        self.contributions: dict[str, dict[str, list[str]]] = {
            p.name: {"rulesets": [], "functions": [], "fields": [], "readers": [], "sections": []}
            for p in self.plugins
        }
        self._collect_schema_extensions()
        self._collect_readers()
        self._functions = self._collect_functions()
        self._files: dict[str, tuple[Any, str, dict[str, Any]]] = {}
        self._collect_rulesets()
        self._cache: dict[str, Ruleset] = {}

    # -- discovery -------------------------------------------------------------

    def _contrib(self, plugin: str, kind: str, what: str) -> None:
        self.contributions.setdefault(
            plugin, {"rulesets": [], "functions": [], "fields": [], "readers": [], "sections": []}
        )[kind].append(what)

    def _collect_schema_extensions(self) -> None:
        results, problems = call_each(self._pm, "junheng_schema_extensions")
        self.problems += problems
        for plugin, ext in results:
            if not isinstance(ext, Mapping):
                self.problems.append(PluginProblem(plugin, "junheng_schema_extensions 应返回字典"))
                continue
            for schema_name, fields in ext.items():
                for path, prop in (fields or {}).items():
                    msg = register_schema_extension(schema_name, path, prop, plugin)
                    if msg:
                        self.problems.append(PluginProblem(plugin, msg))
                    else:
                        self._contrib(plugin, "fields", f"{schema_name}:{path}")

    def _collect_readers(self) -> None:
        results, problems = call_each(self._pm, "junheng_readers")
        self.problems += problems
        for plugin, readers in results:
            if not isinstance(readers, Mapping):
                self.problems.append(PluginProblem(plugin, "junheng_readers 应返回字典"))
                continue
            for ext, reader in readers.items():
                msg = register_reader(str(ext), reader, plugin)
                if msg:
                    self.problems.append(PluginProblem(plugin, msg))
                else:
                    self._contrib(plugin, "readers", str(ext).lower())

    def plugin_hooks(self, plugin: str) -> list[str]:
        """Names of the hooks a registered plugin implements."""
        obj = self._pm.get_plugin(plugin)
        if obj is None:
            return []
        return sorted(
            name
            for name, caller in vars(self._pm.hook).items()
            if name.startswith("junheng_") and any(i.plugin is obj for i in caller.get_hookimpls())
        )

    def report_sections(self, report: Report) -> tuple[list[dict[str, Any]], list[PluginProblem]]:
        """Sections plugins contribute to ``report`` (``junheng_report_sections``), checked."""
        out: list[dict[str, Any]] = []
        results, problems = call_each(self._pm, "junheng_report_sections", report=report)
        for plugin, sections in results:
            for sec in sections if isinstance(sections, (list, tuple)) else [sections]:
                msg = _section_problem(sec)
                if msg:
                    problems.append(PluginProblem(plugin, f"报告章节已忽略：{msg}"))
                    continue
                out.append({**_json_section(sec), "plugin": plugin})
        return out, problems

    def _collect_functions(self) -> dict[str, FormulaFunction]:
        functions = dict(BUILTIN_FUNCTIONS)
        owner: dict[str, str] = {}
        self._function_owner = owner
        results, problems = call_each(self._pm, "junheng_formula_functions")
        self.problems += problems
        for plugin, fns in results:
            for fn in fns:
                if fn.name in functions:
                    where = owner.get(fn.name, "内置函数")
                    self.problems.append(
                        PluginProblem(plugin, f"函数 {fn.name} 与 {where} 重名，已忽略")
                    )
                    continue
                functions[fn.name] = attrs.evolve(fn, impl=_guarded(fn, plugin))
                owner[fn.name] = plugin
                self._contrib(plugin, "functions", fn.name)
        return functions

    def _collect_rulesets(self) -> None:
        results, problems = call_each(self._pm, "junheng_rulesets")
        self.problems += problems
        for plugin, files in results:
            for f in files:
                try:
                    data, name = read_toml(f)
                    check_structure(data, name)
                except RulesetError as exc:
                    self.problems.append(PluginProblem(plugin, str(exc)))
                    continue
                rid = data["id"]
                if rid in self._files:
                    other = self._files[rid][1]
                    self.problems.append(
                        PluginProblem(
                            plugin, f"规则集 {rid} 已由插件 {other} 提供，已忽略 ({name})"
                        )
                    )
                    continue
                self._files[rid] = (f, plugin, data)
                self._contrib(plugin, "rulesets", rid)

    # -- rulesets --------------------------------------------------------------

    def ruleset_infos(self) -> list[RulesetInfo]:
        return [
            RulesetInfo(
                id=rid,
                title=data["title"],
                basis=data.get("basis", ""),
                source=data.get("source", ""),
                plugin=plugin,
                file=str(f),
                extends=data.get("extends"),
            )
            for rid, (f, plugin, data) in sorted(self._files.items())
        ]

    def ruleset_ids(self) -> list[str]:
        return sorted(self._files)

    def ruleset(self, ruleset_id: str) -> Ruleset:
        """The compiled ruleset with this id (``extends`` resolved); RulesetError if unknown or bad."""
        if ruleset_id in self._cache:
            return self._cache[ruleset_id]
        chain: list[tuple[dict[str, Any], str]] = []
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
            if rid not in self._files:
                known = ", ".join(self.ruleset_ids()) or "（无）"
                what = (
                    f"继承 (extends) 的父规则集 '{rid}' 不存在"
                    if chain
                    else f"未知的规则集 '{rid}'"
                )
                raise RulesetError([f"{asker}{what}（可用：{known}）"])
            seen.append(rid)
            f, _, data = self._files[rid]
            chain.append((data, str(f)))
            rid = data.get("extends")
        chain.reverse()
        rs = build_ruleset(
            chain,
            school_field_paths=[f.path for f in school_fields()],
            stage_fields=stage_field_names(),
            county_names=county_scalar_names(),
            finance_fields=finance_field_names(),
            functions=self._functions,
        )
        self._cache[ruleset_id] = rs
        return rs

    def plugins_needed(self, ruleset: Ruleset) -> set[str]:
        """Plugins the ruleset depends on: those giving it or an ``extends`` ancestor, and
        those contributing formula functions it calls. A hook of any other plugin that
        fails during evaluation is reported and evaluation goes on without it."""
        needed: set[str] = set()
        rid: str | None = ruleset.id
        while rid is not None and rid in self._files and len(needed) <= MAX_EXTENDS_DEPTH:
            _, plugin, data = self._files[rid]
            needed.add(plugin)
            rid = data.get("extends")
        for formula in _formulas(ruleset):
            needed |= {
                self._function_owner[f] for f in formula.functions if f in self._function_owner
            }
        return needed

    # -- evaluation ------------------------------------------------------------

    def required_fields(self, ruleset: Ruleset) -> set[str]:
        """School field paths the ruleset's formulas read (for validation messages)."""
        stage = set(stage_field_names())
        used: set[str] = set()
        for ind in ruleset.indicators.values():
            used |= ind.formula.names
        for rule in ruleset.school_rules.values():
            if rule.formula is not None:
                used |= rule.formula.names
        # every stage block needs these (schema), whatever the formulas read
        paths = {f"{s}.{f}" for s in ruleset.stages for f in ("students", "classes", "teachers")}
        for name in used:
            if name in ("school_students", "school_classes"):
                name = name.removeprefix("school_")
            elif name.startswith("school_") and name.removeprefix("school_") in school_fields():
                name = name.removeprefix("school_")  # whole-school total of a shared asset
            if name in stage:
                paths |= {f"{s}.{name}" for s in ruleset.stages}
            elif name in school_fields():
                paths.add(name)
        return paths

    def evaluate(
        self,
        ruleset_id: str,
        schools: Sequence[Mapping[str, Any]],
        county: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        validate_input: bool = True,
        data_issues: Sequence[DataIssue] = (),
        provenance: Mapping[str, Any] | None = None,
        columns: RecordColumns | None = None,
    ) -> Report:
        """Evaluate schools (and the county record or records) with one ruleset.

        Raises :class:`InputError` listing every error when the records are invalid;
        warnings are carried into ``report.data_issues``. ``columns``: a
        :class:`~junheng.bulk.RecordColumns` of these very ``schools`` that an earlier
        ``validate(..., columns=)`` filled, so the fields are not pulled twice (with
        ``validate_input`` the engine shares one between its own two steps anyway).
        """
        rs = self.ruleset(ruleset_id)
        counties = [county] if isinstance(county, Mapping) else list(county or [])
        issues = list(data_issues)
        if columns is not None and columns.records is not schools:
            raise ValueError("columns 不是从这份学校记录中提取的 (columns.records is not schools)")
        if columns is None:
            columns = RecordColumns(schools)
        if validate_input:
            issues += validate(
                schools, counties, required_fields=self.required_fields(rs), columns=columns
            )
            errors = [i for i in issues if i.is_error]
            if errors:
                raise InputError(errors)
        issues = _drop_irrelevant_missing_fields(issues, schools, rs)
        by_code = {str(c.get("county_code")): c for c in counties}
        prepared = list(schools)
        results, hook_problems = call_each(
            self._pm,
            "junheng_prepare_records",
            schools=prepared,
            county=counties[0] if len(counties) == 1 else None,
            ruleset_id=rs.id,
        )
        for plugin, result in results:
            try:
                prepared = list(result)
            except Exception as exc:  # a plugin returned something that is not records
                hook_problems.append(
                    PluginProblem(plugin, f"junheng_prepare_records 的返回值不是记录列表：{exc!r}")
                )
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
            "evaluated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            **dict(provenance or {}),
        }
        if self._pm.hook.junheng_prepare_records.get_hookimpls():
            columns = None  # a plugin may have changed the records: pull from what it gave
        report = evaluate(
            rs, prepared, by_code, data_issues=issues, provenance=prov, columns=columns
        )
        report.provenance["evaluate_seconds"] = round(time.perf_counter() - started, 6)
        sections, problems = self.report_sections(report)
        problems = hook_problems + problems  # plugins the ruleset does not need: reported
        if problems:
            report.provenance["plugin_problems"] = [f"{p.plugin}: {p.message}" for p in problems]
        if sections:
            report = attrs.evolve(report, sections=tuple(sections))
        return report


def _guarded(fn: FormulaFunction, plugin: str) -> Any:
    """``fn.impl`` raising :class:`PluginError` naming the plugin instead of any exception."""
    impl = fn.impl

    def call(*args: Any) -> Any:
        try:
            return impl(*args)
        except Exception as exc:
            raise PluginError(plugin, f"公式函数 {fn.name} 出错：{exc!r}") from exc

    return call


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


_SECTION_KEYS = {"id", "title", "rows", "columns", "note"}


def _section_problem(sec: Any) -> str | None:
    """Why a contributed report section does not have the documented shape (None if it does)."""
    if not isinstance(sec, Mapping):
        return f"应为字典，得到 {type(sec).__name__}"
    missing = [k for k in ("id", "title", "rows") if k not in sec]
    if missing:
        return f"缺少 {', '.join(missing)}"
    extra = set(sec) - _SECTION_KEYS
    if extra:
        return f"{sec.get('id')}: 未知的键 {sorted(extra)}"
    if not isinstance(sec["id"], str) or not isinstance(sec["title"], str):
        return "id 和 title 应为文本"
    if not isinstance(sec["rows"], (list, tuple)):
        return f"{sec['id']}: rows 应为列表"
    scalar = (str, int, float, bool, type(None))
    for row in sec["rows"]:
        cells = row.values() if isinstance(row, Mapping) else row
        if not isinstance(row, (Mapping, list, tuple)) or not all(
            isinstance(c, scalar) for c in cells
        ):
            return f"{sec['id']}: 每行应为由文本/数字组成的列表或字典"
    return None


def _json_section(sec: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": sec["id"], "title": sec["title"]}
    if "columns" in sec:
        out["columns"] = [str(c) for c in sec["columns"]]
    out["rows"] = [dict(r) if isinstance(r, Mapping) else list(r) for r in sec["rows"]]
    if sec.get("note"):
        out["note"] = str(sec["note"])
    return out


def _drop_irrelevant_missing_fields(
    issues: list[DataIssue], schools: Sequence[Mapping[str, Any]], rs: Ruleset
) -> list[DataIssue]:
    """A field the ruleset needs is not missing from a school the ruleset leaves out."""
    excluded_types = set()
    if rs.preparation.teaching_points == "exclude":
        excluded_types.add("teaching_point")
    if rs.preparation.special_education == "exclude":
        excluded_types.add("special_education")
    if not excluded_types or not any(i.code == "missing_field" for i in issues):
        return issues
    left_out = {str(s.get("id")) for s in schools if s.get("school_type") in excluded_types}
    return [i for i in issues if not (i.code == "missing_field" and i.record_id in left_out)]


def ruleset_hash(rs: Ruleset) -> str:
    """Content hash of the resolved rule data (independent of where the files are installed)."""
    text = json.dumps(strip_origin(rs.raw), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
