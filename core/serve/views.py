"""The JSON documents of the read-only endpoints: health, the ruleset list, one ruleset resolved.

Server file paths are never shown: where a value came from is named by the ruleset id
whose file gave it (``origin``), the file's own name beside it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from junheng import Engine, __version__
from junheng.ruleset import Ruleset, RulesetError, strip_origin

__all__ = ["health", "ruleset_detail", "ruleset_list"]


def health(engine: Engine, queue: Mapping[str, int]) -> dict[str, Any]:
    """Liveness: the engine's version, its plugins and their problems, the queue."""
    return {
        "status": "ok",
        "engine": "junheng",
        "version": __version__,
        "pid": os.getpid(),
        "plugins": sorted(p.name for p in engine.plugins),
        "plugin_problems": [{"plugin": p.plugin, "message": p.message} for p in engine.problems],
        "rulesets": len(engine.ruleset_ids()),
        "queue": dict(queue),
    }


def ruleset_list(engine: Engine) -> dict[str, Any]:
    """Every installed ruleset, as ``junheng rulesets list`` shows it."""
    items = []
    for info in engine.ruleset_infos():
        try:
            unverified: int | None = engine.ruleset(info.id).unverified_count()
            problems: list[str] = []
        except RulesetError as exc:
            unverified, problems = None, list(exc.problems)
        items.append(
            {
                "id": info.id,
                "title": info.title,
                "basis": info.basis,
                "source": info.source,
                "extends": info.extends,
                "plugin": info.plugin,
                "file": PurePath(str(info.file)).name,
                "unverified": unverified,
                "problems": problems,
            }
        )
    return {"rulesets": items}


def _tables(rs: Ruleset) -> list[tuple[str, Mapping[str, Any]]]:
    """(table, id → RuleMeta) for every rule table, in the ruleset's order."""
    tables: list[tuple[str, Mapping[str, Any]]] = [
        ("parameters", rs.parameter_meta),
        ("indicators", {k: v.meta for k, v in rs.indicators.items()}),
        ("school_rules", {k: v.meta for k, v in rs.school_rules.items()}),
        ("county_items", {k: v.meta for k, v in rs.county_items.items()}),
        ("multi_year", {k: v.meta for k, v in rs.multi_year.items()}),
        ("vetoes", {k: v.meta for k, v in rs.vetoes.items()}),
    ]
    if rs.score:
        tables.append(("score", {n.meta.id: n.meta for n in rs.score.nodes}))
    return tables


def ruleset_detail(engine: Engine, rs: Ruleset) -> dict[str, Any]:
    """One ruleset with ``extends`` resolved: every rule, each of its values with the
    ruleset whose file gave it (``RuleMeta.key_origins``, as ``junheng rulesets show
    --resolved`` prints them), its source clause and whether the number is unverified."""
    by_file = {src.name: rid for rid, src in engine.registry.rulesets.items()}

    def origin(file: str | None) -> dict[str, str | None]:
        if file is None:
            return {"ruleset": None, "file": None}
        return {"ruleset": by_file.get(file), "file": PurePath(file).name}

    raw = strip_origin(rs.raw)
    nodes = {
        n.get("id"): n for n in raw.get("score", {}).get("nodes", []) if isinstance(n, Mapping)
    }
    rules = []
    for table, metas in _tables(rs):
        for rid, meta in metas.items():
            data = nodes.get(rid, {}) if table == "score" else raw.get(table, {}).get(rid, {})
            values = {
                key: {"value": value, "origin": origin(meta.key_origins.get(key, meta.origin))}
                for key, value in data.items()
                if key != "id"
            }
            rules.append(
                {
                    "table": table,
                    "id": rid,
                    "title": meta.title,
                    "source": meta.source,
                    "document": meta.document,
                    "clause": meta.clause,
                    "unverified": meta.unverified,
                    "owner": meta.owner,
                    "note": meta.note,
                    "origin": origin(meta.origin),
                    "values": values,
                }
            )
    return {
        **rs.describe(),
        "extends": rs.extends,
        "lineage": list(rs.lineage),
        "effective_year": rs.effective_year,
        "stages": list(rs.stages),
        "files": [origin(f) for f in rs.files],
        "unverified": rs.unverified_count(),
        "documents": {k: doc.to_json() for k, doc in rs.documents.items()},
        "rules": rules,
    }
