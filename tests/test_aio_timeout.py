"""abatched and achunked with a timeout, on a virtual clock (aio_support).

Times are in units of ``UNIT`` seconds.  The rule under test: a batch is
handed out when it has n items, or ``timeout`` after its first item, where
an item that came while nobody waited counts from the next ``__anext__()``
call; the source's pending ``__anext__()`` is never cancelled, and at most
one runs at a time.
"""

import asyncio
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aio_support import UNIT, Failure, Source, run

async def timed(it, pause=()):
    """[(batch, called, delivered)] in units, then the error (type, message);
    the consumer pauses pause[i] units after the i-th batch."""
    loop = asyncio.get_running_loop()
    out = []
    while True:
        called = loop.time()
        try:
            batch = await anext(it)
        except StopAsyncIteration:
            return out, None
        except Exception as exc:
            return out, (type(exc), str(exc))
        out.append((batch, called / UNIT, loop.time() / UNIT))
        if len(out) <= len(pause) and pause[len(out) - 1]:
            await asyncio.sleep(pause[len(out) - 1] * UNIT)


def batches_of(impl, source, n, timeout, name="abatched", pause=()):
    async def main():
        it = getattr(impl, name)(source, n, timeout=timeout * UNIT)
        return await timed(it, pause)

    return run(main, virtual=True)


class TestSchedules:
    def test_a_slow_source(self, impl):
        # an item every 3 units, batches of up to 10 or 7 units after the
        # first item: the item in flight at the timeout opens the next batch
        src = Source(range(10), delays=[3] * 10)
        out, error = batches_of(impl, src, 10, 7)
        assert [(b, t) for b, _, t in out] == [
            ((0, 1, 2), 10),
            ((3, 4, 5), 19),
            ((6, 7, 8), 28),
            ((9,), 30),  # the source ended at 30
        ]
        assert error is None
        assert src.pulls == 11 and src.most_in_flight == 1
        assert len(src.ended) == 11  # every pull completed: none was cancelled

    def test_a_source_slower_than_the_timeout(self, impl):
        src = Source(range(5), delays=[10] * 5)
        out, error = batches_of(impl, src, 4, 3)
        assert [(b, t) for b, _, t in out] == [((0,), 13), ((1,), 23), ((2,), 33), ((3,), 43), ((4,), 50)]
        assert src.pulls == 6 and src.most_in_flight == 1 and len(src.ended) == 6

    def test_bursts(self, impl):
        # bursts of 4 items, the first of each after a sleep of 5 units:
        # a burst fills a batch at once, its last item waits for the timeout
        delays = [5, None, None, None] * 3
        src = Source(range(12), delays=delays)
        out, _ = batches_of(impl, src, 3, 2)
        assert [(b, t) for b, _, t in out] == [
            ((0, 1, 2), 5),
            ((3,), 7),
            ((4, 5, 6), 10),
            ((7,), 12),
            ((8, 9, 10), 15),
            ((11,), 15),  # the source ended at once after it
        ]

    def test_timeout_zero_hands_out_what_came_at_once(self, impl):
        delays = [1, None, None, 1, None, 1]
        out, _ = batches_of(impl, Source(range(6), delays=delays), 10, 0)
        assert [(b, t) for b, _, t in out] == [((0, 1, 2), 1), ((3, 4), 2), ((5,), 3)]

    def test_a_full_batch_does_not_wait(self, impl):
        out, _ = batches_of(impl, Source(range(7), delays=[1] * 7), 3, 100)
        assert [(b, t) for b, _, t in out] == [((0, 1, 2), 3), ((3, 4, 5), 6), ((6,), 7)]

    def test_an_error_mid_batch_comes_after_the_batch(self, impl):
        src = Source(range(6), delays=[1] * 10, fail_at=2)
        out, error = batches_of(impl, src, 5, 10)
        assert [(b, t) for b, _, t in out] == [((0, 1), 3)]
        assert error == (Failure, "source failed")

        async def main():
            it = impl.abatched(Source(range(6), delays=[1] * 10, fail_at=2), 5, timeout=10 * UNIT)
            first = await anext(it)
            with pytest.raises(Failure):
                await anext(it)
            return first, [b async for b in it]  # the source is asked again

        assert run(main, virtual=True) == ((0, 1), [(2, 3, 4, 5)])

    def test_the_end_flushes_the_partial_batch(self, impl):
        out, error = batches_of(impl, Source(range(4), delays=[1] * 4), 3, 100, name="achunked")
        assert [(b, t) for b, _, t in out] == [([0, 1, 2], 3), ([3], 4)]
        assert error is None

    def test_an_empty_source_yields_nothing(self, impl):
        assert batches_of(impl, Source([], delays=[2]), 3, 1) == ([], None)

    def test_achunked_none_gathers_until_the_timeout(self, impl):
        out, _ = batches_of(impl, Source(range(5), delays=[1] * 5), None, 3, name="achunked")
        assert [(b, t) for b, _, t in out] == [([0, 1, 2], 4), ([3, 4], 5)]

    def test_strict_raises_on_the_short_last_batch(self, impl):
        async def main():
            it = impl.abatched(Source(range(4), delays=[1] * 4), 3, strict=True, timeout=100 * UNIT)
            return await timed(it)

        out, error = run(main, virtual=True)
        assert [b for b, _, _ in out] == [(0, 1, 2)]
        assert error == (ValueError, "batched(): incomplete batch")

    def test_an_item_that_came_while_nobody_waited_counts_from_the_next_call(self, impl):
        # the first batch is handed out at 6 with item 3 in flight; it comes
        # at 7 while the consumer pauses; the next batch counts from the
        # call at 26, not from 7
        src = Source(range(4), delays=[1, 1, 2, 3, 30])
        out, _ = batches_of(impl, src, 10, 5, pause=[20])
        assert out == [((0, 1, 2), 0, 6), ((3,), 26, 31)]


