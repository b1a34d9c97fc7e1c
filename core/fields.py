"""The field catalogue: every leaf field of the school and county schemas, flattened.

The JSON Schemas in :mod:`junheng.schemas` are the single source of truth;
this module reads them (through :mod:`importlib.resources`, so an installed
wheel works without a checkout) and turns their nested ``properties`` into a
flat list of :class:`FieldInfo` keyed by English dotted path
(``primary.students``, ``items.teacher_rotation_pct``).

Two shapes need a convention:

- the county ``finance`` array is a *series* (one object per fiscal year); its
  fields are catalogued once as ``finance[].<name>`` with ``series=True``; a
  concrete entry is displayed as ``finance[0].<name>``;
- ``scores`` is an open map (``additionalProperties``) keyed by the ruleset's
  score item ids; it is catalogued as ``scores.*``.

Spreadsheet headers resolve to fields by English path or by Chinese title,
ignoring case, whitespace, full-width/half-width differences and a trailing
unit in brackets (``小学在校生数（人）``, ``primary.students [人]``). Enum cells
resolve by code (``nine_year``) or Chinese label (``九年一贯制学校``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

import attrs

from .numbers import format_number

__all__ = [
    "FieldCatalogue",
    "FieldInfo",
    "add_field",
    "catalogue",
    "county_fields",
    "display_path",
    "extension_problem",
    "field_exists",
    "load_schema",
    "normalize_label",
    "school_fields",
]

SCHEMA_PACKAGE = "junheng.schemas"

_TYPE_WORDS = {
    "integer": "整数",
    "number": "数字",
    "string": "文本",
    "boolean": "是/否",
    "object": "对象",
    "array": "列表",
    "null": "空值",
}

_TRAILING_BRACKET = re.compile(r"\s*[\(\[【][^\(\)\[\]【】]*[\)\]】]\s*$")


@attrs.frozen
class FieldInfo:
    """One leaf field of a record schema.

    ``type`` is the JSON type of a present value (``integer``, ``number``,
    ``string``, ``boolean``); ``nullable`` says whether ``null`` is also
    allowed. ``required`` means required within its enclosing object (a stage
    field is required only when its stage block is present). ``series`` marks
    fields of an array of objects (county ``finance``).
    """

    path: str
    title: str
    description: str
    unit: str | None
    type: str
    enum: tuple[str, ...] | None = None
    enum_titles: Mapping[str, str] = attrs.field(factory=dict, eq=False, hash=False)
    minimum: float | None = None
    maximum: float | None = None
    nullable: bool = False
    required: bool = False
    series: bool = False
    #: a school-wide quantity split between stages by student share (``x-apportion`` in
    #: the schema; None: decided by the field's kind, see :func:`junheng.names.is_apportioned`)
    apportion: bool | None = None
    #: a percent whose real values lie far above 1 (``x-typical-minimum``, e.g. 50 for a
    #: satisfaction rate): a spreadsheet value between 0 and 1 is probably a fraction
    typical_minimum: float | None = None

    @property
    def parts(self) -> tuple[str, ...]:
        """The path split at dots (``("primary", "students")``)."""
        return tuple(self.path.split("."))

    @property
    def label(self) -> str:
        """``primary.students（小学在校生数）``: path and Chinese title for messages."""
        return f"{self.path}（{self.title}）"

    def enum_label(self, code: str) -> str:
        """Chinese label of an enum code (the code itself when it has none)."""
        return self.enum_titles.get(code, code)

    def parse_enum(self, text: str) -> str | None:
        """The enum code for ``text`` given as code or Chinese label; None if no match."""
        if not self.enum:
            return None
        wanted = normalize_label(text)
        for code in self.enum:
            if wanted in (normalize_label(code), normalize_label(self.enum_label(code))):
                return code
        return None

    def expected_text(self) -> str:
        """What a valid value looks like, in Chinese: ``整数，0 到 20000（人）``."""
        if self.enum:
            choices = "、".join(f"{self.enum_label(c)}（{c}）" for c in self.enum)
            return f"以下之一：{choices}"
        text = _TYPE_WORDS.get(self.type, self.type)
        if self.type == "boolean":
            return "是/否（true/false）"
        bounds = _bounds_text(self.minimum, self.maximum)
        if bounds:
            text += f"，{bounds}"
        if self.unit:
            text += f"（{self.unit}）"
        return text

    def header_row2(self) -> str:
        """The template's second header cell: ``primary.students [人]``."""
        return f"{self.path} [{self.unit}]" if self.unit else self.path


