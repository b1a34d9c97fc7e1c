"""Rulesets: read TOML rule data, resolve ``extends``, check it, compile its formulas.

A ruleset file reads like the policy it encodes: every rule has an ``id``
(its table key), a Chinese ``title``, the ``source`` document and clause, an
optional ``unverified = true`` where no source gives the number, and an
optional ``owner`` (the office responsible, used by the rectification ledger).
The file format is described by ``schemas/ruleset.schema.json`` and in the
README; this module turns a file into a frozen :class:`Ruleset` whose formulas
are already compiled, so every mistake surfaces at load time with the file,
the rule id and the token.
"""

from __future__ import annotations

import copy
import json
import math
import sys
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import jsonschema

from .formula import BUILTIN_FUNCTIONS, Formula, FormulaError, FormulaFunction, compile_formula

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

STAGES = ("primary", "junior")
STAGE_TITLES = {"primary": "小学", "junior": "初中"}
MAX_RULESET_BYTES = 1_000_000
MAX_EXTENDS_DEPTH = 8
#: values (tables, arrays and scalars) in one ruleset file; the largest shipped has ~360
MAX_RULESET_VALUES = 20_000
#: nesting of tables and arrays in one ruleset file; the shipped ones reach 5
MAX_RULESET_NESTING = 12


class RulesetError(ValueError):
    """A ruleset that cannot be loaded; ``problems`` lists every located message."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@attrs.frozen
class StageValue:
    """A number that may differ by stage (``{primary = 4.2, junior = 5.3}``) or not."""

    primary: float | None
    junior: float | None

    def get(self, stage: str) -> float | None:
        return self.primary if stage == "primary" else self.junior

    @classmethod
    def parse(cls, raw: Any) -> StageValue | None:
        if raw is None:
            return None
        if isinstance(raw, Mapping):
            return cls(_opt_float(raw.get("primary")), _opt_float(raw.get("junior")))
        return cls(float(raw), float(raw))

    def to_json(self) -> Any:
        if self.primary == self.junior:
            return self.primary
        return {"primary": self.primary, "junior": self.junior}


def _opt_float(v: Any) -> float | None:
    return None if v is None else float(v)


@attrs.frozen
class RuleMeta:
    """What every rule carries: identity, title, provenance."""

    id: str
    title: str
    source: str
    unverified: bool = False
    owner: str | None = None
    note: str | None = None
    origin: str | None = None  # file that (last) defined the rule
    # key -> file that gave that key's value, where a child ruleset overrode only
    # some keys (e.g. only ``threshold``); ``rulesets show --resolved`` prints it
    key_origins: Mapping[str, str] = attrs.field(factory=dict, eq=False, hash=False)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "title": self.title, "source": self.source}
        if self.unverified:
            d["unverified"] = True
        if self.owner:
            d["owner"] = self.owner
        if self.note:
            d["note"] = self.note
        return d


@attrs.frozen
class Indicator:
    """A per-school (per stage) quantity with an optional per-stage requirement and CV limit."""

    meta: RuleMeta
    formula: Formula
    unit: str
    total_unit: str | None
    direction: str  # "min": value >= threshold; "max": value <= threshold
    threshold: StageValue | None
    shortfall: Formula | None
    integer_shortfall: bool
    cv_limit: StageValue | None
    cv_source: str | None


@attrs.frozen
class SchoolRule:
    """A per-school rule combining indicators (``k_of_n``) or any boolean formula."""

    meta: RuleMeta
    kind: str  # "k_of_n" | "formula"
    indicators: tuple[str, ...] = ()
    min_met: int = 0
    rest_min_ratio: float = 0.0
    formula: Formula | None = None
    stages: tuple[str, ...] = STAGES


@attrs.frozen
class CompositeCV:
    meta: RuleMeta
    indicators: tuple[str, ...]
    limit: StageValue


@attrs.frozen
class CountyItem:
    """A county-level criterion: a value against a threshold, a boolean, or all schools meeting a check."""

    meta: RuleMeta
    category: str
    kind: str  # "value" | "when" | "all_schools" | "manual"
    formula: Formula | None = None
    threshold: float | None = None
    direction: str = "min"
    unit: str | None = None
    check: str | None = None
    required: bool = True


@attrs.frozen
class MultiYearRule:
    """A condition judged for each of the last ``years`` fiscal years (e.g. 三个增长)."""

    meta: RuleMeta
    years: int
    condition: Formula
    min_years_met: int
    required: bool = True


@attrs.frozen
class Veto:
    meta: RuleMeta
    when: Formula


@attrs.frozen
class ScoreNode:
    """A node of the score tree; leaves score by formula, by condition, or from the county's self-assessment."""

    meta: RuleMeta
    parent: str | None
    points: float
    kind: str  # "sum" | "when" | "formula" | "assessed"
    formula: Formula | None = None
    bonus: bool = False
    floor: float | None = None


