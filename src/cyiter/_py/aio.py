"""Pure-Python twin of the machinery of every ``cyiter.aio`` iterator.

Mirrors ``cyiter/_cy/aio.pyx``: the awaitable that ``__anext__()`` returns
(``_Step``) and the base class (``AsyncIter``).  docs/internals.md, "Async
iterators", tells the design; in short, an iterator's hooks either return
the next item at once or ask, through ``_wait``, for something to be
awaited, and the step awaits it by hand: it completes without suspending
when what it awaits does, and passes every suspension through to the task
that awaits it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from inspect import CO_ITERABLE_COROUTINE
from types import CoroutineType, GeneratorType
from typing import Any

from cyiter._py._signature import InitSignature
from cyiter._aio import not_pickled, running, thrown
from cyiter._state import object_repr

_NEW, _RUNNING, _SUSPENDED, _DONE = range(4)

#: What ``await`` iterates: a coroutine, or any iterator an ``__await__``
#: returns (whose ``send``, ``throw`` and ``close`` are looked up by name).
AwaitIter = Any


def _await_iter(obj: Any) -> AwaitIter:
    """What ``await obj`` iterates, with the interpreter's checks."""
    if type(obj) is CoroutineType:
        return obj
    get = getattr(type(obj), "__await__", None)
    if get is None:
        if type(obj) is GeneratorType and obj.gi_code.co_flags & CO_ITERABLE_COROUTINE:
            return obj
        raise TypeError(f"object {type(obj).__name__} can't be used in 'await' expression")
    it = get(obj)
    if type(it) is CoroutineType:
        raise TypeError("__await__() returned a coroutine")
    if not hasattr(type(it), "__next__"):
        raise TypeError(f"__await__() returned non-iterator of type '{type(it).__name__}'")
    return it


RETURN, NEXT, ERROR = range(3)


def _send(it: AwaitIter, value: Any) -> Any:
    """``PyIter_Send``: a coroutine takes send(None), an iterator next()."""
    if value is None and type(it) is not CoroutineType:
        return next(it)
    return it.send(value)


def await_start(obj: Any, anext: bool) -> tuple[int, Any, AwaitIter | None]:
    """Start awaiting *obj*, or ``obj.__anext__()`` when *anext* is true,
    and run it until it completes or suspends: ``(RETURN, value, None)``,
    ``(NEXT, yielded, iterator to resume)`` or ``(ERROR, exception, None)``."""
    try:
        if anext:
            get = getattr(type(obj), "__anext__", None)
            if get is None:
                raise TypeError(f"'{type(obj).__name__}' object is not an async iterator")
            obj = get(obj)
        it = _await_iter(obj)
    except BaseException as exc:  # a StopIteration here is an error too
        return ERROR, exc, None
    try:
        yielded = _send(it, None)
    except StopIteration as stop:
        return RETURN, stop.value, None
    except BaseException as exc:
        return ERROR, exc, None
    return NEXT, yielded, it


class _Step:
    """The awaitable of one ``__anext__()``: a hand-written coroutine that
    runs its iterator's hooks and awaits what they ask for."""

    __slots__ = ("_owner", "_it", "_state")

    _owner: AsyncIter
    _it: AwaitIter | None  # what a suspended step resumes
    _state: int  # _NEW, _RUNNING, _SUSPENDED or _DONE

    def __init__(self, owner: AsyncIter) -> None:
        self._owner = owner
        self._it = None
        self._state = _NEW

    def __await__(self) -> _Step:
        return self

    def __next__(self) -> Any:
        return self.send(None)

    def send(self, value: Any) -> Any:
        state = self._state
        if state == _SUSPENDED:
            return self._resume(None, value)
        self._check(state)
        if value is not None:
            raise TypeError("can't send non-None value to a just-started __anext__()")
        self._state = _DONE  # until entered
        self._owner._enter()
        self._state = _RUNNING
        return self._drive(self._owner._begin)

    def throw(self, *args: Any) -> Any:
        state = self._state
        if state == _SUSPENDED:
            return self._resume(args, None)
        self._check(state)
        self._state = _DONE
        raise thrown(args)

    def close(self) -> None:
        state = self._state
        if state == _RUNNING:
            raise ValueError("__anext__() already executing")
        self._state = _DONE
        if state == _SUSPENDED:
            it, self._it = self._it, None
            try:
                close = getattr(it, "close", None)
                if close is not None:
                    close()
            finally:
                self._abandon()

    def __del__(self) -> None:
        # a step dropped while suspended without being closed
        if self._state == _SUSPENDED:
            self._state = _DONE
            self._abandon()

    def _check(self, state: int) -> None:
        if state == _RUNNING:
            raise ValueError("__anext__() already executing")
        if state == _DONE:
            raise RuntimeError("cannot reuse already awaited __anext__()")

    def _abandon(self) -> None:
        owner = self._owner
        try:
            owner._interrupted()
        finally:
            owner._leave()

    def _resume(self, throw: tuple[Any, ...] | None, value: Any) -> Any:
        """Resume the awaited iterator: send *value*, or throw *throw*."""
        it, self._it = self._it, None
        self._state = _RUNNING
        owner = self._owner
        try:
            if throw is None:
                yielded = _send(it, value)
            else:
                method = getattr(it, "throw", None)
                if method is None:
                    raise thrown(throw)
                yielded = method(*throw)
        except StopIteration as stop:
            return self._drive(owner._got, stop.value)
        except BaseException as exc:
            return self._drive(owner._failed, exc)
        self._it = it
        self._state = _SUSPENDED
        return yielded

    def _drive(self, hook: Callable[..., Any], *arg: Any) -> Any:
        """Run *hook*, then await whatever the hooks ask for, until one of
        them returns the item (raised as StopIteration) or raises."""
        owner = self._owner
        try:
            result = hook(*arg)
            while True:
                if owner._resume is not None:
                    self._it, owner._resume = owner._resume, None
                    self._state = _SUSPENDED
                    yielded, owner._yielded = owner._yielded, None
                    return yielded
                if owner._awaiting is None:
                    break
                target, owner._awaiting = owner._awaiting, None
                status, value, it = await_start(target, owner._anext)
                if status == RETURN:
                    result = owner._got(value)
                elif status == NEXT:
                    self._it = it
                    self._state = _SUSPENDED
                    return value
                else:
                    result = owner._failed(value)
        except StopIteration as exc:
            # as in a coroutine: a StopIteration would pass for the result
            self._end()
            raise RuntimeError(f"{owner._name} raised StopIteration") from exc
        except BaseException:
            self._end()
            raise
        self._end()
        raise StopIteration(result)

    def _end(self) -> None:
        self._state = _DONE
        self._owner._leave()


