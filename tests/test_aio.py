"""The cyiter.aio package: its twin selection, the twins' sameness, the
object protocol of its iterators, and running under trio."""

import inspect
import io
import os
import pickle
import subprocess
import sys
import types
import weakref

import pytest

import cyiter.aio
from aio_support import Source, agen, run
from conftest import twin
from cyiter import _select

AIO = _select.AIO_NAMES
READERS = _select.AIO_FAMILIES["aioreaders"]


def make(impl, name, source=None):
    if name in READERS:
        return getattr(impl, name)(source or io.BytesIO(b'"a"\n1\n'))
    if name == "aflatten":
        return impl.aflatten(agen([[1]]))
    return getattr(impl, name)(agen([1]), 2)


class TestSelection:
    def test_the_names(self):
        assert cyiter.aio.__all__ == [
            "abatched", "achunked", "aflatten", "aread_chunks", "aread_lines", "aread_csv",
            "aread_jsonl",
        ]  # fmt: skip
        for name in AIO:
            assert getattr(cyiter.aio, name) is _select.CLASSES[name]
            assert not hasattr(cyiter, name)

    @pytest.mark.parametrize("pure", ["1", "0"])
    def test_aio_follows_the_implementation(self, pure):
        code = (
            "import cyiter, cyiter.aio; "
            "print(cyiter.IMPLEMENTATION, cyiter.aio.abatched.__module__, "
            "'asyncio' in __import__('sys').modules)"
        )
        env = {**os.environ, "CYITER_PURE_PYTHON": pure}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        kind, module, asyncio_imported = out.stdout.split()
        assert module == ("cyiter._py.aiobatching" if kind == "python" else "cyiter._cy.aiobatching")
        assert kind == ("python" if pure == "1" else _select.IMPLEMENTATION)
        assert asyncio_imported == "False"  # import cyiter costs no asyncio


class TestTwins:
    """The two twins have the same public signatures and docstrings."""

    @pytest.mark.parametrize("name", AIO)
    def test_same_docs_and_signatures(self, name):
        # twin() skips the Cython side in a CYITER_NO_EXTENSIONS install
        cy, py = (getattr(twin(kind), name) for kind in ("cython", "python"))
        assert inspect.getdoc(cy) == inspect.getdoc(py)
        # the pure twin's __init__, whose arguments both twins are tested to
        # take (a reader's __signature__: its sync twin's), is the signature
        # of both; a reader's docstring, made from its sync twin's, starts
        # with it
        params = list(inspect.signature(py.__init__).parameters.values())[1:]
        signature = py.__dict__.get("__signature__", inspect.Signature(params))
        assert str(inspect.signature(cy)) == str(inspect.signature(py)) == str(signature)
        if name in READERS:
            assert inspect.getdoc(py).split("\n")[0] == f"{name}{signature}"
        for method in ("aclose", "__aenter__", "__aexit__"):  # the slots have none
            assert str(inspect.signature(getattr(cy, method))) == str(
                inspect.signature(getattr(py, method))
            ), method
        assert inspect.getdoc(cy.aclose) == inspect.getdoc(py.aclose)

    @pytest.mark.parametrize("name", AIO)
    def test_coroutine_methods(self, impl, name):
        it = make(impl, name)
        for method in (it.aclose, it.__aenter__):
            coro = method()
            assert inspect.isawaitable(coro)
            coro.close()


@pytest.mark.parametrize("name", AIO)
class TestObject:
    def test_repr(self, impl, name):
        if name in READERS:  # as their sync twins'
            source = io.BytesIO()
            assert repr(make(impl, name, source)) == f"<cyiter.aio.{name} {source!r}>"
            return
        it = make(impl, name)
        assert repr(it) == f"<cyiter.aio.{name} object at {id(it):#x}>"

    def test_weak_references(self, impl, name):
        it = make(impl, name)
        ref = weakref.ref(it)
        assert ref() is it
        del it
        assert ref() is None

    def test_generic_alias(self, impl, name):
        cls = getattr(impl, name)
        alias = cls[int]
        assert isinstance(alias, types.GenericAlias) and alias.__origin__ is cls

    def test_is_its_own_async_iterator(self, impl, name):
        it = make(impl, name)
        assert it.__aiter__() is it
        step = it.__anext__()
        assert inspect.isawaitable(step) and step.__await__() is step
        step.close()

    def test_reinit_starts_over(self, impl, name):
        async def main():
            it = make(impl, name)
            assert await anext(it)
            if name in READERS:
                it.__init__(io.BytesIO(b'"b"\n7\n'))
            else:
                args = ([[7]],) if name == "aflatten" else ([7], 2)
                it.__init__(agen(*args[:1]), *args[1:])
            return [x async for x in it]

        want = {
            "aflatten": [7], "abatched": [(7,)], "achunked": [[7]],
            "aread_chunks": [b'"b"\n7\n'], "aread_lines": [b'"b"', b"7"], "aread_csv": [{"b": "7"}],
            "aread_jsonl": ["b", 7],
        }  # fmt: skip
        assert run(main) == want[name]

    def test_new_without_init_is_empty(self, impl, name):
        cls = getattr(impl, name)

        async def main():
            return [x async for x in cls.__new__(cls)]

        assert run(main) == []


@pytest.mark.parametrize("name", [name for name in AIO if name not in READERS])
def test_not_picklable(impl, name):
    # (a reader over a path pickles: test_aio_readers)
    with pytest.raises(TypeError, match=f"^cannot pickle '{name}' object$"):
        pickle.dumps(make(impl, name))


class TestTrio:
    """Without a timeout the iterators only pass the source's suspensions
    through, so they run under any event loop; a timeout needs asyncio."""

    def test_under_trio(self, impl):
        trio = pytest.importorskip("trio")

        async def source():
            for i in range(7):
                await trio.sleep(0)
                yield [i] if i % 2 else agen([i])

        async def main():
            flat = impl.aflatten(source())
            return [b async for b in impl.abatched(flat, 3)]

        assert trio.run(main) == [(0, 1, 2), (3, 4, 5), (6,)]

    def test_a_timeout_under_trio_is_a_clear_error(self, impl):
        trio = pytest.importorskip("trio")

        async def main():
            it = impl.abatched(Source(range(3)), 2, timeout=1.0)
            with pytest.raises(RuntimeError, match="needs a running asyncio event loop"):
                await anext(it)

        trio.run(main)
