"""The speed and memory targets of issues 2, 3, 17, 19 and 20, checked against a run.

Every speed target is expressed as a *speedup*: the reference's time over
cyiter's (min over the rounds), so "at least 2.5x faster" needs 2.5 and
"within 1.1x of the reference's time" needs 1/1.1.  A target over several
cases (the pure twins) takes the worst of them.
"""

from dataclasses import dataclass

from cyiter._bench.data import size_label
from cyiter._bench.timing import CYTHON, PYTHON

#: The memory target: peak RSS at the two file sizes within 5 MB.
MEMORY_SLACK_BYTES = 5_000_000

_BATCHED = tuple(
    f"batched/{source}/n={n}" for source in ("list", "iterator") for n in (2, 10, 100, 1000)
)


@dataclass(frozen=True)
class Target:
    issue: int
    text: str
    iterator: str
    cases: tuple
    reference: str
    needed: float
    role: str = CYTHON


def _targets():
    def target(issue, text, cases, reference, needed, role=CYTHON):
        return Target(issue, text, cases[0].split("/")[0], cases, reference, needed, role)

    yield target(
        2, "count: within 1.1x of itertools.count per item",
        ("count",), "itertools.count", 1 / 1.1,
    )
    yield target(
        2, "fibonacci, first 90 terms: >= 2.5x faster than a Python generator",
        ("fibonacci/90",), "Python generator", 2.5,
    )
    for key in _BATCHED:
        source, n = key.split("/")[1:]
        yield target(
            2, f"batched, {source} input, {n}: <= 0.9x the time of cytoolz.partition_all",
            (key,), "cytoolz.partition_all", 1 / 0.9,
        )
    for n in (2, 10):
        yield target(
            2, f"batched, iterator input, n={n}: at least as fast as iteration_utilities.grouper",
            (f"batched/iterator/n={n}",), "iteration_utilities.grouper", 1.0,
        )
    for n in (100, 1000):
        yield target(
            2, f"batched, list input, n={n}: >= 1.5x faster than cytoolz.partition_all",
            (f"batched/list/n={n}",), "cytoolz.partition_all", 1.5,
        )
        yield target(
            2, f"batched, list input in cache, n={n}: >= 1.5x faster than cytoolz.partition_all",
            (f"batched/list-in-cache/n={n}",), "cytoolz.partition_all", 1.5,
        )
    for n, needed in ((2, 5.0), (1000, 1.8)):
        yield target(
            2, f"chunked, n={n}: >= {needed:g}x faster than more_itertools.chunked",
            (f"chunked/list/n={n}",), "more_itertools.chunked", needed,
        )
    for width in (5, 1000):
        yield target(
            2, f"flatten, lists of {width}: within 1.05x of chain.from_iterable",
            (f"flatten/{width}",), "itertools.chain.from_iterable", 1 / 1.05,
        )
    yield target(
        2, "collapse: >= 8x faster than more_itertools.collapse",
        ("collapse",), "more_itertools.collapse", 8.0,
    )
    yield target(
        2, "collapse: <= 0.9x the time of deepflatten(tree, ignore=str)",
        ("collapse",), "iteration_utilities.deepflatten(ignore=str)", 1 / 0.9,
    )
    for name, cases in (
        ("batched", _BATCHED),
        ("chunked", ("chunked/list/n=2", "chunked/list/n=1000")),
        ("flatten", ("flatten/5", "flatten/1000")),
        ("collapse", ("collapse",)),
    ):
        yield target(
            2, f"pure-Python {name}: no slower than 1.1x more_itertools.{name} (worst case)",
            cases, f"more_itertools.{name}", 1 / 1.1, PYTHON,
        )
    yield target(
        3, 'read_lines bytes: >= 1.8x the throughput of open(p, "rb")',
        ("read_lines/bytes",), 'open(p, "rb")', 1.8,
    )
    yield target(
        3, 'read_lines str: >= 1.8x the throughput of open(p, encoding="utf-8")',
        ("read_lines/str",), 'open(p, encoding="utf-8")', 1.8,
    )
    yield target(
        3, "read_chunks, 8 KiB: >= 1.15x iter(partial(f.read, 8192))",
        ("read_chunks/8KiB",), 'iter(partial(f.read, 8192), b"")', 1.15,
    )
    for size in ("64KiB", "1MiB"):
        yield target(
            3, f"read_chunks, {size}: >= 0.97x a raw readinto loop",
            (f"read_chunks/{size}",), "raw readinto loop", 0.97,
        )
    yield target(
        3, "read_csv: >= 3x the rows/s of csv.DictReader",
        ("read_csv",), "csv.DictReader", 3.0,
    )
    yield target(
        3, "read_csv: faster than csv.reader producing lists",
        ("read_csv",), "csv.reader (lists)", 1.0,
    )
    yield target(
        17, 'read_lines over gzip, isal installed: >= 3.5x for line in gzip.open(p, "rb")',
        ("read_lines/gzip",), 'gzip.open(p, "rb")', 3.5,
    )
    yield target(
        17, 'read_lines over gzip, standard library only: >= 1.7x gzip.open(p, "rb") lines',
        ("read_lines/gzip-zlib",), 'gzip.open(p, "rb")', 1.7,
    )
    orjson_loop = 'orjson.loads per line of open(p, "rb")'
    yield target(17, f"read_jsonl: >= 1.05x {orjson_loop}", ("read_jsonl",), orjson_loop, 1.05)
    yield target(
        17, 'read_jsonl: >= 3x json.loads per line of open(p, "rb")',
        ("read_jsonl",), 'json.loads per line of open(p, "rb")', 3.0,
    )
    yield target(
        17, f"pure-Python read_jsonl: no slower than {orjson_loop}",
        ("read_jsonl",), orjson_loop, 1.0, PYTHON,
    )
    yield target(
        17, 'write_jsonl: >= 3x a f.write(json.dumps(r) + "\\n") loop',
        ("write_jsonl",), 'f.write(json.dumps(r) + "\\n"), then fsync', 3.0,
    )
    yield target(
        19, "abatched, n=10, over an async generator: >= 2x asyncstdlib.batched",
        ("abatched/asyncgen/n=10",), "asyncstdlib.batched", 2.0,
    )
    # "at most 20 ns per item above iterating the source alone", as the
    # ratio it is at the issue's 74 ns per item of the source
    yield target(
        19, "abatched, n=10: at most 20 ns/item above the async generator alone (within 94/74 of its time)",
        ("abatched/asyncgen/n=10",), "async generator alone (no batching)", 74 / 94,
    )
    yield target(
        19, "aread_lines: >= 100x the lines/s of aiofiles line iteration",
        ("aread_lines/aiofiles",), "aiofiles line iteration", 100.0,
    )
    yield target(
        19, "aread_lines: at most 2x the time per line of read_lines in an async generator",
        ("aread_lines/bytes",), "read_lines (Cython) in an async generator", 1 / 2,
    )
    yield from _dropin_targets(target)


