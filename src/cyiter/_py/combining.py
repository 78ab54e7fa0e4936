"""Pure-Python twin of the combining family: interleave, interleave_longest,
roundrobin.

interleave and interleave_longest take their items a round at a time, one
from each input (as the ``zip`` and ``zip_longest`` they are built on in
more-itertools), and hand the round out item by item; roundrobin takes
each item when it is asked for.  An exception from an input ends each of
them, as in more-itertools, and the items of a round not yet handed out
are lost with it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from types import NotImplementedType
from typing import Any

from cyiter._dropins import length_hints, rounds_state, roundrobin_state
from cyiter._py._dropin import Dropin
from cyiter._py._guard import guarded
from cyiter._state import restore

# what next(it, _END) gives at the end of it
_END = object()


class _Rounds(Dropin):
    __slots__ = ("_its", "_pending")

    _its: tuple[Iterator[Any], ...]  # the inputs of the next round; none once exhausted
    _pending: deque[Any]  # the items of the round not handed out yet
    # the items of the next round from _its, none at the end (the subclass's)
    _round: Callable[[], Sequence[Any]]

    def _clear(self) -> None:
        self._its = ()
        self._pending = deque()

    def _start(self, iterables: Iterable[Iterable[Any]]) -> None:
        self._set(tuple(map(iter, iterables)), ())

    @guarded
    def _set(self, its: tuple[Iterator[Any], ...], pending: Iterable[Any]) -> None:
        self._its = its
        self._pending = deque(pending)

    @guarded
    def __next__(self) -> Any:
        pending = self._pending
        if pending:
            return pending.popleft()
        if not self._its:
            raise StopIteration
        try:
            items = self._round()
        except BaseException:
            self._its = ()
            raise
        if not items:
            self._its = ()
            raise StopIteration
        pending.extend(items)
        return pending.popleft()

    def __reduce__(self) -> tuple[Any, ...]:
        return (restore, (self._name,), (self._its, tuple(self._pending)))

    def __setstate__(self, state: Any) -> None:
        self._set(*rounds_state(self._name, state))



class interleave(_Rounds):
    """Drop-in for :func:`more_itertools.interleave`: an item of each
    iterable in turn, until the shortest one is exhausted (a round that it
    cannot complete is not yielded).

    >>> from cyiter import interleave
    >>> list(interleave("ab", [1, 2, 3]))
    ['a', 1, 'b', 2]
    """

    __slots__ = ()
    _name = "interleave"

    def __init__(self, *iterables: Iterable[Any]) -> None:
        self._start(iterables)

    def _round(self) -> Sequence[Any]:
        items = []
        for it in self._its:
            item = next(it, _END)
            if item is _END:
                return ()
            items.append(item)
        return items

    def __length_hint__(self) -> int | NotImplementedType:
        its, pending = self._its, len(self._pending)
        hints = length_hints(its)
        return NotImplemented if hints is None else pending + len(its) * min(hints, default=0)


class interleave_longest(_Rounds):
    """Drop-in for :func:`more_itertools.interleave_longest`: an item of
    each iterable in turn, skipping those that are exhausted, until all
    are.

    >>> from cyiter import interleave_longest
    >>> list(interleave_longest("ab", [1, 2, 3]))
    ['a', 1, 'b', 2, 3]
    """

    __slots__ = ()
    _name = "interleave_longest"

    def __init__(self, *iterables: Iterable[Any]) -> None:
        self._start(iterables)

    def _round(self) -> Sequence[Any]:
        items = []
        alive = []
        for it in self._its:
            item = next(it, _END)
            if item is not _END:
                items.append(item)
                alive.append(it)
        self._its = tuple(alive)
        return items

    def __length_hint__(self) -> int | NotImplementedType:
        hints = length_hints(self._its)
        return NotImplemented if hints is None else len(self._pending) + sum(hints)


class roundrobin(Dropin):
    """Drop-in for :func:`more_itertools.roundrobin`: an item of each
    iterable in turn, skipping those that are exhausted, until all are.
    Unlike :class:`interleave_longest`, each item is taken from its
    iterable only when it is asked for.

    >>> from cyiter import roundrobin
    >>> list(roundrobin([1, 2, 3], "x", "yz"))
    [1, 'x', 'y', 2, 'z', 3]
    """

    __slots__ = ("_its", "_index")
    _name = "roundrobin"

    _its: list[Iterator[Any]]  # the inputs not exhausted yet; none once exhausted
    _index: int  # the one to take the next item from

    def _clear(self) -> None:
        self._its = []
        self._index = 0

    def __init__(self, *iterables: Iterable[Any]) -> None:
        self._set([iter(iterable) for iterable in iterables], 0)

    @guarded
    def _set(self, its: list[Iterator[Any]], index: int) -> None:
        self._its = its
        self._index = index

    @guarded
    def __next__(self) -> Any:
        its = self._its
        try:
            while its:
                index = self._index
                item = next(its[index], _END)
                if item is not _END:
                    self._index = index + 1 if index + 1 < len(its) else 0
                    return item
                del its[index]
                if index == len(its):
                    self._index = 0
        except BaseException:
            self._its = []
            self._index = 0
            raise
        raise StopIteration

    def __length_hint__(self) -> int | NotImplementedType:
        hints = length_hints(self._its)
        return NotImplemented if hints is None else sum(hints)

    def __reduce__(self) -> tuple[Any, ...]:
        return (restore, ("roundrobin",), (tuple(self._its), self._index))

    def __setstate__(self, state: Any) -> None:
        its, index = roundrobin_state(state)
        self._set(list(its), index)

