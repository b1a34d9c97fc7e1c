"""Running the service: uvicorn with the settings of ``junheng serve``.

Every worker process imports the application by name
(:func:`junheng.serve.app.app_from_environment`) and builds its own engine;
``--workers 1`` runs the same factory in this process. uvicorn stops on SIGTERM
or Ctrl-C the graceful way: it stops accepting connections, lets the requests under
way finish (no graceful-shutdown timeout), then the application's shutdown waits for
its evaluation pool.
"""

from __future__ import annotations

import os
import signal
import socket

from .config import ENV_VAR, ServeConfig

__all__ = ["port_free", "serve"]


def port_free(host: str, port: int) -> str | None:
    """None when ``host:port`` can be bound; else why not (a Chinese sentence)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as exc:
        return f"无法监听 {host}:{port}：{exc.strerror or exc}（端口已被占用或地址不属于本机？）"
    return None


def serve(config: ServeConfig) -> None:
    """Run the server until SIGTERM / Ctrl-C (blocks)."""
    import uvicorn

    os.environ[ENV_VAR] = config.to_json()
    # uvicorn re-raises the signal it stopped on once it has shut down; SIGTERM is the
    # ordinary way to stop a service, so after a graceful stop it ends here (exit 0)
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    uvicorn.run(
        "junheng.serve.app:app_from_environment",
        factory=True,
        host=config.host,
        port=config.port,
        workers=config.workers if config.workers > 1 else None,
        log_level="info",
        server_header=False,
        timeout_graceful_shutdown=None,
        lifespan="on",
    )
