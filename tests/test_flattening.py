"""Conformance of flatten and collapse (both twins)."""

import itertools
import operator
import pickle
from collections.abc import Iterable

import more_itertools
import pytest
from support import NoIter, NoNext, Source, outcome, roundtrip


class TestFlatten:
    @pytest.mark.parametrize(
        "data",
        [
            lambda: [],
            lambda: [[]],
            lambda: [[1, 2], (3,), "ab", range(3), iter([4, 5]), {6: 0}, b"xy", []],
            lambda: [[[1]], [2]],
        ],
    )
    def test_matches_chain_from_iterable(self, impl, data):
        assert list(impl.flatten(data())) == list(itertools.chain.from_iterable(data()))

    def test_not_iterable(self, impl):
        for bad in (5, NoIter(), NoNext()):
            with pytest.raises(TypeError) as ref:
                itertools.chain.from_iterable(bad)
            with pytest.raises(TypeError) as ours:
                impl.flatten(bad)
            assert str(ours.value) == str(ref.value)

    def test_non_iterable_item_ends_it_like_chain(self, impl):
        def outcome_of(make):
            it = make([[1], 2, [3]])
            return outcome(lambda: it), list(it)

        assert outcome_of(impl.flatten) == outcome_of(itertools.chain.from_iterable)

    @pytest.mark.parametrize("where", ["outer", "inner"])
    def test_errors_propagate_like_chain(self, impl, where):
        def make(factory):
            if where == "outer":
                return factory(Source([[1, 2], [3]], fail_at=2))
            return factory([[0], Source([1, 2, 3], fail_at=2), [9]])

        ours, ref = make(impl.flatten), make(itertools.chain.from_iterable)
        assert outcome(lambda: ours) == outcome(lambda: ref)
        assert list(ours) == list(ref)

    def test_exhausted_stays_exhausted_without_pulling(self, impl):
        src = Source([[1], [2]])
        f = impl.flatten(src)
        assert list(f) == [1, 2]
        pulls = src.pulls
        src.items.append([3])
        assert list(f) == []
        assert src.pulls == pulls

    def test_inner_list_growing_while_iterated(self, impl):
        inner = [1, 2]
        out = []
        for x in impl.flatten([inner, [9]]):
            out.append(x)
            if len(inner) < 4:
                inner.append(len(inner) + 1)
        assert out == [1, 2, 3, 4, 9]

    @pytest.mark.parametrize("k", range(6))
    def test_pickle_resumes_exactly(self, impl, k):
        f = impl.flatten([[1, 2], (3, 4), [], [5]])
        for _ in range(k):
            next(f, None)
        assert list(roundtrip(f)) == list(f)

    @pytest.mark.parametrize("k", range(12))
    def test_pickle_resumes_on_the_other_twin(self, impl, other_impl, k, monkeypatch):
        from cyiter import _select

        inner = [1, 2, 3]
        f = impl.flatten([inner, (4, 5), [], [6], iter([7, 8]), (9,)])
        for _ in range(k):
            next(f, None)
        inner.append(3.5)  # read while it is current or not yet reached
        data = pickle.dumps(f)
        expected = list(f)
        monkeypatch.setattr(_select, "CLASSES", other_impl.classes)
        assert list(pickle.loads(data)) == expected

    @pytest.mark.parametrize("k", range(4))
    def test_pickle_state_holds_iterators(self, impl, k):
        f = impl.flatten([[1, 2], (3, 4)])
        for _ in range(k):
            next(f)
        source, active = f.__reduce__()[2]
        assert hasattr(type(source), "__next__")
        assert active is None or hasattr(type(active), "__next__")
        assert list(itertools.chain(active or (), itertools.chain.from_iterable(source))) == [1, 2, 3, 4][k:]

    @pytest.mark.parametrize(
        "change",
        [
            "append_to_current",
            "shrink_current",
            "insert_before_position",
            "refill_exhausted",
            "append_to_outer",
            "shrink_outer",
            "replace_next_in_outer",
        ],
    )
    @pytest.mark.parametrize("container", [list, tuple])
    def test_lists_changing_while_flattened_like_chain(self, impl, change, container):
        def run_with(factory):
            inner = [1, 2, 3]
            outer = [inner, container([4, 5]), [6]]
            out = []
            for x in factory(outer):
                out.append(x)
                if change == "append_to_current" and len(inner) < 7:
                    inner.append(len(inner) + 10)
                elif change == "shrink_current" and x == 1:
                    del inner[1:]
                elif change == "insert_before_position" and x == 2 and len(inner) < 5:
                    inner.insert(0, 0)
                elif change == "refill_exhausted" and x == 4:
                    inner.extend([7, 8])
                elif change == "append_to_outer" and len(outer) < 5:
                    outer.append([len(outer) * 10])
                elif change == "shrink_outer" and x == 2:
                    del outer[1:]
                elif change == "replace_next_in_outer" and x == 3:
                    outer[1] = container("xy")
            return out

        assert run_with(impl.flatten) == run_with(itertools.chain.from_iterable)

    def test_state_without_source_gives_nothing(self, impl):
        f = impl.flatten([])
        f.__setstate__((None, iter([1, 2])))
        assert list(f) == []

    def test_item_freed_with_its_list_cannot_reenter(self, impl):
        # the iterator holds the last reference to the current list: when
        # it lets go of it, an item's __del__ calls next() on it
        seen = []

        class CallsNext:
            def __del__(self):
                try:
                    next(f)
                except RuntimeError as exc:
                    seen.append(str(exc))

        outer = [[CallsNext()], (1, 2)]
        f = impl.flatten(outer)
        next(f)  # the CallsNext object, now held by the list alone
        outer[0] = None
        assert list(f) == [1, 2]
        assert len(seen) == 1 and "cannot re-enter the flatten iterator" in seen[0]

    def test_reentrant_source_raises(self, impl):
        f = impl.flatten(Source([[1], [2]], hook=lambda: next(f)))
        with pytest.raises(RuntimeError, match="cannot re-enter the flatten iterator"):
            next(f)

    def test_no_length_hint_and_repr(self, impl):
        f = impl.flatten([[1]])
        assert operator.length_hint(f, -3) == -3
        assert repr(f) == f"<cyiter.flatten object at {id(f):#x}>"


