"""The comparison as a JSON document (UTF-8, two-space indentation), described by
``schemas/compare.schema.json``."""

from __future__ import annotations

import json

from ..text import scrub
from .model import Comparison

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency
    orjson = None


def render(comparison: Comparison) -> bytes:
    doc = scrub(comparison.to_dict())  # texts from the reports: no lone surrogate gets out
    if orjson is not None:
        return orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n"
    return (json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False) + "\n").encode()
