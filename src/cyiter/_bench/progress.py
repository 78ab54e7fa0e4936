"""Progress while the benchmark runs: a rich bar on a terminal, else plain lines.

Plain lines go to stderr, so that stdout carries only the results.
"""

import sys
from typing import TYPE_CHECKING, TextIO, Union

if TYPE_CHECKING:
    from rich.console import Console


class PlainProgress:
    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr

    def __enter__(self) -> "PlainProgress":
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def begin(self, description: str) -> None:
        print(f"[{self.done + 1}/{self.total}] {description}", file=self.stream, flush=True)

    def advance(self) -> None:
        self.done += 1


class RichProgress:
    def __init__(self, total: int, console: "Console") -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.task = self.progress.add_task("starting", total=total)

    def __enter__(self) -> "RichProgress":
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def begin(self, description: str) -> None:
        self.progress.update(self.task, description=description)

    def advance(self) -> None:
        self.progress.advance(self.task)


def rich_console() -> "Console | None":
    """A rich Console when stdout is a terminal and rich is installed, else None."""
    if not sys.stdout.isatty():
        return None
    try:
        from rich.console import Console
    except ImportError:
        return None
    return Console()


def make(total: int, console: "Console | None") -> Union[RichProgress, PlainProgress]:
    return RichProgress(total, console) if console is not None else PlainProgress(total)