NESTED = [
    [(1, 2), ([3, 4], [[5], [6]])],
    ["ab", ("cd", "ef"), ["gh", "ij"], b"kl", [b"m"]],
    [("a", ["b"]), ("c", ["d"])],
    [[], [[]], [[[]]], ()],
    [1, [2, [3, [4, [5, [6]]]]]],
    [{1: 2}, {3}, range(3), (x for x in [7, [8]])],
    5,
    "abc",
    [],
]


class TestCollapse:
    @pytest.mark.parametrize("index", range(len(NESTED)))
    @pytest.mark.parametrize("levels", [None, -1, 0, 1, 2, 3, 1.5, 10**30])
    @pytest.mark.parametrize("base_type", [None, tuple, (tuple, range), Iterable])
    def test_matches_more_itertools(self, impl, index, levels, base_type):
        def make(factory):
            data = NESTED[index]
            if index == 5:  # holds a generator: make a fresh one each time
                data = [{1: 2}, {3}, range(3), (x for x in [7, [8]])]
            return norm(list(factory(data, base_type=base_type, levels=levels)))

        def norm(x):
            """Iterators compare by identity: compare what they hold instead."""
            if isinstance(x, list):
                return [norm(i) for i in x]
            if hasattr(type(x), "__next__"):
                return ("iterator", norm(list(x)))
            return x

        assert make(impl.collapse) == make(more_itertools.collapse)

    def test_100000_levels_deep(self, impl):
        tree = ["leaf"]
        for _ in range(100_000):
            tree = [tree, 1]
        got = list(impl.collapse(tree))
        assert got == ["leaf"] + [1] * 100_000

    def test_holds_one_iterator_per_level(self, impl):
        tree = [[[[1, 2], [3]], [4]], [5]]
        c = impl.collapse(tree)
        assert next(c) == 1
        (stack, _, _) = c.__reduce__()[2]
        assert len(stack) == 5  # the argument itself, then 4 levels

    def test_iter_raising_type_error_makes_an_atom(self, impl):
        class Weird:
            def __iter__(self):
                raise TypeError("no")

        w = Weird()
        assert list(impl.collapse([1, w])) == [1, w] == list(more_itertools.collapse([1, w]))

    def test_any_error_ends_it_like_the_generator(self, impl):
        class Bad:
            def __iter__(self):
                raise ValueError("bad iter")

        for factory in (impl.collapse, more_itertools.collapse):
            it = factory([1, Bad(), 2])
            assert outcome(lambda: it) == ([1], (ValueError, "bad iter"))
            assert list(it) == []
        it = impl.collapse([0, Source([1, 2], fail_at=2), 3])
        assert outcome(lambda: it) == ([0, 1], (ZeroDivisionError, "source failed"))
        assert list(it) == []

    def test_bad_arguments_fail_at_creation(self, impl):
        with pytest.raises(TypeError, match="not supported between instances of 'int' and 'str'"):
            impl.collapse([[1]], levels="2")
        with pytest.raises(TypeError, match="isinstance"):
            impl.collapse([[1]], base_type=5)

    def test_exhausted_stays_exhausted(self, impl):
        src = Source([[1], 2])
        c = impl.collapse(src)
        assert list(c) == [1, 2]
        pulls = src.pulls
        src.items.append(3)
        assert list(c) == [] and src.pulls == pulls

    @pytest.mark.parametrize("k", range(8))
    @pytest.mark.parametrize("levels", [None, 1])
    def test_pickle_resumes_exactly(self, impl, other_impl, k, levels, monkeypatch):
        from cyiter import _select

        tree = [(1, 2), ([3, 4], [[5], [6]]), "ab"]
        c = impl.collapse(tree, levels=levels)
        for _ in range(k):
            next(c, None)
        data = pickle.dumps(c)
        expected = list(c)
        monkeypatch.setattr(_select, "CLASSES", other_impl.classes)
        assert list(pickle.loads(data)) == expected

    @pytest.mark.parametrize("k", range(10))
    def test_pickle_resumes_on_the_other_twin_after_lists_change(
        self, impl, other_impl, k, monkeypatch
    ):
        from cyiter import _select

        inner = [3, [4, 5]]
        tree = [(1, (2,)), inner, [[6], ()], "ab"]
        c = impl.collapse(tree)
        for _ in range(k):
            next(c, None)
        inner.append(5.5)  # read while it is on the stack or not yet reached
        data = pickle.dumps(c)
        (stack, _, _) = c.__reduce__()[2]
        assert all(hasattr(type(level), "__next__") for level in stack)
        expected = list(c)
        monkeypatch.setattr(_select, "CLASSES", other_impl.classes)
        assert list(pickle.loads(data)) == expected

    @pytest.mark.parametrize(
        "change",
        ["append_to_current", "shrink_current", "append_to_parent", "shrink_parent", "refill_exhausted"],
    )
    @pytest.mark.parametrize("levels", [None, 1])
    def test_lists_changing_while_collapsed_like_more_itertools(self, impl, change, levels):
        def run_with(factory):
            inner = [1, [2, 3], 4]
            parent = [0, inner, (5, [6])]
            tree = [parent, [7]]
            out = []
            for x in factory(tree, levels=levels):
                out.append(x)
                if change == "append_to_current" and len(inner) < 6:
                    inner.append([len(inner) + 10])
                elif change == "shrink_current" and x == 1:
                    del inner[1:]
                elif change == "append_to_parent" and len(parent) < 5:
                    parent.append(len(parent) + 20)
                elif change == "shrink_parent" and x == 1:
                    del parent[2:]
                elif change == "refill_exhausted" and x == 5:
                    inner.extend([8, 9])
            return out

        assert run_with(impl.collapse) == run_with(more_itertools.collapse)

    def test_atoms_and_sequences_without_iter_like_more_itertools(self, impl):
        class Atom:
            pass

        class Seq:  # iterable through __getitem__ alone
            def __getitem__(self, i):
                if i < 2:
                    return [i * 10]
                raise IndexError(i)

        class Mapping(dict):
            pass

        atom = Atom()
        tree = [1, 2.5, None, atom, [Seq(), (3, atom)], 1j, True, Mapping(k=1), {"j": 2}]
        assert list(impl.collapse(tree)) == list(more_itertools.collapse(tree))

    def test_node_freed_with_its_list_cannot_reenter(self, impl):
        seen = []

        class CallsNext:
            def __del__(self):
                try:
                    next(c)
                except RuntimeError as exc:
                    seen.append(str(exc))

        tree = [[CallsNext()], [1, (2,)]]
        c = impl.collapse(tree)
        next(c)  # the CallsNext object, now held by its list alone
        tree[0] = None
        assert list(c) == [1, 2]
        assert len(seen) == 1 and "cannot re-enter the collapse iterator" in seen[0]

    def test_reentrant_iteration_raises(self, impl):
        c = impl.collapse([Source([1, 2], hook=lambda: next(c))])
        with pytest.raises(RuntimeError, match="cannot re-enter the collapse iterator"):
            next(c)
        assert list(c) == []  # the error ended it, as it ends a generator

    def test_crafted_state_is_refused(self, impl):
        c = impl.collapse([])
        with pytest.raises(TypeError, match="collapse state"):
            c.__setstate__(([[1, 2]], None, None))

    def test_repr_and_no_length_hint(self, impl):
        c = impl.collapse([])
        assert repr(c) == f"<cyiter.collapse object at {id(c):#x}>"
        assert operator.length_hint(c, -2) == -2


