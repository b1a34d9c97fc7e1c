"""The house shows the pipeline: layers import only downward, modules stay small, plugins use
only the public API, and one row spec shapes the report's schools array.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import junheng
from junheng.results.rows import CHECK_COLUMNS, CHECK_DETAIL, CHECK_UNIT, UNIT_CHECKS, UNIT_COLUMNS

CORE = Path(junheng.__file__).parent
ROOT = CORE.parent

#: the pipeline, bottom up: a module may import its own layer and the layers below
LAYERS: tuple[tuple[str, ...], ...] = (
    ("domain", "numbers", "text", "issues", "atomic", "bulk", "hookspecs", "sample"),
    ("tables",),
    ("fields", "formula"),
    ("names",),
    ("registry",),
    ("ruleset",),
    ("readers",),
    ("validation",),
    ("units", "stats"),
    ("results",),
    ("evaluate",),
    ("explain",),
    ("outputs",),
    ("defaults",),
    ("discovery", "sections", "preparation", "sampling", "contributions"),
    ("inputs",),
    # plan: below the engine on purpose — it is handed the engine and calls only its public
    # methods (ruleset, load, evaluate, validate, registry), never imports it; so
    # Engine.plan can delegate to it with an ordinary downward import
    ("plan",),
    ("engine",),
    # the front-ends over the engine; compare reads report documents (JSON) only
    (
        "summary",
        "template",
        "county_template",
        "local_rulesets",
        "testing",
        "pytest_plugin",
        "compare",
    ),
    ("cli", "__main__", "serve"),
)
LAYER = {name: k for k, names in enumerate(LAYERS) for name in names}


def _modules():
    for path in sorted(CORE.rglob("*.py")):
        rel = path.relative_to(CORE).with_suffix("")
        if rel.parts == ("__init__",):
            continue  # the package root re-exports the public API: it is above everything
        yield path, rel.parts


def _imports(path: Path, parts: tuple[str, ...]):
    """The top-level junheng modules ``path`` imports (relative and absolute)."""
    tree = ast.parse(path.read_text("utf-8"))
    package = parts[:-1]  # a package's __init__ and its modules resolve "." the same way
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(
                    package[: len(package) - (node.level - 1)] if node.level > 1 else package
                )
                target = [*base, *(node.module.split(".") if node.module else [])]
                if not target:  # "from . import x" at the top of the package
                    target = [alias.name for alias in node.names][:1]
            elif node.module and node.module.split(".")[0] == "junheng":
                target = node.module.split(".")[1:] or [a.name for a in node.names][:1]
            else:
                continue
            if target:
                yield target[0], node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                names = alias.name.split(".")
                if names[0] == "junheng" and len(names) > 1:
                    yield names[1], node.lineno


def test_every_module_has_a_layer():
    missing = {parts[0] for _, parts in _modules()} - set(LAYER)
    assert not missing, f"modules without a layer in LAYERS: {sorted(missing)}"


def test_no_upward_import():
    upward = []
    for path, parts in _modules():
        here = LAYER[parts[0]]
        for target, line in _imports(path, parts):
            if target in LAYER and LAYER[target] > here:
                upward.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert not upward, "\n".join(upward)


def test_modules_are_small_or_say_why():
    long = []
    for path, _ in _modules():
        lines = path.read_text("utf-8").count("\n")
        doc = ast.get_docstring(ast.parse(path.read_text("utf-8"))) or ""
        if lines > 500 and "longer than the others" not in doc:
            long.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert not long, "\n".join(long)


def test_builtin_plugins_use_only_the_public_api():
    for path in sorted((ROOT / "plugins").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("junheng")
            ):
                assert node.module == "junheng", f"{path}: from {node.module} import ..."
                assert {a.name for a in node.names} <= set(junheng.__all__), path


def test_core_knows_no_province():
    provinces = ("gansu", "jiangxi", "hebei", "sichuan", "chongqing", "anhui")
    for path, _ in _modules():
        text = path.read_text("utf-8").lower()
        for name in provinces:
            assert name not in text, f"{path.relative_to(ROOT)} names {name}"


def test_the_row_spec_is_the_report_schema():
    schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text("utf-8"))
    school = schema["$defs"]["school"]
    assert list(school["properties"]) == [c.key for c in UNIT_COLUMNS] + [UNIT_CHECKS]
    check = schema["$defs"]["check"]
    assert list(check["properties"]) == [c.key for c in CHECK_COLUMNS] + [CHECK_UNIT, CHECK_DETAIL]
    assert set(check["required"]) == {c.key for c in CHECK_COLUMNS} | {CHECK_UNIT}
    kinds = {"text": "string", "bool": "boolean", "number": "number"}
    for c in (*UNIT_COLUMNS, *CHECK_COLUMNS):
        prop = {**school["properties"], **check["properties"]}[c.key]
        declared = prop.get("type") or ("string" if "enum" in prop else None)
        assert kinds[c.kind] in ([declared] if isinstance(declared, str) else declared), c
