"""The package surface: the twin selector and its environment switches."""

import ast
import gc
import os
import subprocess
import sys
import types
import weakref
from pathlib import Path

import pytest

import cyiter
from cyiter import _select
from cyiter._env import env_flag


def _implementation(**env):
    """cyiter.IMPLEMENTATION in a fresh interpreter with *env* added."""
    full = {**os.environ, **env}
    for key in ("CYITER_PURE_PYTHON", "CYITER_REQUIRE_EXTENSIONS"):
        full.setdefault(key, "")
    out = subprocess.run(
        [sys.executable, "-c", "import cyiter; print(cyiter.IMPLEMENTATION)"],
        env=full,
        capture_output=True,
        text=True,
    )
    return out.returncode, out.stdout.strip(), out.stderr


def _extension_built():
    try:
        _select.load_twin("cython")
    except ImportError:
        return False
    return True


def test_stub_declares_the_public_names():
    """The stub's ``__all__`` (a literal, for type checkers) is the runtime's."""
    stub = Path(cyiter.__file__).with_suffix(".pyi")
    for node in ast.parse(stub.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "__all__":
            assert ast.literal_eval(node.value) == cyiter.__all__
            break
    else:
        raise AssertionError("__init__.pyi has no __all__")


def _stub_inits(path):
    """``{class: [its __init__ overloads' parameters]}`` of a stub, as
    source text, the annotation of ``self`` (which names the class) left out."""
    inits = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef):
            inits[node.name] = []
            for f in node.body:
                if isinstance(f, ast.FunctionDef) and f.name == "__init__":
                    f.args.args[0].annotation = None
                    inits[node.name].append(ast.unparse(f.args))
    return inits


def test_the_async_readers_stub_takes_the_sync_readers_arguments():
    """cyiter.aio's stub repeats the sync readers' overloads (a stub cannot
    derive them): they must stay the same, overload for overload."""
    sync = _stub_inits(Path(cyiter.__file__).with_suffix(".pyi"))
    aio = _stub_inits(Path(cyiter.__file__).parent / "aio" / "__init__.pyi")
    for name in _select.AIO_FAMILIES["aioreaders"]:
        assert aio[name] and aio[name] == sync[name[1:]], name


def test_public_names_come_from_the_active_twin():
    for name in _select.NAMES:
        assert name in cyiter.__all__
        assert getattr(cyiter, name) is _select.CLASSES[name]
    assert cyiter.IMPLEMENTATION in ("cython", "python")


def test_the_functions_modules_load_on_first_use():
    """``import cyiter`` leaves process pools and checkpoints unimported;
    the functions are there all the same (attribute, dir(), star import)."""
    code = """if True:
        import sys
        import cyiter
        heavy = ("multiprocessing", "concurrent.futures", "hashlib", "cyiter._pipeline")
        print(*[m for m in heavy if m in sys.modules])
        assert {"pipeline", "process_ranges", "byte_ranges"} <= set(dir(cyiter))
        from cyiter import *
        assert process_ranges.__module__ == "cyiter._parallel"
        assert cyiter.pipeline.__module__ == "cyiter._pipeline"
        try:
            cyiter.no_such_name
        except AttributeError as exc:
            assert "no_such_name" in str(exc)
        else:
            raise AssertionError("no AttributeError")
    """
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_no_extensions_install_is_pure_python():
    if env_flag("CYITER_NO_EXTENSIONS"):
        assert not _extension_built()
        assert _implementation() == (0, "python", "")
    else:
        assert _extension_built()
        assert _implementation()[:2] == (0, "cython")


@pytest.mark.parametrize("value", ["1", "true", "YES", "on", " On "])
def test_pure_python_switch_on(value):
    assert _implementation(CYITER_PURE_PYTHON=value)[:2] == (0, "python")


@pytest.mark.parametrize("value", ["0", "false", "no", "OFF", ""])
def test_pure_python_switch_off(value):
    expected = "cython" if _extension_built() else "python"
    assert _implementation(CYITER_PURE_PYTHON=value)[:2] == (0, expected)


def test_unknown_switch_value_warns_and_counts_as_unset():
    code, out, err = _implementation(CYITER_PURE_PYTHON="maybe")
    assert code == 0
    assert out == ("cython" if _extension_built() else "python")
    assert "ignoring CYITER_PURE_PYTHON='maybe'" in err


def test_require_extensions():
    code, out, err = _implementation(CYITER_REQUIRE_EXTENSIONS="1")
    if _extension_built():
        assert (code, out) == (0, "cython")
    else:
        assert code != 0
        assert "ImportError: CYITER_REQUIRE_EXTENSIONS is set" in err


def test_version():
    from importlib.metadata import version

    assert cyiter.__version__ == version("cyiter")


def _one_of_each(impl, tmp_path):
    """An instance of every public class of *impl*, by name."""
    path = tmp_path / "data.csv"
    path.write_bytes(b"a,b\n1,2\n")
    return {
        "count": impl.count(),
        "fibonacci": impl.fibonacci(),
        "batched": impl.batched([1, 2, 3], 2),
        "chunked": impl.chunked([1, 2, 3], 2),
        "flatten": impl.flatten([[1]]),
        "collapse": impl.collapse([[1]]),
        "read_chunks": impl.read_chunks(path),
        "read_lines": impl.read_lines(path),
        "read_csv": impl.read_csv(path),
        "read_jsonl": impl.read_jsonl(path),
        "windowed": impl.windowed([1, 2], 2),
        "sliding_window": impl.sliding_window([1, 2], 2),
        "unique_everseen": impl.unique_everseen([1]),
        "unique_justseen": impl.unique_justseen([1]),
        "interleave": impl.interleave([1]),
        "interleave_longest": impl.interleave_longest([1]),
        "roundrobin": impl.roundrobin([1]),
        "constrained_batches": impl.constrained_batches([b"1"], 1),
        "ichunked": impl.ichunked([1], 1),
        "peekable": impl.peekable([1]),
    }


def test_every_iterator_takes_weak_references(impl, tmp_path):
    objects = _one_of_each(impl, tmp_path)
    classes = [name for name in _select.NAMES if isinstance(getattr(impl, name), type)]
    assert sorted(objects) == sorted(classes)
    refs = {name: weakref.ref(obj) for name, obj in objects.items()}
    for name, ref in refs.items():
        assert ref() is objects[name], name
    objects.clear()
    gc.collect()
    assert {name: ref() for name, ref in refs.items()} == dict.fromkeys(refs)


# the classes the stubs declare generic, and a type argument for each
GENERIC = {
    "count": int,
    "batched": int,
    "chunked": str,
    "flatten": float,
    "read_lines": bytes,
    "read_csv": dict,
    "read_jsonl": dict,
}
GENERIC.update(
    dict.fromkeys(
        ["windowed", "sliding_window", "unique_everseen", "unique_justseen", "interleave"]
        + ["interleave_longest", "roundrobin", "constrained_batches", "ichunked", "peekable"],
        int,
    )
)


@pytest.mark.parametrize("name", sorted(_select.NAMES))
def test_generic_classes_are_subscriptable(impl, name):
    cls = getattr(impl, name)
    if name not in GENERIC:
        with pytest.raises(TypeError):
            cls[int]
        return
    alias = cls[GENERIC[name]]
    assert isinstance(alias, types.GenericAlias)
    assert alias.__origin__ is cls
    assert alias.__args__ == (GENERIC[name],)
    if name == "count":
        assert next(alias(5)) == 5  # the alias still makes instances
