"""A province's or county's own ruleset as a local TOML file: a starting file, and a check.

:func:`starter_toml` writes the file ``junheng rulesets new ID --extends BASE`` starts
from: the header (id, title, extends, basis and source to fill in) and, as commented
TODO blocks, every value of BASE no public source gives — each rule marked
``unverified`` and each parameter without a value — with its current value, its
citation and its note. Uncommenting a block and putting in the number and the clause
of the provincial document completes it; the file loads as it is, so it can be
evaluated at every step.

:func:`ruleset_changes` says what a local file changes against the ruleset it extends
(``junheng rulesets check FILE``): the rules and values it adds, changes and removes,
and what is still unverified.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs
import tomli_w

from junheng.ruleset import Ruleset, strip_origin

__all__ = ["Change", "ruleset_changes", "starter_toml", "todo_items"]

#: the rule tables of a ruleset file, in the order a reader meets them
RULE_TABLES = (
    ("parameters", "参数"),
    ("indicators", "指标"),
    ("school_rules", "学校规则"),
    ("county_items", "县级指标"),
    ("multi_year", "多年度规则"),
    ("vetoes", "一票否决"),
)
#: keys that describe a rule rather than judge by it
_META = {
    "title",
    "source",
    "cite",
    "clause",
    "cv_cite",
    "cv_clause",
    "note",
    "owner",
    "unverified",
    "category",
    "_origin",
    "_origins",
}


@attrs.frozen
class Todo:
    """One value of the base ruleset to complete: where it is and what it says now."""

    table: str
    rule_id: str
    title: str
    values: Mapping[str, Any]
    source: str
    note: str
    why: str  # 待核实 (unverified) | 缺少数值 (missing)


def todo_items(base: Ruleset) -> list[Todo]:
    """The values of ``base`` no public source gives: its unverified rules and score nodes
    and its parameters without a value."""
    raw = strip_origin(base.raw)
    out = []
    for table, _ in RULE_TABLES:
        for rid, rule in (raw.get(table) or {}).items():
            missing = table == "parameters" and rule.get("value") is None
            if not (rule.get("unverified") or missing):
                continue
            out.append(
                Todo(
                    table=table,
                    rule_id=rid,
                    title=str(rule.get("title", rid)),
                    values={k: v for k, v in rule.items() if k not in _META},
                    source=_shown_source(base, table, rid) or str(rule.get("source", "")),
                    note=str(rule.get("note", "")),
                    why="缺少数值" if missing else "待核实",
                )
            )
    prep = raw.get("preparation") or {}
    if prep.get("unverified"):  # the calculation scope is the ruleset's assumption
        out.append(
            Todo(
                table="preparation",
                rule_id="",
                title="计算范围（教学点、特殊教育学校、小规模学校是否参加）",
                values={k: v for k, v in prep.items() if k not in _META},
                source=str(prep.get("source", "")),
                note=str(prep.get("note", "")),
                why="待核实",
            )
        )
    for node in (raw.get("score") or {}).get("nodes", []):
        if node.get("unverified"):
            out.append(
                Todo(
                    table="score.nodes",
                    rule_id=str(node.get("id")),
                    title=str(node.get("title", node.get("id"))),
                    values={k: v for k, v in node.items() if k not in _META},
                    source=str(node.get("source", "")),
                    note=str(node.get("note", "")),
                    why="待核实",
                )
            )
    return out


def _shown_source(base: Ruleset, table: str, rule_id: str) -> str:
    """The rule's citation as reports show it (a cited document resolved to its name)."""
    rules = {
        "parameters": base.parameter_meta,
        "indicators": base.indicators,
        "school_rules": base.school_rules,
        "county_items": base.county_items,
        "multi_year": base.multi_year,
        "vetoes": base.vetoes,
    }[table]
    rule = rules.get(rule_id)
    meta = rule if table == "parameters" else getattr(rule, "meta", None)
    return str(getattr(meta, "source", "") or "")


