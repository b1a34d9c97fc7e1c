"""What the discovery hooks returned, checked and kept in the engine's :class:`~junheng.registry.Registry`.

Each hook's results are taken as :mod:`junheng.hookspecs` says: fields, formula
functions and ruleset ids are unique (the first plugin in registration order
keeps one; a later one is reported), readers and writers are taken in pluggy's
call order (the first for an extension or format wins, so a plugin replaces a
default). Every return value is checked for the shape its hook documents; a
wrong one is reported naming the plugin and ignored, never a crash of the
engine. :func:`discover` also records what each plugin contributed, for
``junheng plugins``.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import numpy as np

from .discovery import PluginError, PluginInfo, PluginProblem, call
from .fields import (
    add_field,
    catalogue,
    extension_problem,
    field_exists,
    field_property,
    load_schema,
)
from .formula import FormulaFunction
from .registry import Reader, Registry, RulesetSource, Writer
from .ruleset import RulesetError, check_structure, read_toml

__all__ = ["CONTRIBUTION_KINDS", "Discovered", "discover"]

#: what a plugin may contribute, with the words ``junheng plugins`` shows
CONTRIBUTION_KINDS = (
    ("rulesets", "规则集"),
    ("functions", "函数"),
    ("fields", "字段"),
    ("readers", "读取器"),
    ("writers", "报告格式"),
)


@attrs.frozen
class Discovered:
    registry: Registry
    problems: list[PluginProblem]
    #: plugin → kind → what it contributed (``"rulesets": ["national.quality.2017"]`` …)
    contributions: dict[str, dict[str, list[str]]]


def discover(pm: Any, infos: list[PluginInfo], engine: Any) -> Discovered:
    """Call the discovery hooks (with ``engine``) and build the registry."""
    state = _State(infos)
    schemas = state.fields(call(pm, "junheng_schema_extensions", engine=engine))
    functions, function_owners = state.functions(
        call(pm, "junheng_formula_functions", engine=engine)
    )
    readers = state.keyed(call(pm, "junheng_readers", engine=engine), "readers", _reader)
    writers = state.keyed(call(pm, "junheng_writers", engine=engine), "writers", _writer)
    rulesets = state.rulesets(call(pm, "junheng_rulesets", engine=engine))
    registry = Registry.build(
        schemas["school"],
        schemas["county"],
        field_owners=state.field_owners,
        readers={ext: Reader(ext, fn, plugin) for ext, (fn, plugin) in readers.items()},
        writers={fmt: w for fmt, (w, _) in writers.items()},
        writer_owners={fmt: plugin for fmt, (_, plugin) in writers.items()},
        functions=functions,
        function_owners=function_owners,
        rulesets=rulesets,
    )
    return Discovered(registry, state.problems, state.contributions)


class _State:
    def __init__(self, infos: list[PluginInfo]) -> None:
        self.order = {info.name: k for k, info in enumerate(infos)}
        self.defaults = {info.name for info in infos if info.default}
        self.problems: list[PluginProblem] = []
        self.contributions = {info.name: {k: [] for k, _ in CONTRIBUTION_KINDS} for info in infos}
        self.field_owners: dict[tuple[str, str], tuple[str, ...]] = {}

    def note(self, plugin: str, kind: str, what: str) -> None:
        self.contributions.setdefault(plugin, {k: [] for k, _ in CONTRIBUTION_KINDS})[kind].append(
            what
        )

    def problem(self, plugin: str, message: str) -> None:
        self.problems.append(PluginProblem(plugin, message))

    def registration_order(self, hook: Any) -> list[tuple[str, Any]]:
        self.problems += hook.problems
        return sorted(hook.results, key=lambda r: self.order.get(r[0], len(self.order)))

    def call_order(self, hook: Any) -> list[tuple[str, Any]]:
        self.problems += hook.problems
        return hook.results

    # -- fields --------------------------------------------------------------------------

    def fields(self, hook: Any) -> dict[str, dict[str, Any]]:
        schemas = {"school": load_schema("school"), "county": load_schema("county")}
        for plugin, ext in self.registration_order(hook):
            if not isinstance(ext, Mapping):
                self.problem(plugin, f"junheng_schema_extensions 应返回字典，得到 {_kind(ext)}")
                continue
            for schema_name, fields in ext.items():
                if not isinstance(fields, Mapping):
                    self.problem(
                        plugin,
                        f"junheng_schema_extensions 的 {schema_name!r} 应为字典（路径 → 字段定义）",
                    )
                    continue
                for path, prop in fields.items():
                    self._field(plugin, schemas, schema_name, path, prop)
        return schemas

    def _field(self, plugin: str, schemas: dict, schema_name: Any, path: Any, prop: Any) -> None:
        msg = extension_problem(str(schema_name), path, prop)
        if msg:
            self.problem(plugin, msg)
            return
        schema = schemas[schema_name]
        key = (schema_name, path)
        if key in self.field_owners:
            existing = field_property(schema, path) or {}
            first = self.field_owners[key][0]
            if existing.get("type") == prop.get("type") and existing.get("enum") == prop.get(
                "enum"
            ):
                self.field_owners[key] += (plugin,)  # the same field, declared by both: shared
                self.note(plugin, "fields", f"{schema_name}:{path}")
            else:
                self.problem(
                    plugin, f"字段 {schema_name}:{path} 已由插件 {first} 以不同类型定义，已忽略"
                )
            return
        if field_exists(schema, path):
            self.problem(plugin, f"字段 {schema_name}:{path} 已存在（内置数据结构），已忽略")
            return
        trial = copy.deepcopy(schema)
        add_field(trial, path, prop)
        try:
            catalogue(schema_name, trial)
        except ValueError as exc:  # an ambiguous Chinese title
            self.problem(plugin, f"字段 {schema_name}:{path} 与已有字段冲突：{exc}")
            return
        schemas[schema_name] = trial
        self.field_owners[key] = (plugin,)
        self.note(plugin, "fields", f"{schema_name}:{path}")

    # -- formula functions ----------------------------------------------------------------

    def functions(self, hook: Any) -> tuple[dict[str, FormulaFunction], dict[str, str]]:
        functions: dict[str, FormulaFunction] = {}
        owners: dict[str, str] = {}
        for plugin, fns in self.registration_order(hook):
            for fn in self._items(plugin, fns, "junheng_formula_functions", "FormulaFunction"):
                if not isinstance(fn, FormulaFunction):
                    self.problem(
                        plugin,
                        f"junheng_formula_functions 的元素应为 FormulaFunction，得到 {_kind(fn)}",
                    )
                    continue
                if fn.name in functions:
                    where = owners[fn.name]
                    where = "内置函数" if where in self.defaults else where
                    self.problem(plugin, f"函数 {fn.name} 与 {where} 重名，已忽略")
                    continue
                if not callable(fn.impl):
                    self.problem(plugin, f"函数 {fn.name} 的 impl 不可调用")
                    continue
                guarded = (
                    fn if plugin in self.defaults else attrs.evolve(fn, impl=_guarded(fn, plugin))
                )
                functions[fn.name] = guarded
                owners[fn.name] = plugin
                self.note(plugin, "functions", fn.name)
        return functions, owners

    # -- readers and writers ----------------------------------------------------------------

    def keyed(self, hook: Any, kind: str, check: Any) -> dict[str, tuple[Any, str]]:
        """``key → (value, plugin)``: the first in pluggy's call order wins; a later default
        is silently replaced, a later plugin that is not a default is reported."""
        taken: dict[str, tuple[Any, str]] = {}
        hook_name = f"junheng_{kind}"
        for plugin, mapping in self.call_order(hook):
            if not isinstance(mapping, Mapping):
                self.problem(plugin, f"{hook_name} 应返回字典，得到 {_kind(mapping)}")
                continue
            for key, value in mapping.items():
                key, msg = check(key, value)
                if msg:
                    self.problem(plugin, msg)
                    continue
                if key in taken:
                    if plugin not in self.defaults:
                        self.problem(plugin, f"{key} 已由插件 {taken[key][1]} 提供，已忽略")
                    continue
                taken[key] = (value, plugin)
                self.note(plugin, kind, key)
        return taken

    # -- rulesets --------------------------------------------------------------------------------

    def rulesets(self, hook: Any) -> dict[str, RulesetSource]:
        out: dict[str, RulesetSource] = {}
        for plugin, files in self.registration_order(hook):
            for f in self._items(plugin, files, "junheng_rulesets", "文件路径"):
                if not (isinstance(f, (str, os.PathLike)) or hasattr(f, "read_bytes")):
                    self.problem(plugin, f"junheng_rulesets 的元素应为文件路径，得到 {_kind(f)}")
                    continue
                try:
                    data, name = read_toml(f)
                    check_structure(data, name)
                except RulesetError as exc:
                    self.problem(plugin, str(exc))
                    continue
                rid = data["id"]
                if rid in out:
                    self.problem(
                        plugin, f"规则集 {rid} 已由插件 {out[rid].plugin} 提供，已忽略 ({name})"
                    )
                    continue
                out[rid] = RulesetSource(rid, f, name, plugin, data)
                self.note(plugin, "rulesets", rid)
        return out

    def _items(self, plugin: str, value: Any, hook: str, what: str) -> list[Any]:
        """The elements of an iterable a hook returned (a problem if it is not one)."""
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
            self.problem(plugin, f"{hook} 应返回{what}的列表，得到 {_kind(value)}")
            return []
        try:
            return list(value)
        except Exception as exc:  # a generator that raises part-way
            self.problem(plugin, f"{hook} 的返回值无法遍历：{exc!r}")
            return []


def _reader(key: Any, value: Any) -> tuple[str, str | None]:
    ext = str(key).lower()
    ext = ext if ext.startswith(".") else f".{ext}"
    if not callable(value):
        return ext, f"文件类型 {ext} 的读取器不可调用"
    return ext, None


def _writer(key: Any, value: Any) -> tuple[str, str | None]:
    fmt = str(key)
    if not isinstance(value, Writer):
        return fmt, f"报告格式 {fmt} 应为 junheng.outputs.Writer，得到 {_kind(value)}"
    if value.render is None and value.stream is None and value.files is None:
        return fmt, f"报告格式 {fmt} 既没有 render、stream 也没有 files"
    return fmt, None


def _kind(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}"


def _guarded(fn: FormulaFunction, plugin: str) -> Any:
    """``fn.impl`` raising :class:`PluginError` naming the plugin instead of any exception,
    and instead of a result that is no number or array of numbers of the arguments' shape
    (a string, a list of the wrong length, a column turned sideways): garbage never
    enters a check."""
    impl = fn.impl

    def call_impl(*args: Any) -> Any:
        try:
            result = impl(*args)
        except Exception as exc:
            raise PluginError(plugin, f"公式函数 {fn.name} 出错：{exc!r}") from exc
        return _checked_result(result, args, fn.name, plugin)

    return call_impl


def _checked_result(result: Any, args: tuple[Any, ...], name: str, plugin: str) -> np.ndarray:
    try:
        if result is None:  # numpy would read it as NaN: an undefined result, silently
            raise TypeError
        values = np.asarray(result, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise PluginError(
            plugin, f"公式函数 {name} 返回了 {_kind(result)}，应为数字或与参数等长的数字数组"
        ) from None
    try:
        shape = np.broadcast_shapes(*(np.shape(a) for a in args))
    except ValueError:  # pragma: no cover - the formula compiler broadcasts its arguments
        shape = values.shape
    if values.shape not in ((), shape):
        raise PluginError(
            plugin,
            f"公式函数 {name} 返回了形状为 {values.shape} 的数组，应为数字或形状 {shape} 的数组",
        )
    return values
