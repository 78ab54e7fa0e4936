"""Pure-Python twin of the flattening family: flatten, collapse."""

from __future__ import annotations

from collections.abc import Iterator
from types import GenericAlias
from typing import Any

from cyiter._batchargs import is_iterator
from cyiter._py._guard import Guarded, guarded
from cyiter._state import object_repr, restore


def _check_iterator(name: str, it: object) -> None:
    """Refuse a pickle state whose iterators are not iterators."""
    if it is not None and not is_iterator(it):
        raise TypeError(f"{name} state: {type(it).__name__!r} object is not an iterator")


class flatten(Guarded):
    """One level of flattening: drop-in for :func:`more_itertools.flatten`
    and :meth:`itertools.chain.from_iterable`.

    >>> from cyiter import flatten
    >>> list(flatten([[0, 1], [2, 3], (), "ab"]))
    [0, 1, 2, 3, 'a', 'b']
    """

    __slots__ = ("_source", "_active")
    @classmethod
    def __class_getitem__(cls, item: Any, /) -> GenericAlias:
        return GenericAlias(cls, item)

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        self = super().__new__(cls)
        self._source = self._active = None
        return self

    def __init__(self, iterable: Any) -> None:
        self._set(iter(iterable), None)

    @guarded
    def _set(self, source: Any, active: Any) -> None:
        _check_iterator("flatten", source)
        _check_iterator("flatten", active)
        self._source = source
        self._active = active

    def __iter__(self) -> flatten:
        return self

    @guarded
    def __next__(self) -> Any:
        # chain.from_iterable's rules: an error of the outer iterator, or an
        # item that is not iterable, ends it; an error of an inner iterator
        # propagates, and it is tried again next time.
        while self._source is not None:
            active = self._active
            if active is None:
                try:
                    active = iter(next(self._source))
                except BaseException:
                    self._source = None
                    raise
                self._active = active
            for item in active:
                return item
            self._active = None
        raise StopIteration

    def __reduce__(self) -> Any:
        return (restore, ("flatten",), (self._source, self._active))

    def __setstate__(self, state: Any) -> None:
        source, active = state
        self._set(source, active)

    def __repr__(self) -> str:
        return object_repr("flatten", self)


class collapse(Guarded):
    """Drop-in for :func:`more_itertools.collapse`: flatten any depth of
    nesting; strings and bytes (and instances of *base_type*) are atoms;
    *levels* limits the depth.  Iterative: 100,000 levels of nesting are
    fine, and it holds one iterator per level.

    >>> from cyiter import collapse
    >>> list(collapse([(1, 2), ([3, 4], [[5], [6]])]))
    [1, 2, 3, 4, 5, 6]
    >>> list(collapse(["ab", ("cd", "ef"), ["gh", "ij"]], base_type=tuple))
    ['ab', ('cd', 'ef'), 'gh', 'ij']
    >>> list(collapse([("a", ["b"]), ("c", ["d"])], levels=1))
    ['a', ['b'], 'c', ['d']]
    """

    __slots__ = ("_stack", "_base_type", "_levels", "_passthrough")
    _stack: list[Iterator[Any]]

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        self = super().__new__(cls)
        self._stack = []
        self._base_type = self._levels = None
        self._passthrough = False
        return self

    def __init__(self, iterable: Any, base_type: Any = None, levels: Any = None) -> None:
        if levels is not None:
            0 > levels  # compared with each depth: fail now, not later
        if base_type is not None:
            isinstance(None, base_type)  # a bad base_type fails now, not later
        self._set([iter((iterable,))], base_type, levels)

    @guarded
    def _set(self, stack: list[Any], base_type: Any, levels: Any) -> None:
        for it in stack:
            _check_iterator("collapse", it)
        self._stack = stack
        self._base_type = base_type
        self._levels = levels
        if stack:
            self._enter_top()

    def _enter_top(self) -> None:
        # the reference tests the depth against levels once each time it
        # enters a level: the nodes of a deeper one pass through as they are
        levels = self._levels
        self._passthrough = levels is not None and bool(len(self._stack) - 1 > levels)

    def __iter__(self) -> collapse:
        return self

    @guarded
    def __next__(self) -> Any:
        stack = self._stack
        base_type = self._base_type
        try:
            while stack:
                for node in stack[-1]:
                    break
                else:
                    stack.pop()
                    if stack:
                        self._enter_top()
                    continue
                if (
                    self._passthrough
                    or isinstance(node, (str, bytes))
                    or (base_type is not None and isinstance(node, base_type))
                ):
                    return node
                try:
                    child = iter(node)
                except TypeError:
                    return node
                stack.append(child)
                self._enter_top()
        except BaseException:
            self._stack = []  # as a generator, it ends with any exception
            raise
        raise StopIteration

    def __reduce__(self) -> Any:
        return (restore, ("collapse",), (list(self._stack), self._base_type, self._levels))

    def __setstate__(self, state: Any) -> None:
        stack, base_type, levels = state
        self._set(list(stack), base_type, levels)

    def __repr__(self) -> str:
        return object_repr("collapse", self)