LOOP_FOREVER = {
    # collapse of a list that contains itself enters it for ever
    "collapse": "a = []; a.append(a); it = cyiter.collapse(a)",
    # flatten of endless empty lists yields nothing for ever
    "flatten": "it = cyiter.flatten(itertools.repeat([]))",
}


@pytest.mark.parametrize("name", sorted(LOOP_FOREVER))
def test_a_loop_that_yields_nothing_stops_on_ctrl_c(impl, name):
    import os
    import signal
    import subprocess
    import sys
    import time

    # a bound on memory, should the loop not stop (AddressSanitizer, which
    # maps its shadow memory at start, cannot run under one)
    limit = "" if "asan" in os.environ.get("LD_PRELOAD", "") else (
        "resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"
    )
    code = (
        "import itertools, resource, sys, cyiter\n"
        f"{limit}"
        f"assert cyiter.IMPLEMENTATION == {impl.kind!r}\n"
        f"{LOOP_FOREVER[name]}\n"
        "print('ready', flush=True)\n"
        "next(it)\n"
    )
    env = dict(os.environ, CYITER_PURE_PYTHON="1" if impl.kind == "python" else "0")
    child = subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline() == "ready\n"
        time.sleep(0.2)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=10)
    finally:
        child.kill()
    assert "KeyboardInterrupt" in err and "MemoryError" not in err, err