@attrs.frozen
class FieldCatalogue:
    """The flattened leaf fields of one schema, in schema order, with lookups."""

    schema_name: str
    fields: tuple[FieldInfo, ...]
    _by_path: Mapping[str, FieldInfo] = attrs.field(eq=False, hash=False, repr=False)
    _by_label: Mapping[str, FieldInfo] = attrs.field(eq=False, hash=False, repr=False)

    @classmethod
    def from_fields(cls, schema_name: str, fields: Sequence[FieldInfo]) -> FieldCatalogue:
        """Build the catalogue and its header index.

        Raises ValueError when two fields share a normalised path or title,
        because headers would then be ambiguous (a schema bug, not user data).
        """
        by_path = {f.path: f for f in fields}
        by_label: dict[str, FieldInfo] = {}
        for f in fields:
            for key in {normalize_label(f.path), normalize_label(f.title)}:
                other = by_label.get(key)
                if other is not None and other is not f:
                    raise ValueError(
                        f"{schema_name}: header {key!r} is ambiguous ({other.path}, {f.path})"
                    )
                by_label[key] = f
        return cls(schema_name, tuple(fields), by_path, by_label)

    def __iter__(self) -> Iterator[FieldInfo]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def __contains__(self, path: object) -> bool:
        return path in self._by_path

    def get(self, path: str) -> FieldInfo | None:
        """The field at an English dotted path (catalogue form: ``finance[].year``)."""
        return self._by_path.get(path)

    def for_instance_path(self, parts: Sequence[str | int]) -> FieldInfo | None:
        """The field for a JSON instance path such as ``["finance", 0, "year"]``."""
        return self._by_path.get(_catalogue_path(parts)) or self._by_path.get(
            _catalogue_path(parts, wildcard_last=True)
        )

    def resolve_header(self, header: object) -> FieldInfo | None:
        """The field a spreadsheet header names, by English path or Chinese title.

        Case, whitespace and full-width/half-width differences are ignored, and
        a trailing unit in brackets (``（人）``, ``[人]``) is tolerated.
        """
        if header is None:
            return None
        text = normalize_label(str(header))
        if not text:
            return None
        found = self._by_label.get(text)
        if found is None:
            stripped = _TRAILING_BRACKET.sub("", unicodedata.normalize("NFKC", str(header)))
            found = self._by_label.get(normalize_label(stripped))
        return found


def normalize_label(text: str) -> str:
    """NFKC-normalised, case-folded, whitespace-free form used for matching."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(text.split()).casefold()


def display_path(parts: Sequence[str | int]) -> str:
    """``["finance", 0, "year"]`` → ``finance[0].year``; ``["primary", "students"]`` →
    ``primary.students``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@cache
def _load_schema_text(name: str) -> str:
    resource = resources.files(SCHEMA_PACKAGE).joinpath(f"{name}.schema.json")
    return resource.read_text(encoding="utf-8")


def load_schema(name: str) -> dict[str, Any]:
    """The core schema ``schemas/<name>.schema.json`` (``school``, ``county`` ...) as a
    dict: the fields every engine has, before any plugin adds its own (an engine's
    extended schemas are in its :class:`~junheng.registry.Registry`).

    Returns a fresh copy each call, so callers may modify it.
    """
    return json.loads(_load_schema_text(name))


_STAGE_TITLES = {"primary": "小学", "junior": "初中"}
_COUNTY_BLOCKS = ("items", "survey", "vetoes")
#: where an extension may put a field, per record kind ("" is the top level)
EXTENSION_PLACES = {"school": ("", "stage"), "county": (*_COUNTY_BLOCKS, "finance[]")}


def extension_problem(schema_name: str, path: str, prop: Any) -> str | None:
    """Why a field a plugin contributes cannot be added (a Chinese sentence), or None.

    ``schema_name`` is ``school`` or ``county``; ``path`` is ``name`` or
    ``stage.name`` (school) and ``items.name`` / ``survey.name`` / ``vetoes.name``
    / ``finance[].name`` (county); ``prop`` a JSON Schema property with a Chinese
    ``title`` and a ``type``.
    """
    if schema_name not in EXTENSION_PLACES:
        return f"未知的记录类型 '{schema_name}'（应为 school 或 county）"
    if not isinstance(path, str):
        return f"字段路径应为文本，得到 {type(path).__name__}"
    if not isinstance(prop, Mapping) or not prop.get("title") or "type" not in prop:
        return f"字段 {schema_name}:{path} 需要 title（中文名）和 type"
    name = path.rsplit(".", 1)[-1]
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", name):
        return f"字段名 '{path}' 不合规（小写字母、数字、下划线）"
    head = path[: -len(name) - 1] if "." in path else ""
    allowed = EXTENSION_PLACES[schema_name]
    if head not in allowed:
        places = ", ".join(a or "顶层" for a in allowed)
        return f"字段 {schema_name}:{path} 的位置不受支持（可用：{places}）"
    return None