@attrs.frozen
class Score:
    title: str
    source: str
    pass_min: float | None
    bonus_max: float
    nodes: tuple[ScoreNode, ...]


@attrs.frozen
class Preparation:
    """How records become evaluation units before any rule runs."""

    teaching_points: str = "exclude"  # exclude | fold | include
    special_education: str = "exclude"  # exclude | include
    min_students: int = 0  # units with fewer students leave checks and CVs
    apportion: str = "students"
    source: str = ""


@attrs.frozen
class Ruleset:
    """A loaded, resolved and compiled ruleset."""

    id: str
    title: str
    basis: str
    source: str
    version: str
    effective_year: int | None
    extends: str | None
    files: tuple[str, ...]
    stages: tuple[str, ...]
    preparation: Preparation
    parameters: Mapping[str, StageValue]
    parameter_meta: Mapping[str, RuleMeta]
    indicators: Mapping[str, Indicator]
    school_rules: Mapping[str, SchoolRule]
    school_verdict: tuple[str, ...]
    composite_cv: CompositeCV | None
    county_items: Mapping[str, CountyItem]
    multi_year: Mapping[str, MultiYearRule]
    vetoes: Mapping[str, Veto]
    score: Score | None
    raw: Mapping[str, Any] = attrs.field(repr=False, eq=False)

    @property
    def checks(self) -> tuple[str, ...]:
        """Ids reported in each school's ``checks``: thresholded indicators, then school rules."""
        ind = tuple(k for k, v in self.indicators.items() if v.threshold is not None)
        return ind + tuple(self.school_rules)

    def unverified_count(self) -> int:
        metas = [i.meta for i in self.indicators.values()]
        metas += [r.meta for r in self.school_rules.values()]
        metas += [c.meta for c in self.county_items.values()]
        metas += [m.meta for m in self.multi_year.values()]
        metas += [v.meta for v in self.vetoes.values()]
        metas += list(self.parameter_meta.values())
        if self.score:
            metas += [n.meta for n in self.score.nodes]
        if self.composite_cv:
            metas.append(self.composite_cv.meta)
        return sum(1 for m in metas if m.unverified)

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "version": self.version,
            "source": self.source,
            "basis": self.basis,
        }


# ---------------------------------------------------------------------------
# Name spaces: what a formula in each part of a ruleset may read.


def school_names(
    field_paths: Iterable[str], stage_fields: Iterable[str], extra: Iterable[str] = ()
) -> set[str]:
    """Names visible to per-school formulas: stage fields, school-wide fields, helpers."""
    names = set(stage_fields)
    names |= {p for p in field_paths if "." not in p}
    names |= {f"school_{p}" for p in field_paths if "." not in p}
    names |= {"school_students", "school_classes", "stage_primary", "stage_junior"}
    names |= {f"type_{t}" for t in SCHOOL_TYPES}
    names |= set(extra)
    return names


