"""Atomic file writes: a temporary file next to the target, then :func:`os.replace`.

Used by the report writers (:mod:`junheng.outputs`) and the CLI; neither owns it,
so it lives in this neutral module (``junheng.cli._common`` re-exports it).

A reader of ``target`` sees either the old file or the complete new one, never a
half-written file; when rendering or writing raises, the temporary file is
removed and ``target`` is left untouched. The new file gets normal permissions
(``0o666`` minus the process umask), not the ``0o600`` of :func:`tempfile.mkstemp`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_with"]


def _umask() -> int:
    # os.umask can only be read by setting it; restore at once.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; on success move it onto ``target``.

    The temporary file is created empty (exclusively, ``0o666 & ~umask``) in the
    same directory so :func:`os.replace` is atomic; on any exception it is removed
    and ``target`` is left untouched. Code writing to the yielded path may
    replace the file (openpyxl does); the mode is re-applied before the move.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = 0o666 & ~_umask()
    while True:
        tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        except FileExistsError:  # pragma: no cover - 32 random bits
            continue
        os.close(fd)
        break
    try:
        yield tmp
        with contextlib.suppress(OSError):
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_bytes(target: str | Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically (temp file + os.replace)."""
    with atomic_path(target) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())


def atomic_write_with(target: str | Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp_path)`` and move the result onto ``target`` only if it returns."""
    with atomic_path(target) as tmp:
        write(tmp)
