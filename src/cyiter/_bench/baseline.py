"""The pure-Python twin's recorded speed, which its targets compare a run with.

The pure twin has no reference it could catch up with (its references are
C, or generators, and a class with ``__next__`` and a guard pays a Python
call per item that a generator does not), so its target is not to get
slower.  A time recorded in nanoseconds would compare machines, not code:
what is recorded instead, for each row of the benchmark, is the pure twin's
speedup over the row's first reference that ran, both measured in the same
run.  Another machine, or a busier one, moves both alike; a change to the
twin moves the ratio.

Only if both are timed by the CPU time of the thread, though.  With more
runnable processes than cores, a run of 20 ms (pure ``count`` over 100,000
items) is always preempted while one of 2 ms (``itertools.count``) often
is not, so the wall clock ratio of their minimums halved (0.046 against
0.093 recorded on a quiet machine) while the CPU time ratio stayed at 0.088.

The ratio still depends on the interpreter (each CPython release speeds up
Python code and C code differently) and on the sizes, so an entry holds for
one interpreter and one mode (quick or full); a run with no entry for its
own reports the targets as skipped.

``benchmarks/record_baseline.py`` makes an entry from one run or several
(the median of their ratios) and writes ``baseline.json`` beside this module.
"""

import json
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from cyiter._bench.cases import IN_WORKERS
from cyiter._bench.timing import PYTHON, REFERENCE

SCHEMA = "cyiter-pure-baseline/1"
FILE = "baseline.json"

#: The share of its recorded speed the pure twin must keep on every row.
KEEP = 0.9


@dataclass(frozen=True)
class Recorded:
    """A row's reference and the pure twin's speedup over it (median of the runs)."""

    reference: str
    speedup: float


@dataclass(frozen=True)
class Baseline:
    """The rows recorded for a run's interpreter and mode (none: *about* says why)."""

    rows: Mapping[str, Recorded] = field(default_factory=dict)
    about: str = ""


def interpreter(machine: Mapping[str, Any]) -> str:
    """``CPython 3.11``, ``CPython 3.14 free-threaded``: what an entry holds for."""
    major_minor = ".".join(machine["python"].split(".")[:2])
    name = f"{machine['python_implementation']} {major_minor}"
    return name if machine["gil_enabled"] else f"{name} free-threaded"


def load(text: str | None = None) -> dict[str, Any]:
    """The baseline file (*text*, or the one shipped with the package)."""
    if text is None:
        text = resources.files("cyiter._bench").joinpath(FILE).read_text(encoding="utf-8")
    doc: dict[str, Any] = json.loads(text)
    if doc.get("schema") != SCHEMA:
        raise ValueError(f"{FILE}: schema {doc.get('schema')!r}, expected {SCHEMA!r}")
    return doc


def find(
    mode: str, machine: Mapping[str, Any], scale: float = 1.0, doc: Mapping[str, Any] | None = None
) -> Baseline:
    """The entry for *mode* on *machine*'s interpreter, or an empty one saying why."""
    if scale != 1:
        return Baseline(about=f"none for sizes scaled by {scale:g} (recorded at the {mode} sizes)")
    doc = load() if doc is None else doc
    wanted = interpreter(machine)
    for entry in doc["entries"]:
        if entry["mode"] == mode and entry["interpreter"] == wanted:
            rows = {k: Recorded(r["reference"], r["speedup"]) for k, r in entry["rows"].items()}
            m = entry["machine"]
            about = (
                f"{wanted}, {mode} mode: recorded {entry['recorded'][:10]} at commit "
                f"{entry['commit']} on {m['cpu']} (median of {entry['runs']} runs)"
            )
            return Baseline(rows, about)
    have = ", ".join(f"{e['interpreter']} {e['mode']}" for e in doc["entries"]) or "none"
    return Baseline(about=f"no recorded speed for {wanted}, {mode} mode (recorded: {have})")


def speedups(doc: Mapping[str, Any]) -> dict[str, tuple[str, float]]:
    """``{case key: (reference, speedup)}`` of the pure twin in one run's document."""
    out = {}
    for case in doc["cases"]:
        if case["key"].split("/")[0] in IN_WORKERS:
            continue
        ok = [c for c in case["candidates"] if c["status"] == "ok"]
        pure = next((c for c in ok if c["role"] == PYTHON), None)
        reference = next((c for c in ok if c["role"] == REFERENCE), None)
        if pure and reference and pure["cpu_min_ns"] > 0 and reference["cpu_min_ns"] > 0:
            out[case["key"]] = (reference["label"], reference["cpu_min_ns"] / pure["cpu_min_ns"])
    return out


def entry(docs: Iterable[Mapping[str, Any]], commit: str) -> dict[str, Any]:
    """An entry of the baseline file from runs (JSON documents) of one mode and interpreter."""
    docs = list(docs)
    kinds = {(d["mode"], interpreter(d["machine"]), d["scale"]) for d in docs}
    if len(kinds) != 1:
        raise ValueError(f"the runs differ in mode, interpreter or scale: {sorted(kinds)}")
    ((mode, name, scale),) = kinds
    if scale != 1:
        raise ValueError("a baseline is recorded at the sizes of a mode (scale 1)")
    per_run = [speedups(d) for d in docs]
    rows = {}
    for key in per_run[0]:
        labels = {run[key][0] for run in per_run if key in run}
        values = [run[key][1] for run in per_run if key in run]
        if len(labels) != 1 or len(values) != len(per_run):
            raise ValueError(f"{key}: not measured against the same reference in every run")
        rows[key] = {
            "reference": labels.pop(),
            "speedup": round(statistics.median(values), 4),
            "per_run": [round(v, 4) for v in values],
        }
    machine = docs[0]["machine"]
    return {
        "mode": mode,
        "interpreter": name,
        "recorded": docs[-1]["created"],
        "commit": commit,
        "runs": len(docs),
        "machine": {
            "cpu": machine["cpu"],
            "usable_cores": machine["usable_cores"],
            "platform": machine["platform"],
            "python": machine["python"],
            "load_average": [d["machine"]["load_average"] for d in docs],
            "packages": machine["packages"],
        },
        "rows": rows,
    }


def merged(doc: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """*doc* with *new* in place of its entry for the same mode and interpreter."""
    same = (new["mode"], new["interpreter"])
    entries = [e for e in doc["entries"] if (e["mode"], e["interpreter"]) != same]
    entries.append(dict(new))
    entries.sort(key=lambda e: (e["interpreter"], e["mode"]))
    return {**doc, "entries": entries}