SCHOOL_TYPES = (
    "primary",
    "junior",
    "nine_year",
    "twelve_year",
    "complete_middle",
    "teaching_point",
    "special_education",
)


# ---------------------------------------------------------------------------
# Loading


def read_toml(path: str | Path | Any) -> tuple[dict[str, Any], str]:
    """Read a TOML file (path or importlib Traversable); return (data, display name)."""
    name = str(path)
    try:
        raw = path.read_bytes() if hasattr(path, "read_bytes") else Path(path).read_bytes()
    except OSError as exc:
        raise RulesetError([f"{name}: 无法读取规则集文件 (cannot read): {exc.strerror}"]) from None
    if len(raw) > MAX_RULESET_BYTES:
        raise RulesetError([f"{name}: 规则集文件过大（上限 {MAX_RULESET_BYTES} 字节）"])
    try:
        text = raw.decode("utf-8-sig")  # a BOM (Windows Notepad) is harmless
    except UnicodeDecodeError as exc:
        raise RulesetError(
            [f"{name}: 规则集文件必须是 UTF-8 编码（第 {exc.start} 字节无法按 UTF-8 解码）"]
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesetError([f"{name}: TOML 语法错误 (syntax error): {exc}"]) from None
    except RecursionError:
        raise RulesetError([f"{name}: TOML 嵌套过深 (nested too deeply)"]) from None
    problems = _shape_problems(data, name)
    if problems:
        raise RulesetError(problems)
    return data, name


def _shape_problems(data: Any, name: str) -> list[str]:
    """Bounds every later step relies on: value count, nesting depth, finite numbers.

    Walks the parsed TOML iteratively (no recursion), so a hostile file is refused
    before the schema validator, ``copy.deepcopy`` or ``json.dumps`` see it.
    TOML allows ``nan`` and ``inf``; a threshold or limit that is not a finite
    number would make every comparison undefined, so they are refused here.
    """
    problems: list[str] = []
    stack: list[tuple[Any, int, str]] = [(data, 0, "")]
    count = 0
    while stack:
        node, depth, path = stack.pop()
        count += 1
        if count > MAX_RULESET_VALUES:
            return [f"{name}: 规则集包含的值过多（超过 {MAX_RULESET_VALUES} 个）(too many values)"]
        if depth > MAX_RULESET_NESTING:
            return [
                f"{name}: {_short(path)}: 表或数组嵌套超过 {MAX_RULESET_NESTING} 层 "
                "(nested too deeply)"
            ]
        if isinstance(node, dict):
            stack.extend((v, depth + 1, f"{path}.{k}" if path else str(k)) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, depth + 1, f"{path}[{i}]") for i, v in enumerate(node))
        elif isinstance(node, float) and not math.isfinite(node):
            problems.append(
                f"{name}: {_short(path)}: 数值必须是有限数，不能是 {node!r} (nan/inf not allowed)"
            )
    return sorted(problems)


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_SCHEMA_CACHE: dict[str, Any] = {}


def ruleset_schema() -> dict[str, Any]:
    if "ruleset" not in _SCHEMA_CACHE:
        text = resources.files("junheng.schemas").joinpath("ruleset.schema.json").read_text("utf-8")
        _SCHEMA_CACHE["ruleset"] = json.loads(text)
    return _SCHEMA_CACHE["ruleset"]


def _without_nested_required(node: Any, top: bool = True) -> Any:
    if isinstance(node, dict):
        return {
            k: _without_nested_required(v, False)
            for k, v in node.items()
            # drop the ``required`` keyword (a list), not a property named "required"
            if not (k == "required" and not top and isinstance(v, list))
        }
    if isinstance(node, list):
        return [_without_nested_required(v, False) for v in node]
    return node