def _dropin_targets(target):
    """The more-itertools drop-ins: at least 3x more-itertools where it runs
    Python code per item, no slower than the fastest C peer."""
    for key, reference, needed in (
        ("windowed/n=5", "more_itertools.windowed", 3.0),
        ("windowed/n=5", "iteration_utilities.successive", 1.0),
        ("windowed/n=5", "cytoolz.sliding_window", 1.0),
        ("sliding_window/n=5", "more_itertools.sliding_window", 1.0),
        ("sliding_window/n=5", "iteration_utilities.successive", 1.0),
        ("unique_everseen/1000-distinct", "iteration_utilities.unique_everseen", 1.0),
        ("unique_everseen/distinct", "more_itertools.unique_everseen", 3.0),
        ("unique_everseen/distinct", "iteration_utilities.unique_everseen", 1.0),
        ("unique_justseen/distinct", "more_itertools.unique_justseen", 3.0),
        ("unique_justseen/distinct", "iteration_utilities.unique_justseen", 1.0),
        ("interleave", "more_itertools.interleave", 1.0),
        ("interleave", "cytoolz.interleave", 1.0),
        ("interleave_longest", "more_itertools.interleave_longest", 3.0),
        ("roundrobin", "more_itertools.roundrobin", 3.0),
        ("roundrobin", "iteration_utilities.roundrobin", 1.0),
        ("constrained_batches", "more_itertools.constrained_batches", 3.0),
        ("ichunked/n=100", "more_itertools.ichunked", 3.0),
        ("peekable", "more_itertools.peekable", 3.0),
        ("ilen", "deque(enumerate(it, 1), maxlen=1)", 1.0),
        ("ilen", "more_itertools.ilen", 1.0),
    ):
        name = key.split("/")[0]
        text = (
            f"{name}: >= {needed:g}x faster than {reference}"
            if needed > 1
            else f"{name}: no slower than {reference}"
        )
        yield target(20, text, (key,), reference, needed)


