"""The JSON report (CONTRACT.md shape, described by ``schemas/report.schema.json``).

Serialised with orjson when installed (a national report is hundreds of MiB:
the standard library takes ~30 s for 210,000 schools, orjson ~1 s), as UTF-8
with two-space indentation; the standard library (same indentation and key
order) is the fallback. Undefined values are already ``None`` in
:meth:`Report.to_dict` (were a NaN to slip through, orjson writes ``null``).
"""

from __future__ import annotations

import json
from typing import Any

from ..results import Report

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency; json is the fallback
    orjson = None


def _default(obj: Any) -> Any:
    item = getattr(obj, "item", None)  # numpy scalars
    if callable(item):
        return item()
    raise TypeError(f"Type is not JSON serializable: {type(obj).__name__}")


def render(report: Report) -> bytes:
    doc = report.to_dict()
    if orjson is not None:
        try:
            out = orjson.dumps(
                doc,
                default=_default,
                option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY,
            )
        except TypeError:
            pass
        else:
            return out
    return json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False, default=_default).encode(
        "utf-8"
    )
