"""Pure-Python twin of the async flattening family: aflatten.

Mirrors ``cyiter/_cy/aioflattening.pyx`` exactly; see the docstrings there.
"""

from types import GenericAlias

from cyiter._py.aio import AsyncIter


class aflatten(AsyncIter):
    """aflatten(aiterable)

    One level of flattening of an async iterable whose items are iterables,
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
    __class_getitem__ = classmethod(GenericAlias)
    _name = "aflatten"

    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls, *args, **kwargs)
        self._outer = self._inner = None
        self._inner_async = self._pulling_outer = False
        return self

    def __init__(self, aiterable):
        outer = aiter(aiterable)
        self._enter()
        try:
            self._outer = outer
            self._inner = None
        finally:
            self._leave()

    def _begin(self):
        while True:
            inner = self._inner
            if inner is not None:
                if self._inner_async:
                    self._pulling_outer = False
                    return self._wait(inner, True)
                for item in inner:
                    return item
                self._inner = None
            if self._outer is None:
                raise StopAsyncIteration
            self._pulling_outer = True
            return self._wait(self._outer, True)

    def _got(self, value):
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

    def _failed(self, exc):
        if self._pulling_outer:
            self._outer = None
        elif isinstance(exc, StopAsyncIteration):
            self._inner = None
            return self._begin()
        raise exc

    def _close(self):
        self._outer = self._inner = None