TARGETS = tuple(_targets())


def _speedup(case_results, target):
    """The worst speedup of *target* over its cases, and the case it came from."""
    worst = None
    reasons = []
    for key in target.cases:
        measured = case_results.get(key)
        if measured is None:
            reasons.append(f"{key} not run")
            continue
        by_label = {m.label: m for m in measured}
        mine = [m for m in measured if m.role == target.role]
        ref = by_label.get(target.reference)
        if not mine or not mine[0].ok:
            reasons.append(mine[0].reason if mine else f"no {target.role} twin")
            continue
        if ref is None or not ref.ok:
            reasons.append(ref.reason if ref else f"no {target.reference}")
            continue
        speedup = ref.min_ns / mine[0].min_ns
        if worst is None or speedup < worst[0]:
            worst = (speedup, key)
    return worst, "; ".join(dict.fromkeys(reasons))


def evaluate(case_results, memory_results, selected):
    """Rows ``{issue, target, measured, needed, unit, status, detail}``.

    *case_results* maps case keys to their lists of Measured; targets of
    iterators not in *selected* are left out.
    """
    rows = []
    for target in TARGETS:
        if target.iterator not in selected:
            continue
        worst, reason = _speedup(case_results, target)
        row = {
            "issue": target.issue,
            "iterator": target.iterator,
            "target": target.text,
            "unit": "x",
            "needed": round(target.needed, 3),
        }
        if worst is None:
            row.update(measured=None, status="skipped", detail=reason)
        else:
            speedup, key = worst
            # judged on the figure reported, so that a row never reads
            # "1.80x needed, 1.80x measured: FAIL"
            measured = round(speedup, 2)
            row.update(
                measured=measured,
                status="pass" if measured >= row["needed"] else "fail",
                detail=key,
            )
        rows.append(row)
    by_label = {}
    for result in memory_results:
        by_label.setdefault(result.label, []).append(result)
    for label, results in by_label.items():
        row = {
            "issue": 3,
            "iterator": results[0].reader,
            "target": f"{label}: same peak RSS (within 5 MB) for a small and a large file",
            "unit": "MB",
            "needed": MEMORY_SLACK_BYTES / 1e6,
        }
        done = [r for r in results if r.status == "ok"]
        if not done:
            row.update(
                measured=None,
                status="skipped",
                detail="; ".join(dict.fromkeys(r.reason for r in results)),
            )
        else:
            worst = max(done, key=lambda r: abs(r.growth_bytes))
            growth = abs(worst.growth_bytes)
            files = " / ".join(map(size_label, worst.sizes))
            measured = round(growth / 1e6, 2)
            row.update(
                measured=measured,
                status="pass" if measured <= row["needed"] else "fail",
                detail=f"{worst.twin} twin, {files} files",
            )
        rows.append(row)
    return rows
