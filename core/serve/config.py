"""The settings of one ``junheng serve`` process, and how they reach its workers.

``junheng serve --workers N`` runs N uvicorn worker processes, each importing the
application by name (:func:`junheng.serve.app.app_from_environment`); the settings
travel to them as JSON in one environment variable. The API key itself never does:
each worker reads it from ``--api-key-file``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import attrs

__all__ = ["ENV_VAR", "ServeConfig", "read_api_keys"]

#: the environment variable that carries :class:`ServeConfig` to the worker processes
ENV_VAR = "JUNHENG_SERVE_CONFIG"


@attrs.frozen
class ServeConfig:
    """What one server enforces.

    ``max_body_bytes``: the largest request body (413 past it, counted while the body
    streams in); ``api_key_file``: keys one per line (401 without one of them);
    ``queue``: evaluations admitted at once per worker, running or waiting (503 with
    ``Retry-After`` past it); ``threads``: evaluations running at once per worker;
    ``time_limit``: seconds a request may wait and run before it is answered 503.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    max_body_bytes: int = 50 * 1024 * 1024
    api_key_file: str | None = None
    queue: int = 64
    threads: int = 1
    time_limit: float = 120.0

    def to_json(self) -> str:
        return json.dumps(attrs.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeConfig:
        return cls(**json.loads(text))

    @classmethod
    def from_environment(cls) -> ServeConfig:
        """The settings ``junheng serve`` handed to this worker (defaults without them)."""
        text = os.environ.get(ENV_VAR)
        return cls.from_json(text) if text else cls()


def read_api_keys(path: str | os.PathLike[str]) -> tuple[bytes, ...]:
    """The keys in an API key file: one per line, blank lines and ``#`` comments ignored.

    Raises ValueError (a Chinese sentence) when the file holds no key; OSError when it
    cannot be read.
    """
    text = Path(path).read_text("utf-8")
    keys = tuple(
        line.strip().encode("utf-8")
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith("#")
    )
    if not keys:
        raise ValueError(f"API 密钥文件 {path} 中没有密钥（每行一个密钥）")
    return keys
