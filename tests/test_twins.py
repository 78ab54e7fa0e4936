"""The twins document themselves alike, and as the stub says.

For every public class: the Cython and the pure-Python twin have the same
public docstrings (the class's, and those of its public methods and
properties), ``inspect.signature()`` works on both and gives the same
signature, and that signature is the one of the stub's ``__init__``
(names, kinds and defaults; the stub alone has the types).  The same for a
public function, with the stub's function.
"""

import ast
import inspect
from pathlib import Path

import pytest

import cyiter
from cyiter import _select
from conftest import twin

STUB = Path(cyiter.__file__).with_name("__init__.pyi")
AIO_STUB = STUB.parent / "aio" / "__init__.pyi"

#: Every public name of both namespaces (the functions too).
NAMES = list(_select.NAMES) + list(_select.AIO_FAMILIES["aioreaders"])


def public_docs(cls):
    """The cleaned docstrings of *cls* and of its public attributes (a
    function: its own; a Cython function has ``func_*`` aliases besides)."""
    docs = {"": inspect.cleandoc(cls.__doc__ or "")}
    for attr in dir(cls) if isinstance(cls, type) else ():
        if not attr.startswith("_"):
            docs[attr] = inspect.cleandoc(getattr(cls, attr).__doc__ or "")
    return docs


def described(sig):
    """A signature as (name, kind, default) triples, without annotations."""
    return [
        (p.name, p.kind, p.default if p.default is inspect.Parameter.empty else repr(p.default))
        for p in sig.parameters.values()
    ]


#: what a stub's default ``...`` (one it does not spell out) matches
ANY = "..."


def default_repr(node):
    """The repr of a default the stub gives (a literal), or ANY for ``...``."""
    value = ast.literal_eval(node)
    return ANY if value is Ellipsis else repr(value)


def fits(runtime, stub):
    """Whether a runtime signature is a stub's, as :func:`described` both."""
    return len(runtime) == len(stub) and all(
        (name, kind) == (s_name, s_kind) and (default == s_default or s_default == ANY)
        for (name, kind, default), (s_name, s_kind, s_default) in zip(runtime, stub)
    )


def stub_signatures(name):
    """Every signature the stub gives ``name.__init__`` (one per overload),
    described as :func:`described` does, ``self`` left out; for a function,
    its own."""
    stub = AIO_STUB if name in _select.AIO_NAMES else STUB
    tree = ast.parse(stub.read_text(encoding="utf-8"))
    [node] = [node for node in tree.body if getattr(node, "name", None) == name]
    defs = node.body if isinstance(node, ast.ClassDef) else [node]
    found = []
    for node in defs:
        if isinstance(node, ast.FunctionDef) and node.name in ("__init__", name):
            args = node.args
            positional = args.posonlyargs + args.args
            defaults = [inspect.Parameter.empty] * (len(positional) - len(args.defaults)) + [
                default_repr(d) for d in args.defaults
            ]
            params = [
                (a.arg, inspect.Parameter.POSITIONAL_ONLY if a in args.posonlyargs else inspect.Parameter.POSITIONAL_OR_KEYWORD, d)
                for a, d in zip(positional, defaults)
            ][1 if node.name == "__init__" else 0 :]
            if args.vararg:
                params.append((args.vararg.arg, inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.empty))
            params += [
                (a.arg, inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.empty if d is None else default_repr(d))
                for a, d in zip(args.kwonlyargs, args.kw_defaults)
            ]
            if args.kwarg:
                params.append((args.kwarg.arg, inspect.Parameter.VAR_KEYWORD, inspect.Parameter.empty))
            found.append(params)
    return found


@pytest.fixture(scope="module")
def twins():
    return twin("cython").classes, twin("python").classes


@pytest.mark.parametrize("name", NAMES)
def test_public_docstrings_are_identical(twins, name):
    compiled, pure = (classes[name] for classes in twins)
    assert public_docs(compiled) == public_docs(pure)
    assert public_docs(pure)[""], f"{name} has no docstring"


@pytest.mark.parametrize("name", NAMES)
def test_signatures_are_the_stubs(twins, name):
    compiled, pure = (classes[name] for classes in twins)
    signatures = [inspect.signature(compiled), inspect.signature(pure)]
    assert str(signatures[0]) == str(signatures[1])
    assert any(fits(described(signatures[0]), stub) for stub in stub_signatures(name))


@pytest.mark.parametrize("name", NAMES)
def test_the_docstring_names_no_other_twin(twins, name):
    # the pure twin is the readable specification: it stands on its own
    for classes in twins:
        for doc in public_docs(classes[name]).values():
            assert "twin" not in doc.lower() and ".pyx" not in doc
