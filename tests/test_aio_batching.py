"""cyiter.aio.abatched and achunked, on both twins (the ``impl`` fixture).

Without a timeout they must give what more_itertools.batched / chunked
(and asyncstdlib.batched) give over the same items, however the source
suspends.  The timeout tests run on a virtual clock (aio_support).
"""

import asyncio

import asyncstdlib
import more_itertools
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aio_support import UNIT, Failure, Interrupt, Source, agen, collect, run, settle
from support import outcome

# the ``impl`` fixture is the same for every example of a test
with_impl = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

ITEMS = st.lists(st.integers(), max_size=40)
# what each pull does first: nothing, or yield to the event loop once
SUSPENSIONS = st.lists(st.sampled_from([None, 0]), max_size=40)


def grouped(impl, name, items, n, strict=False, delays=(), sources=(agen,), **kwargs):
    """The outcome of ``impl.<name>`` over *items* (its batches, then its
    error as (type, message)), with the source suspending per *delays*;
    one outcome per kind of source in *sources*, in one event loop."""

    async def main():
        cls = getattr(impl, name)
        return [
            await collect(cls(source(items, delays), n, strict=strict, **kwargs))
            for source in sources
        ]

    return run(main, collect_garbage=False)


class TestAgainstReferences:
    @with_impl
    @given(items=ITEMS, n=st.integers(1, 8), strict=st.booleans(), delays=SUSPENSIONS)
    def test_abatched_is_batched(self, impl, items, n, strict, delays):
        expected = outcome(lambda: more_itertools.batched(items, n, strict=strict))
        assert grouped(impl, "abatched", items, n, strict, delays, (agen, Source)) == [expected] * 2

    @with_impl
    @given(items=ITEMS, n=st.integers(1, 8), strict=st.booleans(), delays=SUSPENSIONS)
    def test_abatched_is_asyncstdlib_batched(self, impl, items, n, strict, delays):
        def reference(items, delays):
            return asyncstdlib.batched(agen(items, delays), n, strict=strict)

        def mine(items, delays):
            return impl.abatched(agen(items, delays), n, strict=strict)

        async def main():
            return [await collect(make(items, delays)) for make in (reference, mine)]

        expected, got = run(main, collect_garbage=False)
        assert got == expected

    @with_impl
    @given(
        items=ITEMS,
        n=st.one_of(st.none(), st.integers(0, 8)),
        strict=st.booleans(),
        delays=SUSPENSIONS,
    )
    def test_achunked_is_chunked(self, impl, items, n, strict, delays):
        expected = outcome(lambda: more_itertools.chunked(items, n, strict=strict))
        try:
            (mine,) = grouped(impl, "achunked", items, n, strict, delays)
        except ValueError as exc:  # at creation, as chunked raises at once
            mine = "at creation", (ValueError, str(exc))
        assert mine == expected

    def test_abatched_gives_tuples_and_achunked_lists(self, impl):
        ((batches, _),) = grouped(impl, "abatched", range(5), 2)
        assert [type(b) for b in batches] == [tuple] * 3
        ((chunks, _),) = grouped(impl, "achunked", range(5), 2)
        assert [type(c) for c in chunks] == [list] * 3

    @pytest.mark.parametrize("timeout", [None, 1.0])
    def test_a_source_that_suspends_between_every_item(self, impl, timeout):
        items = list(range(23))
        expected = (list(more_itertools.batched(items, 5)), None)
        got = grouped(impl, "abatched", items, 5, delays=[0] * 23, timeout=timeout)
        assert got == [expected]


def creation_error(factory):
    with pytest.raises(Exception) as info:
        factory()
    return info.type, str(info.value)


class TestArguments:
    """The checks and messages of the sync twins, which follow the references."""

    @pytest.mark.parametrize("n", [0, -1, "3", 2.0, None, 2**70, -(2**70)])
    def test_abatched_n_as_batched(self, impl, n):
        expected = creation_error(lambda: impl.batched([1], n))
        assert creation_error(lambda: impl.abatched(agen([1]), n)) == expected

    @pytest.mark.parametrize("n", [-1, 1.5, "2", 2**70])
    def test_achunked_n_as_chunked(self, impl, n):
        expected = creation_error(lambda: impl.chunked([1], n))
        assert creation_error(lambda: impl.achunked(agen([1]), n)) == expected

    def test_achunked_strict_needs_n(self, impl):
        with pytest.raises(ValueError, match=r"^n must not be None when using strict mode\.$"):
            impl.achunked(agen([1]), None, strict=True)

    @pytest.mark.parametrize("name", ["abatched", "achunked"])
    @pytest.mark.parametrize("source", [[1, 2], iter([1, 2]), 3])
    def test_source_must_be_an_async_iterable(self, impl, name, source):
        with pytest.raises(TypeError) as info:
            getattr(impl, name)(source, 2)
        with pytest.raises(TypeError) as reference:
            aiter(source)
        assert str(info.value) == str(reference.value)

    @pytest.mark.parametrize("name", ["abatched", "achunked"])
    @pytest.mark.parametrize(
        "timeout, error, message",
        [
            (-1, ValueError, "timeout must be a non-negative number of seconds or None"),
            (float("nan"), ValueError, "timeout must be a non-negative number of seconds or None"),
            ("1", TypeError, "timeout must be a number of seconds or None, not 'str'"),
            (1j, TypeError, "timeout must be a number of seconds or None, not 'complex'"),
        ],
    )
    def test_bad_timeout(self, impl, name, timeout, error, message):
        with pytest.raises(error) as info:
            getattr(impl, name)(agen([]), 2, timeout=timeout)
        assert str(info.value) == message

    def test_keyword_only_arguments(self, impl):
        with pytest.raises(TypeError):
            impl.abatched(agen([]), 2, True)
        with pytest.raises(TypeError):
            impl.achunked(agen([]), 2, False, 1.0)
        impl.achunked(agen([]), 2, True, timeout=1.0)


