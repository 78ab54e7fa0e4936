"""Cleanup of the cyiter.aio iterators, on both twins.

``aclose()``, ``async with``, breaking out of ``async for``, cancelling the
consumer and dropping the iterator must leave no task pending and nothing
reported by asyncio (``run`` of aio_support checks both, in debug mode, and
pytest turns every warning into an error); the source the caller passed in
is never closed.
"""

import asyncio
import gc
import random

import asyncstdlib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aio_support import UNIT, Source, run, settle

with_impl = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

TIMEOUTS = [None, 3 * UNIT]


def others():
    return asyncio.all_tasks() - {asyncio.current_task()}


@pytest.mark.parametrize("timeout", TIMEOUTS)
class TestClosing:
    def test_aclose_twice(self, impl, timeout):
        async def main():
            src = Source(range(10), delays=[1] * 10)
            it = impl.abatched(src, 4, timeout=timeout)
            first = await anext(it)
            await it.aclose()
            assert not others()  # a pending pull of the source ended with it
            await it.aclose()
            assert await anext(it, "end") == "end"
            assert src.closed == 0  # never the caller's source
            return first

        assert run(main, virtual=True) in ((0, 1, 2, 3), (0, 1, 2))

    def test_aclose_before_any_anext(self, impl, timeout):
        async def main():
            src = Source(range(3))
            it = impl.achunked(src, 2, timeout=timeout)
            await it.aclose()
            assert [b async for b in it] == []
            assert src.pulls == 0 and src.closed == 0

        run(main, virtual=True)

    def test_async_with(self, impl, timeout):
        async def main():
            src = Source(range(10), delays=[1] * 10)
            async with impl.abatched(src, 4, timeout=timeout) as it:
                assert await anext(it)
            assert not others()
            assert await anext(it, "end") == "end"
            with pytest.raises(KeyError):
                async with impl.abatched(src, 4, timeout=timeout) as it:
                    await anext(it)
                    raise KeyError
            assert not others() and src.closed == 0

        run(main, virtual=True)

    def test_break_out_of_async_for(self, impl, timeout):
        async def main():
            src = Source(range(10), delays=[1] * 10)
            async for batch in impl.abatched(src, 4, timeout=timeout):
                break
            await settle()
            assert not others()
            # the source is the caller's, open, and still in one piece
            rest = [x async for x in src]
            assert batch + tuple(rest) == tuple(range(10))
            assert src.closed == 0

        run(main, virtual=True)

    def test_dropped_in_a_reference_cycle(self, impl, timeout):
        async def main():
            it = impl.abatched(Source(range(10), delays=[1] * 10), 4, timeout=timeout)
            await anext(it)
            cycle = [it]
            cycle.append(cycle)
            del it, cycle
            gc.collect()
            await settle()
            assert not others()

        run(main, virtual=True)


def test_asyncstdlib_closes_the_source_and_cyiter_does_not(impl):
    """The README's comparison: asyncstdlib.batched closes (aclose) the
    iterator it was given when it is closed; cyiter.aio never does."""

    async def main():
        theirs, mine = Source(range(10)), Source(range(10))
        b = asyncstdlib.batched(theirs, 3)
        await anext(b)
        await b.aclose()
        c = impl.abatched(mine, 3)
        await anext(c)
        await c.aclose()
        return theirs.closed, mine.closed

    assert run(main) == (1, 0)


async def cancelled(impl, size, delays, n, timeout, cancel_after):
    """The items two consumers get, one after the other, from one iterator:
    the first is cancelled after *cancel_after* units, the second drains it."""
    src = Source(range(size), delays=delays)
    it = impl.abatched(src, n, timeout=None if timeout is None else timeout * UNIT)
    got = []

    async def consume():
        async for batch in it:
            got.extend(batch)

    task = asyncio.get_running_loop().create_task(consume())
    await asyncio.sleep(cancel_after * UNIT)
    task.cancel()  # unless it is done
    await asyncio.gather(task, return_exceptions=True)
    async for batch in it:
        got.extend(batch)
    return got


