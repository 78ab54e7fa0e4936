"""The progress bar of a pipeline: input bytes read, rate and time left, on stderr.

Drawn with rich when it is installed (imported only when a bar is shown),
else as one plain line rewritten in place.  A thread polls how many bytes
are done, so the job itself only stores a number at each batch.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from typing import Any, Callable, Iterator

#: Seconds between two redraws.
REFRESH_SECONDS = 0.2


def wanted(progress: bool | None) -> bool:
    """Whether to show a bar: *progress*, or None for "when stderr is a terminal"."""
    if progress is not None:
        return progress
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


@contextlib.contextmanager
def shown(progress: bool | None, total: int | None, poll: Callable[[], int], label: str = "cyiter") -> Iterator[None]:
    """Show a bar of ``poll()`` bytes out of *total* (None: unknown) while
    the block runs, if *progress* says so (see :func:`wanted`)."""
    if not wanted(progress):
        yield
        return
    bar = _rich(total, poll(), label, forced=progress is True) or _Plain(total, poll(), label)
    stop = threading.Event()

    def redraw() -> None:
        while not stop.wait(REFRESH_SECONDS):
            bar.draw(poll())

    thread = threading.Thread(target=redraw, name="cyiter-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        bar.close(poll())


class _Rich:
    def __init__(self, progress: Any, task: Any) -> None:
        self.progress = progress
        self.task = task

    def draw(self, done: int) -> None:
        self.progress.update(self.task, completed=done)
        self.progress.refresh()

    def close(self, done: int) -> None:
        self.draw(done)
        self.progress.stop()


def _rich(total: int | None, done: int, label: str, forced: bool) -> _Rich | None:
    try:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )
    except ImportError:
        return None
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(file=sys.stderr, force_terminal=True if forced else None),
        auto_refresh=False,  # (redrawn by our thread)
        redirect_stdout=False,
        redirect_stderr=False,
    )
    task = progress.add_task(label, total=total, completed=done)
    progress.start()
    return _Rich(progress, task)


class _Plain:
    """The bar without rich: one line, rewritten every second."""

    def __init__(self, total: int | None, done: int, label: str) -> None:
        self.total = total
        self.first = done
        self.label = label
        self.began = time.monotonic()
        self.drawn = 0.0

    def draw(self, done: int, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.drawn < 1.0:
            return
        self.drawn = now
        rate = (done - self.first) / max(now - self.began, 1e-9)
        text = f"{self.label}: {done / 1e6:,.1f}"
        if self.total:
            text += f" of {self.total / 1e6:,.1f} MB ({100 * done / self.total:.0f}%)"
            if rate > 0 and not final:
                left = int((self.total - done) / rate)
                text += f", {rate / 1e6:,.1f} MB/s, {left // 60}:{left % 60:02d} left"
        else:
            text += f" MB, {rate / 1e6:,.1f} MB/s"
        sys.stderr.write(f"\r{text}\x1b[K" + ("\n" if final else ""))
        sys.stderr.flush()

    def close(self, done: int) -> None:
        self.draw(done, final=True)
