"""Resolving ``extends``: a child ruleset overlays its parent rule by rule and key by key.

Rule tables (parameters, indicators, school rules, county items, multi-year
rules, vetoes) and score nodes merge per rule and per key; ``[documents]`` per
document and per field; other tables merge per key; a citation given in one form
replaces an inherited one in the other (:func:`~junheng.ruleset.documents.overlay`);
``remove = ["table.rule_id"]`` drops a parent's rule (and fails loudly when the
parent has none). Every rule remembers the file that last touched it
(``_origin``) and, per key, the file that gave the value (``_origins``), so
``junheng rulesets show --resolved`` can say where each value came from.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from .documents import merge_documents, normalised, overlay
from .model import RulesetError

__all__ = ["RULE_TABLES", "merge", "merge_chain", "strip_origin"]

RULE_TABLES = (
    "parameters",
    "indicators",
    "school_rules",
    "county_items",
    "multi_year",
    "vetoes",
)


def merge(parent: Mapping[str, Any], child: Mapping[str, Any], child_name: str) -> dict[str, Any]:
    """Overlay ``child`` on ``parent``: rule tables merge per rule and per key; ``remove`` drops rules.

    Each rule remembers the file that last touched it in ``_origin`` and, per key,
    the file that gave the value in ``_origins`` (``{"threshold": "myprovince/quality.toml",
    "formula": "national/quality-2017.toml", ...}``).
    """
    out = copy.deepcopy(dict(parent))
    child = normalised(child)
    for key, value in child.items():
        if key in ("extends", "remove"):
            continue
        if key == "documents" and isinstance(value, Mapping):
            out["documents"] = merge_documents(out.get("documents"), copy.deepcopy(dict(value)))
        elif key in RULE_TABLES and isinstance(value, Mapping):
            table = out.setdefault(key, {})
            for rule_id, rule in value.items():
                base = overlay(table.get(rule_id, {}), copy.deepcopy(dict(rule)))
                base["_origin"] = child_name
                base["_origins"] = {**base.get("_origins", {}), **dict.fromkeys(rule, child_name)}
                table[rule_id] = base
        elif key == "score" and isinstance(value, Mapping):
            old = out.get("score", {})
            nodes = {n["id"]: n for n in old.get("nodes", [])}
            score = overlay(
                {k: v for k, v in old.items() if k != "nodes"},
                {k: copy.deepcopy(v) for k, v in value.items() if k != "nodes"},
            )
            out["score"] = score
            for node in value.get("nodes", []):
                merged = overlay(nodes.get(node["id"], {}), copy.deepcopy(dict(node)))
                merged["_origin"] = child_name
                merged["_origins"] = {
                    **merged.get("_origins", {}),
                    **dict.fromkeys((k for k in node if k != "id"), child_name),
                }
                nodes[node["id"]] = merged
            score["nodes"] = list(nodes.values())
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = overlay(out[key], copy.deepcopy(dict(value)))
        else:
            out[key] = copy.deepcopy(value)
    for path in child.get("remove", []):
        table, _, rule_id = path.partition(".")
        if table == "score":
            nodes = out.get("score", {}).get("nodes", [])
            out["score"]["nodes"] = [n for n in nodes if n["id"] != rule_id]
        elif rule_id in out.get(table, {}):
            del out[table][rule_id]
        else:
            raise RulesetError([f"{child_name}: remove 中的 '{path}' 在父规则集中不存在"])
    return out


def strip_origin(node: Any) -> Any:
    """The rule data without the ``_origin`` bookkeeping keys."""
    if isinstance(node, dict):
        return {k: strip_origin(v) for k, v in node.items() if k not in ("_origin", "_origins")}
    if isinstance(node, list):
        return [strip_origin(v) for v in node]
    return node


def _tag_origin(data: Mapping[str, Any], name: str) -> dict[str, Any]:
    out = copy.deepcopy(normalised(data))
    for table in RULE_TABLES:
        for rule in out.get(table, {}).values():
            rule["_origins"] = dict.fromkeys(rule, name)
            rule["_origin"] = name
    for node in out.get("score", {}).get("nodes", []):
        node["_origins"] = dict.fromkeys((k for k in node if k != "id"), name)
        node["_origin"] = name
    return out


def merge_chain(chain: Sequence[tuple[Mapping[str, Any], str]]) -> dict[str, Any]:
    """The rule data of an ``extends`` chain (root first), merged, with origins tagged."""
    merged: dict[str, Any] = {}
    for data, name in chain:
        merged = merge(merged, data, name) if merged else _tag_origin(data, name)
    merged["extends"] = chain[-1][0].get("extends")
    return merged