class TestCancellingTheConsumer:
    @settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        size=st.integers(0, 20),
        delays=st.lists(st.one_of(st.none(), st.integers(0, 5)), max_size=21),
        n=st.integers(1, 5),
        timeout=st.one_of(st.none(), st.integers(0, 6)),
        cancel_after=st.integers(0, 40),
    )
    def test_nothing_lost_nothing_left(self, impl, size, delays, n, timeout, cancel_after):
        """Cancel the consumer at a random time; a second consumer of the
        same iterator then gets every item the first did not, once."""
        case = (size, delays, n, timeout, cancel_after)
        assert run(cancelled, impl, *case, virtual=True, collect_garbage=False) == list(range(size))

    def test_thousands_of_cancellations(self, impl):
        async def main():
            for seed in range(1000):
                rng = random.Random(seed)
                size = rng.randrange(21)
                delays = [rng.choice([None, rng.randint(0, 5)]) for _ in range(size + 1)]
                timeout = rng.choice([None, rng.randint(0, 6)])
                case = (size, delays, rng.randint(1, 5), timeout, rng.randint(0, 40))
                assert await cancelled(impl, *case) == list(range(size)), (seed, case)
                await settle()
                assert not others(), (seed, case)

        run(main, virtual=True, debug=False)

    @pytest.mark.parametrize("timeout", TIMEOUTS)
    def test_wait_for_timing_out_loses_nothing(self, impl, timeout):
        async def main():
            # without a timeout each cancellation cancels the source's pull
            # too (it runs in the consumer's task), so the pulls must fit
            it = impl.abatched(Source(range(8), delays=[2] * 8), 3, timeout=timeout)
            got = []
            while True:
                try:
                    got.extend(await asyncio.wait_for(anext(it), 3 * UNIT))
                except asyncio.TimeoutError:
                    continue
                except StopAsyncIteration:
                    return got

        assert run(main, virtual=True) == list(range(8))

    @pytest.mark.parametrize("timeout", TIMEOUTS)
    def test_cancelled_and_dropped(self, impl, timeout):
        async def main():
            it = impl.abatched(Source(range(10), delays=[2] * 10), 4, timeout=timeout)

            async def consume():
                async for _ in it:
                    pass

            task = asyncio.get_running_loop().create_task(consume())
            await asyncio.sleep(5 * UNIT)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            # the loop lets go of the task on its next turn; the traceback
            # of its cancellation holds frames that hold the iterator (the
            # pure twin's): a reference cycle, for the collector
            del task, consume, it
            await settle()
            gc.collect()
            await settle()
            assert not others()

        run(main, virtual=True)


@pytest.mark.parametrize("timeout", TIMEOUTS)
class TestOneAtATime:
    def test_a_second_anext_while_one_waits(self, impl, timeout):
        async def main():
            it = impl.abatched(Source(range(10), delays=[5] * 10), 4, timeout=timeout)
            waiting = asyncio.ensure_future(anext(it))
            await asyncio.sleep(UNIT)
            with pytest.raises(RuntimeError, match="already running"):
                await anext(it)
            with pytest.raises(RuntimeError, match="already running"):
                await it.aclose()
            first = await waiting
            await it.aclose()
            return first

        assert run(main, virtual=True)

    def test_reentrant_anext_from_the_source(self, impl, timeout):
        class Reentrant(Source):
            async def __anext__(self):
                if self.pulls == 1:
                    self.pulls += 1
                    with pytest.raises(RuntimeError, match="already running"):
                        await anext(self.outer)
                return await super().__anext__()

        async def main():
            src = Reentrant(range(4))
            src.outer = impl.abatched(src, 4, timeout=timeout)
            return [b async for b in src.outer]

        assert run(main) == [(0, 1, 2, 3)]


class TestTheAwaitable:
    """The object ``__anext__()`` returns behaves as a coroutine does."""

    def test_awaited_twice(self, impl):
        async def main():
            it = impl.abatched(Source(range(3)), 2)
            step = it.__anext__()
            assert await step == (0, 1)
            with pytest.raises(RuntimeError, match=r"^cannot reuse already awaited __anext__\(\)$"):
                await step

        run(main)

    def test_send_non_none_first(self, impl):
        step = impl.abatched(Source(range(3)), 2).__anext__()
        with pytest.raises(TypeError, match="can't send non-None value"):
            step.send(1)

    def test_throw_before_start(self, impl):
        it = impl.abatched(Source(range(3)), 2)
        step = it.__anext__()
        with pytest.raises(KeyError):
            step.throw(KeyError("x"))
        with pytest.raises(RuntimeError, match="cannot reuse"):
            step.send(None)

    def test_driven_by_hand_then_closed(self, impl):
        async def main():
            it = impl.abatched(Source(range(5), delays=[0] * 5), 2)
            step = it.__anext__()
            yielded = step.send(None)  # the source's sleep(0)
            assert yielded is None
            step.close()
            step.close()
            return [b async for b in it]

        # the pull that was interrupted is the source's business; nothing
        # of cyiter's is left running
        assert run(main) == [(0, 1), (2, 3), (4,)]

    def test_driven_by_hand_then_dropped(self, impl):
        async def main():
            it = impl.abatched(Source(range(5), delays=[0] * 5), 2)
            step = it.__anext__()
            step.send(None)
            del step
            gc.collect()
            return [b async for b in it]

        assert run(main) == [(0, 1), (2, 3), (4,)]

    def test_throw_into_a_suspended_step(self, impl):
        async def main():
            it = impl.abatched(Source(range(5), delays=[0] * 5), 2)
            step = it.__anext__()
            step.send(None)
            with pytest.raises(KeyError):
                step.throw(KeyError)  # into the source's pending pull
            return [b async for b in it]

        assert run(main) == [(0, 1), (2, 3), (4,)]

    def test_another_event_loop(self, impl):
        # n=1: the puller is done once the batch is, before the loop closes
        it = impl.abatched(Source(range(10), delays=[1] * 10), 1, timeout=UNIT)

        async def first():
            assert await anext(it)

        async def second():
            with pytest.raises(RuntimeError, match="another event loop"):
                await anext(it)
            await settle()

        run(first, virtual=True)
        run(second, virtual=True)
