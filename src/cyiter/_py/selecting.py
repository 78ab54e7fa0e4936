"""Pure-Python twin of the selecting family: unique_everseen, unique_justseen.

unique_everseen ends at any exception, as its more-itertools generator
does; unique_justseen goes on after one, as the groupby() it is built on
does, with nothing lost but an item whose key raised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from cyiter._dropins import check_callable, everseen_state, justseen_state
from cyiter._py._dropin import Dropin
from cyiter._py._guard import guarded
from cyiter._state import restore

# what next(it, _END) gives at the end of it
_END = object()


class unique_everseen(Dropin):
    """Drop-in for :func:`more_itertools.unique_everseen`: each item (or
    each item whose ``key(item)`` is new) the first time it is seen.  Items
    (or keys) must be hashable, as in more-itertools.

    >>> from cyiter import unique_everseen
    >>> list(unique_everseen([3, 1, 3, 2, 1]))
    [3, 1, 2]
    >>> list(unique_everseen(["a", "B", "b", "A"], key=str.lower))
    ['a', 'B']
    """

    __slots__ = ("_it", "_seen", "_key")
    _name = "unique_everseen"

    _it: Iterator[Any] | None  # None once exhausted
    _seen: set[Any]  # the items, or the keys, seen so far
    _key: Callable[[Any], Any] | None

    def _clear(self) -> None:
        self._it = self._key = None
        self._seen = set()

    def __init__(self, iterable: Iterable[Any], key: Callable[[Any], object] | None = None) -> None:
        it = iter(iterable)
        if key is not None:
            check_callable(key)
        self._set(it, set(), key)

    @guarded
    def _set(
        self, it: Iterator[Any] | None, seen: set[Any], key: Callable[[Any], Any] | None
    ) -> None:
        self._it = it
        self._seen = seen
        self._key = key

    @guarded
    def __next__(self) -> Any:
        it, seen, key = self._it, self._seen, self._key
        if it is None:
            raise StopIteration
        try:
            while True:
                item = next(it, _END)
                if item is _END:
                    break
                # "not in" first, as more-itertools: a set item is looked up
                # as a frozenset, and only added if not found
                k = item if key is None else key(item)
                if k not in seen:
                    seen.add(k)
                    return item
        except BaseException:
            self._it = None
            self._seen = set()
            raise
        self._it = None
        self._seen = set()
        raise StopIteration

    def __reduce__(self) -> tuple[Any, ...]:
        return (restore, ("unique_everseen",), (self._it, set(self._seen), self._key))

    def __setstate__(self, state: Any) -> None:
        self._set(*everseen_state(state))



class unique_justseen(Dropin):
    """Drop-in for :func:`more_itertools.unique_justseen`: the first item
    of each run of equal items (of items with equal ``key(item)``).  As in
    :func:`itertools.groupby`, each item is compared with the first item
    of the current run.

    >>> from cyiter import unique_justseen
    >>> list(unique_justseen([1, 1, 2, 2, 2, 1, 3]))
    [1, 2, 1, 3]
    >>> list(unique_justseen("aAbBa", str.lower))
    ['a', 'b', 'a']
    """

    __slots__ = ("_it", "_key", "_started", "_run_key", "_pending")
    _name = "unique_justseen"

    _it: Iterator[Any] | None  # None once exhausted
    _key: Callable[[Any], Any] | None
    _started: bool  # whether the current run has its first item
    _run_key: Any  # the key of the current run's first item, once there is one
    # (item, key) read but not yet compared: its comparison raised
    _pending: tuple[Any, Any] | None

    def _clear(self) -> None:
        self._it = self._key = self._run_key = self._pending = None
        self._started = False

    def __init__(self, iterable: Iterable[Any], key: Callable[[Any], object] | None = None) -> None:
        it = iter(iterable)
        if key is not None:
            check_callable(key)
        self._set(it, key, False, None, None)

    @guarded
    def _set(
        self,
        it: Iterator[Any] | None,
        key: Callable[[Any], Any] | None,
        started: bool,
        run_key: Any,
        pending: tuple[Any, Any] | None,
    ) -> None:
        self._it = it
        self._key = key
        self._started = started
        self._run_key = run_key
        self._pending = pending

    @guarded
    def __next__(self) -> Any:
        it, key = self._it, self._key
        if it is None:
            raise StopIteration
        while True:
            pending = self._pending
            if pending is None:
                item = next(it, _END)
                if item is _END:
                    self._it = self._run_key = None
                    self._started = False
                    raise StopIteration
                # a key that raises loses its item, as in groupby()
                k = item if key is None else key(item)
            else:
                item, k = pending
            if not self._started:
                self._started = True
                self._run_key = k
                return item
            # kept if the comparison raises, and compared again next time
            self._pending = (item, k)
            run_key = self._run_key
            same = run_key is k or bool(run_key == k)
            self._pending = None
            if not same:
                self._run_key = k
                return item

    def __reduce__(self) -> tuple[Any, ...]:
        state = (self._it, self._key, self._started, self._run_key, self._pending)
        return (restore, ("unique_justseen",), state)

    def __setstate__(self, state: Any) -> None:
        self._set(*justseen_state(state))

