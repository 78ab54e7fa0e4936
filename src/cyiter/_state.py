"""What both twins share: pickle restoration and the reentrancy error.

A pickle made by either twin names :func:`restore` and a public class name,
never a twin's own class, so it loads in whichever twin is active.
"""

from typing import Any


def restore(name: str) -> object:
    """Make an empty (exhausted) iterator of the active twin's *name* class.

    Pickle then calls its ``__setstate__`` with the state the other side's
    ``__reduce__`` recorded.
    """
    from cyiter import _select

    if name not in _select.PICKLED:
        raise TypeError(f"cyiter cannot restore an object named {name!r}")
    cls: type[object] = _select.CLASSES[name]
    return cls.__new__(cls)


def reentered(name: str) -> RuntimeError:
    """The error for ``next(it)`` called while ``next(it)`` is still running."""
    return RuntimeError(
        f"cannot re-enter the {name} iterator: it was called (next(), __init__(), "
        "close(), ...) while a call to it was still running (from its own source, "
        "a callback or a __del__)"
    )


def object_repr(name: str, obj: object) -> str:
    """The default repr of iterators that have no constructor-like repr."""
    return f"<cyiter.{name} object at {id(obj):#x}>"


_READER_KEYS = ("path", "identity", "offset", "options")


def reader_state(name: str, state: object, extra: dict[str, Any]) -> tuple[Any, ...]:
    """Check a pickled reader *state*; ``(path, identity, offset, options,
    extra)``, *extra* holding the reader's own keys (its ``_resume`` checks
    their values; the reader's argument checks check the options)."""
    import os

    if not isinstance(state, dict) or set(state) != {*_READER_KEYS, *extra}:
        raise TypeError(f"{name} state: not the state of a {name}")
    path, identity, offset, options = (state[key] for key in _READER_KEYS)
    if path is not None and not (isinstance(path, str) and os.path.isabs(path)):
        raise TypeError(f"{name} state: the path must be an absolute str, not {path!r}")
    if not isinstance(options, dict) or not all(isinstance(key, str) for key in options):
        raise TypeError(f"{name} state: the options must be a dict")
    if offset is not None:
        if type(offset) is not int or offset < 0 or path is None:
            raise TypeError(f"{name} state: bad offset {offset!r}")
        if not (
            isinstance(identity, tuple)
            and len(identity) == 4
            and all(type(value) is int for value in identity)
        ):
            raise TypeError(f"{name} state: bad file identity {identity!r}")
    return path, identity, offset, options, {key: state[key] for key in extra}
