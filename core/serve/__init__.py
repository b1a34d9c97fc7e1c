"""``junheng serve``: the HTTP service for systems that embed junheng (docs/http.md).

A stateless ASGI application (Starlette on uvicorn) over the public library API —
``junheng.Engine``, ``engine.load`` / ``engine.evaluate``, ``junheng.outputs.render``,
``junheng.explain``, ``junheng.template`` — one module per job:

- :mod:`~junheng.serve.config` — the settings, and how they reach the worker processes;
- :mod:`~junheng.serve.problems` — RFC 9457 ``application/problem+json`` errors;
- :mod:`~junheng.serve.bodies` — the JSON or multipart body, read within the size limit;
- :mod:`~junheng.serve.work` — the engine, the bounded queue and the evaluation pool;
- :mod:`~junheng.serve.views` — health and ruleset documents;
- :mod:`~junheng.serve.openapi` — the OpenAPI 3.1 document from the project's schemas;
- :mod:`~junheng.serve.docs_page` — the offline docs page;
- :mod:`~junheng.serve.app` — routes, the API key and the error edge;
- :mod:`~junheng.serve.server` — uvicorn.

Its dependencies are the optional extra ``serve`` (``pip install 'junheng[serve]'``):
nothing here imports them until the service is built, and :func:`missing` names what
is not installed.
"""

from __future__ import annotations

import importlib

__all__ = ["EXTRA_MESSAGE", "missing"]

#: (import name, distribution) of what the service needs beyond the base install
_NEEDS = (
    ("starlette", "starlette"),
    ("uvicorn", "uvicorn"),
    ("python_multipart", "python-multipart"),
)

EXTRA_MESSAGE = (
    "junheng serve 需要可选依赖 {names}，当前环境未安装。\n"
    "请安装：pip install 'junheng[serve]'（the optional extra \"serve\"）"
)


def missing() -> list[str]:
    """The distributions of the ``serve`` extra that cannot be imported here."""
    out = []
    for module, distribution in _NEEDS:
        try:
            importlib.import_module(module)
        except ImportError:
            out.append(distribution)
    return out
