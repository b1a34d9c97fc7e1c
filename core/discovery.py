"""Plugin discovery and hook calls: pluggy, entry-point group ``junheng``, failures contained.

:func:`make_manager` builds a pluggy manager with junheng's hookspecs and
registers, in this order, the engine's defaults (:data:`junheng.defaults.DEFAULT_PLUGINS`),
the installed plugins (entry points, by name) and any plugin objects given to
the engine. pluggy calls implementations last registered first, honouring
``tryfirst``/``trylast``, hook wrappers and tracing: every hook goes through
``pm.hook.<name>``.

Problems never stop the other plugins; each becomes a :class:`PluginProblem`
naming the plugin: an import error, a hook with arguments its spec does not
have, a ``junheng_*`` function that is no hook (``pm.check_pending``; a near
miss is named: "是否应为 junheng_rulesets？"), a hook that raises. Containment
works per implementation: :func:`call` runs a hook through pluggy while each
implementation is guarded (registered implementations are wrapped once, when
their plugin is registered), so a plugin that raises is named and the others'
results are kept, in pluggy's order.
"""

from __future__ import annotations

import contextvars
import difflib
import functools
import importlib
import inspect
from collections.abc import Callable, Iterable, Sequence
from importlib.metadata import entry_points
from typing import Any

import attrs
import pluggy

from . import hookspecs
from .hookspecs import PROJECT

__all__ = [
    "ENTRY_POINT_GROUP",
    "HookCall",
    "PluginError",
    "PluginInfo",
    "PluginProblem",
    "call",
    "make_manager",
]

ENTRY_POINT_GROUP = "junheng"
_HOOK_NAMES = frozenset(n for n in dir(hookspecs) if n.startswith("junheng_"))


@attrs.frozen
class PluginProblem:
    """Something wrong with one plugin, in a Chinese sentence naming it."""

    plugin: str
    message: str


class PluginError(RuntimeError):
    """A plugin failed while evaluating, where the ruleset needs what it contributes.

    Raised by the engine (a hook or a contributed formula function raised); the
    CLI prints it naming the plugin.
    """

    def __init__(self, plugin: str, message: str):
        self.plugin = plugin
        self.message = message
        super().__init__(f"{plugin}: {message}")


