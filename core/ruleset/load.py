"""Reading a ruleset file: bounded TOML, then its structure against ``ruleset.schema.json``.

Every bound a later step relies on is checked here, before anything else sees
the data (SECURITY.md): file size, UTF-8, value count and nesting (walked
iteratively), finite numbers. Structure errors are reported all at once, each
at its JSON path; inside ``oneOf`` alternatives, the error of the alternative
the value came closest to (``$.parameters.p.value.primary: '4.2' is not of type
'number'``, not "… is not valid under any of the given schemas").
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match

from .model import RulesetError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "MAX_EXTENDS_DEPTH",
    "MAX_RULESET_BYTES",
    "MAX_RULESET_NESTING",
    "MAX_RULESET_VALUES",
    "check_structure",
    "read_toml",
    "ruleset_schema",
]

MAX_RULESET_BYTES = 1_000_000
MAX_EXTENDS_DEPTH = 8
#: values (tables, arrays and scalars) in one ruleset file; the largest shipped has ~360
MAX_RULESET_VALUES = 20_000
#: nesting of tables and arrays in one ruleset file; the shipped ones reach 5
MAX_RULESET_NESTING = 12
#: structure problems listed per file; the rest are counted
MAX_STRUCTURE_PROBLEMS = 50


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


@cache
def ruleset_schema() -> dict[str, Any]:
    """``schemas/ruleset.schema.json`` (shared: do not modify)."""
    text = resources.files("junheng.schemas").joinpath("ruleset.schema.json").read_text("utf-8")
    return json.loads(text)


@cache
def _validator(partial: bool) -> jsonschema.Draft202012Validator:
    schema = ruleset_schema()
    return jsonschema.Draft202012Validator(_without_nested_required(schema) if partial else schema)


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
    Each error is located by its JSON path; inside ``oneOf``/``anyOf`` the most
    relevant alternative's error is the one reported.
    """
    if partial is None:
        partial = "extends" in data
    errors = sorted(
        (_relevant(e) for e in _validator(partial).iter_errors(data)),
        key=lambda e: [str(p) for p in e.absolute_path],
    )
    problems = [
        f"{name}: {_short(e.json_path)}: {_schema_message(e)}"
        for e in errors[:MAX_STRUCTURE_PROBLEMS]
    ]
    if len(errors) > MAX_STRUCTURE_PROBLEMS:
        problems.append(f"{name}: ……另有 {len(errors) - MAX_STRUCTURE_PROBLEMS} 个结构问题")
    if problems:
        raise RulesetError(problems)


def _relevant(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """For a ``oneOf``/``anyOf`` failure, the alternative the value came closest to: the
    sub-errors that reach deepest into the value (the alternative whose shape it has),
    and among them jsonschema's :func:`~jsonschema.exceptions.best_match`."""
    while error.context:
        deepest = max(len(e.absolute_path) for e in error.context)
        candidates = [e for e in error.context if len(e.absolute_path) == deepest]
        # a value of the right type for one alternative: that alternative's complaint
        # (``cv_limit = -0.5`` is a number too small, not "not an object")
        typed = [e for e in candidates if e.validator != "type"] or candidates
        best = best_match(typed)
        if best is None or best is error:
            break
        error = best
    return error


def _schema_message(err: jsonschema.ValidationError) -> str:
    """jsonschema's message, without echoing a huge offending value back at the user."""
    value, limit = err.instance, err.validator_value
    if err.validator == "maxLength" and isinstance(value, str):
        return f"文本过长：{len(value)} 个字符，上限 {limit} (too long)"
    if err.validator == "maxItems" and isinstance(value, list):
        return f"数组过长：{len(value)} 项，上限 {limit} (too many items)"
    if err.validator == "maxProperties" and isinstance(value, dict):
        return f"条目过多：{len(value)} 个，上限 {limit} (too many entries)"
    shown = _short(repr(value), 60)
    if err.validator == "type":
        want = "或".join(_TYPE_WORDS.get(t, t) for t in _as_list(limit))
        return f"值 {shown} 的类型不对，应为{want}"
    if err.validator in _BOUND_WORDS:
        return f"值 {shown} {_BOUND_WORDS[err.validator]} {limit}"
    if err.validator == "enum":
        return f"值 {shown} 不是可选值，应为 {'、'.join(map(str, limit))} 之一"
    if err.validator == "required":
        missing = [k for k in limit if isinstance(value, dict) and k not in value]
        if missing and set(missing) <= {"source", "cite"} and _in_any_of(err):
            return (
                "缺少依据：source（文件及条款的文字）或 cite（[documents] 中声明的文件编号，"
                "配 clause 条款）"
            )
        return f"缺少必填项 {'、'.join(missing) or limit}"
    if err.validator == "additionalProperties" and isinstance(value, dict):
        known = set(err.schema.get("properties", {})) if isinstance(err.schema, dict) else set()
        unknown = [k for k in value if k not in known]
        return f"未知的键 {'、'.join(map(str, unknown))}（拼写错误或多余的键）"
    return _short(err.message, 300)


def _in_any_of(err: jsonschema.ValidationError) -> bool:
    """Whether this error is one alternative of an ``anyOf`` (e.g. ``source`` or ``cite``)."""
    parent = err.parent
    return parent is not None and parent.validator == "anyOf"


_TYPE_WORDS = {
    "number": "数字",
    "integer": "整数",
    "string": "文本（加引号）",
    "boolean": "true/false",
    "object": "表（[table] 或 {...}）",
    "array": "数组 [...]",
}
_BOUND_WORDS = {
    "minimum": "应不小于",
    "maximum": "应不大于",
    "exclusiveMinimum": "应大于",
    "exclusiveMaximum": "应小于",
    "minLength": "的长度应不少于",
    "minItems": "的项数应不少于",
}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
