"""``python -m cyiter bench``: cyiter against its pure twin and the references.

The one implementation of the benchmark: the ``cyiter bench`` command and
the scripts in ``benchmarks/`` both call :func:`main`.  Data is generated in
a temporary directory that is removed at the end, on errors and on Ctrl-C.
"""

import argparse
import json
import os
import pathlib
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence

from cyiter._bench import baseline, cases, machine, memory, plot, progress, report, targets
from cyiter._bench.timing import CYTHON, PYTHON, measure


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--quick",
        dest="mode",
        action="store_const",
        const="quick",
        help="small data, well under a minute (the default)",
    )
    parser.add_argument(
        "--full",
        dest="mode",
        action="store_const",
        const="full",
        help="the sizes the published targets are set for (files of 256 MiB and more); minutes",
    )
    parser.set_defaults(mode="quick")
    parser.add_argument(
        "--only",
        action="append",
        choices=cases.ITERATORS,
        metavar="NAME",
        help="run only this iterator (repeatable): " + ", ".join(cases.ITERATORS),
    )
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    parser.add_argument(
        "--plot", metavar="PATH", help="write a PNG chart of the speedups (needs matplotlib)"
    )
    parser.add_argument(
        "--markdown", metavar="PATH", help="write the results as Markdown (benchmarks/RESULTS.md)"
    )
    # Testing knobs: shrink every size by a factor, set the number of rounds.
    parser.add_argument("--scale", type=float, default=1.0, help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, help=argparse.SUPPRESS)


def run(args: argparse.Namespace, command: str) -> int:
    """Run the benchmark *args* describe; *command* is how it was invoked.

    Returns the exit status: 130 after Ctrl-C (the data is removed by then).
    """
    try:
        return _run(args, command)
    except KeyboardInterrupt:
        print("\ncyiter bench: interrupted; temporary data removed", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace, command: str) -> int:
    if args.plot and not plot.available():
        print(
            "cyiter bench: --plot needs matplotlib: pip install 'cyiter[bench]'",
            file=sys.stderr,
        )
        return 2
    for path in (args.json, args.plot, args.markdown):
        if path and not os.path.isdir(os.path.dirname(path) or "."):
            print(f"cyiter bench: no directory for {path}", file=sys.stderr)
            return 2
    if args.scale <= 0 or (args.rounds is not None and args.rounds < 1):
        print("cyiter bench: --scale must be > 0 and --rounds >= 1", file=sys.stderr)
        return 2
    selected: list[str] = [name for name in cases.ITERATORS if not args.only or name in args.only]
    profile = cases.profile(args.mode, args.scale, args.rounds)
    twins = cases.load_twins()
    machine_info = machine.describe()  # the load average before the run adds its own
    console = progress.rich_console()
    with tempfile.TemporaryDirectory(prefix="cyiter-bench-") as directory:
        ctx = cases.Context(profile, directory, twins)
        pending = [p for name in selected for p in cases.CASES[name](ctx)]
        readers = [name for name in selected if name in cases.READERS]
        memory_sizes = {CYTHON: profile.memory_bytes, PYTHON: profile.memory_bytes_python}
        memory_runs = memory.plan(readers, twins, memory_sizes)
        runs = sum(len(r.sizes) for r in memory_runs)
        case_docs, case_results = [], {}
        with progress.make(len(pending) + runs, console) as bar:
            for p in pending:
                bar.begin(f"{p.iterator}: {p.workload}")
                start = time.perf_counter()
                case = p.build()
                measured = measure(case, profile)
                case_results[case.key] = measured
                case_docs.append(report.case_doc(case, measured, time.perf_counter() - start))
                bar.advance()
            if runs:
                bar.begin("peak memory of the readers")
            memory.measure(memory_runs, directory, bar.advance)
    recorded = baseline.find(profile.name, machine_info, args.scale)
    doc = report.document(
        profile,
        args.scale,
        machine_info,
        selected,
        case_docs,
        [report.memory_doc(r) for r in memory_runs],
        targets.evaluate(case_results, memory_runs, selected, recorded),
        recorded.about,
    )
    if console is not None:
        lines = "\n".join(report.header_lines(doc))
        console.print(lines, markup=False, highlight=False)
        for table in report.tables(doc):
            console.print(table.rich())
        lines = "\n".join([*report.skipped_lines(doc), report.totals_line(doc)])
        console.print(lines, markup=False, highlight=False)
    else:
        sys.stdout.write(report.text(doc))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
    if args.markdown:
        chart = _relative(args.plot, os.path.dirname(os.path.abspath(args.markdown)))
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(report.markdown(doc, command, chart))
    if args.plot:
        plot.write(doc, args.plot)
    for path in filter(None, (args.json, args.markdown, args.plot)):
        print(f"cyiter bench: wrote {path}", file=sys.stderr)
    return 0


def _relative(path: str | None, start: str) -> str | None:
    """*path* relative to *start* in ``/`` form (for a Markdown link), or None."""
    if not path:
        return None
    try:
        path = os.path.relpath(os.path.abspath(path), start)
    except ValueError:  # Windows: another drive
        path = os.path.abspath(path)
    return pathlib.Path(path).as_posix()


def main(argv: Sequence[str] | None = None, command: str | None = None) -> int:
    """Run ``cyiter bench`` with *argv* (default: the command line's).

    *command* is how the run is described in the Markdown report (default:
    the equivalent ``python -m cyiter bench`` command line).
    """
    parser = argparse.ArgumentParser(
        prog="cyiter bench",
        description="Benchmark cyiter against its pure-Python twin and the installed references.",
    )
    add_arguments(parser)
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    return run(args, command or shlex.join(["python", "-m", "cyiter", "bench", *argv]))
