"""Peak memory of the readers, each run alone in a child process.

The child (``python -m cyiter._bench.rss KIND READER PATH OPTIONS``)
imports one twin, reads the whole file through one reader and prints its
peak resident set size (:func:`peak_rss_bytes`) before and after.  Run at two file
sizes, the peaks show whether memory stays flat as the file grows.
"""

import json
import os
import subprocess
import sys
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cyiter._bench import data
from cyiter._bench.cases import missing

#: (label, reader, file kind, keyword arguments) of each peak-memory run.
WORKLOADS: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    ("read_chunks, 64 KiB chunks", "read_chunks", "lines", {"size": 65536}),
    ("read_lines, bytes", "read_lines", "lines", {}),
    ("read_lines, str", "read_lines", "lines", {"encoding": "utf-8"}),
    ("read_csv", "read_csv", "csv", {}),
)


def peak_rss_bytes() -> int | None:
    """This process's peak RSS in bytes, or None where the OS does not say.

    On Linux, ``VmHWM`` of the process's own memory map: ``ru_maxrss`` there
    carries over the parent's peak into a child started with vfork, which
    would hide the child's own.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import resource
    except ImportError:
        return None
    peak: int = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


@dataclass
class MemoryResult:
    label: str
    reader: str
    twin: str
    sizes: list[int]
    status: str
    reason: str = ""
    baseline_bytes: tuple[int, ...] = ()
    peak_bytes: tuple[int, ...] = ()

    @property
    def growth_bytes(self) -> int:
        return self.peak_bytes[-1] - self.peak_bytes[0]


def run_child(kind: str, reader: str, path: str, options: Mapping[str, Any]) -> tuple[int, int]:
    """``(baseline, peak)`` bytes of one child run; raises RuntimeError on failure."""
    out = subprocess.run(
        [sys.executable, "-m", "cyiter._bench.rss", kind, reader, path, json.dumps(options)],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        lines = out.stderr.strip().splitlines() or [f"exit status {out.returncode}"]
        raise RuntimeError(lines[-1])
    report = json.loads(out.stdout)
    return int(report["baseline"]), int(report["peak"])


def plan(
    readers: Collection[str],
    twins: Mapping[str, tuple[Mapping[str, type], str]],
    sizes: Mapping[str, Sequence[int]],
) -> list[MemoryResult]:
    """The :class:`MemoryResult` entries to fill: one per workload and twin.

    *sizes* maps each twin kind to its two file sizes.
    """
    results = []
    for label, reader, _, _ in WORKLOADS:
        if reader not in readers:
            continue
        for kind, (classes, reason) in twins.items():
            if reader not in classes:
                status, why = "skipped", missing(reader, kind, reason)
            elif peak_rss_bytes() is None:
                status, why = "skipped", "this platform does not report peak RSS"
            else:
                status, why = "pending", ""
            result = MemoryResult(label, reader, kind, [], status, why)
            if status == "pending":
                result.sizes = list(sizes[kind])
            results.append(result)
    return results


def measure(results: Sequence[MemoryResult], directory: str, step: Callable[[], None]) -> None:
    """Fill the pending *results*, smallest file first; *step()* after each child.

    Each file is generated once for every run that needs its size, and
    removed before the next size is made.
    """
    workloads = {label: (kind, options) for label, _, kind, options in WORKLOADS}
    for size in sorted({size for result in results for size in result.sizes}):
        files: dict[str, data.DataFile] = {}
        for result in results:
            if size not in result.sizes:
                continue
            if result.status != "pending":  # failed at a smaller size
                step()
                continue
            file_kind, options = workloads[result.label]
            if file_kind not in files:
                make = data.lines_file if file_kind == "lines" else data.csv_file
                files[file_kind] = make(directory, size)
            try:
                baseline, peak = run_child(
                    result.twin, result.reader, files[file_kind].path, options
                )
            except RuntimeError as exc:
                result.status, result.reason = "error", str(exc)
            else:
                result.baseline_bytes += (baseline,)
                result.peak_bytes += (peak,)
            step()
        for f in files.values():
            os.remove(f.path)
    for result in results:
        if result.status == "pending":
            result.status = "ok"