def field_exists(schema: dict[str, Any], path: str) -> bool:
    """Whether ``path`` (an extension path, see :func:`extension_problem`) is in ``schema``."""
    return any(name in props for props, name, _ in _targets(schema, path))


def field_property(schema: dict[str, Any], path: str) -> Mapping[str, Any] | None:
    """The property at an extension path (its first place), or None."""
    for props, name, _ in _targets(schema, path):
        if name in props:
            return props[name]
    return None


def add_field(schema: dict[str, Any], path: str, prop: Mapping[str, Any]) -> None:
    """Insert a field at an extension path, in place (a stage field goes into both
    stage blocks, its title prefixed 小学 / 初中)."""
    for props, name, prefix in _targets(schema, path):
        if name not in props:
            props[name] = {**prop, "title": f"{prefix}{prop['title']}"}


def catalogue(schema_name: str, schema: Mapping[str, Any]) -> FieldCatalogue:
    """The flattened leaf fields of a (possibly extended) record schema.

    Raises ValueError when two fields share a normalised path or title.
    """
    return FieldCatalogue.from_fields(schema_name, _flatten(schema))


def _targets(schema: dict[str, Any], path: str) -> list[tuple[dict[str, Any], str, str]]:
    """(properties dict, field name, title prefix) for each place ``path`` lands."""
    name = path.rsplit(".", 1)[-1]
    head = path[: -len(name) - 1] if "." in path else ""
    props = schema.setdefault("properties", {})
    if head == "":
        return [(props, name, "")]
    if head == "stage":
        return [
            (props[s].setdefault("properties", {}), name, t)
            for s, t in _STAGE_TITLES.items()
            if s in props
        ]
    if head == "finance[]":
        return [(props["finance"]["items"].setdefault("properties", {}), name, "")]
    return [(props[head].setdefault("properties", {}), name, "")]


@cache
def school_fields() -> FieldCatalogue:
    """Leaf fields of the core school record, e.g. ``id``, ``primary.students``
    (an engine's catalogue, with its plugins' fields: ``engine.registry.school_fields``)."""
    return catalogue("school", load_schema("school"))


@cache
def county_fields() -> FieldCatalogue:
    """Leaf fields of the core county record, e.g. ``items.teacher_rotation_pct``,
    ``finance[].education_appropriation_yuan``, ``scores.*``."""
    return catalogue("county", load_schema("county"))


def _flatten(schema: Mapping[str, Any], prefix: str = "", series: bool = False) -> list[FieldInfo]:
    out: list[FieldInfo] = []
    required = set(schema.get("required", ()))
    for name, sub in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        kind, nullable = _json_type(sub)
        if kind == "object":
            out.extend(_flatten(sub, f"{path}.", series))
            extra = sub.get("additionalProperties")
            if isinstance(extra, Mapping):
                out.append(_field(f"{path}.*", extra, required=False, series=series))
        elif kind == "array" and _json_type(sub.get("items", {}))[0] == "object":
            out.extend(_flatten(sub["items"], f"{path}[].", True))
        else:
            out.append(_field(path, sub, required=name in required, series=series))
            if nullable:
                out[-1] = attrs.evolve(out[-1], nullable=True)
    return out


def _field(path: str, sub: Mapping[str, Any], *, required: bool, series: bool) -> FieldInfo:
    kind, nullable = _json_type(sub)
    enum = sub.get("enum")
    return FieldInfo(
        path=path,
        title=str(sub.get("title", path)),
        description=str(sub.get("description", "")),
        unit=sub.get("x-unit"),
        type=kind,
        enum=tuple(e for e in enum if e is not None) if enum else None,
        enum_titles=dict(sub.get("x-enum-titles", {})),
        minimum=sub.get("minimum"),
        maximum=sub.get("maximum"),
        nullable=nullable,
        required=required,
        series=series,
        apportion=sub.get("x-apportion"),
        typical_minimum=sub.get("x-typical-minimum"),
    )


def _json_type(sub: Mapping[str, Any]) -> tuple[str, bool]:
    declared = sub.get("type", "string")
    if isinstance(declared, list):
        non_null = [t for t in declared if t != "null"]
        return (non_null[0] if non_null else "null"), "null" in declared
    return str(declared), False


def _catalogue_path(parts: Sequence[str | int], wildcard_last: bool = False) -> str:
    names: list[str] = []
    for part in parts:
        if isinstance(part, int):
            if names:
                names[-1] += "[]"
        else:
            names.append(part)
    if wildcard_last and len(names) > 1:
        names[-1] = "*"
    return ".".join(names)


def _bounds_text(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f"{_num(minimum)} 到 {_num(maximum)}"
    if minimum is not None:
        return f"不小于 {_num(minimum)}"
    if maximum is not None:
        return f"不大于 {_num(maximum)}"
    return ""


def _num(value: float) -> str:
    return format_number(value, grouping=False, decimals=6)
