"""The workloads of every iterator and the candidates that run them.

Each iterator has a function returning its :class:`Pending` cases: cheap
descriptions whose ``build()`` makes the data (cached in the
:class:`Context`) and the :class:`~cyiter._bench.timing.Case` only when the
case is about to run.  A candidate whose code is not available (a cyiter
twin not built or not written yet, a reference not installed) is kept as a
skipped candidate with the reason, never raised.
"""

import contextlib
import csv
import dataclasses
import importlib
import json
import math
import os
import sys
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import islice, repeat
from typing import Any, TypeVar, cast

from cyiter._bench import data
from cyiter._bench.data import MiB
from cyiter._bench.timing import CYTHON, PYTHON, REFERENCE, Candidate, Case, Consume, Run

T = TypeVar("T")
#: ``make(fn)``: the run of a candidate whose iterator is ``fn`` (a class or a function).
Make = Callable[[Any], Run]
#: What a twin offers: ``({name: class}, why anything is missing)``.
Twin = tuple[dict[str, type], str]

#: Every iterator, in the order of the documentation.
ITERATORS: tuple[str, ...] = (
    "count",
    "fibonacci",
    "batched",
    "chunked",
    "flatten",
    "collapse",
    "read_chunks",
    "read_lines",
    "read_csv",
    "read_jsonl",
    "write_jsonl",
    "abatched",
    "aread_lines",
    "process_ranges",
    "cyiter.dask",
)
#: Iterators whose work runs in worker processes, which the calling thread's
#: CPU time (what the pure twin's recorded speed compares) does not see.
IN_WORKERS = ("process_ranges", "cyiter.dask")
READERS = ("read_chunks", "read_lines", "read_csv")
TWIN_LABELS = {CYTHON: "Cython", PYTHON: "pure Python"}


@dataclass(frozen=True)
class Profile:
    """The sizes of one run (``--quick``, ``--full``, times ``--scale``)."""

    name: str
    items: int  # input items of the in-memory iterators
    fib_loops: int  # fibonacci(90) sequences per run
    leaves: int  # string leaves of the collapse tree
    file_bytes: int  # size of the text file of read_chunks and read_lines
    csv_bytes: int  # size of the CSV file of read_csv
    memory_bytes: tuple[int, int]  # the two file sizes of the peak-memory runs
    memory_bytes_python: tuple[int, int]  # the same for the (much slower) pure-Python twin
    rounds: int
    min_sample_s: float  # the shortest turn of a candidate in a round
    slow_s: float  # a run longer than this makes a candidate slow (fewer rounds)
    budget_s: float  # a warm-up run longer than this is the candidate's only run


_PROFILES = {
    "quick": Profile(
        name="quick",
        items=100_000,
        fib_loops=1_000,
        leaves=100_000,
        file_bytes=8 * MiB,
        csv_bytes=1 * MiB,
        memory_bytes=(1 * MiB, 8 * MiB),
        memory_bytes_python=(1 * MiB, 8 * MiB),
        rounds=5,
        min_sample_s=0.01,
        slow_s=0.5,
        budget_s=10.0,
    ),
    # The sizes the published targets are set for: files of at least 256 MiB,
    # 64 and 512 MiB for memory, a tree of about 10**6 leaves, >= 5 rounds.
    # The pure-Python readers are far slower: their memory runs use smaller
    # files, and a run over budget_s is timed once (the whole run stays
    # within minutes).
    "full": Profile(
        name="full",
        items=2_000_000,
        fib_loops=20_000,
        leaves=10**6,
        file_bytes=256 * MiB,
        csv_bytes=256 * MiB,
        memory_bytes=(64 * MiB, 512 * MiB),
        memory_bytes_python=(8 * MiB, 64 * MiB),
        rounds=7,
        min_sample_s=0.05,
        slow_s=3.0,
        budget_s=20.0,
    ),
}


def profile(name: str, scale: float = 1.0, rounds: int | None = None) -> Profile:
    """The ``quick`` or ``full`` profile, its sizes multiplied by *scale*.

    Below scale 1 (the tests' tiny runs) a turn is a single run.
    """
    base = _PROFILES[name]

    def scaled(value: int, floor: int) -> int:
        return max(floor, int(value * scale))

    return dataclasses.replace(
        base,
        items=scaled(base.items, 100),
        fib_loops=scaled(base.fib_loops, 1),
        leaves=scaled(base.leaves, 32),
        file_bytes=scaled(base.file_bytes, 4096),
        csv_bytes=scaled(base.csv_bytes, 4096),
        memory_bytes=(scaled(base.memory_bytes[0], 4096), scaled(base.memory_bytes[1], 4096)),
        memory_bytes_python=(
            scaled(base.memory_bytes_python[0], 4096),
            scaled(base.memory_bytes_python[1], 4096),
        ),
        rounds=base.rounds if rounds is None else rounds,
        min_sample_s=base.min_sample_s if scale >= 1 else 0.0,
    )


