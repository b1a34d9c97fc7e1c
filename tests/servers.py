"""Real ``junheng serve`` processes on loopback ports, for the HTTP tests.

:func:`start` runs the installed ``junheng serve`` (the script next to the test
interpreter) on a free 127.0.0.1 port and waits until ``/healthz`` answers;
:meth:`Server.stop` sends SIGTERM and waits for the process to exit.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

__all__ = ["Server", "free_port", "normalise_times", "start"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _command() -> list[str]:
    script = Path(sys.executable).with_name("junheng")
    return [str(script)] if script.exists() else [sys.executable, "-m", "junheng"]


class Server:
    """A running server: its base URL and process (stdout and stderr go to ``log``)."""

    def __init__(self, proc: subprocess.Popen, url: str, log: Path) -> None:
        self.proc = proc
        self.url = url
        self.log = log

    def output(self) -> str:
        return self.log.read_text("utf-8", errors="replace")

    def stop(self, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise AssertionError(f"the server ignored SIGTERM:\n{self.output()}") from None


def start(folder: Path, *args: str, timeout: float = 30) -> Server:
    """``junheng serve --port P ARGS`` in ``folder``, answering ``/healthz``."""
    port = free_port()
    log = folder / f"server-{port}.log"
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*_command(), "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    server = Server(proc, url, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"junheng serve exited {proc.returncode}:\n{server.output()}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    server.stop()
    raise AssertionError(f"junheng serve did not answer within {timeout} s:\n{server.output()}")


_TIME = re.compile(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:[+-]\d{4}|Z)?")


def normalise_times(data: bytes) -> bytes:
    """The bytes with every evaluation timestamp (``2025-06-01T10:00:00+0800``) blanked."""
    return _TIME.sub(b"<time>", data)