class AsyncIter:
    """The base of every cyiter.aio iterator.

    A subclass implements the hooks ``_begin()``, ``_got(value)`` and
    ``_failed(exc)``: each returns the next item, raises (StopAsyncIteration
    at the end), or returns ``self._wait(obj, anext)`` to have ``obj`` (or
    ``obj.__anext__()``) awaited, whose value or exception goes to
    ``_got`` or ``_failed``; a hook that began such a wait itself
    (``await_start``) and saw it suspend returns ``self._suspended(it,
    yielded)`` instead.  ``_interrupted()`` is told when a wait is
    abandoned (its consumer's coroutine closed), ``_close()`` empties the
    iterator for ``aclose()`` and may return an awaitable to await.  Every
    hook runs with the iterator entered (``_enter``): a second
    ``__anext__()``, ``aclose()`` or ``__init__`` meanwhile raises
    RuntimeError.
    """

    __slots__ = ("_token", "_awaiting", "_anext", "_resume", "_yielded", "__weakref__")
    __signature__ = InitSignature()
    _name = ""

    _token: deque[None]  # holds its None while no hook runs
    _awaiting: object  # what a hook asked to await (or the __anext__ of), else None
    _anext: bool
    _resume: AwaitIter | None  # the wait a hook saw suspend, for the step to resume
    _yielded: Any  # ... and what it yielded

    # the subclass's hooks
    _begin: Callable[[], Any]
    _got: Callable[[Any], Any]
    _failed: Callable[[BaseException], Any]
    _close: Callable[[], Awaitable[Any] | None]

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        self = object.__new__(cls)
        # a one-item deque as the "running" flag: pop() and append() are
        # atomic, so two threads cannot both take it (see _py/_guard.py)
        self._token = deque((None,))
        self._awaiting = self._resume = self._yielded = None
        self._anext = False
        return self

    def __aiter__(self) -> AsyncIter:
        return self

    def __anext__(self) -> _Step:
        return _Step(self)

    # aclose, __aenter__ and __aexit__ are typed by comments: their
    # signatures stay the Cython twin's, without annotations
    async def aclose(self):  # type: () -> None
        """Stop the iteration and close what it opened (never the source
        it was given); later ``__anext__()`` calls end it at once."""
        self._enter()
        try:
            pending = self._close()
            if pending is not None:
                await pending
        finally:
            self._leave()

    async def __aenter__(self):  # type: () -> AsyncIter
        return self

    async def __aexit__(self, *exc_info):  # type: (*object) -> None
        await self.aclose()

    def __reduce__(self) -> tuple[Any, ...]:  # (the async readers pickle)
        raise not_pickled(self._name)

    def __repr__(self) -> str:
        return object_repr("aio." + self._name, self)

    def _enter(self) -> None:
        try:
            self._token.pop()
        except IndexError:
            raise running(self._name) from None

    def _leave(self) -> None:
        self._token.append(None)

    def _wait(self, obj: object, anext: bool) -> None:
        self._awaiting = obj
        self._anext = anext

    def _suspended(self, it: AwaitIter, yielded: Any) -> None:
        self._resume = it
        self._yielded = yielded

    def _interrupted(self) -> None:
        pass