def starter_toml(new_id: str, base: Ruleset, file_name: str | None = None) -> str:
    """The starting file of a ruleset ``new_id`` that extends ``base`` (``file_name``:
    where it is written, for the commands its header shows)."""
    todos = todo_items(base)
    shown = file_name or f"{new_id}.toml"
    head = tomli_w.dumps(
        {
            "id": new_id,
            "extends": base.id,
            "title": f"{base.title}（本地细则，请修改名称）",
            "basis": "请填写：本细则依据的文件（发文机关、文件名称、文号、日期）",
            "source": "请填写：本细则的文件及条款",
            "version": "1",
        }
    )
    lines = [
        f"# 本地规则集：在 {base.id}（{base.title}）的基础上完善本省（本县）细则。",
        "# 由 junheng rulesets new 生成。这个文件现在就能使用：",
        f"#   junheng evaluate 学校数据.xlsx --county 县域数据.xlsx --ruleset ./{shown}",
        f"# 检查修改：junheng rulesets check {shown}",
        "#",
        "# 下面的 TODO 是父规则集中没有公开依据的数值（待核实或缺少数值）。完善一项：",
        "# 去掉该块每行开头的 “# ”，把数值改为依据文件中的数值，写明 source（文件与条款）；",
        "# 块中的 unverified = false 去掉“待核实”标记。未完善的项目按父规则集的现值评估，",
        "# 报告中标为“数值待核实”。",
        "",
        head.rstrip(),
        "",
    ]
    if not todos:
        lines += [f"# {base.id} 的每个数值都有依据，没有 TODO。可在下面覆盖或新增规则。", ""]
    for todo in todos:
        lines += _todo_block(todo)
    return "\n".join(lines) + "\n"


def _todo_block(todo: Todo) -> list[str]:
    header = f"# TODO（{todo.why}）{todo.title}"
    out = [header, f"#   现依据：{todo.source or '（无）'}"]
    if todo.note:
        out.append(f"#   说明：{todo.note}")
    values = dict(todo.values)
    values["source"] = "请填写：依据文件及条款"
    values["unverified"] = False
    if todo.table == "score.nodes":
        body = tomli_w.dumps({"score": {"nodes": [values]}})
    elif todo.table == "preparation":
        body = tomli_w.dumps({"preparation": values})
    elif todo.table == "parameters":
        values.setdefault("value", 0)
        body = tomli_w.dumps({todo.table: {todo.rule_id: values}})
    else:
        body = tomli_w.dumps({todo.table: {todo.rule_id: values}})
    out += [f"# {line}" if line else "#" for line in body.rstrip().splitlines()]
    return [*out, ""]


# --------------------------------------------------------------------------- check


@attrs.frozen
class Change:
    """One thing a local file does to the ruleset it extends."""

    kind: str  # 新增 | 修改 | 删除
    where: str  # indicators.teaching_room_area_per_student.threshold
    before: Any = None
    after: Any = None


def ruleset_changes(file_data: Mapping[str, Any], base: Ruleset | None) -> Iterator[Change]:
    """What the file's own tables add to, change in and remove from ``base`` (None: the
    file extends nothing: everything is new)."""
    base_raw = strip_origin(base.raw) if base is not None else {}
    for table, _ in RULE_TABLES:
        mine = file_data.get(table) or {}
        theirs = base_raw.get(table) or {}
        for rid, rule in mine.items():
            if rid not in theirs:
                yield Change("新增", f"{table}.{rid}", after=rule.get("title", rid))
                continue
            for key, value in rule.items():
                if theirs[rid].get(key) != value:
                    yield Change("修改", f"{table}.{rid}.{key}", theirs[rid].get(key), value)
    base_nodes = {n.get("id"): n for n in (base_raw.get("score") or {}).get("nodes", [])}
    for node in (file_data.get("score") or {}).get("nodes", []):
        nid = node.get("id")
        if nid not in base_nodes:
            yield Change("新增", f"score.nodes.{nid}", after=node.get("title", nid))
            continue
        for key, value in node.items():
            if base_nodes[nid].get(key) != value:
                yield Change("修改", f"score.nodes.{nid}.{key}", base_nodes[nid].get(key), value)
    for removed in file_data.get("remove") or []:
        yield Change("删除", str(removed))
