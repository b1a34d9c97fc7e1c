"""Atomic file writes: a temporary file next to the target, then :func:`os.replace`.

Used by the report writers (:mod:`junheng.outputs`) and the CLI; neither owns it,
so it lives in this neutral module (``junheng.cli._common`` re-exports it).

A reader of ``target`` sees either the old file or the complete new one, never a
half-written file; when rendering or writing raises — or the process is
interrupted (Ctrl-C, SIGTERM, SIGHUP: the CLI turns them into exceptions) — the
temporary file is removed and ``target`` is left untouched. The new file gets
normal permissions (``0o666`` minus the process umask), not the ``0o600`` of
:func:`tempfile.mkstemp`.

A target that exists and is not a regular file — a device such as ``/dev/null``
or ``/dev/full``, a pipe — is written in place: renaming a temporary file over it
would replace the device (as root, in a container or CI, it would). A directory is
refused. Temporary files left by a killed run (SIGKILL: no cleanup possible) are
removed by the next write into the same folder once they are
:data:`STALE_SECONDS` old.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["STALE_SECONDS", "atomic_path", "atomic_write_bytes", "atomic_write_with", "fsync"]

#: a temporary file of ours not touched for this long belongs to a run that was killed
STALE_SECONDS = 600
#: the longest file name most file systems take (bytes)
_NAME_MAX = 255
_OURS = re.compile(r"^\.(?:.+\.|junheng-)[0-9a-f]{8}\.tmp$")


def _umask() -> int:
    # os.umask can only be read by setting it; restore at once.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _temporary_name(target: Path) -> str:
    """``.<name>.<8 hex>.tmp``, or ``.junheng-<8 hex>.tmp`` where that would be too long."""
    token = secrets.token_hex(4)
    name = f".{target.name}.{token}.tmp"
    if len(os.fsencode(name)) > _NAME_MAX:
        name = f".junheng-{token}.tmp"
    return name


def _remove_stale(folder: Path, target: Path) -> None:
    """Remove temporary files of ours in ``folder`` older than :data:`STALE_SECONDS`."""
    cutoff = time.time() - STALE_SECONDS
    prefix = f".{target.name}."
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            name = entry.name
            if not (name.startswith(prefix) or name.startswith(".junheng-")) or not _OURS.match(
                name
            ):
                continue
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; on success move it onto ``target``.

    The temporary file is created empty (exclusively, ``0o666 & ~umask``) in the
    same directory so :func:`os.replace` is atomic; on any exception it is removed
    and ``target`` is left untouched. Code writing to the yielded path may
    replace the file (openpyxl does); the mode is re-applied before the move.
    An existing target that is not a regular file (a device, a pipe) is yielded
    itself and written in place; a directory raises :class:`IsADirectoryError`.
    """
    target = Path(target)
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(target))
    if target.exists() and not target.is_file():
        yield target  # /dev/null, /dev/full, a FIFO: never renamed over
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(target.parent, target)
    mode = 0o666 & ~_umask()
    while True:
        tmp = target.parent / _temporary_name(target)
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


def fsync(fh) -> None:
    """Flush ``fh`` to the disk; a device or pipe that cannot be synced is not an error."""
    fh.flush()
    try:
        os.fsync(fh.fileno())
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP):
            raise


def atomic_write_bytes(target: str | Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically (temp file + os.replace)."""
    with atomic_path(target) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fsync(fh)


def atomic_write_with(target: str | Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp_path)`` and move the result onto ``target`` only if it returns."""
    with atomic_path(target) as tmp:
        write(tmp)
