"""Turn a run into a JSON-able document, then into text or Markdown tables."""

import datetime
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

from cyiter._bench.cases import ITERATORS, Profile
from cyiter._bench.data import size_label
from cyiter._bench.memory import MemoryResult
from cyiter._bench.timing import CYTHON, PYTHON, REFERENCE, Case, Measured

if TYPE_CHECKING:
    from rich.table import Table as RichTable

#: A JSON document (or a part of one), as ``--json`` writes it.
Doc = dict[str, Any]

SCHEMA = "cyiter-bench/2"

METHOD = (
    "Each case runs every candidate over the same data, consumed by "
    "collections.deque(it, maxlen=0) for all. Warm-up: one run that counts the "
    "items (a wrong count is reported as an error, not timed). Then "
    "rounds: each round gives every candidate one turn, the order rotated by "
    "one each round; a turn is back-to-back runs for at least min_sample_s "
    "(one run at least), each timed on its own, with the garbage collector "
    "off. A candidate whose run takes longer than slow_s seconds "
    "joins only the first 3 rounds; one whose counting run exceeds budget_s "
    "is timed by that run alone. Reported: min and median over all runs, "
    "per item (or line, row, chunk); speedup = min time of the fastest installed reference "
    "/ min time of the candidate. Each run's CPU time of the thread is recorded too "
    "(cpu_min_ns); the pure twin's targets compare those. Readers read files in page cache (the "
    "warm-up reads them first). Peak RSS: a child process per reader, twin "
    "and file size reads the whole file (VmHWM on Linux, else ru_maxrss)."
)


def _candidate_doc(
    case: Case, m: Measured, fastest_ref: Measured | None, pure: Measured | None
) -> Doc:
    doc: Doc = {"label": m.label, "role": m.role, "status": m.status}
    if not m.ok:
        doc["reason"] = m.reason
        return doc
    doc.update(
        rounds=m.rounds,
        runs=len(m.samples_ns),
        single_run=m.single,
        min_ns=round(m.min_ns, 1),
        median_ns=round(m.median_ns, 1),
        cpu_min_ns=round(m.cpu_min_ns, 1),
        ns_per_unit_min=m.min_ns / case.units,
        ns_per_unit_median=m.median_ns / case.units,
        units_per_s=case.units / m.min_ns * 1e9,
    )
    if case.nbytes:
        doc["mb_per_s"] = case.nbytes / m.min_ns * 1e3
    if fastest_ref is not None:
        doc["speedup_vs_fastest_reference"] = fastest_ref.min_ns / m.min_ns
    if pure is not None and m.role == CYTHON:
        doc["speedup_vs_pure_python"] = pure.min_ns / m.min_ns
    return doc


def case_doc(case: Case, measured: Sequence[Measured], elapsed_s: float) -> Doc:
    refs = [m for m in measured if m.role == REFERENCE and m.ok]
    fastest_ref = min(refs, key=lambda m: m.min_ns) if refs else None
    pure = next((m for m in measured if m.role == PYTHON and m.ok), None)
    return {
        "iterator": case.iterator,
        "key": case.key,
        "workload": case.workload,
        "unit": case.unit,
        "units": case.units,
        "items": case.items,
        "nbytes": case.nbytes,
        "elapsed_s": round(elapsed_s, 3),
        "fastest_reference": fastest_ref.label if fastest_ref else None,
        "candidates": [_candidate_doc(case, m, fastest_ref, pure) for m in measured],
    }


def memory_doc(result: MemoryResult) -> Doc:
    doc: Doc = {
        "label": result.label,
        "reader": result.reader,
        "twin": result.twin,
        "status": result.status,
        "file_bytes": result.sizes,
    }
    if result.status == "ok":
        doc.update(
            baseline_bytes=list(result.baseline_bytes),
            peak_bytes=list(result.peak_bytes),
            growth_bytes=result.growth_bytes,
        )
    else:
        doc["reason"] = result.reason
    return doc


def iterators_doc(selected: Collection[str], cases: Sequence[Doc]) -> Doc:
    """Each selected iterator: measured (some cyiter twin ran) or skipped, and why."""
    out: Doc = {}
    for name in ITERATORS:
        if name not in selected:
            continue
        mine = [c for c in cases if c["iterator"] == name]
        twins = [d for c in mine for d in c["candidates"] if d["role"] != REFERENCE]
        if any(d["status"] == "ok" for d in twins):
            status, reason = "measured", ""
        else:
            status = "skipped"
            reason = "; ".join(dict.fromkeys(d.get("reason", "") for d in twins)) or "no case"
        out[name] = {"status": status, "reason": reason, "cases": [c["key"] for c in mine]}
    return out


