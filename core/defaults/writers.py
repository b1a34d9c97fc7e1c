"""Default plugin: the JSON, HTML, XLSX and Markdown report writers."""

from __future__ import annotations

from ..hookspecs import hookimpl
from ..outputs import BUILTIN_WRITERS


@hookimpl
def junheng_writers():
    return dict(BUILTIN_WRITERS)