def check_structure(data: Mapping[str, Any], name: str, *, partial: bool | None = None) -> None:
    """Validate a ruleset file's structure against ``ruleset.schema.json`` (all errors at once).

    A file that ``extends`` another may give rules partially (e.g. only a new
    threshold), so its rules' required keys are checked after merging instead.
    """
    if partial is None:
        partial = "extends" in data
    schema = ruleset_schema()
    if partial:
        if "partial" not in _SCHEMA_CACHE:
            _SCHEMA_CACHE["partial"] = _without_nested_required(schema)
        schema = _SCHEMA_CACHE["partial"]
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    for err in errors[:MAX_STRUCTURE_PROBLEMS]:
        where = _short(".".join(str(p) for p in err.absolute_path) or "(顶层)")
        problems.append(f"{name}: {where}: {_schema_message(err)}")
    if len(errors) > MAX_STRUCTURE_PROBLEMS:
        problems.append(f"{name}: ……另有 {len(errors) - MAX_STRUCTURE_PROBLEMS} 个结构问题")
    if problems:
        raise RulesetError(problems)


#: structure problems listed per file; the rest are counted
MAX_STRUCTURE_PROBLEMS = 50


def _schema_message(err: jsonschema.ValidationError) -> str:
    """jsonschema's message, without echoing a huge offending value back at the user."""
    value, limit = err.instance, err.validator_value
    if err.validator == "maxLength" and isinstance(value, str):
        return f"文本过长：{len(value)} 个字符，上限 {limit} (too long)"
    if err.validator == "maxItems" and isinstance(value, list):
        return f"数组过长：{len(value)} 项，上限 {limit} (too many items)"
    if err.validator == "maxProperties" and isinstance(value, dict):
        return f"条目过多：{len(value)} 个，上限 {limit} (too many entries)"
    return _short(err.message, 300)


