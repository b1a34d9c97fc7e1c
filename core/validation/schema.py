"""The schema step: every JSON Schema error of every record, as a located Chinese issue.

The schemas are the engine's (core fields plus its plugins' fields, from the
:class:`~junheng.registry.Registry`). jsonschema-rs, when installed, decides
validity fast (a record it finds valid has no errors); for any other record the
errors, their paths and keywords come from :mod:`jsonschema`, the reference —
``tests/test_validation_backends.py`` proves on valid and invalid corpora that
both backends flag the same records, paths and keywords. Each error becomes an
issue naming the field's English path, Chinese title, the value found and what
is expected (bounds with unit).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any

import attrs
from jsonschema import Draft202012Validator

try:  # the fast schema backend (Rust); plain jsonschema stays the reference and fallback
    import jsonschema_rs
except ImportError:  # pragma: no cover - exercised by the fallback test via monkeypatch
    jsonschema_rs = None

from ..fields import FieldCatalogue, display_path
from ..issues import DataIssue
from ..registry import Registry
from ..text import huge_integer, shorten
from .where import Where, record_id

__all__ = ["schema_errors", "schema_issues", "valid_flags"]


@attrs.frozen
class SchemaError:
    """A backend-neutral schema error (what a faster backend must also produce)."""

    keyword: str
    path: tuple[str | int, ...]
    instance: Any
    keyword_value: Any
    schema: Mapping[str, Any] = attrs.field(eq=False)


def _reference(registry: Registry, schema_name: str) -> Draft202012Validator:
    key = f"jsonschema:{schema_name}"
    if key not in registry.derived:
        registry.derived[key] = _compiled(_canonical(registry.schema(schema_name)))
    return registry.derived[key]


def _fast(registry: Registry, schema_name: str) -> Any:
    """The jsonschema-rs validator of the registry's schema, or None (not installed,
    switched off, or a schema it cannot compile)."""
    if jsonschema_rs is None:
        return None
    key = f"jsonschema_rs:{schema_name}"
    if key not in registry.derived:
        registry.derived[key] = _compiled_fast(_canonical(registry.schema(schema_name)))
    return registry.derived[key]


def _canonical(schema: Mapping[str, Any]) -> str:
    return json.dumps(schema, sort_keys=True, ensure_ascii=False)


# Compiling a schema costs tens of milliseconds; engines whose plugins give the same
# fields (every engine of a process, usually) share the compiled validator. Keyed by
# the schema's text, so a different schema is never served a stale validator.
@lru_cache(maxsize=16)
def _compiled(text: str) -> Draft202012Validator:
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@lru_cache(maxsize=16)
def _compiled_fast(text: str) -> Any:
    try:
        return jsonschema_rs.Draft202012Validator(json.loads(text))
    except Exception:  # a schema the Rust backend cannot compile: jsonschema only
        return None


def valid_flags(records: Sequence[Any], schema_name: str, registry: Registry) -> list[bool]:
    """Per record: proven valid by the fast backend (all False without it)."""
    fast = _fast(registry, schema_name)
    if fast is None:
        return [False] * len(records)
    is_valid = fast.is_valid
    flags = []
    for record in records:
        try:
            flags.append(bool(is_valid(record)))
        except Exception:  # not plain JSON data: let jsonschema judge
            flags.append(False)
    return flags


def schema_errors(
    instance: Any, schema_name: str, registry: Registry | None = None
) -> Iterator[SchemaError]:
    """All JSON Schema errors of ``instance``; the one seam for the schema backend."""
    registry = registry or Registry.core()
    fast = _fast(registry, schema_name)
    if fast is not None:
        try:
            if fast.is_valid(instance):
                return
        except Exception:  # a value it cannot convert (not plain JSON data): ask jsonschema
            pass
    for error in _reference(registry, schema_name).iter_errors(instance):
        yield SchemaError(
            keyword=str(error.validator),
            path=tuple(error.absolute_path),
            instance=error.instance,
            keyword_value=error.validator_value,
            schema=error.schema if isinstance(error.schema, Mapping) else {},
        )


def schema_issues(
    record: Any, schema_name: str, registry: Registry, where: Where, index: int
) -> Iterator[DataIssue]:
    """The located issues of one record's schema errors (one per keyword and path)."""
    catalogue = where.catalogue
    rid = record_id(record, schema_name)
    errors = sorted(
        schema_errors(record, schema_name, registry), key=lambda e: [str(p) for p in e.path]
    )
    seen: set[tuple[str, str]] = set()
    for error in errors:
        for path, detail, found, expected in _translate(error, catalogue):
            shown = display_path(path)
            key = (error.keyword, shown)
            if key in seen:
                continue
            seen.add(key)
            field = catalogue.for_instance_path(path) if path else None
            yield DataIssue.located(
                "error",
                f"schema.{error.keyword}",
                detail,
                file=where.file,
                row=where.row(index, shown),
                row_unit=where.row_unit,
                record_id=rid,
                subject=where.subject,
                field=shown or None,
                field_title=field.title if field else None,
                found=found,
                expected=expected,
            )