# what each pull does: nothing, yield to the loop once, or sleep 1 to 8 units
DELAY = st.one_of(st.none(), st.just(0), st.integers(1, 8))


@st.composite
def schedules(draw):
    size = draw(st.integers(0, 30))
    return {
        "delays": draw(st.lists(DELAY, min_size=size + 1, max_size=size + 1)),
        "size": size,
        "n": draw(st.integers(1, 6)),
        "timeout": draw(st.integers(0, 10)),
        "fail_at": draw(st.one_of(st.none(), st.integers(0, size))),
        "pause": draw(st.lists(st.integers(0, 6), max_size=size)),
    }


async def follow(impl, schedule):
    """Run *schedule* (see :func:`schedules`) and check every rule; the
    source and the batches it gave, for the caller to check more."""
    s = schedule
    items = list(range(s["size"]))
    src = Source(items, delays=s["delays"], fail_at=s["fail_at"])
    n, timeout = s["n"], s["timeout"]
    it = impl.abatched(src, n, timeout=timeout * UNIT)
    first, error = await timed(it, s["pause"])
    rest = []
    if error is not None:  # then the source is asked again
        rest, error2 = await timed(it)
        assert error2 is None
    records = first + rest
    batches = [b for b, _, _ in records]
    # nothing lost, duplicated or reordered; the error raised once
    assert [x for b in batches for x in b] == items
    assert (error is not None) == (s["fail_at"] is not None)
    assert all(1 <= len(b) <= n for b in batches)
    # one pull at a time, none cancelled
    assert src.most_in_flight == 1 and len(src.ended) == src.pulls
    arrived = [t / UNIT for t in src.arrived]
    position = 0
    for k, (batch, called, delivered) in enumerate(records):
        first_at = max(called, arrived[position])
        last_at = arrived[position + len(batch) - 1]
        position += len(batch)
        assert last_at <= delivered <= first_at + timeout
        if len(batch) == n:
            assert delivered == max(called, last_at)
        elif position < len(items) and not (error and k == len(first) - 1):
            # a short batch that neither the end nor the error cut short
            assert delivered == first_at + timeout
            assert arrived[position] >= delivered  # nothing left behind
    return batches


def random_schedule(rng):
    """What :func:`schedules` draws, from a random.Random."""
    size = rng.randrange(31)
    return {
        "delays": [rng.choice([None, 0, rng.randint(1, 8)]) for _ in range(size + 1)],
        "size": size,
        "n": rng.randint(1, 6),
        "timeout": rng.randint(0, 10),
        "fail_at": rng.choice([None, rng.randint(0, size)]),
        "pause": [rng.randint(0, 6) for _ in range(rng.randrange(size + 1))],
    }


class TestRandomSchedules:
    @settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(schedule=schedules())
    def test_nothing_lost_and_every_batch_on_time(self, impl, schedule):
        run(follow, impl, schedule, virtual=True, collect_garbage=False)

    def test_thousands_of_schedules(self, impl):
        # hypothesis shrinks a failure; this covers more ground, one loop
        # for all (a failure names its seed)
        async def main():
            for seed in range(2000):
                schedule = random_schedule(random.Random(seed))
                try:
                    await follow(impl, schedule)
                except AssertionError as exc:
                    raise AssertionError(f"seed {seed}: {schedule}") from exc

        run(main, virtual=True, debug=False)
