"""Shared by the compare tests: every JSON comparison validates against
``schemas/compare.schema.json`` — strictly: a key the schema does not describe fails too."""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema


@cache
def compare_schema() -> dict[str, Any]:
    text = resources.files("junheng.schemas").joinpath("compare.schema.json").read_text("utf-8")
    return json.loads(text)


def _strict(node: Any) -> Any:
    """The schema with ``additionalProperties: false`` on every object that lists its keys."""
    if isinstance(node, dict):
        node = {k: _strict(v) for k, v in node.items()}
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(_strict(copy.deepcopy(compare_schema())))


def assert_valid_comparison(doc: Any) -> None:
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(map(str, e.path)))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
