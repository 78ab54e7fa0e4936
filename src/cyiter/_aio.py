"""What both twins of ``cyiter.aio`` share: argument checks, messages, and
the asyncio machinery of a batch with a timeout (:class:`Feed`).

The timeout path is written once, here, for both twins: it is made of
asyncio tasks, futures and timers, where Cython would buy nothing, and one
implementation keeps the twins' timing identical.  asyncio is imported only
when a timeout is used (docs/internals.md, "Async iterators").
"""

from __future__ import annotations

import enum
import math
import numbers
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:  # (asyncio is imported only when a timeout is used)
    from asyncio import AbstractEventLoop, Future, Task, TimerHandle


class _Signal(enum.Enum):
    # an enum member, so that ``step is TAKE`` tells a type checker the rest
    TAKE = "TAKE"


#: What :meth:`Feed.next_step` returns when a batch is ready to be taken.
TAKE: Final = _Signal.TAKE


def running(name: str) -> RuntimeError:
    """The error for a second ``__anext__()``, ``aclose()`` or ``__init__``
    while one is still in progress (awaited, or suspended in another task)."""
    return RuntimeError(
        f"the {name} iterator is already running: another __anext__() or "
        "aclose() of it is in progress"
    )


def not_pickled(name: str) -> TypeError:
    return TypeError(f"cannot pickle {name!r} object")


def asyncio_loop(needs: str) -> AbstractEventLoop:
    """The running asyncio event loop, else RuntimeError(*needs*) (without
    importing asyncio: none runs if it is not imported)."""
    asyncio = sys.modules.get("asyncio")
    if asyncio is not None:
        try:
            loop: AbstractEventLoop = asyncio.get_running_loop()
            return loop
        except RuntimeError:
            pass
    raise RuntimeError(needs)


def timeout_arg(timeout: object) -> float | None:
    """``None``, or *timeout* as a float of seconds >= 0 (inf: never)."""
    if timeout is None:
        return None
    if not isinstance(timeout, numbers.Real):
        raise TypeError(
            f"timeout must be a number of seconds or None, not {type(timeout).__name__!r}"
        )
    value = float(timeout)
    if not value >= 0.0:  # also catches NaN
        raise ValueError("timeout must be a non-negative number of seconds or None")
    return value


def thrown(args: tuple[Any, ...]) -> BaseException:
    """The exception ``throw(*args)`` raises where there is nothing to throw
    it into, as a generator's throw() makes it."""
    if not 1 <= len(args) <= 3:
        raise TypeError(f"throw expected at most 3 arguments, got {len(args)}")
    typ, value, tb = (*args, None, None)[:3]
    if isinstance(typ, BaseException):
        if value is not None:
            raise TypeError("instance exception may not have a separate value")
        exc = typ
    elif isinstance(typ, type) and issubclass(typ, BaseException):
        if isinstance(value, typ):
            exc = value
        elif value is None:
            exc = typ()
        else:
            exc = typ(*value) if isinstance(value, tuple) else typ(value)
    else:
        raise TypeError(
            "exceptions must be classes or instances deriving from BaseException, "
            f"not {type(typ).__name__}"
        )
    return exc if tb is None else exc.with_traceback(tb)


class Feed:
    """The source of a batching iterator with a timeout, pulled in an
    asyncio task of its own (the *puller*) while the consumer waits.

    The puller pulls only while the consumer waits for a batch, and only
    up to the batch size; a pull that is in flight when the batch is handed
    out (its timeout passed) keeps running and its item goes into the next
    batch.  The consumer waits on a future of its own, never on the puller:
    cancelling the consumer never cancels the source's pending
    ``__anext__()``.  The iterator owns this handle; the puller holds only
    the state, so that dropping the iterator drops the handle, whose
    finaliser cancels the puller.
    """

    __slots__ = ("_state",)

    _state: _State

    def __init__(
        self, name: str, source: AsyncIterator[Any], items: list[Any], limit: int, timeout: float
    ) -> None:
        self._state = _State(name, source, items, limit, timeout)

    def next_step(self, n: int) -> Literal[_Signal.TAKE] | BaseException | Future[None]:
        """What the consumer does now: :data:`TAKE` the batch in ``items``,
        settle what the source raised (an exception, StopAsyncIteration at
        its end), or await the future returned."""
        s = self._state
        outcome = s.outcome
        if outcome is not None:
            s.outcome = None
            return outcome
        items = s.items
        if 0 < n <= len(items):
            return TAKE
        loop = s.running_loop()
        deadline = None
        if items:
            now = loop.time()
            if s.first is None:
                s.first = now
            deadline = s.first + s.timeout
            if now >= deadline:
                return TAKE
        return s.wait(loop, deadline)

    def taken(self) -> None:
        """The batch was handed out: the next one has no first item yet."""
        self._state.first = None

    def unwait(self) -> None:
        """The consumer's wait is over (woken, cancelled or abandoned)."""
        self._state.unwait()

    async def close(self) -> None:
        """Cancel the puller and return once it has ended."""
        s = self._state
        s.unwait()
        puller = s.puller
        if puller is not None:
            puller.cancel()
            await sys.modules["asyncio"].wait((puller,))

    def __del__(self) -> None:
        self._state.abandon()


