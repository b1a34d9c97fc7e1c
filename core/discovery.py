"""Plugin discovery and registration (pluggy, entry-point group ``junheng``).

Problems with a plugin — an import error, a hook that raises, a duplicate
ruleset id — never stop the others: they are collected as
:class:`PluginProblem` and shown by the CLI, naming the plugin.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import entry_points
from typing import Any

import attrs
import pluggy

from . import hookspecs

ENTRY_POINT_GROUP = "junheng"


@attrs.frozen
class PluginProblem:
    plugin: str
    message: str


class PluginError(RuntimeError):
    """A plugin failed while evaluating, where the ruleset needs what it contributes.

    Raised by the engine (a hook or a contributed formula function raised); the
    CLI prints it naming the plugin and exits 3.
    """

    def __init__(self, plugin: str, message: str):
        self.plugin = plugin
        self.message = message
        super().__init__(f"{plugin}: {message}")


@attrs.frozen
class PluginInfo:
    name: str
    module: str
    version: str | None


def make_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("junheng")
    pm.add_hookspecs(hookspecs)
    return pm


def load_entry_points(pm: pluggy.PluginManager) -> tuple[list[PluginInfo], list[PluginProblem]]:
    """Register every plugin module found in the ``junheng`` entry-point group."""
    infos, problems = [], []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            module = ep.load()
        except Exception as exc:  # a broken third-party plugin must not stop the rest
            problems.append(PluginProblem(ep.name, f"插件无法加载 (import failed): {exc!r}"))
            continue
        if pm.is_registered(module) or pm.has_plugin(ep.name):
            continue
        pm.register(module, name=ep.name)
        version = ep.dist.version if ep.dist is not None else None
        infos.append(PluginInfo(ep.name, getattr(module, "__name__", str(module)), version))
    return infos, problems


def register_objects(pm: pluggy.PluginManager, plugins: Iterable[Any]) -> list[PluginInfo]:
    infos = []
    for i, plugin in enumerate(plugins):
        name = getattr(plugin, "__name__", None) or f"plugin-{i}"
        pm.register(plugin, name=name)
        infos.append(PluginInfo(name, name, None))
    return infos


def call_each(
    pm: pluggy.PluginManager, hook: str, **kwargs: Any
) -> tuple[list, list[PluginProblem]]:
    """Call ``hook`` on every plugin separately so one failing plugin is named, not fatal.

    Returns [(plugin name, result), ...] and the problems.
    """
    results, problems = [], []
    for impl in getattr(pm.hook, hook).get_hookimpls():
        name = pm.get_name(impl.plugin) or repr(impl.plugin)
        try:
            args = {k: kwargs[k] for k in impl.argnames}
            res = impl.function(**args)
        except Exception as exc:
            problems.append(PluginProblem(name, f"钩子 {hook} 出错 (hook raised): {exc!r}"))
            continue
        if res is not None:
            results.append((name, res))
    return results, problems