def document(
    profile: Profile,
    scale: float,
    machine: Doc,
    selected: Collection[str],
    cases: list[Doc],
    memory: list[Doc],
    targets: list[Doc],
    recorded: str,
) -> Doc:
    counts = {s: sum(t["status"] == s for t in targets) for s in ("pass", "fail", "skipped")}
    return {
        "schema": SCHEMA,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "mode": profile.name,
        "scale": scale,
        "rounds": profile.rounds,
        "min_sample_s": profile.min_sample_s,
        "slow_s": profile.slow_s,
        "budget_s": profile.budget_s,
        "sizes": {
            "items": profile.items,
            "fibonacci_loops": profile.fib_loops,
            "collapse_leaves": profile.leaves,
            "file_bytes": profile.file_bytes,
            "csv_bytes": profile.csv_bytes,
            "memory_file_bytes": list(profile.memory_bytes),
            "memory_file_bytes_python": list(profile.memory_bytes_python),
        },
        "method": METHOD,
        "machine": machine,
        "iterators": iterators_doc(selected, cases),
        "cases": cases,
        "memory": memory,
        "targets": targets,
        "pure_twin_record": recorded,
        "summary": counts,
    }


# -- tables ------------------------------------------------------------------


class Table:
    """Rows of strings with a title; rendered as text, Markdown or rich."""

    def __init__(
        self, title: str, headers: list[str], rows: list[list[str]], right: Collection[int] = ()
    ) -> None:
        self.title = title
        self.headers = headers
        self.rows = rows
        self.right = set(right)

    def text(self) -> str:
        widths = [
            max(len(h), *(len(r[i]) for r in self.rows)) if self.rows else len(h)
            for i, h in enumerate(self.headers)
        ]

        def line(cells: Sequence[str]) -> str:
            parts = [
                c.rjust(w) if i in self.right else c.ljust(w)
                for i, (c, w) in enumerate(zip(cells, widths))
            ]
            return "  " + "  ".join(parts).rstrip()

        out = [self.title, line(self.headers), "  " + "  ".join("-" * w for w in widths)]
        out += [line(r) for r in self.rows]
        return "\n".join(out)

    def markdown(self) -> str:
        def esc(cell: str) -> str:
            return cell.replace("|", "\\|")

        aligns = ["---:" if i in self.right else "---" for i in range(len(self.headers))]
        out = [f"### {self.title}", "", "| " + " | ".join(map(esc, self.headers)) + " |"]
        out.append("| " + " | ".join(aligns) + " |")
        out += ["| " + " | ".join(map(esc, r)) + " |" for r in self.rows]
        return "\n".join(out)

    def rich(self) -> "RichTable":
        from rich.table import Table as RichTable
        from rich.text import Text  # cells are text, never rich markup

        table = RichTable(title=Text(self.title), title_justify="left")
        for i, header in enumerate(self.headers):
            table.add_column(Text(header), justify="right" if i in self.right else "left")
        for row in self.rows:
            table.add_row(*map(Text, row))
        return table