class _State:
    __slots__ = (
        "name", "source", "items", "limit", "timeout", "first", "outcome",
        "loop", "waiter", "timer", "puller",
    )

    name: str
    source: AsyncIterator[Any]
    items: list[Any]
    limit: int
    timeout: float
    first: float | None
    outcome: BaseException | None
    loop: AbstractEventLoop | None
    waiter: Future[None] | None
    timer: TimerHandle | None
    puller: Task[None] | None

    def __init__(
        self, name: str, source: AsyncIterator[Any], items: list[Any], limit: int, timeout: float
    ) -> None:
        self.name = name
        self.source = source
        self.items = items  # the iterator's own list: the batch being built
        self.limit = limit  # the batch size; -1: no limit
        self.timeout = timeout
        self.first = None  # loop time the batch got its first item
        self.outcome = None  # what the source raised, for the consumer
        self.loop = None
        self.waiter = None  # the future the consumer awaits
        self.timer = None
        self.puller = None

    def running_loop(self) -> AbstractEventLoop:
        loop = asyncio_loop(
            f"{self.name}() with a timeout needs a running asyncio event loop: "
            "it pulls its source in an asyncio task"
        )
        if self.loop is None:
            self.loop = loop
        elif loop is not self.loop:
            raise RuntimeError(f"this {self.name} iterator belongs to another event loop")
        return loop

    def demand(self) -> bool:
        waiter = self.waiter
        return waiter is not None and not waiter.done()

    def wait(self, loop: AbstractEventLoop, deadline: float | None) -> Future[None]:
        self.waiter = waiter = loop.create_future()
        if deadline is not None:
            self.arm(loop, deadline)
        if self.puller is None:
            self.puller = loop.create_task(_pull(self, loop), name=f"cyiter.aio.{self.name} puller")
        return waiter

    def arm(self, loop: AbstractEventLoop, deadline: float) -> None:
        if math.isfinite(deadline):
            self.timer = loop.call_at(deadline, self.wake)

    def wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():  # (demand())
            waiter.set_result(None)

    def unwait(self) -> None:
        timer = self.timer
        self.waiter = self.timer = None
        if timer is not None:
            timer.cancel()

    def abandon(self) -> None:
        """The iterator is gone: cancel the puller, from whichever thread."""
        puller, loop = self.puller, self.loop
        self.unwait()
        # (a puller runs on the loop it was made on: loop is not None then)
        if puller is None or loop is None or puller.done() or loop.is_closed():
            return
        try:
            current = sys.modules["asyncio"].get_running_loop()
        except RuntimeError:
            current = None
        if current is loop:
            puller.cancel()
        else:
            loop.call_soon_threadsafe(puller.cancel)


async def _pull(s: _State, loop: AbstractEventLoop) -> None:
    """The puller, on *loop*: pull while the consumer waits and the batch has room."""
    source, items, limit = s.source, s.items, s.limit
    try:
        while s.demand() and (limit < 0 or len(items) < limit):
            item = await anext(source)
            items.append(item)
            if s.demand():
                if s.first is None:
                    s.first = loop.time()
                    s.arm(loop, s.first + s.timeout)
                if len(items) == limit:
                    s.wake()
    except BaseException as exc:
        # StopAsyncIteration included: the consumer settles it; anything
        # that is not an Exception (cancellation) still ends the task so
        s.outcome = exc
        s.wake()
        if not isinstance(exc, Exception):
            raise
    finally:
        s.puller = None
