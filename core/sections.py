"""Report sections plugins contribute (``junheng_report_sections``), checked for their shape.

A section is ``{"id", "title", "rows", optional "columns", "note"}`` with JSON
scalars in its cells (see :mod:`junheng.hookspecs`). A malformed one is dropped
and reported naming the plugin; the others are carried into ``report.sections``
with the plugin that gave them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .discovery import HookCall, PluginProblem

__all__ = ["checked_sections"]

_SECTION_KEYS = {"id", "title", "rows", "columns", "note"}
_SCALAR = (str, int, float, bool, type(None))


def checked_sections(state: HookCall) -> tuple[list[dict[str, Any]], list[PluginProblem]]:
    """The well-formed sections (in pluggy's call order) and a problem per malformed one."""
    out: list[dict[str, Any]] = []
    problems = list(state.problems)
    for plugin, sections in state.results:
        for sec in sections if isinstance(sections, (list, tuple)) else [sections]:
            msg = _problem(sec)
            if msg:
                problems.append(PluginProblem(plugin, f"报告章节已忽略：{msg}"))
                continue
            out.append({**_json_section(sec), "plugin": plugin})
    return out, problems


def _problem(sec: Any) -> str | None:
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
    if "columns" in sec and not isinstance(sec["columns"], (list, tuple)):
        return f"{sec['id']}: columns 应为列表"
    for row in sec["rows"]:
        cells = row.values() if isinstance(row, Mapping) else row
        if not isinstance(row, (Mapping, list, tuple)) or not all(
            isinstance(c, _SCALAR) for c in cells
        ):
            return f"{sec['id']}: 每行应为由文本/数字组成的列表或字典"
    if "note" in sec and not isinstance(sec["note"], (str, type(None))):
        return f"{sec['id']}: note 应为文本"
    return None


def _json_section(sec: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": sec["id"], "title": sec["title"]}
    if "columns" in sec:
        out["columns"] = [str(c) for c in sec["columns"]]
    out["rows"] = [dict(r) if isinstance(r, Mapping) else list(r) for r in sec["rows"]]
    if sec.get("note"):
        out["note"] = str(sec["note"])
    return out
