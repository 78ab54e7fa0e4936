"""Helpers of the cyiter.aio tests: a checked runner, a virtual clock, sources.

:func:`run` runs a coroutine function on a fresh event loop in debug mode
and fails on whatever asyncio would only log (a task destroyed while
pending, an exception never retrieved) and on tasks still pending when the
coroutine returns.  With ``virtual=True`` the loop's clock is virtual: it
jumps to the next timer whenever nothing is ready, so timeouts of any
length cost no real time and every time is exact (the tests use delays
that are multiples of :data:`UNIT`, a power of two, so that sums of them
are exact floats).
"""

import asyncio
import gc
import selectors

#: The time unit of the virtual-clock tests, in seconds.
UNIT = 1 / 1024


class _NoWaitSelector(selectors.BaseSelector):
    """Never waits: a select() with a timeout moves the loop's clock on by it."""

    def __init__(self, loop):
        self._loop = loop
        self._keys = {}

    def register(self, fileobj, events, data=None):
        fd = fileobj if isinstance(fileobj, int) else fileobj.fileno()
        key = selectors.SelectorKey(fileobj, fd, events, data)
        self._keys[fd] = key
        return key

    def unregister(self, fileobj):
        fd = fileobj if isinstance(fileobj, int) else fileobj.fileno()
        return self._keys.pop(fd)

    def select(self, timeout=None):
        if timeout is None:
            raise RuntimeError("deadlock: nothing is ready and no timer is set")
        self._loop.now += timeout
        return []

    def get_map(self):
        return self._keys

    def close(self):
        self._keys.clear()


class VirtualClockLoop(asyncio.SelectorEventLoop):
    def __init__(self):
        self.now = 0.0
        super().__init__(selector=_NoWaitSelector(self))

    def time(self):
        return self.now


def run(main, *args, virtual=False, collect_garbage=True, debug=True):
    """``main(*args)`` on a fresh event loop in debug mode, checked.

    Fails if asyncio reports anything through its exception handler (during
    the run, at shutdown, or when the garbage it left is collected) or if
    any task but the main one is pending once ``main`` has returned and the
    loop has turned a few times (cancelled tasks end on the next turn).
    The collection takes tens of milliseconds in a test process: the many
    runs of a hypothesis test that makes no task skip it.  Debug mode
    records a traceback at every callback scheduled: a run of thousands of
    schedules, checked for their results only, goes without.
    """
    loop = VirtualClockLoop() if virtual else asyncio.new_event_loop()
    reports = []
    loop.set_exception_handler(lambda loop, context: reports.append(context))
    loop.set_debug(debug)

    async def checked():
        result = await main(*args)
        await settle()
        pending = asyncio.all_tasks() - {asyncio.current_task()}
        assert not pending, pending
        return result

    try:
        result = loop.run_until_complete(checked())
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        # (the executor's threads joined, as asyncio.run does: close() alone
        # lets them end whenever, which the refleak session counted)
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
    if collect_garbage:
        gc.collect()
    assert not reports, reports
    return result


async def settle(turns=3):
    """Let the loop turn a few times (cancelled tasks finish meanwhile)."""
    for _ in range(turns):
        await asyncio.sleep(0)


async def collect(aiterator, limit=None):
    """Drain *aiterator*: (items, None) or (items so far, (type, message))."""
    items = []
    try:
        async for item in aiterator:
            items.append(item)
            if limit is not None and len(items) >= limit:
                break
    except Exception as exc:  # the outcome under comparison
        return items, (type(exc), str(exc))
    return items, None


class Failure(Exception):
    """The error the test sources raise."""


class Interrupt(BaseException):
    """A BaseException that is not an Exception, as KeyboardInterrupt is."""


class Source:
    """An async iterator over *items* whose i-th ``__anext__()`` does what
    ``delays[i]`` says first: None returns at once (no suspension), 0 yields
    to the loop once, d > 0 sleeps d units; it raises *exc* (a Failure by
    default) at pull *fail_at* (0-based, after its delay) and ends after
    the items.  It records, on the loop's clock, when each pull began and
    ended and when each item came, and counts calls of its ``aclose()``.
    """

    def __init__(self, items, delays=(), fail_at=None, exc=None):
        self.items = list(items)
        self.delays = list(delays)
        self.fail_at = fail_at
        self.exc = exc if exc is not None else Failure("source failed")
        self.pulls = 0
        self.started = []
        self.ended = []
        self.arrived = []  # the time each item was returned
        self.closed = 0
        self.in_flight = 0
        self.most_in_flight = 0

    def __aiter__(self):
        return self

    async def __anext__(self):
        i = self.pulls
        self.pulls += 1
        loop = asyncio.get_running_loop()
        self.started.append(loop.time())
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            delay = self.delays[i] if i < len(self.delays) else None
            if delay is not None:
                await asyncio.sleep(delay * UNIT)
            if i == self.fail_at:
                raise self.exc
            if not self.items:
                raise StopAsyncIteration
            item = self.items.pop(0)
            self.arrived.append(loop.time())
        finally:
            self.in_flight -= 1
            self.ended.append(loop.time())
        return item

    async def aclose(self):
        self.closed += 1


async def agen(items, delays=()):
    """An async generator over *items*, suspending as :class:`Source` does."""
    for i, item in enumerate(items):
        delay = delays[i] if i < len(delays) else None
        if delay is not None:
            await asyncio.sleep(delay * UNIT)
        yield item