@dataclass(frozen=True)
class Pending:
    iterator: str
    key: str
    workload: str
    build: Callable[[], Case]


def twin_classes(kind: str) -> Twin:
    """``(classes, reason)``: what twin *kind* offers, and why anything is missing.

    The twin as ``import cyiter`` would load it; when that fails (no compiled
    extension, or one family not built yet), whatever families do import,
    so that one missing module does not hide the rest.
    """
    from cyiter import _select

    try:
        return _select.load_twin(kind), ""
    except ImportError as exc:
        reason = f"{kind} twin unavailable: {exc}"
    package = "cyiter._cy" if kind == CYTHON else "cyiter._py"
    classes: dict[str, type] = {}
    for family, names in {**_select.FAMILIES, **_select.AIO_FAMILIES}.items():
        try:
            module = importlib.import_module(f"{package}.{family}")
        except ImportError:
            continue
        classes.update((name, getattr(module, name)) for name in names)
    return classes, reason


def load_twins() -> dict[str, Twin]:
    """``{kind: (classes, reason)}`` for both cyiter twins (see :func:`twin_classes`)."""
    return {kind: twin_classes(kind) for kind in (CYTHON, PYTHON)}


def missing(name: str, kind: str, reason: str) -> str:
    """Why iterator *name* is absent from twin *kind*."""
    return reason or f"{name} is not in the {kind} twin yet"


class Context:
    """The profile, the twins, the temporary directory and the cached data."""

    def __init__(self, profile: Profile, directory: str, twins: dict[str, Twin]) -> None:
        self.profile = profile
        self.directory = directory
        self.twins = twins
        self._cache: dict[str, Any] = {}

    def cached(self, key: str, make: Callable[[], T]) -> T:
        if key not in self._cache:
            self._cache[key] = make()
        value: T = self._cache[key]
        return value

    def items(self) -> list[int]:
        return self.cached("items", lambda: list(range(self.profile.items)))

    def lines_file(self) -> data.DataFile:
        return self.cached(
            "lines", lambda: data.lines_file(self.directory, self.profile.file_bytes)
        )

    def european_file(self) -> data.DataFile:
        return self.cached(
            "european",
            lambda: data.european_lines_file(self.directory, self.profile.file_bytes),
        )

    def csv_file(self) -> data.DataFile:
        return self.cached("csv", lambda: data.csv_file(self.directory, self.profile.csv_bytes))

    def jsonl_file(self) -> data.DataFile:
        return self.cached(
            "jsonl", lambda: data.jsonl_file(self.directory, self.profile.file_bytes)
        )

    def jsonl_gzip_file(self) -> data.DataFile:
        return self.cached("jsonl.gz", lambda: data.gzip_file(self.jsonl_file()))

    def twin_candidates(
        self, name: str, make: Make, label: str = "cyiter.{name} ({twin})"
    ) -> list[Candidate]:
        """Both cyiter twins of iterator *name*, ``make(cls)`` giving ``run``."""
        candidates = []
        for kind in (CYTHON, PYTHON):
            text = label.format(name=name, twin=TWIN_LABELS[kind])
            classes, reason = self.twins[kind]
            if name in classes:
                candidates.append(Candidate(text, kind, make(classes[name])))
            else:
                candidates.append(Candidate(text, kind, reason=missing(name, kind, reason)))
        return candidates


def reference(label: str, module: str, attr: str, make: Make) -> Candidate:
    """The reference ``module.attr``, or a skipped candidate saying why not."""
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return Candidate(label, REFERENCE, reason=f"{module} is not installed")
    obj: Any = mod
    for part in attr.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            version = ".".join(map(str, sys.version_info[:2]))
            return Candidate(
                label, REFERENCE, reason=f"{module} has no {attr} (Python {version})"
            )
    return Candidate(label, REFERENCE, make(obj))


def fibonacci_generator(n: int) -> Iterator[int]:
    """The reference: the first *n* Fibonacci numbers from a plain generator."""
    a, b = 0, 1
    for _ in range(n):
        yield a
        a, b = b, a + b


# -- sequences ---------------------------------------------------------------


def count_cases(ctx: Context) -> list[Pending]:
    n = ctx.profile.items

    def build() -> Case:
        def make(fn: Any) -> Run:
            return lambda consume: consume(islice(fn(), n))

        candidates = ctx.twin_candidates("count", make)
        candidates.append(reference("itertools.count", "itertools", "count", make))
        return Case("count", "count", f"first {n:,} values", "item", n, n, candidates)

    return [Pending("count", "count", f"first {n:,} values", build)]


