"""The JSON report (CONTRACT.md shape, described by ``schemas/report.schema.json``)."""

from __future__ import annotations

import json

from ..results import Report


def render(report: Report) -> bytes:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=1, allow_nan=False).encode(
        "utf-8"
    )