@attrs.frozen
class PluginInfo:
    """A registered plugin: its name, module, version and whether it is an engine default."""

    name: str
    module: str
    version: str | None
    default: bool = False


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, taking any function named ``junheng_*`` as a hook implementation.

    Like pytest with ``pytest_*``: an unmarked ``junheng_rulesets`` works, and an
    unmarked ``junheng_ruleset`` is no longer ignored silently but reported as an
    unknown hook.
    """

    def parse_hookimpl_opts(self, plugin: Any, name: str) -> Any:
        opts = super().parse_hookimpl_opts(plugin, name)
        if opts is None and name.startswith(f"{PROJECT}_"):
            method = getattr(plugin, name, None)
            if inspect.isroutine(method):
                return {}
        return opts


def make_manager(
    plugins: Iterable[Any] = (), *, use_entry_points: bool = True
) -> tuple[PluginManager, list[PluginInfo], list[PluginProblem]]:
    """A manager with the defaults, the installed plugins and ``plugins`` registered."""
    from .defaults import DEFAULT_PLUGINS

    pm = PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    infos: list[PluginInfo] = []
    problems: list[PluginProblem] = []
    for module_name in DEFAULT_PLUGINS:
        module = importlib.import_module(module_name)
        _register(
            pm,
            module,
            module_name,
            PluginInfo(module_name, module_name, None, True),
            infos,
            problems,
        )
    if use_entry_points:
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            try:
                module = ep.load()
            except Exception as exc:  # a broken third-party plugin must not stop the rest
                problems.append(PluginProblem(ep.name, f"插件无法加载 (import failed): {exc!r}"))
                continue
            if pm.is_registered(module) or pm.has_plugin(ep.name):
                continue
            version = ep.dist.version if ep.dist is not None else None
            module_name = getattr(module, "__name__", str(module))
            _register(
                pm, module, ep.name, PluginInfo(ep.name, module_name, version), infos, problems
            )
    for i, plugin in enumerate(plugins):
        name = getattr(plugin, "__name__", None) or f"plugin-{i}"
        _register(pm, plugin, str(name), PluginInfo(str(name), str(name), None), infos, problems)
    problems += _pending(pm)
    return pm, infos, problems


def _register(
    pm: PluginManager,
    plugin: Any,
    name: str,
    info: PluginInfo,
    infos: list[PluginInfo],
    problems: list[PluginProblem],
) -> None:
    if pm.is_registered(plugin):  # e.g. given to Engine(plugins=...) and installed too
        return
    try:
        pm.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        problems.append(PluginProblem(name, f"插件无法注册 (cannot register): {exc}"))
        return
    for caller in pm.get_hookcallers(plugin) or ():
        for impl in caller.get_hookimpls():
            if impl.plugin is plugin and not (impl.wrapper or impl.hookwrapper):
                impl.function = _guard(impl.function, name, caller.name)
    infos.append(info)


def _pending(pm: PluginManager) -> list[PluginProblem]:
    """Every ``junheng_*`` implementation without a hookspec, named (``pm.check_pending``)."""
    try:
        pm.check_pending()
        return []
    except pluggy.PluginValidationError:
        pass
    problems = []
    for name, caller in sorted(vars(pm.hook).items()):
        if not isinstance(caller, pluggy.HookCaller) or caller.has_spec():
            continue
        hint = difflib.get_close_matches(name, sorted(_HOOK_NAMES), n=1)
        more = f"；是否应为 {hint[0]}？" if hint else ""
        for impl in caller.get_hookimpls():
            if not impl.optionalhook:
                problems.append(
                    PluginProblem(
                        impl.plugin_name,
                        f"未知的钩子 {name}（junheng.hookspecs 中没有此钩子，不会被调用）{more}",
                    )
                )
    return problems


# --------------------------------------------------------------------------- calling hooks


class HookCall:
    """One call of a hook: the results (plugin, value) in pluggy's order and the problems.

    :meth:`invoke` runs one implementation; a subclass adds what a hook needs
    around it (``junheng_prepare_records`` checks and undoes bad changes).
    """

    def __init__(self, hook: str) -> None:
        self.hook = hook
        self.results: list[tuple[str, Any]] = []
        self.problems: list[PluginProblem] = []

    def invoke(self, plugin: str, fn: Callable[..., Any], args: Sequence[Any], kwargs: dict) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # a plugin's bug is named, never an engine crash
            self.problems.append(
                PluginProblem(plugin, f"钩子 {self.hook} 出错 (hook raised): {exc!r}")
            )
            return None

    def problem(self, plugin: str, message: str) -> None:
        self.problems.append(PluginProblem(plugin, message))


_CURRENT: contextvars.ContextVar[HookCall | None] = contextvars.ContextVar(
    "junheng_hook_call", default=None
)


def _guard(fn: Callable[..., Any], plugin: str, hook: str) -> Callable[..., Any]:
    @functools.wraps(fn)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        current = _CURRENT.get()
        if current is None or current.hook != hook:  # called directly through pm.hook
            return fn(*args, **kwargs)
        result = current.invoke(plugin, fn, args, kwargs)
        if result is not None:
            current.results.append((plugin, result))
        return result

    return guarded


def call(
    pm: pluggy.PluginManager, hook: str, state: HookCall | None = None, **kwargs: Any
) -> HookCall:
    """Call ``hook`` through pluggy with every implementation contained (see :class:`HookCall`).

    Returns the call's results ``[(plugin, value), ...]`` in pluggy's call order and
    its problems. When a hook wrapper changed the result list, the results are the
    wrapper's list, each attributed to the implementation that returned it (or to
    "hook wrapper").
    """
    state = state or HookCall(hook)
    token = _CURRENT.set(state)
    try:
        returned = getattr(pm.hook, hook)(**kwargs)
    except Exception as exc:  # a hook wrapper that raised
        state.problem("hook wrapper", f"钩子 {hook} 的包装器出错：{exc!r}")
        returned = [value for _, value in state.results]
    finally:
        _CURRENT.reset(token)
    collected = [value for _, value in state.results]
    if isinstance(returned, list) and not _same(returned, collected):
        owner = {id(value): plugin for plugin, value in state.results}
        state.results = [(owner.get(id(v), "hook wrapper"), v) for v in returned if v is not None]
    return state


def _same(a: list[Any], b: list[Any]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))