def fibonacci_cases(ctx: Context) -> list[Pending]:
    loops = ctx.profile.fib_loops
    workload = f"first 90 terms, {loops:,} times"

    def build() -> Case:
        def make(fn: Any) -> Run:
            return lambda consume: sum([consume(fn(90)) for _ in range(loops)])

        candidates = ctx.twin_candidates("fibonacci", make)
        candidates.append(Candidate("Python generator", REFERENCE, make(fibonacci_generator)))
        terms = 90 * loops
        return Case("fibonacci", "fibonacci/90", workload, "item", terms, terms, candidates)

    return [Pending("fibonacci", "fibonacci/90", workload, build)]


# -- batching ----------------------------------------------------------------


#: A reference of a grouping case: label, module, attribute, adapter of its arguments.
GroupingReference = tuple[str, str, str, Callable[[Any], Any] | None]


def _grouping_case(
    ctx: Context, iterator: str, source: str, n: int, references: Sequence[GroupingReference]
) -> Pending:
    key = f"{iterator}/{source}/n={n}"
    workload = f"{source} of {ctx.profile.items:,} ints, n={n}"

    def build() -> Case:
        items = ctx.items()

        def make(fn: Any) -> Run:
            if source == "list":
                return lambda consume: consume(fn(items, n))
            return lambda consume: consume(fn(iter(items), n))

        candidates = ctx.twin_candidates(iterator, make)
        candidates += [
            reference(label, mod, attr, _adapted(make, adapt) if adapt else make)
            for label, mod, attr, adapt in references
        ]
        total = len(items)
        return Case(iterator, key, workload, "item", total, math.ceil(total / n), candidates)

    return Pending(iterator, key, workload, build)


#: The list of the in-cache grouping cases: small enough for the caches of
#: any recent CPU (its ints and the list, about 1 MB), read again and again
#: for as many items in all as the other cases.
IN_CACHE_ITEMS = 20_000