_RULE_TABLES = (
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
    the file that gave the value in ``_origins`` (``{"threshold": "jiangxi/quality.toml",
    "formula": "national/quality-2017.toml", ...}``).
    """
    out = copy.deepcopy(dict(parent))
    for key, value in child.items():
        if key in ("extends", "remove"):
            continue
        if key in _RULE_TABLES and isinstance(value, Mapping):
            table = out.setdefault(key, {})
            for rule_id, rule in value.items():
                base = dict(table.get(rule_id, {}))
                base.update(copy.deepcopy(dict(rule)))
                base["_origin"] = child_name
                base["_origins"] = {**base.get("_origins", {}), **dict.fromkeys(rule, child_name)}
                table[rule_id] = base
        elif key == "score" and isinstance(value, Mapping):
            score = out.setdefault("score", {})
            nodes = {n["id"]: n for n in score.get("nodes", [])}
            for k, v in value.items():
                if k != "nodes":
                    score[k] = copy.deepcopy(v)
            for node in value.get("nodes", []):
                merged = dict(nodes.get(node["id"], {}))
                merged.update(copy.deepcopy(dict(node)))
                merged["_origin"] = child_name
                merged["_origins"] = {
                    **merged.get("_origins", {}),
                    **dict.fromkeys((k for k in node if k != "id"), child_name),
                }
                nodes[node["id"]] = merged
            score["nodes"] = list(nodes.values())
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            merged = dict(out[key])
            merged.update(copy.deepcopy(dict(value)))
            out[key] = merged
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


class _Builder:
    """Turns a resolved ruleset mapping into a compiled :class:`Ruleset`."""

    def __init__(
        self,
        data: Mapping[str, Any],
        files: tuple[str, ...],
        *,
        school_field_paths: Iterable[str],
        stage_fields: Iterable[str],
        county_names: Iterable[str],
        finance_fields: Iterable[str],
        functions: Mapping[str, FormulaFunction],
    ):
        self.data = data
        self.files = files
        self.file = files[-1]
        self.functions = functions
        self.problems: list[str] = []
        self.school_field_paths = list(school_field_paths)
        self.stage_fields = list(stage_fields)
        self.county_names = set(county_names)
        self.finance_fields = list(finance_fields)

    def meta(self, rule_id: str, raw: Mapping[str, Any], default_source: str = "") -> RuleMeta:
        return RuleMeta(
            id=rule_id,
            title=raw.get("title", rule_id),
            source=raw.get("source", default_source),
            unverified=bool(raw.get("unverified", False)),
            owner=raw.get("owner"),
            note=raw.get("note"),
            origin=raw.get("_origin", self.file),
            key_origins=dict(raw.get("_origins", {})),
        )

    def compile(
        self,
        text: str,
        names: Iterable[str],
        rule_id: str,
        origin: str | None = None,
        *,
        series: bool = False,
    ) -> Formula | None:
        try:
            return compile_formula(
                text,
                names,
                functions=self.functions,
                file=origin or self.file,
                rule_id=rule_id,
                series=series,
            )
        except FormulaError as exc:
            self.problems.append(str(exc))
            return None

    def build(self) -> Ruleset:
        d = self.data
        stages = tuple(d.get("stages", STAGES))
        params_raw = d.get("parameters", {})
        parameters = {k: StageValue.parse(v.get("value")) for k, v in params_raw.items()}
        parameter_meta = {k: self.meta(k, v) for k, v in params_raw.items()}
        prep = Preparation(**{k: v for k, v in d.get("preparation", {}).items()})

        # Indicators may read other indicators: compile in dependency order.
        ind_raw = d.get("indicators", {})
        base_school = school_names(self.school_field_paths, self.stage_fields, parameters)
        self._check_collisions(base_school, ind_raw, "indicators")
        all_school_names = base_school | set(ind_raw)
        indicators: dict[str, Indicator] = {}
        for rid, raw in ind_raw.items():
            meta = self.meta(rid, raw)
            f = self.compile(raw["formula"], all_school_names, rid, meta.origin)
            short = None
            if raw.get("shortfall"):
                short = self.compile(
                    raw["shortfall"], all_school_names | {"threshold"}, rid, meta.origin
                )
            if f is None:
                continue
            indicators[rid] = Indicator(
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
            )
        self._check_cycles(indicators)

        rules: dict[str, SchoolRule] = {}
        rule_names = all_school_names | set(d.get("school_rules", {}))
        for rid, raw in d.get("school_rules", {}).items():
            meta = self.meta(rid, raw)
            kind = raw.get("kind", "formula")
            stages_r = tuple(raw.get("stages", stages))
            if kind == "k_of_n":
                missing = [i for i in raw["indicators"] if i not in ind_raw]
                if missing:
                    self.problems.append(f"{meta.origin}: 规则 {rid}: 引用了不存在的指标 {missing}")
                    continue
                if int(raw["min_met"]) > len(raw["indicators"]):
                    self.problems.append(
                        f"{meta.origin}: 规则 {rid}: min_met = {raw['min_met']} 大于指标个数 "
                        f"{len(raw['indicators'])}，任何学校都不可能达标"
                    )
                    continue
                rules[rid] = SchoolRule(
                    meta=meta,
                    kind=kind,
                    indicators=tuple(raw["indicators"]),
                    min_met=int(raw["min_met"]),
                    rest_min_ratio=float(raw.get("rest_min_ratio", 1.0)),
                    stages=stages_r,
                )
            else:
                f = self.compile(raw["formula"], rule_names, rid, meta.origin)
                if f is not None:
                    rules[rid] = SchoolRule(meta=meta, kind="formula", formula=f, stages=stages_r)

        verdict = tuple(d.get("school_verdict", {}).get("requires", list(rules)))
        for v in verdict:
            if v not in rules and v not in indicators:
                self.problems.append(f"{self.file}: school_verdict 引用了不存在的规则 '{v}'")

        comp = None
        if "composite_cv" in d:
            raw = d["composite_cv"]
            comp = CompositeCV(
                meta=self.meta("composite_cv", raw),
                indicators=tuple(raw["indicators"]),
                limit=StageValue.parse(raw["limit"]),
            )
            bad = [i for i in comp.indicators if i not in indicators]
            if bad:
                self.problems.append(f"{self.file}: composite_cv 引用了不存在的指标 {bad}")

        # County name space: county record items, latest finance, CVs, results of other rules.
        cv_names = {f"cv_{s}_{i}" for s in STAGES for i in indicators}
        cv_names |= {f"composite_cv_{s}" for s in STAGES}
        county_base = set(self.county_names) | set(self.finance_fields) | cv_names | set(parameters)
        county_base |= {"schools_all_passed", "school_count", "cv_all_met"}
        results = set(d.get("county_items", {})) | set(d.get("multi_year", {}))
        results |= {f"{m}_years_met" for m in d.get("multi_year", {})}
        results |= {f"{m}_years_missed" for m in d.get("multi_year", {})}
        self._check_collisions(county_base, {r: None for r in results}, "county rules")
        county_all = county_base | results

        items: dict[str, CountyItem] = {}
        for rid, raw in d.get("county_items", {}).items():
            meta = self.meta(rid, raw)
            names = county_all - {rid}
            common = {
                "meta": meta,
                "category": raw.get("category", ""),
                "required": bool(raw.get("required", True)),
                "unit": raw.get("unit"),
            }
            if "value" in raw:
                f = self.compile(raw["value"], names, rid, meta.origin)
                if f is not None:
                    items[rid] = CountyItem(
                        kind="value",
                        formula=f,
                        threshold=float(raw["threshold"]),
                        direction=raw.get("direction", "min"),
                        **common,
                    )
            elif "when" in raw:
                f = self.compile(raw["when"], names, rid, meta.origin)
                if f is not None:
                    items[rid] = CountyItem(kind="when", formula=f, **common)
            elif "all_schools" in raw:
                check = raw["all_schools"]
                if check not in rules and check not in indicators and check != "verdict":
                    self.problems.append(
                        f"{meta.origin}: 规则 {rid}: all_schools 引用了不存在的学校规则 '{check}'"
                    )
                    continue
                items[rid] = CountyItem(kind="all_schools", check=check, **common)
            else:
                items[rid] = CountyItem(kind="manual", **common)

        multi: dict[str, MultiYearRule] = {}
        series_names = set(self.finance_fields) | set(parameters)
        for rid, raw in d.get("multi_year", {}).items():
            meta = self.meta(rid, raw)
            f = self.compile(raw["condition"], series_names, rid, meta.origin, series=True)
            if f is not None:
                years = int(raw.get("years", 3))
                multi[rid] = MultiYearRule(
                    meta=meta,
                    years=years,
                    condition=f,
                    min_years_met=int(raw.get("min_years_met", years)),
                    required=bool(raw.get("required", True)),
                )

        vetoes: dict[str, Veto] = {}
        for rid, raw in d.get("vetoes", {}).items():
            meta = self.meta(rid, raw)
            f = self.compile(raw["when"], county_all, rid, meta.origin)
            if f is not None:
                vetoes[rid] = Veto(meta=meta, when=f)

        score = None
        if "score" in d:
            score = self._score(d["score"], county_all)

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
            composite_cv=comp,
            county_items=items,
            multi_year=multi,
            vetoes=vetoes,
            score=score,
            raw=d,
        )

    def _score(self, raw: Mapping[str, Any], names: set[str]) -> Score:
        nodes = []
        ids = {n["id"] for n in raw.get("nodes", [])}
        for n in raw.get("nodes", []):
            meta = self.meta(n["id"], n, raw.get("source", ""))
            parent = n.get("parent")
            if parent is not None and parent not in ids:
                self.problems.append(f"{meta.origin}: 评分项 {n['id']}: 上级 '{parent}' 不存在")
            kind, f = "sum", None
            if "when" in n:
                kind, f = "when", self.compile(n["when"], names, n["id"], meta.origin)
            elif "formula" in n:
                kind, f = "formula", self.compile(n["formula"], names, n["id"], meta.origin)
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
        self._check_score_cycles(nodes)
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
        )

    def _check_score_cycles(self, nodes: list[ScoreNode]) -> None:
        """A node may not be its own ancestor (the score sum would never end)."""
        parent = {n.meta.id: n.parent for n in nodes}
        reported: set[str] = set()
        for n in nodes:
            path = [n.meta.id]
            at = n.parent
            while at is not None and at in parent and len(path) <= len(parent):
                if at in path:
                    loop = [*path[path.index(at) :], at]
                    if not reported & set(loop):
                        reported |= set(loop)
                        self.problems.append(
                            f"{n.meta.origin}: 评分项循环引用上级 (score parent cycle): "
                            + " → ".join(loop)
                        )
                    break
                path.append(at)
                at = parent[at]

    def _check_collisions(self, base: set[str], table: Mapping[str, Any], what: str) -> None:
        for rid in table:
            if rid in base:
                self.problems.append(f"{self.file}: {what} 中的 id '{rid}' 与数据项或参数重名")

    def _check_cycles(self, indicators: Mapping[str, Indicator]) -> None:
        state: dict[str, int] = {}

        def visit(i: str, path: list[str]) -> None:
            if state.get(i) == 2:
                return
            if state.get(i) == 1:
                self.problems.append(f"{self.file}: 指标循环引用 {' → '.join([*path, i])}")
                return
            state[i] = 1
            for dep in indicators[i].formula.names & set(indicators):
                visit(dep, [*path, i])
            state[i] = 2

        for i in indicators:
            visit(i, [])


def indicator_order(ruleset: Ruleset) -> list[str]:
    """Indicator ids sorted so that each comes after the indicators it reads."""
    done: list[str] = []
    seen: set[str] = set()

    def visit(i: str) -> None:
        if i in seen:
            return
        seen.add(i)
        for dep in sorted(ruleset.indicators[i].formula.names & set(ruleset.indicators)):
            visit(dep)
        done.append(i)

    for i in ruleset.indicators:
        visit(i)
    return done


def build_ruleset(
    chain: list[tuple[Mapping[str, Any], str]],
    *,
    school_field_paths: Iterable[str],
    stage_fields: Iterable[str],
    county_names: Iterable[str],
    finance_fields: Iterable[str],
    functions: Mapping[str, FormulaFunction] | None = None,
) -> Ruleset:
    """Resolve an ``extends`` chain (root first) and compile it."""
    merged: dict[str, Any] = {}
    for data, name in chain:
        merged = merge(merged, data, name) if merged else _tag_origin(data, name)
    merged["extends"] = chain[-1][0].get("extends")
    if len(chain) > 1:
        check_structure(strip_origin(merged), " → ".join(n for _, n in chain), partial=False)
    return _Builder(
        merged,
        tuple(name for _, name in chain),
        school_field_paths=school_field_paths,
        stage_fields=stage_fields,
        county_names=county_names,
        finance_fields=finance_fields,
        functions=functions or BUILTIN_FUNCTIONS,
    ).build()


def strip_origin(node: Any) -> Any:
    """The rule data without the ``_origin`` bookkeeping keys."""
    if isinstance(node, dict):
        return {k: strip_origin(v) for k, v in node.items() if k not in ("_origin", "_origins")}
    if isinstance(node, list):
        return [strip_origin(v) for v in node]
    return node


def _tag_origin(data: Mapping[str, Any], name: str) -> dict[str, Any]:
    out = copy.deepcopy(dict(data))
    for table in _RULE_TABLES:
        for rule in out.get(table, {}).values():
            rule["_origins"] = dict.fromkeys(rule, name)
            rule["_origin"] = name
    for node in out.get("score", {}).get("nodes", []):
        node["_origins"] = dict.fromkeys((k for k in node if k != "id"), name)
        node["_origin"] = name
    return out
