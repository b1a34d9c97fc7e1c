"""``junheng_sample``: each installed plugin adds its own fields' values to the sample county.

Implementations modify the sample's school list and county record in place, one after
the other. After each, the sample must still be school records (mappings) and one
county record holding only JSON values: otherwise that plugin's change is undone and
the plugin named, so the next province never meets another's garbage and the problem
is never blamed on it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .discovery import HookCall

__all__ = ["SampleCall"]


class SampleCall(HookCall):
    """One call of ``junheng_sample`` over ``schools`` and ``county`` (modified in place)."""

    def __init__(self, schools: list[Any], county: dict[str, Any]) -> None:
        super().__init__("junheng_sample")
        self.schools = schools
        self.county = county

    def invoke(self, plugin: str, fn: Callable[..., Any], args: Sequence[Any], kwargs: dict) -> Any:
        before = copy.deepcopy((self.schools, self.county))
        try:
            fn(*args, **kwargs)
        except Exception as exc:  # a plugin's bug is named, its change undone
            self._restore(before)
            self.problem(plugin, f"钩子 {self.hook} 出错 (hook raised): {exc!r}")
            return None
        problem = _broken(self.schools, self.county)
        if problem is not None:
            self._restore(before)
            self.problem(
                plugin, f"junheng_sample 把示例数据改坏了（{problem}），该插件的修改已撤销"
            )
        return None

    def _restore(self, before: tuple[list[Any], dict[str, Any]]) -> None:
        schools, county = before
        self.schools[:] = schools
        self.county.clear()
        self.county.update(county)


def _broken(schools: list[Any], county: Any) -> str | None:
    for record in schools:
        if not isinstance(record, Mapping):
            return f"学校记录中有 {type(record).__name__} {record!r:.60}"
    if not isinstance(county, Mapping):
        return f"县级记录是 {type(county).__name__}"
    try:
        json.dumps([schools, county], allow_nan=False)
    except (TypeError, ValueError) as exc:
        return f"含有 JSON 不能表示的值：{exc}"
    return None