def _in_cache_grouping_case(
    ctx: Context, iterator: str, n: int, references: Sequence[GroupingReference]
) -> Pending:
    """*iterator* over a list that stays in the CPU caches.  Over the large
    list of the other cases, slicing by index and pulling item by item are
    both bound by memory traffic (every item's reference count is written);
    this case shows the difference in the work itself."""
    key = f"{iterator}/list-in-cache/n={n}"
    passes = max(1, ctx.profile.items // IN_CACHE_ITEMS)
    workload = f"list of {IN_CACHE_ITEMS:,} ints read {passes:,} times, n={n}"

    def build() -> Case:
        items = list(range(IN_CACHE_ITEMS))

        def make(fn: Any) -> Run:
            return lambda consume: sum([consume(fn(items, n)) for _ in range(passes)])

        candidates = ctx.twin_candidates(iterator, make)
        candidates += [
            reference(label, mod, attr, _adapted(make, adapt) if adapt else make)
            for label, mod, attr, adapt in references
        ]
        total = IN_CACHE_ITEMS * passes
        batches = math.ceil(IN_CACHE_ITEMS / n) * passes
        return Case(iterator, key, workload, "item", total, batches, candidates)

    return Pending(iterator, key, workload, build)


def _adapted(make: Make, adapt: Callable[[Any], Any]) -> Make:
    """*make* for a reference whose arguments differ from cyiter's."""
    return lambda fn: make(adapt(fn))


def _partition_all(fn: Callable[[int, Any], Any]) -> Callable[[Any, int], Any]:
    """``toolz.partition_all(n, seq)`` called as ``(seq, n)``."""
    return lambda iterable, n: fn(n, iterable)


def batched_cases(ctx: Context) -> list[Pending]:
    references: list[GroupingReference] = [
        ("itertools.batched", "itertools", "batched", None),
        ("more_itertools.batched", "more_itertools", "batched", None),
        ("cytoolz.partition_all", "cytoolz", "partition_all", _partition_all),
        ("toolz.partition_all", "toolz", "partition_all", _partition_all),
        ("iteration_utilities.grouper", "iteration_utilities", "grouper", None),
    ]
    return [
        _grouping_case(ctx, "batched", source, n, references)
        for source in ("list", "iterator")
        for n in (2, 10, 100, 1000)
    ] + [_in_cache_grouping_case(ctx, "batched", n, references) for n in (100, 1000)]


def chunked_cases(ctx: Context) -> list[Pending]:
    references: list[GroupingReference] = [
        ("more_itertools.chunked", "more_itertools", "chunked", None)
    ]
    return [_grouping_case(ctx, "chunked", "list", n, references) for n in (2, 1000)]


# -- flattening --------------------------------------------------------------


def flatten_cases(ctx: Context) -> list[Pending]:
    pending = []
    for width in (5, 1000):
        key = f"flatten/{width}"
        rows = max(1, ctx.profile.items // width)
        workload = f"{rows:,} list{'s' if rows > 1 else ''} of {width} ints"

        def build(
            width: int = width, rows: int = rows, key: str = key, workload: str = workload
        ) -> Case:
            nested = ctx.cached(key, lambda: [list(range(width)) for _ in range(rows)])

            def make(fn: Any) -> Run:
                return lambda consume: consume(fn(nested))

            candidates = ctx.twin_candidates("flatten", make)
            candidates += [
                reference(
                    "itertools.chain.from_iterable", "itertools", "chain.from_iterable", make
                ),
                reference("more_itertools.flatten", "more_itertools", "flatten", make),
                reference("cytoolz.concat", "cytoolz", "concat", make),
                reference("toolz.concat", "toolz", "concat", make),
                reference(
                    "iteration_utilities.deepflatten(depth=1)",
                    "iteration_utilities",
                    "deepflatten",
                    _adapted(make, lambda fn: partial(fn, depth=1)),
                ),
            ]
            total = rows * width
            return Case("flatten", key, workload, "item", total, total, candidates)

        pending.append(Pending("flatten", key, workload, build))
    return pending


def collapse_cases(ctx: Context) -> list[Pending]:
    workload = f"tree of ~{ctx.profile.leaves:,} string leaves, depth 5"

    def build() -> Case:
        tree, leaves = ctx.cached("tree", lambda: data.tree(ctx.profile.leaves))

        def make(fn: Any) -> Run:
            return lambda consume: consume(fn(tree))

        candidates = ctx.twin_candidates("collapse", make)
        candidates += [
            reference("more_itertools.collapse", "more_itertools", "collapse", make),
            reference(
                "iteration_utilities.deepflatten(ignore=str)",
                "iteration_utilities",
                "deepflatten",
                _adapted(make, lambda fn: partial(fn, ignore=str)),
            ),
        ]
        return Case("collapse", "collapse", workload, "item", leaves, leaves, candidates)

    return [Pending("collapse", "collapse", workload, build)]


# -- readers -----------------------------------------------------------------


def _reader(cls: Any, *args: Any, **kwargs: Any) -> Run:
    """``run`` for a cyiter reader over a path, closed by its ``with`` block."""

    def run(consume: Consume) -> int:
        with cls(*args, **kwargs) as reader:
            return consume(reader)

    return run


def read_chunks_cases(ctx: Context) -> list[Pending]:
    pending = []
    for size in (8192, 65536, MiB):
        key = f"read_chunks/{data.size_label(size).replace(' ', '')}"
        file_size = data.size_label(ctx.profile.file_bytes)
        workload = f"{file_size} file, {data.size_label(size)} chunks"

        def build(size: int = size, key: str = key, workload: str = workload) -> Case:
            f = ctx.lines_file()

            def buffered_read(consume: Consume) -> int:
                with open(f.path, "rb") as file:
                    return consume(iter(partial(file.read, size), b""))

            def raw_readinto(consume: Consume) -> int:
                buffer = bytearray(size)
                with open(f.path, "rb", buffering=0) as file:
                    return consume(iter(partial(file.readinto, buffer), 0))

            candidates = ctx.twin_candidates(
                "read_chunks", lambda cls: _reader(cls, f.path, size=size)
            )
            candidates += [
                Candidate(f'iter(partial(f.read, {size}), b"")', REFERENCE, buffered_read),
                Candidate("raw readinto loop", REFERENCE, raw_readinto),
            ]
            chunks = math.ceil(f.nbytes / size)
            return Case(
                "read_chunks", key, workload, "chunk", chunks, chunks, candidates, f.nbytes
            )

        pending.append(Pending("read_chunks", key, workload, build))
    return pending


def read_lines_cases(ctx: Context) -> list[Pending]:
    pending = []
    for mode in ("bytes", "str", "str-european"):
        key = f"read_lines/{mode}"
        file_size = data.size_label(ctx.profile.file_bytes)
        workload = f"{file_size} file, {mode.split('-')[0]} lines, keepends=True"
        if mode == "str-european":
            workload += ", a quarter of its bytes accented letters"

        def build(mode: str = mode, key: str = key, workload: str = workload) -> Case:
            f = ctx.european_file() if mode == "str-european" else ctx.lines_file()
            options: dict[str, Any]
            args: dict[str, Any]
            if mode == "bytes":
                options, label, args = {}, 'open(p, "rb")', {"mode": "rb"}
            else:
                options = {"encoding": "utf-8"}
                label, args = 'open(p, encoding="utf-8")', {"encoding": "utf-8"}

            def make(cls: Any) -> Run:
                return _reader(cls, f.path, keepends=True, **options)

            def plain(consume: Consume) -> int:
                with open(f.path, **args) as file:
                    return consume(file)

            candidates = ctx.twin_candidates("read_lines", make)
            candidates.append(Candidate(label, REFERENCE, plain))
            return Case(
                "read_lines", key, workload, "line", f.records, f.records, candidates, f.nbytes
            )

        pending.append(Pending("read_lines", key, workload, build))
    return pending + [_gzip_lines_case(ctx, only_zlib) for only_zlib in (False, True)]


#: What makes the gzip decompressors faster than zlib look uninstalled.
_FAST_GZIP = ("isal", "isal.isal_zlib", "zlib_ng", "zlib_ng.zlib_ng")


@contextlib.contextmanager
def _uninstalled(modules: Sequence[str]) -> Iterator[None]:
    """*modules* fail to import inside the block (a reader picks its
    decompressor when it is created)."""
    saved = {name: sys.modules.get(name) for name in modules}
    # None in sys.modules makes an import fail (typeshed types it as modules only)
    cast("dict[str, Any]", sys.modules).update(dict.fromkeys(modules))
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                del sys.modules[name]
            else:
                sys.modules[name] = module


def _gzip_backend(only_zlib: bool) -> str:
    """The module cyiter decompresses gzip with (the first that imports)."""
    for name in () if only_zlib else ("isal.isal_zlib", "zlib_ng.zlib_ng"):
        try:
            importlib.import_module(name)
            return name.split(".")[0]
        except ImportError:
            continue
    return "zlib"


def _gzip_lines_case(ctx: Context, only_zlib: bool) -> Pending:
    key = "read_lines/gzip-zlib" if only_zlib else "read_lines/gzip"
    size = data.size_label(ctx.profile.file_bytes)
    workload = f"{size} JSON Lines gzipped, bytes lines, {_gzip_backend(only_zlib)}"

    def build() -> Case:
        f = ctx.jsonl_gzip_file()
        blocked = _FAST_GZIP if only_zlib else ()

        def make(cls: Any) -> Run:
            def run(consume: Consume) -> int:
                with _uninstalled(blocked):
                    reader = cls(f.path, keepends=True)
                with reader:
                    return consume(reader)

            return run

        def gzip_lines(open_gzip: Any) -> Run:
            def run(consume: Consume) -> int:
                with open_gzip(f.path, "rb") as file:
                    return consume(file)

            return run

        candidates = ctx.twin_candidates("read_lines", make)
        candidates.append(reference('gzip.open(p, "rb")', "gzip", "open", gzip_lines))
        if not only_zlib:
            candidates.append(reference('isal.igzip.open(p, "rb")', "isal.igzip", "open", gzip_lines))
        return Case("read_lines", key, workload, "line", f.records, f.records, candidates, f.nbytes)

    return Pending("read_lines", key, workload, build)


def read_csv_cases(ctx: Context) -> list[Pending]:
    workload = f"{data.size_label(ctx.profile.csv_bytes)} CSV file, 6 columns"

    def build() -> Case:
        f = ctx.csv_file()

        def dict_reader(consume: Consume) -> int:
            with open(f.path, newline="", encoding="utf-8") as file:
                return consume(csv.DictReader(file))

        def list_reader(consume: Consume) -> int:
            with open(f.path, newline="", encoding="utf-8") as file:
                rows = csv.reader(file)
                next(rows)
                return consume(rows)

        candidates = ctx.twin_candidates("read_csv", lambda cls: _reader(cls, f.path))
        candidates += [
            Candidate("csv.DictReader", REFERENCE, dict_reader),
            Candidate("csv.reader (lists)", REFERENCE, list_reader),
        ]
        rows = f.records
        return Case("read_csv", "read_csv", workload, "row", rows, rows, candidates, f.nbytes)

    return [Pending("read_csv", "read_csv", workload, build)]


# -- parallel ----------------------------------------------------------------

#: The workers of the parallel cases: the cores of the machine the targets
#: were set on.
WORKERS = 2


def count_fox_lines(lines: Iterable[bytes]) -> int:
    """The per-line test of the parallel cases (module level: it pickles)."""
    n = 0
    for line in lines:
        if b"fox" in line:
            n += 1
    return n


def count_fox_rows(rows: Iterable[dict[str, Any]]) -> int:
    n = 0
    for row in rows:
        if "fox" in row["comment"]:
            n += 1
    return n


def has_fox(line: str) -> bool:
    return "fox" in line


def _one_result(check: dict[str, int], total: int) -> Iterator[int]:
    """A run's one item, its total, after checking it against the first
    run's (each candidate must count the same lines)."""
    first = check.setdefault("total", total)
    if total != first:
        raise ValueError(f"counted {total}, where the first candidate counted {first}")
    return iter((total,))


def process_ranges_cases(ctx: Context) -> list[Pending]:
    pending = []
    for reader, func, data_file, what in (
        ("read_lines", count_fox_lines, ctx.lines_file, "bytes lines holding b'fox'"),
        ("read_csv", count_fox_rows, ctx.csv_file, "CSV rows (some with quoted newlines) with 'fox'"),
    ):
        key = f"process_ranges/{reader}"
        nbytes = ctx.profile.file_bytes if reader == "read_lines" else ctx.profile.csv_bytes
        workload = f"{data.size_label(nbytes)} file, {what}, {WORKERS} workers"

        def build(
            reader: str = reader,
            func: Callable[[Any], int] = func,
            data_file: Callable[[], data.DataFile] = data_file,
            key: str = key,
            workload: str = workload,
        ) -> Case:
            from cyiter import process_ranges

            f = data_file()
            check: dict[str, int] = {}

            def one_process(cls: Any) -> Run:
                def run(consume: Consume) -> int:
                    with cls(f.path) as items:
                        return consume(_one_result(check, func(items)))

                return run

            def in_parallel(cls: Any) -> Run:
                def run(consume: Consume) -> int:
                    total = sum(process_ranges(func, cls, f.path, workers=WORKERS))
                    return consume(_one_result(check, total))

                return run

            # the reference first: the run that sets the count the others must match
            kind = CYTHON if reader in ctx.twins[CYTHON][0] else PYTHON
            label = f"one process: cyiter.{reader} ({TWIN_LABELS[kind]})"
            candidates = [Candidate(label, REFERENCE, one_process(ctx.twins[kind][0][reader]))]
            label = f"process_ranges({{name}}), {WORKERS} workers ({{twin}})"
            candidates += ctx.twin_candidates(reader, in_parallel, label)
            unit = "line" if reader == "read_lines" else "row"
            return Case("process_ranges", key, workload, unit, f.records, 1, candidates, f.nbytes)

        pending.append(Pending("process_ranges", key, workload, build))
    return pending


def dask_cases(ctx: Context) -> list[Pending]:
    """cyiter.dask.read_lines against dask.bag.read_text: the same filter and
    count, scheduler and number of partitions (dask cuts its blocks at
    other places: a line at a block boundary goes to the block before)."""
    pending = []
    parts = 4 * WORKERS
    for scheduler in ("sync", "processes"):
        key = f"cyiter.dask/{scheduler}"
        workload = (
            f"{data.size_label(ctx.profile.file_bytes)} file, str lines, filter(...).count(), "
            f"{parts} partitions, {scheduler} scheduler"
            + (f" ({WORKERS} worker processes)" if scheduler == "processes" else "")
        )

        def build(scheduler: str = scheduler, key: str = key, workload: str = workload) -> Case:
            import concurrent.futures

            f = ctx.lines_file()
            check: dict[str, int] = {}
            size = f.nbytes

            def compute(bag: Any) -> Any:
                if scheduler == "sync":
                    return bag.compute(scheduler="sync")
                with concurrent.futures.ProcessPoolExecutor(WORKERS) as pool:
                    return bag.compute(scheduler="processes", pool=pool)

            def make(make_bag: Callable[[], Any]) -> Run:
                def run(consume: Consume) -> int:
                    bag = make_bag()
                    if bag.npartitions != parts:
                        raise ValueError(f"{bag.npartitions} partitions, not {parts}")
                    return consume(_one_result(check, compute(bag.filter(has_fox).count())))

                return run

            def ours() -> Any:
                import cyiter.dask

                # blocks of at most this size: *parts* of them
                blocksize = -(-size // parts)
                return cyiter.dask.read_lines(
                    f.path, blocksize=blocksize, encoding="utf-8", keepends=True
                )

            def read_text(fn: Callable[..., Any]) -> Run:
                # dask.bytes makes size // blocksize blocks
                return make(lambda: fn(f.path, blocksize=size // parts, encoding="utf-8"))

            candidates = [reference("dask.bag.read_text", "dask.bag", "read_text", read_text)]
            from cyiter import IMPLEMENTATION

            try:
                import cyiter.dask  # noqa: F401
            except ImportError as exc:
                missing_dask = str(exc)
            else:
                missing_dask = ""
            active = TWIN_LABELS[IMPLEMENTATION]
            for kind in (CYTHON, PYTHON):
                label = f"cyiter.dask.read_lines ({TWIN_LABELS[kind]})"
                if missing_dask or kind != IMPLEMENTATION:
                    # cyiter.dask reads with the twin `import cyiter` selected
                    reason = missing_dask or f"cyiter.dask reads with the active twin ({active})"
                    candidates.append(Candidate(label, kind, reason=reason))
                else:
                    candidates.append(Candidate(label, kind, make(ours)))
            return Case("cyiter.dask", key, workload, "line", f.records, 1, candidates, f.nbytes)

        pending.append(Pending("cyiter.dask", key, workload, build))
    return pending


def read_jsonl_cases(ctx: Context) -> list[Pending]:
    workload = f"{data.size_label(ctx.profile.file_bytes)} JSON Lines file"

    def build() -> Case:
        f = ctx.jsonl_file()

        def per_line(loads: Callable[[bytes], Any]) -> Run:
            def run(consume: Consume) -> int:
                with open(f.path, "rb") as file:
                    return consume(loads(line) for line in file)

            return run

        candidates = ctx.twin_candidates("read_jsonl", lambda cls: _reader(cls, f.path))
        candidates += [
            reference('orjson.loads per line of open(p, "rb")', "orjson", "loads", per_line),
            reference('json.loads per line of open(p, "rb")', "json", "loads", per_line),
        ]
        lines = f.records
        return Case("read_jsonl", "read_jsonl", workload, "line", lines, lines, candidates, f.nbytes)

    return [Pending("read_jsonl", "read_jsonl", workload, build)]


def write_jsonl_cases(ctx: Context) -> list[Pending]:
    # a quarter of the readers' file size: every run writes and syncs the file
    target = max(4096, ctx.profile.file_bytes // 4)
    workload = f"{data.size_label(target)} of records to a JSON Lines file, synced"

    def build() -> Case:
        records = ctx.cached("records", lambda: data.records(target))
        path = os.path.join(ctx.directory, "written.jsonl")

        def make(fn: Any) -> Run:
            def run(consume: Consume) -> int:
                # (what is counted: the records written)
                return consume(repeat(None, fn(path, records)))

            return run

        def loop(dumps: Callable[[Any], Any], mode: str, newline: str | bytes) -> Run:
            def run(consume: Consume) -> int:
                with open(path, mode) as file:
                    for record in records:
                        file.write(dumps(record) + newline)
                    file.flush()
                    os.fsync(file.fileno())
                return consume(repeat(None, len(records)))

            return run

        candidates = ctx.twin_candidates("write_jsonl", make)
        candidates += [
            Candidate('f.write(json.dumps(r) + "\\n"), then fsync', REFERENCE, loop(json.dumps, "w", "\n")),
            reference(
                'f.write(orjson.dumps(r) + b"\\n"), then fsync',
                "orjson",
                "dumps",
                lambda dumps: loop(dumps, "wb", b"\n"),
            ),
        ]
        n = len(records)
        return Case("write_jsonl", "write_jsonl", workload, "record", n, n, candidates)

    return [Pending("write_jsonl", "write_jsonl", workload, build)]


# -- async -------------------------------------------------------------------


async def _agen(items: Iterable[T]) -> AsyncIterator[T]:
    """The source of the async cases: an async generator that never suspends."""
    for item in items:
        yield item


async def _hand_batched(aiterable: AsyncIterable[T], n: int) -> AsyncIterator[tuple[T, ...]]:
    """The reference: the batching loop one writes by hand."""
    batch: list[T] = []
    async for item in aiterable:
        batch.append(item)
        if len(batch) == n:
            yield tuple(batch)
            batch = []
    if batch:
        yield tuple(batch)


def _async_run(make: Callable[[], AsyncIterator[Any]], floor: int | None = None) -> Run:
    """``run`` for an async candidate: ``make()`` gives an async iterator of
    batches, drained by ``async for`` on an event loop of its own, which
    counts their items; *consume* gets that many Nones (the warm-up's tally
    checks the count; the timed drain of Nones costs well under a
    nanosecond per item, the same for all).  With *floor* (the number of
    items), ``make()`` gives the items themselves and the loop body is
    empty: the cost of iterating the source alone."""

    def run(consume: Consume) -> int:
        import asyncio

        async def drain() -> int:
            count = 0
            async for batch in make():
                count += len(batch)
            return count

        async def drain_floor() -> int:
            async for _ in make():
                pass
            return floor or 0

        loop = asyncio.new_event_loop()
        try:
            count = loop.run_until_complete(drain() if floor is None else drain_floor())
        finally:
            loop.close()
        return consume(repeat(None, count))

    return run


def abatched_cases(ctx: Context) -> list[Pending]:
    n = 10
    key = f"abatched/asyncgen/n={n}"
    workload = f"async generator of {ctx.profile.items:,} ints, n={n}"

    def build() -> Case:
        items = ctx.items()

        def make(fn: Any) -> Run:
            return _async_run(lambda: fn(_agen(items), n))

        candidates = ctx.twin_candidates("abatched", make)
        candidates += [
            reference("asyncstdlib.batched", "asyncstdlib", "batched", make),
            Candidate("hand-written batching loop", REFERENCE, make(_hand_batched)),
            Candidate(
                "async generator alone (no batching)",
                REFERENCE,
                _async_run(lambda: _agen(items), floor=len(items)),
            ),
        ]
        total = len(items)
        return Case("abatched", key, workload, "item", total, total, candidates)

    return [Pending("abatched", key, workload, build)]


def _async_lines(make: Callable[[], AsyncIterable[Any]]) -> Run:
    """``run`` for a candidate giving the lines of a file under ``async
    for``, on an event loop of its own: *consume* gets as many Nones as it
    gave (counted in the loop's body, the same for all)."""

    def run(consume: Consume) -> int:
        import asyncio

        async def drain() -> int:
            count = 0
            async for _ in make():
                count += 1
            return count

        loop = asyncio.new_event_loop()
        try:
            count = loop.run_until_complete(drain())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()
        return consume(repeat(None, count))

    return run


async def _sync_lines(cls: Callable[..., Any], path: str) -> AsyncIterator[Any]:
    """The sync reader under ``async for``: wrapped in an async generator,
    as one does to iterate it there (it reads in the loop's thread)."""
    with cls(path, keepends=True) as lines:
        for line in lines:
            yield line


async def _aiofiles_lines(aiofiles_open: Callable[..., Any], path: str) -> AsyncIterator[bytes]:
    """aiofiles' line iteration: every line is a read in the executor."""
    async with aiofiles_open(path, "rb") as file:
        async for line in file:
            yield line


def aread_lines_cases(ctx: Context) -> list[Pending]:
    """aread_lines beside the sync read_lines under ``async for`` (the same
    file), and beside aiofiles on a smaller file (a thread hop per line
    costs it tens of microseconds)."""
    size = ctx.profile.file_bytes
    small = max(4096, size // 16)
    pending: list[Pending] = []
    for key, nbytes in (("aread_lines/bytes", size), ("aread_lines/aiofiles", small)):
        workload = f"{data.size_label(nbytes)} file, bytes lines, keepends=True, async for"

        def build(key: str = key, nbytes: int = nbytes, workload: str = workload) -> Case:
            f = ctx.lines_file() if nbytes == size else ctx.cached(
                "small lines", lambda: data.lines_file(ctx.directory, small)
            )

            def make(cls: Any) -> Run:
                return _async_lines(lambda: cls(f.path, keepends=True))

            candidates = ctx.twin_candidates("aread_lines", make)
            if key == "aread_lines/bytes":
                classes, reason = ctx.twins[CYTHON]
                label = "read_lines (Cython) in an async generator"
                if "read_lines" in classes:
                    sync = classes["read_lines"]
                    candidates.append(Candidate(label, REFERENCE, _async_lines(lambda: _sync_lines(sync, f.path))))
                else:
                    candidates.append(Candidate(label, REFERENCE, reason=missing("read_lines", CYTHON, reason)))
            else:
                candidates.append(
                    reference(
                        "aiofiles line iteration", "aiofiles", "open",
                        lambda fn: _async_lines(lambda: _aiofiles_lines(fn, f.path)),
                    )
                )  # fmt: skip
            return Case("aread_lines", key, workload, "line", f.records, f.records, candidates, f.nbytes)

        pending.append(Pending("aread_lines", key, workload, build))
    return pending


CASES: dict[str, Callable[[Context], list[Pending]]] = {
    "count": count_cases,
    "fibonacci": fibonacci_cases,
    "batched": batched_cases,
    "chunked": chunked_cases,
    "flatten": flatten_cases,
    "collapse": collapse_cases,
    "read_chunks": read_chunks_cases,
    "read_lines": read_lines_cases,
    "read_csv": read_csv_cases,
    "read_jsonl": read_jsonl_cases,
    "write_jsonl": write_jsonl_cases,
    "abatched": abatched_cases,
    "aread_lines": aread_lines_cases,
    "process_ranges": process_ranges_cases,
    "cyiter.dask": dask_cases,
}

# The more-itertools drop-ins, in a module of their own (it uses the helpers
# above, so it is imported last).
from cyiter._bench import dropins as _dropins  # noqa: E402

ITERATORS += _dropins.ITERATORS
CASES.update(_dropins.CASES)

# The restartable pipeline, likewise.
from cyiter._bench import pipelines as _pipelines  # noqa: E402

ITERATORS += _pipelines.ITERATORS
CASES.update(_pipelines.CASES)