class TestSourceErrors:
    """An error of the source behind a partial batch comes after the batch."""

    def test_error_after_the_partial_batch(self, impl):
        async def main():
            src = Source(range(10), fail_at=4)
            it = impl.abatched(src, 3)
            first = await anext(it)
            second = await anext(it)  # the batch before the error...
            with pytest.raises(Failure):  # ...then the error
                await anext(it)
            # abatched does not end itself (itertools.batched does not
            # either): the next call asks the source again
            rest = [b async for b in it]
            return first, second, rest

        first, second, rest = run(main)
        assert (first, second) == ((0, 1, 2), (3,))
        assert rest == [(4, 5, 6), (7, 8, 9)]

    def test_error_at_a_batch_boundary_is_raised_at_once(self, impl):
        async def main():
            it = impl.abatched(Source(range(10), fail_at=3), 3)
            assert await anext(it) == (0, 1, 2)
            with pytest.raises(Failure):
                await anext(it)
            return await anext(it)

        assert run(main) == (3, 4, 5)

    def test_strict_raises_at_once_and_keeps_the_items(self, impl):
        async def main():
            it = impl.abatched(Source(range(10), fail_at=4), 3, strict=True)
            assert await anext(it) == (0, 1, 2)
            with pytest.raises(Failure):
                await anext(it)
            return await collect(it)

        # the 3 taken before the error are not lost: they open the next batch
        assert run(main) == ([(3, 4, 5), (6, 7, 8)], (ValueError, "batched(): incomplete batch"))

    def test_achunked_strict_ends_on_an_error(self, impl):
        async def main():
            it = impl.achunked(Source(range(10), fail_at=4), 3, strict=True)
            assert await anext(it) == [0, 1, 2]
            with pytest.raises(Failure):
                await anext(it)
            return [b async for b in it]

        # more_itertools.chunked(strict=True) is a generator: an error ends it
        assert run(main) == []

    def test_a_base_exception_is_raised_at_once_and_the_items_kept(self, impl):
        async def main():
            it = impl.abatched(Source(range(7), fail_at=2, exc=Interrupt()), 3)
            with pytest.raises(Interrupt):
                await anext(it)
            return [b async for b in it]

        assert run(main) == [(0, 1, 2), (3, 4, 5), (6,)]

    def test_anext_default_at_the_end(self, impl):
        async def main():
            it = impl.abatched(agen([1]), 3)
            return await anext(it, "end"), await anext(it, "end"), await anext(it, "end")

        assert run(main) == ((1,), "end", "end")

    @pytest.mark.parametrize("timeout", [None, 1.0])
    def test_anext_that_raises_synchronously(self, impl, timeout):
        class Raw:
            def __init__(self):
                self.left = [1, 2, 3]

            def __aiter__(self):
                return self

            def __anext__(self):
                if not self.left:
                    raise StopAsyncIteration
                future = asyncio.get_running_loop().create_future()
                future.set_result(self.left.pop(0))
                return future

        async def main():
            return [b async for b in impl.abatched(Raw(), 2, timeout=timeout)]

        assert run(main) == [(1, 2), (3,)]

    def test_anext_returning_a_non_awaitable(self, impl):
        class Bad:
            def __aiter__(self):
                return self

            def __anext__(self):
                return 5

        async def main():
            with pytest.raises(TypeError, match="^object int can't be used in 'await' expression$"):
                await anext(impl.abatched(Bad(), 2))

        run(main)

    def test_a_source_raising_stop_iteration(self, impl):
        class Bad:
            def __aiter__(self):
                return self

            def __anext__(self):
                raise StopIteration

        async def main():
            with pytest.raises(RuntimeError, match="raised StopIteration") as info:
                await anext(impl.abatched(Bad(), 2))
            assert isinstance(info.value.__cause__, StopIteration)

        run(main)
