"""Citations: the documents a ruleset declares once, and rules citing them by key and clause.

A ruleset file declares each document it relies on once::

    [documents.moe_2017_6]
    issuer = "教育部"
    title = "县域义务教育优质均衡发展督导评估办法"
    number = "教督〔2017〕6号"
    date = "不详"
    kind = "教育部规范性文件（督导评估办法）"

and a rule cites it by key plus clause (``cite = "moe_2017_6"``, ``clause = "资源配置（一）"``;
an indicator's CV limit by ``cv_cite`` / ``cv_clause``, ``cv_cite`` defaulting to the
``cite`` of the same table). At load every citation is resolved into the rule's
``source`` — 教育部《县域义务教育优质均衡发展督导评估办法》（教督〔2017〕6号）资源配置（一）
— which every report, explanation and ``rulesets show`` print; a key no document of the
ruleset or its parents declares is a located load error. A rule's own ``source`` text
keeps working (third-party rulesets that declare no documents).

Along an ``extends`` chain a child sees its parents' documents (merged per document and
field), and a child table that gives ``source`` replaces an inherited ``cite``/``clause``
(and the other way round), so a rule never shows a parent's clause of another document.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .model import Document

__all__ = [
    "CITATIONS",
    "citable_tables",
    "file_problems",
    "merge_documents",
    "normalised",
    "overlay",
    "resolve",
]

#: (the shown text, the document key, the clause) of a rule, and of an indicator's CV limit
CITATIONS = (("source", "cite", "clause"), ("cv_source", "cv_cite", "cv_clause"))
#: tables (not rule tables) that carry a citation of their own
CITABLE_TABLES = ("preparation", "school_verdict", "composite_cv", "score")
RULE_TABLES = ("parameters", "indicators", "school_rules", "county_items", "multi_year", "vetoes")


def citable_tables(data: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every table of rule data that may cite a document, with its path (``indicators.x``)."""
    for table in RULE_TABLES:
        rules = data.get(table)
        if isinstance(rules, Mapping):
            for rid, rule in rules.items():
                if isinstance(rule, dict):
                    yield f"{table}.{rid}", rule
    for table in CITABLE_TABLES:
        if isinstance(data.get(table), dict):
            yield table, data[table]
    score = data.get("score")
    if isinstance(score, Mapping):
        for node in score.get("nodes", []) or []:
            if isinstance(node, dict):
                yield f"score.nodes.{node.get('id')}", node


def overlay(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``over`` (a child's table over its parent's), a citation given
    in one form replacing an inherited one in the other: ``source`` drops the parent's
    ``cite``/``clause``; ``cite`` or ``clause`` drops its ``source``; a new ``cite``
    without a ``clause`` drops the parent's clause (which belonged to another document)."""
    out = dict(base)
    for shown, key, clause in CITATIONS:
        if shown in over:
            out.pop(key, None)
            out.pop(clause, None)
        if key in over or clause in over:
            out.pop(shown, None)
        if key in over and clause not in over:
            out.pop(clause, None)
    out.update(over)
    if "_origins" in out:
        out["_origins"] = {k: v for k, v in out["_origins"].items() if k in out}
    return out


def file_problems(data: Mapping[str, Any], name: str) -> list[str]:
    """What one file says twice: a table giving both its own ``source`` and a ``cite``."""
    problems = []
    for path, table in citable_tables(data):
        for shown, key, _ in CITATIONS:
            if shown in table and key in table:
                problems.append(
                    f"{name}: {path}: 同时给出了 {shown} 和 {key}，只能用其一"
                    f"（{key} 引用 [documents] 中声明的文件，{shown} 为自由文本）"
                )
    return problems


def normalised(data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of one file's rule data where an indicator's ``cv_clause`` without a
    ``cv_cite`` cites the ``cite`` of the same table (so a child that later changes
    ``cite`` for its own threshold does not move the parent's CV clause to its document)."""
    out = dict(data)
    indicators = data.get("indicators")
    if isinstance(indicators, Mapping):
        table = {}
        for rid, rule in indicators.items():
            if isinstance(rule, Mapping) and "cv_clause" in rule and "cv_cite" not in rule:
                if "cite" in rule:
                    rule = {**rule, "cv_cite": rule["cite"]}
            table[rid] = rule
        out["indicators"] = table
    return out


def merge_documents(
    parent: Mapping[str, Any] | None, child: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """A child's ``[documents]`` over its parent's: per document, per field."""
    out = {k: dict(v) for k, v in (parent or {}).items()}
    for key, doc in child.items():
        out[key] = {**out.get(key, {}), **dict(doc)}
    return out


def resolve(
    merged: dict[str, Any], chain: Sequence[tuple[Mapping[str, Any], str]]
) -> tuple[dict[str, Document], list[str]]:
    """Resolve every citation of the merged rule data in place (``source`` / ``cv_source``
    become the cited document's citation and the clause); return the documents and every
    problem (an unknown key, a clause without a document), located by file and rule."""
    documents = {
        key: Document(
            key=key,
            issuer=str(raw.get("issuer", "")),
            title=str(raw.get("title", "")),
            kind=str(raw.get("kind", "")),
            number=raw.get("number"),
            date=raw.get("date"),
            repository_source=raw.get("repository_source"),
            url=raw.get("url"),
            note=raw.get("note"),
        )
        for key, raw in (merged.get("documents") or {}).items()
    }
    declared = "、".join(documents) or "（无，本规则集及其父规则集未声明 [documents]）"
    problems = []
    for path, table in citable_tables(merged):
        for shown, key, clause in CITATIONS:
            if key not in table and clause not in table:
                continue
            where = _file_of(table, key if key in table else clause, path, chain)
            doc_key = table.get(key)
            if doc_key is None:
                problems.append(
                    f"{where}: {path}: 给出了 {clause} 但没有 {key}（条款属于哪个文件？）"
                )
                continue
            doc = documents.get(doc_key)
            if doc is None:
                problems.append(
                    f"{where}: {path}: {key} = '{doc_key}' 不是已声明的文件（已声明：{declared}）"
                )
                continue
            table[shown] = doc.cite(table.get(clause))
            origins = table.get("_origins")
            if isinstance(origins, dict) and key in origins:
                origins[shown] = origins[key]
    return documents, problems


def _file_of(
    table: Mapping[str, Any], key: str, path: str, chain: Sequence[tuple[Mapping[str, Any], str]]
) -> str:
    """The file that gave ``key`` of this table: its recorded origin, or the last file of
    the chain whose data has that key at ``path`` (tables without origin bookkeeping)."""
    origins = table.get("_origins")
    if isinstance(origins, Mapping) and key in origins:
        return str(origins[key])
    for data, name in reversed(chain):
        for p, t in citable_tables(data):
            if p == path and key in t:
                return name
    return chain[-1][1] if chain else "规则集"
