"""The workloads of the more-itertools drop-ins (windowed to ilen).

Each runs over the profile's ints (10**5, or 2 * 10**6 with ``--full``),
consumed by ``deque(it, maxlen=0)`` as every case is, against
more-itertools and the C peers that do the same job: iteration_utilities'
successive, unique_everseen, unique_justseen and roundrobin, cytoolz's
sliding_window, interleave and unique.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from itertools import chain
from typing import Any

from cyiter._bench.cases import Context, Pending, reference
from cyiter._bench.timing import REFERENCE, Candidate, Case, Run
from cyiter._select import FAMILIES

#: ``make(fn, items)``: the run of a candidate *fn* over the case's *items*.
MakeOver = Callable[[Any, Sequence[Any]], Run]
#: A reference: ``(label, module, attr, adapt)``, adapt None or turning the
#: reference into a function called as cyiter's is.
Reference = tuple[str, str, str, Callable[[Any], Any] | None]

#: in the order of the documentation: the families of _select.FAMILIES
ITERATORS: tuple[str, ...] = tuple(
    name
    for family in ("windowing", "selecting", "combining", "grouping", "lookahead")
    for name in FAMILIES[family]
)

#: how many inputs interleave, interleave_longest and roundrobin take turns over
INPUTS = 5


def _case(
    ctx: Context,
    name: str,
    key: str,
    workload: str,
    data: Callable[[], Sequence[Any]],
    make: MakeOver,
    references: list[Reference],
    outputs: Callable[[int], int],
) -> Pending:
    """Pending case *key* of iterator *name*: ``make(fn, data)`` gives the
    ``run`` of a candidate *fn* (either twin, or a reference); *references*
    are ``(label, module, attr, adapt)``, adapt turning the reference into a
    function called as cyiter's is; *outputs*: how many items a run yields."""

    def build() -> Case:
        items = data()
        candidates = ctx.twin_candidates(name, lambda fn: make(fn, items))
        for label, module, attr, adapt in references:
            candidates.append(
                reference(label, module, attr, partial(_adapted, make, adapt, items))
            )
        return Case(name, key, workload, "item", len(items), outputs(len(items)), candidates)

    return Pending(name, key, workload, build)


def _adapted(
    make: MakeOver, adapt: Callable[[Any], Any] | None, items: Sequence[Any], fn: Any
) -> Run:
    return make(adapt(fn) if adapt else fn, items)


def _over_iterator(fn: Callable[..., Iterable[Any]], items: Sequence[Any], *args: Any) -> Run:
    return lambda consume: consume(fn(iter(items), *args))


