"""cyiter.aio.aflatten, on both twins: itertools.chain.from_iterable over an
async iterable of sync and async iterables, with cyiter.flatten's rules."""

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import support
from aio_support import Failure, Source, agen, collect, run

with_impl = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

# an inner iterable: its items, and how it is given (a list, a tuple, an
# async generator or an async iterator, suspending before each item or not)
INNERS = st.lists(
    st.tuples(
        st.lists(st.integers(), max_size=5),
        st.sampled_from(["list", "tuple", "agen", "Source"]),
        st.sampled_from([None, 0]),
    ),
    max_size=8,
)


def inner(items, kind, delay):
    if kind == "list":
        return list(items)
    if kind == "tuple":
        return tuple(items)
    delays = [delay] * (len(items) + 1)
    return agen(items, delays) if kind == "agen" else Source(items, delays)


class TestAgainstChain:
    @with_impl
    @given(inners=INNERS, delay=st.sampled_from([None, 0]))
    def test_chain_from_iterable(self, impl, inners, delay):
        expected = list(itertools.chain.from_iterable(items for items, _, _ in inners))

        async def main():
            outer = Source([inner(*spec) for spec in inners], delays=[delay] * (len(inners) + 1))
            return await collect(impl.aflatten(outer))

        assert run(main, collect_garbage=False) == (expected, None)

    def test_strings_and_empty_inners(self, impl):
        async def main():
            return await collect(impl.aflatten(agen(["ab", [], (), "", "c"])))

        assert run(main) == (["a", "b", "c"], None)


class TestErrors:
    """The sync twin's rules, checked against cyiter.flatten itself."""

    @pytest.mark.parametrize("fail_at", [1, 2, 3])
    def test_an_error_of_the_outer_ends_it(self, impl, fail_at):
        inners = [[1, 2], [3], [4, 5]]
        sync = impl.flatten(support.Source(inners, fail_at=fail_at))
        expected = support.run(sync)

        async def main():
            it = impl.aflatten(Source(inners, fail_at=fail_at - 1, exc=ZeroDivisionError("source failed")))
            got = await collect(it)
            return got, await anext(it, "end")

        assert run(main) == (expected, "end")
        assert support.run(sync) == ([], None)  # the sync twin ended too

    def test_an_item_that_is_not_iterable_ends_it(self, impl):
        async def main():
            it = impl.aflatten(agen([[1], 2, [3]]))
            got = await collect(it)
            return got, await anext(it, "end")

        with pytest.raises(TypeError) as info:
            iter(2)
        assert run(main) == (([1], (TypeError, str(info.value))), "end")

    @pytest.mark.parametrize("kind", ["sync", "async"])
    def test_an_error_of_an_inner_one_is_raised_and_it_is_asked_again(self, impl, kind):
        def failing():
            if kind == "sync":
                return support.Source([1, 2, 3], fail_at=2)
            return Source([1, 2, 3], fail_at=1, exc=ZeroDivisionError("source failed"))

        async def main():
            it = impl.aflatten(agen([failing(), [9]]))
            first = await collect(it)
            return first, await collect(it)

        assert run(main) == (([1], (ZeroDivisionError, "source failed")), ([2, 3, 9], None))

    def test_an_inner_async_iterable_whose_aiter_fails(self, impl):
        class Bad:
            def __aiter__(self):
                raise KeyError("no")

        async def main():
            it = impl.aflatten(agen([[1], Bad(), [2]]))
            return await collect(it), await anext(it, "end")

        assert run(main) == (([1], (KeyError, "'no'")), "end")

    def test_not_an_async_iterable(self, impl):
        with pytest.raises(TypeError, match="^'list' object is not an async iterable$"):
            impl.aflatten([[1]])


class TestComposition:
    def test_batches_of_a_flattened_stream(self, impl):
        async def main():
            inners = [[1, 2], agen([3, 4, 5], [0, None, 0]), (6,)]
            return [b async for b in impl.abatched(impl.aflatten(agen(inners)), 4)]

        assert run(main) == [(1, 2, 3, 4), (5, 6)]

    def test_flattening_batches(self, impl):
        async def main():
            batches = impl.achunked(agen(range(7), [0] * 7), 3)
            return [x async for x in impl.aflatten(batches)]

        assert run(main) == list(range(7))

    def test_aclose(self, impl):
        async def main():
            src = Source([[1, 2], [3]])
            async with impl.aflatten(src) as it:
                assert await anext(it) == 1
            assert await anext(it, "end") == "end"
            await it.aclose()
            return src.closed

        assert run(main) == 0
