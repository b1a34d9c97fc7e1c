"""``junheng_prepare_records``: plugins prepare each county's records, one after the other.

The records are grouped by county; for each county the hook is called through
pluggy with that county's list and county record, and implementations modify
the list in place in pluggy's call order (a returned list replaces the
contents before the next plugin runs). After each implementation the list must
still hold only mappings: otherwise that plugin's change is undone and the
plugin named. A plugin that raises is named and its change undone too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .discovery import HookCall, PluginProblem

__all__ = ["prepare"]


class _Prepare(HookCall):
    """One county's call: ``schools`` is the list every implementation receives."""

    def __init__(self, schools: list[Any]) -> None:
        super().__init__("junheng_prepare_records")
        self.schools = schools

    def invoke(self, plugin: str, fn: Callable[..., Any], args: Sequence[Any], kwargs: dict) -> Any:
        before = list(self.schools)
        try:
            result = fn(*args, **kwargs)
            if result is not None:
                self.schools[:] = list(result)
        except Exception as exc:  # a plugin's bug is named, its change undone
            self.schools[:] = before
            self.problem(plugin, f"钩子 {self.hook} 出错 (hook raised): {exc!r}")
            return None
        bad = next((r for r in self.schools if not isinstance(r, Mapping)), None)
        if bad is not None or any(r is None for r in self.schools):
            self.schools[:] = before
            self.problem(
                plugin,
                f"junheng_prepare_records 留下的不是学校记录列表（{type(bad).__name__} {bad!r:.60}），"
                "该插件的修改已撤销",
            )
        return None


def prepare(
    engine: Any, ruleset_id: str, schools: Sequence[Mapping[str, Any]], by_code: Mapping[str, Any]
) -> tuple[list[Mapping[str, Any]], list[PluginProblem]]:
    """The records after every plugin prepared every county, and the problems (each once)."""
    counties: dict[str, list[Any]] = {}
    for record in schools:
        counties.setdefault(str(record.get("county_code")), []).append(record)
    out: list[Mapping[str, Any]] = []
    problems: list[PluginProblem] = []
    for code, records in counties.items():
        state = engine.hook(
            "junheng_prepare_records",
            _Prepare(records),
            schools=records,
            county=by_code.get(code),
            ruleset_id=ruleset_id,
        )
        out += records
        problems += [p for p in state.problems if p not in problems]
    return out, problems