def _ns(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _x(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}x"


def _rate(value: float) -> str:
    return f"{value:,.0f}"


def case_table(case: Doc) -> Table:
    unit = case["unit"]
    reader = case["nbytes"] is not None
    headers = ["candidate", f"min ns/{unit}", f"median ns/{unit}"]
    if reader:
        headers += ["MB/s", f"{unit}s/s"]
    headers += ["vs fastest ref", "note"]
    rows = []
    for c in case["candidates"]:
        if c["status"] != "ok":
            blanks = ["", ""] + (["", ""] if reader else []) + [""]
            rows.append([c["label"], *blanks, f"{c['status']}: {c['reason']}"])
            continue
        row = [c["label"], _ns(c["ns_per_unit_min"]), _ns(c["ns_per_unit_median"])]
        if reader:
            row += [f"{c['mb_per_s']:,.0f}", _rate(c["units_per_s"])]
        notes = []
        if "speedup_vs_pure_python" in c:
            notes.append(f"{c['speedup_vs_pure_python']:.1f}x the pure twin")
        if c["single_run"]:
            notes.append("one run (over the time budget)")
        note = "; ".join(notes)
        row += [_x(c.get("speedup_vs_fastest_reference")), note]
        rows.append(row)
    right = range(1, len(headers) - 1)
    return Table(f"{case['iterator']}: {case['workload']}", headers, rows, right)


def summary_table(doc: Doc) -> Table:
    rows = []
    for case in doc["cases"]:
        by_role: dict[str, Doc] = {}
        for c in case["candidates"]:
            by_role.setdefault(c["role"], c)
        cy = by_role.get(CYTHON, {})
        py = by_role.get(PYTHON, {})
        best = cy if cy.get("status") == "ok" else py
        if best.get("status") != "ok":
            continue
        twin = "Cython" if best is cy else "pure Python"
        rate = f" ({best['mb_per_s']:,.0f} MB/s)" if "mb_per_s" in best else ""
        rows.append(
            [
                case["iterator"],
                case["workload"],
                f"{_ns(best['ns_per_unit_min'])} ns/{case['unit']}{rate}",
                twin,
                _x(best.get("speedup_vs_pure_python")),
                _x(best.get("speedup_vs_fastest_reference")),
                case["fastest_reference"] or "none installed",
            ]
        )
    headers = [
        "iterator",
        "workload",
        "cyiter (min)",
        "twin",
        "vs pure twin",
        "vs fastest ref",
        "fastest reference",
    ]
    return Table("Summary", headers, rows, right=(2, 4, 5))


def targets_table(doc: Doc) -> Table:
    rows = []
    for t in doc["targets"]:
        speed = t["unit"] == "x"
        needed = f">= {t['needed']:.2f}x" if speed else f"<= {t['needed']:.0f} MB"
        measured = "" if t["measured"] is None else f"{t['measured']:.2f}"
        if measured:
            measured += "x" if speed else " MB"
        result = t["status"].upper()
        rows.append([t["target"], measured, needed, result, t["detail"]])
    return Table(
        "Targets (speedup = reference time / cyiter time, min of the rounds;"
        " for the pure twin, over its recorded speedup)",
        ["target", "measured", "needed", "result", "case / why"],
        rows,
        right=(1, 2),
    )


def memory_table(doc: Doc) -> Table:
    rows = []
    for m in doc["memory"]:
        if m["status"] != "ok":
            rows.append([m["label"], m["twin"], "", "", "", "", f"{m['status']}: {m['reason']}"])
            continue
        files = " / ".join(map(size_label, m["file_bytes"]))
        peaks = [f"{p / 2**20:.1f}" for p in m["peak_bytes"]]
        rows.append([m["label"], m["twin"], files, *peaks, f"{m['growth_bytes'] / 1e6:+.2f}", ""])
    return Table(
        "Peak RSS of the readers (a child process per reader, twin and file)",
        ["reader", "twin", "files", "peak MiB, small", "peak MiB, large", "growth MB", "note"],
        rows,
        right=(2, 3, 4, 5),
    )


def header_lines(doc: Doc) -> list[str]:
    m = doc["machine"]
    packages = ", ".join(
        f"{name} {version}" if version else f"{name} (not installed)"
        for name, version in m["packages"].items()
        if name != "cyiter"
    )
    load = m["load_average"]
    lines = [
        f"cyiter bench: {doc['mode']} mode, {doc['rounds']} rounds, {doc['created']}",
        f"Machine: {m['cpu']}; {m['usable_cores']} usable cores of {m['logical_cpus']}"
        + (f"; load average {load[0]:.2f}" if load else ""),
        f"Python {m['python']} ({m['python_implementation']}, {m['python_build']}), "
        f"{m['platform']}, GIL {'enabled' if m['gil_enabled'] else 'disabled'}",
        f"cyiter {m['cyiter_version']} (active twin: {m['cyiter_implementation']}); {packages}",
    ]
    lines.append(f"Pure twin's recorded speed: {doc['pure_twin_record']}")
    if doc["mode"] != "full" or doc["scale"] != 1:
        lines.append(
            "Note: sizes are smaller than those the published targets are set for "
            "(files of 256 MiB, 10^6 leaves, 64/512 MiB for memory); the verdicts "
            "are indicative, `--full` gives the ones that count."
        )
    return lines


def tables(doc: Doc) -> list[Table]:
    """Every table of the report, in reading order."""
    out = [summary_table(doc)]
    if doc["targets"]:
        out.append(targets_table(doc))
    if doc["memory"]:
        out.append(memory_table(doc))
    out += [case_table(case) for case in doc["cases"]]
    return out


def skipped_lines(doc: Doc) -> list[str]:
    return [
        f"skipped: {name}: {info['reason']}"
        for name, info in doc["iterators"].items()
        if info["status"] == "skipped"
    ]


def totals_line(doc: Doc) -> str:
    s = doc["summary"]
    return f"targets: {s['pass']} pass, {s['fail']} fail, {s['skipped']} skipped"


def text(doc: Doc) -> str:
    parts = ["\n".join(header_lines(doc))]
    parts += [t.text() for t in tables(doc)]
    skipped = skipped_lines(doc)
    if skipped:
        parts.append("\n".join(skipped))
    parts.append(totals_line(doc))
    return "\n\n".join(parts) + "\n"


def markdown(doc: Doc, command: str, chart: str | None = None) -> str:
    """The report as Markdown; *chart* is the PNG's path relative to it, if any."""
    m = doc["machine"]
    parts = [
        "# cyiter benchmark results",
        f"Produced by `{command}` on {doc['created']}.",
        "\n".join(f"- {line}" for line in header_lines(doc)),
        f"Method: {doc['method']}",
    ]
    if chart:
        parts.append(f"![Speedup of each twin over the fastest installed reference]({chart})")
    parts += [t.markdown() for t in tables(doc)]
    skipped = skipped_lines(doc)
    if skipped:
        parts.append("\n".join(f"- {line}" for line in skipped))
    s = doc["summary"]
    parts.append(
        f"Targets: {s['pass']} pass, {s['fail']} fail, {s['skipped']} skipped "
        f"(on {m['cpu']}, Python {m['python']})."
    )
    return "\n\n".join(parts) + "\n"
