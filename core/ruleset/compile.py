"""Compiling resolved rule data into a frozen :class:`~junheng.ruleset.model.Ruleset`.

Every formula is compiled against the names it may read (:mod:`junheng.names`)
and every reference and dependency graph is checked here, so a mistake
surfaces when the ruleset loads — with the file, the rule id and the token —
never inside an evaluation: unknown names and functions, references to missing
indicators or rules, ``k_of_n`` rules asking more than they have, and cycles
among indicators, among school rules, among county items and in the score tree
(each named in full: ``x → y → x``). All problems of a ruleset are reported at
once.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from ..domain import STAGES
from ..formula import Formula, FormulaError, FormulaFunction, compile_formula
from ..names import NameSpace
from .documents import file_problems, resolve
from .graph import find_cycles, order
from .load import check_structure
from .merge import merge_chain, strip_origin
from .model import (
    CompositeCV,
    CountyItem,
    EvaluationOrder,
    Indicator,
    MultiYearRule,
    Preparation,
    RuleMeta,
    Ruleset,
    RulesetError,
    SchoolRule,
    Score,
    ScoreNode,
    StageValue,
    Veto,
)

__all__ = ["build_ruleset"]


def build_ruleset(
    chain: Sequence[tuple[Mapping[str, Any], str]],
    *,
    names: NameSpace,
    functions: Mapping[str, FormulaFunction],
) -> Ruleset:
    """Resolve an ``extends`` chain (root first) and compile it; RulesetError lists every problem."""
    problems = [p for data, name in chain for p in file_problems(data, name)]
    merged = merge_chain(chain)
    documents, unresolved = resolve(merged, chain)
    problems += unresolved
    if len(chain) > 1 and not problems:
        # (with citation problems, the merged structure would only repeat them: a rule whose
        # inherited citation a child replaced with a clause alone has neither source nor cite)
        check_structure(strip_origin(merged), " → ".join(n for _, n in chain), partial=False)
    builder = _Builder(merged, tuple(name for _, name in chain), names, functions)
    builder.problems += problems
    rs = builder.build()
    return attrs.evolve(
        rs, lineage=tuple(str(data.get("id")) for data, _ in chain), documents=documents
    )


def _opt_float(v: Any) -> float | None:
    return None if v is None else float(v)


class _Builder:
    """Turns a resolved ruleset mapping into a compiled :class:`Ruleset`."""

    def __init__(
        self,
        data: Mapping[str, Any],
        files: tuple[str, ...],
        names: NameSpace,
        functions: Mapping[str, FormulaFunction],
    ):
        self.data = data
        self.files = files
        self.file = files[-1]
        self.names = names
        self.functions = functions
        self.problems: list[str] = []

    def meta(
        self, rule_id: str, raw: Mapping[str, Any], default: Mapping[str, Any] | None = None
    ) -> RuleMeta:
        """A rule's identity and provenance; ``default``: the table whose citation a rule
        without its own takes (a score node takes ``[score]``'s)."""
        cited = raw if ("source" in raw or "cite" in raw or not default) else default
        unverified = raw.get("unverified", False)
        return RuleMeta(
            id=rule_id,
            title=raw.get("title", rule_id),
            source=cited.get("source", ""),
            unverified=bool(unverified),
            owner=raw.get("owner"),
            note=raw.get("note"),
            origin=raw.get("_origin", self.file),
            key_origins=dict(raw.get("_origins", {})),
            document=cited.get("cite"),
            clause=cited.get("clause"),
            unverified_stages=tuple(unverified) if isinstance(unverified, list) else (),
        )

    def compile(
        self, text: str, known: Iterable[str], meta: RuleMeta, *, series: bool = False
    ) -> Formula | None:
        try:
            return compile_formula(
                text,
                known,
                functions=self.functions,
                file=meta.origin or self.file,
                rule_id=meta.id,
                series=series,
            )
        except FormulaError as exc:
            self.problems.append(str(exc))
            return None

    def cycles(self, deps: Mapping[str, Iterable[str]], what: str) -> None:
        for loop in find_cycles(deps):
            self.problems.append(f"{self.file}: {what}循环引用 (cycle): {' → '.join(loop)}")

    def build(self) -> Ruleset:
        d = self.data
        stages = tuple(d.get("stages", STAGES))
        params_raw = d.get("parameters", {})
        parameters = {k: StageValue.parse(v.get("value")) for k, v in params_raw.items()}
        parameter_meta = {k: self.meta(k, v) for k, v in params_raw.items()}
        prep = _preparation(d.get("preparation", {}))

        indicators = self._indicators(d.get("indicators", {}), parameters)
        rules = self._school_rules(d.get("school_rules", {}), indicators, parameters, stages)
        verdict = tuple(d.get("school_verdict", {}).get("requires", list(rules)))
        for v in verdict:
            if v not in rules and v not in indicators:
                self.problems.append(f"{self.file}: school_verdict 引用了不存在的规则 '{v}'")
        composite = self._composite(d, indicators)

        county_items_raw = d.get("county_items", {})
        multi_raw = d.get("multi_year", {})
        base = self.names.county_base(parameters, d.get("indicators", {}))
        results = self.names.county_results(county_items_raw, multi_raw)
        self._collisions(base, results, "county rules")
        county_all = base | results
        items = self._county_items(county_items_raw, county_all, rules, indicators)
        multi = self._multi_year(multi_raw, parameters)
        vetoes = {}
        for rid, raw in d.get("vetoes", {}).items():
            meta = self.meta(rid, raw)
            f = self.compile(raw["when"], county_all, meta)
            if f is not None:
                vetoes[rid] = Veto(meta=meta, when=f)
        score = self._score(d["score"], county_all) if "score" in d else None

        judged = any(i.threshold or i.cv_limit for i in indicators.values())
        if not (self.problems or judged or rules or composite or items or multi or vetoes or score):
            # evaluating it would report "通过" on nothing at all
            self.problems.append(
                f"{self.file}: 规则集 {d['id']} 没有任何评估项目（有限值或差异系数上限的指标、"
                "学校规则、县级指标、多年度规则、一票否决或评分表），不能用于评估"
            )
        if self.problems:
            raise RulesetError(self.problems)
        return Ruleset(
            id=d["id"],
            title=d["title"],
            basis=d.get("basis", ""),
            source=d.get("source", ""),
            version=str(d.get("version", "1")),
            effective_year=d.get("effective_year"),
            extends=d.get("extends"),
            files=self.files,
            stages=stages,
            preparation=prep,
            parameters=parameters,
            parameter_meta=parameter_meta,
            indicators=indicators,
            school_rules=rules,
            school_verdict=verdict,
            composite_cv=composite,
            county_items=items,
            multi_year=multi,
            vetoes=vetoes,
            score=score,
            raw=d,
            order=EvaluationOrder(
                indicators=tuple(order({i: v.formula.names for i, v in indicators.items()})),
                school_rules=tuple(order({r: _reads(v) for r, v in rules.items()})),
                county_items=tuple(order({r: _reads(v) for r, v in items.items()})),
            ),
        )

    # -- schools -------------------------------------------------------------------------

    def _indicators(
        self, raw_table: Mapping[str, Any], parameters: Mapping[str, Any]
    ) -> dict[str, Indicator]:
        base = self.names.school_base(parameters)
        self._collisions(base, raw_table, "indicators")
        known = base | set(raw_table)
        out: dict[str, Indicator] = {}
        for rid, raw in raw_table.items():
            meta = self.meta(rid, raw)
            f = self.compile(raw["formula"], known, meta)
            short = None
            if raw.get("shortfall"):
                short = self.compile(raw["shortfall"], known | {"threshold"}, meta)
            if f is None:
                continue
            out[rid] = Indicator(
                meta=meta,
                formula=f,
                unit=raw.get("unit", ""),
                total_unit=raw.get("total_unit"),
                direction=raw.get("direction", "min"),
                threshold=StageValue.parse(raw.get("threshold")),
                shortfall=short,
                integer_shortfall=bool(raw.get("integer_shortfall", False)),
                cv_limit=StageValue.parse(raw.get("cv_limit")),
                cv_source=raw.get("cv_source"),
                cv_document=raw.get("cv_cite"),
                cv_clause=raw.get("cv_clause"),
            )
        self.cycles({i: v.formula.names for i, v in out.items()}, "指标")
        return out

    def _school_rules(
        self,
        raw_table: Mapping[str, Any],
        indicators: Mapping[str, Indicator],
        parameters: Mapping[str, Any],
        stages: tuple[str, ...],
    ) -> dict[str, SchoolRule]:
        known = self.names.school_base(parameters) | set(indicators) | set(raw_table)
        self._collisions(self.names.school_base(parameters), raw_table, "school_rules")
        out: dict[str, SchoolRule] = {}
        for rid, raw in raw_table.items():
            meta = self.meta(rid, raw)
            rule_stages = tuple(raw.get("stages", stages))
            if raw.get("kind", "formula") == "k_of_n":
                missing = [i for i in raw["indicators"] if i not in indicators]
                if missing:
                    self.problems.append(f"{meta.origin}: 规则 {rid}: 引用了不存在的指标 {missing}")
                    continue
                if int(raw["min_met"]) > len(raw["indicators"]):
                    self.problems.append(
                        f"{meta.origin}: 规则 {rid}: min_met = {raw['min_met']} 大于指标个数 "
                        f"{len(raw['indicators'])}，任何学校都不可能达标"
                    )
                    continue
                out[rid] = SchoolRule(
                    meta=meta,
                    kind="k_of_n",
                    indicators=tuple(raw["indicators"]),
                    min_met=int(raw["min_met"]),
                    rest_min_ratio=float(raw.get("rest_min_ratio", 1.0)),
                    stages=rule_stages,
                )
            else:
                f = self.compile(raw["formula"], known, meta)
                if f is not None:
                    out[rid] = SchoolRule(meta=meta, kind="formula", formula=f, stages=rule_stages)
        self.cycles({r: _reads(v) for r, v in out.items()}, "学校规则")
        return out

    def _composite(self, d: Mapping[str, Any], indicators: Mapping[str, Indicator]) -> Any:
        if "composite_cv" not in d:
            return None
        raw = d["composite_cv"]
        comp = CompositeCV(
            meta=self.meta("composite_cv", raw),
            indicators=tuple(raw["indicators"]),
            limit=StageValue.parse(raw["limit"]),
        )
        bad = [i for i in comp.indicators if i not in indicators]
        if bad:
            self.problems.append(f"{self.file}: composite_cv 引用了不存在的指标 {bad}")
        return comp

    # -- counties ------------------------------------------------------------------------

    def _county_items(
        self,
        raw_table: Mapping[str, Any],
        county_all: set[str],
        rules: Mapping[str, SchoolRule],
        indicators: Mapping[str, Indicator],
    ) -> dict[str, CountyItem]:
        out: dict[str, CountyItem] = {}
        for rid, raw in raw_table.items():
            meta = self.meta(rid, raw)
            common = {
                "meta": meta,
                "category": raw.get("category", ""),
                "required": bool(raw.get("required", True)),
                "unit": raw.get("unit"),
            }
            if "value" in raw:
                f = self.compile(raw["value"], county_all, meta)
                if f is not None:
                    out[rid] = CountyItem(
                        kind="value",
                        formula=f,
                        threshold=float(raw["threshold"]),
                        direction=raw.get("direction", "min"),
                        **common,
                    )
            elif "when" in raw:
                f = self.compile(raw["when"], county_all, meta)
                if f is not None:
                    out[rid] = CountyItem(kind="when", formula=f, **common)
            elif "all_schools" in raw:
                check = raw["all_schools"]
                if check not in rules and check not in indicators and check != "verdict":
                    self.problems.append(
                        f"{meta.origin}: 规则 {rid}: all_schools 引用了不存在的学校规则 '{check}'"
                    )
                    continue
                out[rid] = CountyItem(kind="all_schools", check=check, **common)
            else:
                out[rid] = CountyItem(kind="manual", **common)
        self.cycles({r: _reads(v) for r, v in out.items()}, "县级指标")
        return out

    def _multi_year(
        self, raw_table: Mapping[str, Any], parameters: Mapping[str, Any]
    ) -> dict[str, MultiYearRule]:
        known = self.names.series_names(parameters)
        out: dict[str, MultiYearRule] = {}
        for rid, raw in raw_table.items():
            meta = self.meta(rid, raw)
            f = self.compile(raw["condition"], known, meta, series=True)
            if f is not None:
                years = int(raw.get("years", 3))
                parts = [
                    self.compile(text, known, meta, series=True) for text in _conjuncts(f.text)
                ]
                out[rid] = MultiYearRule(
                    meta=meta,
                    years=years,
                    condition=f,
                    min_years_met=int(raw.get("min_years_met", years)),
                    required=bool(raw.get("required", True)),
                    parts=tuple(p for p in parts if p is not None),
                )
        return out

    def _score(self, raw: Mapping[str, Any], known: set[str]) -> Score:
        nodes = []
        ids = {n["id"] for n in raw.get("nodes", [])}
        for n in raw.get("nodes", []):
            meta = self.meta(n["id"], n, raw)
            parent = n.get("parent")
            if parent is not None and parent not in ids:
                self.problems.append(f"{meta.origin}: 评分项 {n['id']}: 上级 '{parent}' 不存在")
            kind, f = "sum", None
            if "when" in n:
                kind, f = "when", self.compile(n["when"], known, meta)
            elif "formula" in n:
                kind, f = "formula", self.compile(n["formula"], known, meta)
            elif n.get("assessed"):
                kind = "assessed"
            nodes.append(
                ScoreNode(
                    meta=meta,
                    parent=parent,
                    points=float(n["points"]),
                    kind=kind,
                    formula=f,
                    bonus=bool(n.get("bonus", False)),
                    floor=_opt_float(n.get("floor")),
                )
            )
        seen: set[str] = set()
        for n in nodes:
            if n.meta.id in seen:
                self.problems.append(f"{n.meta.origin}: 评分项 {n.meta.id}: 编号重复")
            seen.add(n.meta.id)
        parent_of = {n.meta.id: [n.parent] if n.parent else [] for n in nodes}
        for loop in find_cycles(parent_of):
            self.problems.append(
                f"{self.file}: 评分项循环引用上级 (score parent cycle): {' → '.join(loop)}"
            )
        parents = {n.parent for n in nodes if n.parent}
        for n in nodes:
            if n.kind == "sum" and n.meta.id not in parents:
                self.problems.append(
                    f"{n.meta.origin}: 评分项 {n.meta.id}: 叶子项需要 when、formula 或 assessed"
                )
        return Score(
            title=raw.get("title", "评分"),
            source=raw.get("source", ""),
            pass_min=_opt_float(raw.get("pass_min")),
            bonus_max=float(raw.get("bonus_max", 0.0)),
            nodes=tuple(nodes),
            bonus_counts_toward_pass=bool(raw.get("bonus_counts_toward_pass", True)),
            note=raw.get("note"),
            document=raw.get("cite"),
            clause=raw.get("clause"),
        )

    def _collisions(self, base: set[str], table: Iterable[str], what: str) -> None:
        for rid in table:
            if rid in base:
                self.problems.append(f"{self.file}: {what} 中的 id '{rid}' 与数据项或参数重名")


def _preparation(raw: Mapping[str, Any]) -> Preparation:
    """``[preparation]``: the choices, and where they come from (citation resolved at load)."""
    choices = {
        k: v
        for k, v in raw.items()
        if k not in ("cite", "clause", "unverified", "note", "_origins")
    }
    return Preparation(
        **choices,
        unverified=bool(raw.get("unverified", False)),
        note=raw.get("note"),
        document=raw.get("cite"),
        clause=raw.get("clause"),
    )


def _conjuncts(text: str) -> list[str]:
    """The top-level ``and`` parts of a (compiled, so parseable) condition, as text."""
    tree = ast.parse(text, mode="eval").body
    if isinstance(tree, ast.BoolOp) and isinstance(tree.op, ast.And):
        return [ast.get_source_segment(text, v) or ast.unparse(v) for v in tree.values]
    return [text]


def _reads(rule: Any) -> frozenset[str]:
    """The names a rule's formula reads (a k-of-n rule reads its indicators)."""
    formula = getattr(rule, "formula", None)
    if formula is not None:
        return formula.names
    return frozenset(getattr(rule, "indicators", ()) or ())
