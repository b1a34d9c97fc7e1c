"""A step progress bar for long CLI runs (rich, on stderr — never on stdout).

Evaluation itself is vectorised (no per-school loop to count), so progress is
reported per pipeline step: read and validate the inputs, evaluate, write each
report. The bar appears only when stderr is a terminal (so piped JSON, logs and
tests stay clean); ``JUNHENG_PROGRESS=0`` turns it off there too. It is
transient: once done it disappears and the summary follows.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


class Steps:
    """``advance(label)``: the previous step is done, ``label`` starts."""

    def __init__(self, progress: Progress | None, total: int):
        self._progress = progress
        self._task = progress.add_task("准备", total=total) if progress else None
        self._started = False

    def advance(self, label: str) -> None:
        if self._progress is None:
            return
        if self._started:
            self._progress.advance(self._task)
        self._started = True
        self._progress.update(self._task, description=label)

    def done(self) -> None:
        if self._progress is not None and self._started:
            self._progress.advance(self._task)
            self._started = False


def enabled(console: Console) -> bool:
    if os.environ.get("JUNHENG_PROGRESS", "").lower() in ("0", "false", "no"):
        return False
    return console.is_terminal


@contextlib.contextmanager
def steps(console: Console, total: int) -> Iterator[Steps]:
    """A transient step progress bar on ``console`` (stderr), or a no-op when not wanted."""
    if not enabled(console):
        yield Steps(None, total)
        return
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    with progress:
        s = Steps(progress, total)
        try:
            yield s
        finally:
            s.done()