def _size_first(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """``toolz.sliding_window(n, seq)`` called as ``(seq, n)``."""
    return lambda iterable, n: fn(n, iterable)


def _of_sequence(fn: Callable[[Any], Any]) -> Callable[..., Any]:
    """``cytoolz.interleave(seqs)`` called as ``(*seqs)``."""
    return lambda *iterables: fn(iterables)


def windowed_cases(ctx: Context) -> list[Pending]:
    n = ctx.profile.items
    peers: list[Reference] = [
        ("iteration_utilities.successive", "iteration_utilities", "successive", None),
        ("cytoolz.sliding_window", "cytoolz", "sliding_window", _size_first),
    ]
    return [
        _case(
            ctx, name, f"{name}/n=5", f"iterator of {n:,} ints, n=5", ctx.items,
            lambda fn, items: _over_iterator(fn, items, 5),
            [(f"more_itertools.{name}", "more_itertools", name, None), *peers],
            lambda count: count - 4,
        )
        for name in ("windowed", "sliding_window")
    ]  # fmt: skip


def unique_everseen_cases(ctx: Context) -> list[Pending]:
    n = ctx.profile.items
    references: list[Reference] = [
        ("more_itertools.unique_everseen", "more_itertools", "unique_everseen", None),
        ("iteration_utilities.unique_everseen", "iteration_utilities", "unique_everseen", None),
        ("cytoolz.unique", "cytoolz", "unique", None),
    ]
    # 1,000 distinct values, then all distinct: more-itertools runs its
    # Python loop for every item of those
    repeating = partial(ctx.cached, "mod1000", lambda: [i % 1000 for i in range(n)])
    return [
        _case(
            ctx, "unique_everseen", "unique_everseen/1000-distinct",
            f"iterator of {n:,} ints, 1,000 distinct", repeating, _over_iterator, references,
            lambda count: min(count, 1000),
        ),
        _case(
            ctx, "unique_everseen", "unique_everseen/distinct", f"iterator of {n:,} distinct ints",
            ctx.items, _over_iterator, references, lambda count: count,
        ),
    ]  # fmt: skip


def unique_justseen_cases(ctx: Context) -> list[Pending]:
    n = ctx.profile.items
    references: list[Reference] = [
        ("more_itertools.unique_justseen", "more_itertools", "unique_justseen", None),
        ("iteration_utilities.unique_justseen", "iteration_utilities", "unique_justseen", None),
    ]
    return [
        _case(
            ctx, "unique_justseen", "unique_justseen/distinct", f"iterator of {n:,} distinct ints",
            ctx.items, _over_iterator, references, lambda count: count,
        )
    ]  # fmt: skip


def _turns(fn: Callable[..., Iterable[Any]], items: Sequence[Any]) -> Run:
    """``run`` of *fn* over INPUTS iterators, each a slice of *items*."""
    parts = [items[i::INPUTS] for i in range(INPUTS)]
    return lambda consume: consume(fn(*map(iter, parts)))


def _turn_cases(ctx: Context, name: str, references: list[Reference]) -> list[Pending]:
    n = ctx.profile.items
    return [
        _case(
            ctx, name, name, f"{INPUTS} iterators of {n // INPUTS:,} ints", ctx.items, _turns,
            references, lambda count: count,
        )
    ]  # fmt: skip


def interleave_cases(ctx: Context) -> list[Pending]:
    return _turn_cases(ctx, "interleave", [
        ("more_itertools.interleave", "more_itertools", "interleave", None),
        ("cytoolz.interleave", "cytoolz", "interleave", _of_sequence),
    ])  # fmt: skip


def interleave_longest_cases(ctx: Context) -> list[Pending]:
    return _turn_cases(ctx, "interleave_longest", [
        ("more_itertools.interleave_longest", "more_itertools", "interleave_longest", None),
        ("cytoolz.interleave", "cytoolz", "interleave", _of_sequence),
        ("iteration_utilities.roundrobin", "iteration_utilities", "roundrobin", None),
    ])  # fmt: skip


def roundrobin_cases(ctx: Context) -> list[Pending]:
    return _turn_cases(ctx, "roundrobin", [
        ("more_itertools.roundrobin", "more_itertools", "roundrobin", None),
        ("iteration_utilities.roundrobin", "iteration_utilities", "roundrobin", None),
    ])  # fmt: skip


def constrained_batches_cases(ctx: Context) -> list[Pending]:
    n = ctx.profile.items
    records = partial(ctx.cached, "records", lambda: [b"%010d" % i for i in range(n)])
    return [
        _case(
            ctx, "constrained_batches", "constrained_batches", f"{n:,} 10-byte items, max_size=1000",
            records, lambda fn, items: _over_iterator(fn, items, 1000),
            [("more_itertools.constrained_batches", "more_itertools", "constrained_batches", None)],
            lambda count: -(-count // 100),
        )
    ]  # fmt: skip


def ichunked_cases(ctx: Context) -> list[Pending]:
    n = ctx.profile.items

    def make(fn: Callable[..., Iterable[Iterable[Any]]], items: Sequence[Any]) -> Run:
        return lambda consume: consume(chain.from_iterable(fn(iter(items), 100)))

    return [
        _case(
            ctx, "ichunked", "ichunked/n=100", f"iterator of {n:,} ints, n=100, every item read",
            ctx.items, make, [("more_itertools.ichunked", "more_itertools", "ichunked", None)],
            lambda count: count,
        )
    ]  # fmt: skip


def peekable_cases(ctx: Context) -> list[Pending]:
    n = ctx.profile.items
    return [
        _case(
            ctx, "peekable", "peekable", f"iterator of {n:,} ints, read through",
            ctx.items, _over_iterator, [("more_itertools.peekable", "more_itertools", "peekable", None)],
            lambda count: count,
        )
    ]  # fmt: skip


def _counted_by_deque(iterable: Iterable[Any]) -> int:
    """The fastest way to count in C without more-itertools: the last of
    ``enumerate(it, 1)``."""
    last = deque(enumerate(iterable, 1), maxlen=1)
    return last[0][0] if last else 0


def ilen_cases(ctx: Context) -> list[Pending]:
    n = ctx.profile.items

    def make(fn: Callable[[Iterable[Any]], int], items: Sequence[Any]) -> Run:
        return lambda consume: consume([fn(iter(items))])

    def build() -> Case:
        items = ctx.items()
        candidates = ctx.twin_candidates("ilen", lambda fn: make(fn, items))
        candidates += [
            reference("more_itertools.ilen", "more_itertools", "ilen", lambda fn: make(fn, items)),
            Candidate(
                "deque(enumerate(it, 1), maxlen=1)", REFERENCE, make(_counted_by_deque, items)
            ),
        ]
        return Case("ilen", "ilen", f"iterator of {n:,} ints", "item", len(items), 1, candidates)

    return [Pending("ilen", "ilen", f"iterator of {n:,} ints", build)]


CASES: dict[str, Callable[[Context], list[Pending]]] = {
    "windowed": lambda ctx: windowed_cases(ctx)[:1],
    "sliding_window": lambda ctx: windowed_cases(ctx)[1:],
    "unique_everseen": unique_everseen_cases,
    "unique_justseen": unique_justseen_cases,
    "interleave": interleave_cases,
    "interleave_longest": interleave_longest_cases,
    "roundrobin": roundrobin_cases,
    "constrained_batches": constrained_batches_cases,
    "ichunked": ichunked_cases,
    "peekable": peekable_cases,
    "ilen": ilen_cases,
}