def _translate(
    error: SchemaError, catalogue: FieldCatalogue
) -> Iterator[tuple[tuple[str | int, ...], str, Any, Any]]:
    """(instance path, Chinese detail, found, expected) for one schema error."""
    path = error.path
    field = catalogue.for_instance_path(path) if path else None
    unit = f"（{field.unit}）" if field and field.unit else ""
    value = _show(error.instance)
    kw, expected = error.keyword, error.keyword_value

    if kw == "required":
        present = error.instance if isinstance(error.instance, Mapping) else {}
        for name in expected:
            if name not in present:
                missing = (*path, name)
                missing_field = catalogue.for_instance_path(missing)
                what = missing_field.expected_text() if missing_field else "一个值"
                yield missing, f"缺少必填字段，应为{what}。", None, name
        return
    if kw == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        present = error.instance if isinstance(error.instance, Mapping) else {}
        for name in present:
            if name not in known:
                yield (*path, name), f"“{name}”不是已知字段（拼写错误或多余字段）。", name, None
        return
    if kw == "minimum":
        yield path, f"值 {value} 小于最小值 {_show(expected)}{unit}。", error.instance, expected
    elif kw == "maximum":
        yield path, f"值 {value} 大于最大值 {_show(expected)}{unit}。", error.instance, expected
    elif kw == "exclusiveMinimum":
        yield path, f"值 {value} 应大于 {_show(expected)}{unit}。", error.instance, expected
    elif kw == "exclusiveMaximum":
        yield path, f"值 {value} 应小于 {_show(expected)}{unit}。", error.instance, expected
    elif kw == "type":
        want = field.expected_text() if field else _type_words(expected)
        yield path, f"值 {value} 的类型不对，应为{want}。", error.instance, expected
    elif kw == "enum":
        want = field.expected_text() if field else "、".join(map(str, expected))
        yield path, f"值 {value} 不是可选值，应为{want}。", error.instance, list(expected)
    elif kw == "pattern":
        hint = f"（{field.description}）" if field and field.description else ""
        yield (
            path,
            f"值 {value} 格式不对，应符合 {expected}{hint}。",
            error.instance,
            expected,
        )
    elif kw in ("minLength", "maxLength"):
        word = "不少于" if kw == "minLength" else "不超过"
        yield path, f"值 {value} 的长度应{word} {expected} 个字符。", error.instance, expected
    elif kw in ("minItems", "maxItems"):
        word = "不少于" if kw == "minItems" else "不超过"
        yield path, f"列表应有{word} {expected} 项。", None, expected
    else:
        yield path, f"值 {value} 不符合要求（{kw}: {_show(expected)}）。", error.instance, expected


def _type_words(expected: Any) -> str:
    words = {
        "integer": "整数",
        "number": "数字",
        "string": "文本",
        "boolean": "是/否",
        "object": "对象",
        "array": "数组",
        "null": "空值",
    }
    names = expected if isinstance(expected, list) else [expected]
    return "或".join(words.get(str(n), str(n)) for n in names)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, int) and abs(value) >= 10**15:
        return huge_integer(value) if abs(value) >= 10**300 else f"{float(value):.6g}"
    if isinstance(value, str):
        return f"“{shorten(value)}”"
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        text = repr(value)
        return text if len(text) <= 60 else text[:57] + "..."
    return str(value)
