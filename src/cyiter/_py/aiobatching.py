"""Pure-Python twin of the async batching family: abatched, achunked.

Mirrors ``cyiter/_cy/aiobatching.pyx`` exactly; see the docstrings there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from types import GenericAlias
from typing import Any

from cyiter._aio import TAKE, Feed, timeout_arg
from cyiter._batchargs import batched_args, chunked_args, ssize
from cyiter._py.aio import NEXT, RETURN, AsyncIter, await_start


class _AGrouper(AsyncIter):
    # set by the subclass
    _incomplete = ""
    _as_list = False

    __slots__ = ("_source", "_n", "_strict", "_end_on_error", "_items", "_error", "_feed")

    _source: AsyncIterator[Any] | None  # None once exhausted
    _n: int  # the batch size; -1: everything in one batch
    _strict: bool
    _end_on_error: bool
    _items: list[Any]  # the batch being built
    _error: BaseException | None  # raised by the next call, after the batch before it
    _feed: Feed | None  # the puller of a batch with a timeout

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        self = super().__new__(cls, *args, **kwargs)
        self._source = self._error = self._feed = None
        self._n = 1
        self._strict = self._end_on_error = False
        self._items = []
        return self

    def _set(
        self,
        source: AsyncIterator[Any] | None,
        n: int,
        strict: bool,
        timeout: float | None,
        end_on_error: bool = False,
    ) -> None:
        self._enter()
        try:
            old = self._feed
            self._source = source
            self._n = n
            self._strict = strict
            self._end_on_error = end_on_error
            items: list[Any] = []
            self._items = items
            self._error = None
            self._feed = None
            if timeout is not None and source is not None:
                self._feed = Feed(self._name, source, items, n, timeout)
        finally:
            self._leave()
        del old  # its finaliser may run code: not while entered

    def _begin(self) -> Any:
        error = self._error
        if error is not None:
            self._error = None
            raise error
        if self._source is None:
            raise StopAsyncIteration
        feed = self._feed
        if feed is not None:
            return self._timed(feed)
        return self._pull()

    def _got(self, value: Any) -> Any:
        feed = self._feed
        if feed is not None:  # the wait for the puller is over
            feed.unwait()
            return self._timed(feed)
        self._items.append(value)
        return self._pull()

    def _pull(self) -> Any:
        """Await the source's items while they come without suspending: a
        full batch, or what its end or error makes of the batch, or the
        source's wait that suspended, for the step to resume."""
        items, source = self._items, self._source
        while len(items) != self._n:
            status, value, it = await_start(source, True)
            if status == RETURN:
                items.append(value)
            elif status == NEXT:
                return self._suspended(it, value)
            else:
                return self._settle(value)
        return self._take()

    def _failed(self, exc: BaseException) -> Any:
        if self._feed is not None:  # the consumer's wait was cancelled
            self._feed.unwait()
            raise exc
        return self._settle(exc)

    def _interrupted(self) -> None:
        if self._feed is not None:
            self._feed.unwait()

    def _timed(self, feed: Feed) -> Any:
        step = feed.next_step(self._n)
        if step is TAKE:
            return self._take()
        if isinstance(step, BaseException):
            return self._settle(step)
        return self._wait(step, False)

    def _settle(self, exc: BaseException) -> Any:
        """The source raised *exc*: StopAsyncIteration ends the iteration
        (the last batch first); an Exception behind a non-empty batch is
        raised by the next call, after the batch; anything else is raised
        at once and the batch so far kept for the next call."""
        items = self._items
        if isinstance(exc, StopAsyncIteration):
            batch = self._take() if items else None
            self._exhaust()
            if batch is None:
                raise StopAsyncIteration
            if self._strict:
                raise ValueError(self._incomplete)
            return batch
        if items and not self._strict and isinstance(exc, Exception):
            self._error = exc
            return self._take()
        if self._end_on_error:
            self._exhaust()
        raise exc

    def _take(self) -> list[Any] | tuple[Any, ...]:
        items = self._items
        batch = list(items) if self._as_list else tuple(items)
        items.clear()
        if self._feed is not None:
            self._feed.taken()
        return batch

    def _exhaust(self) -> None:
        self._source = self._feed = None
        self._items.clear()

    def _close(self) -> Awaitable[None] | None:
        feed = self._feed
        self._exhaust()
        self._error = None
        return None if feed is None else feed.close()


class abatched(_AGrouper):
    """:func:`itertools.batched` over an async iterable: tuples of *n* items,
    the last one shorter, or ValueError for a short last batch when
    *strict* is true.  With *timeout* (seconds), a batch is also handed
    out *timeout* seconds after its first item, however short; the
    source's pending ``__anext__()`` is never cancelled by it, and its item
    opens the next batch.  An exception from the source behind a partial
    batch is raised by the next ``__anext__()``, after that batch.

    >>> import asyncio
    >>> from cyiter.aio import abatched
    >>> async def letters():
    ...     for c in "ABCDEFG":
    ...         yield c
    >>> async def main():
    ...     return [batch async for batch in abatched(letters(), 3)]
    >>> asyncio.run(main())
    [('A', 'B', 'C'), ('D', 'E', 'F'), ('G',)]
    """

    __slots__ = ()
    __class_getitem__: classmethod[Any, [Any], GenericAlias] = classmethod(GenericAlias)
    _name = "abatched"
    _incomplete = "batched(): incomplete batch"

    # typed by a comment: the signature stays the Cython twin's, without annotations
    def __init__(self, aiterable, n, *, strict=False, timeout=None):
        # type: (Any, Any, Any, Any) -> None
        source, _, n, strict = batched_args(aiterable, ssize(n), strict, aiter)
        self._set(source, n, strict, timeout_arg(timeout))


class achunked(_AGrouper):
    """:func:`more_itertools.chunked` over an async iterable: lists of *n*
    items, the last one shorter; ``n=None`` gives one list of everything;
    with *strict*, a short last list raises ValueError instead.  *timeout*
    as for :class:`abatched`.

    >>> import asyncio
    >>> from cyiter.aio import achunked
    >>> async def numbers():
    ...     for i in range(1, 9):
    ...         yield i
    >>> async def main():
    ...     return [chunk async for chunk in achunked(numbers(), 3)]
    >>> asyncio.run(main())
    [[1, 2, 3], [4, 5, 6], [7, 8]]
    """

    __slots__ = ()
    __class_getitem__: classmethod[Any, [Any], GenericAlias] = classmethod(GenericAlias)
    _name = "achunked"
    _incomplete = "iterable is not divisible by n."
    _as_list = True

    # typed by a comment: the signature stays the Cython twin's, without annotations
    def __init__(self, aiterable, n, strict=False, *, timeout=None):
        # type: (Any, Any, Any, Any) -> None
        source, _, n, strict = chunked_args(aiterable, n, strict, aiter)
        # a generator in more-itertools when strict: any error ends it
        self._set(source, n, strict, timeout_arg(timeout), end_on_error=strict)
