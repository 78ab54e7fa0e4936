"""Pure-Python twin of the async flattening family: aflatten.

Mirrors ``cyiter/_cy/aioflattening.pyx`` exactly; see the docstrings there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from types import GenericAlias
from typing import Any

from cyiter._py.aio import AsyncIter


class aflatten(AsyncIter):
    """One level of flattening of an async iterable whose items are iterables,
    sync or async (an item with ``__aiter__`` is iterated asynchronously):
    :meth:`itertools.chain.from_iterable`'s rules, so an error from the
    outer iterable, or an item that is not iterable, ends it, and an error
    from an inner one propagates and that inner one is asked again next.

    >>> import asyncio
    >>> from cyiter.aio import aflatten
    >>> async def inner():
    ...     yield 3
    ...     yield 4
    >>> async def outer():
    ...     yield [1, 2]
    ...     yield inner()
    ...     yield "ab"
    >>> async def main():
    ...     return [x async for x in aflatten(outer())]
    >>> asyncio.run(main())
    [1, 2, 3, 4, 'a', 'b']
    """

    __slots__ = ("_outer", "_inner", "_inner_async", "_pulling_outer")
    __class_getitem__: classmethod[Any, [Any], GenericAlias] = classmethod(GenericAlias)
    _name = "aflatten"

    _outer: AsyncIterator[Any] | None  # None once exhausted
    _inner: Iterator[Any] | AsyncIterator[Any] | None  # the item being flattened
    _inner_async: bool  # _inner is an async iterator
    _pulling_outer: bool  # the wait is for the outer iterable's next item

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        self = super().__new__(cls, *args, **kwargs)
        self._outer = self._inner = None
        self._inner_async = self._pulling_outer = False
        return self

    # typed by a comment: the signature stays the Cython twin's, without annotations
    def __init__(self, aiterable):  # type: (Any) -> None
        outer = aiter(aiterable)
        self._enter()
        try:
            self._outer = outer
            self._inner = None
        finally:
            self._leave()

    def _begin(self) -> Any:
        while True:
            inner = self._inner
            if inner is not None:
                if self._inner_async:
                    self._pulling_outer = False
                    return self._wait(inner, True)
                # (not _inner_async: a sync iterator)
                for item in inner:  # type: ignore[union-attr]
                    return item
                self._inner = None
            if self._outer is None:
                raise StopAsyncIteration
            self._pulling_outer = True
            return self._wait(self._outer, True)

    def _got(self, value: Any) -> Any:
        if not self._pulling_outer:
            return value
        try:
            if hasattr(type(value), "__aiter__"):
                self._inner, self._inner_async = aiter(value), True
            else:
                self._inner, self._inner_async = iter(value), False
        except BaseException:
            self._outer = None
            raise
        return self._begin()

    def _failed(self, exc: BaseException) -> Any:
        if self._pulling_outer:
            self._outer = None
        elif isinstance(exc, StopAsyncIteration):
            self._inner = None
            return self._begin()
        raise exc

    def _close(self) -> None:
        self._outer = self._inner = None
