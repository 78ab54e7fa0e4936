"""Progress while the benchmark runs: a rich bar on a terminal, else plain lines.

Plain lines go to stderr, so that stdout carries only the results.
"""

import sys


class PlainProgress:
    def __init__(self, total, stream=None):
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def begin(self, description):
        print(f"[{self.done + 1}/{self.total}] {description}", file=self.stream, flush=True)

    def advance(self):
        self.done += 1


class RichProgress:
    def __init__(self, total, console):
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

    def __enter__(self):
        self.progress.start()
        return self

    def __exit__(self, *exc):
        self.progress.stop()
        return False

    def begin(self, description):
        self.progress.update(self.task, description=description)

    def advance(self):
        self.progress.advance(self.task)


def rich_console():
    """A rich Console when stdout is a terminal and rich is installed, else None."""
    if not sys.stdout.isatty():
        return None
    try:
        from rich.console import Console
    except ImportError:
        return None
    return Console()


def make(total, console):
    return RichProgress(total, console) if console is not None else PlainProgress(total)
