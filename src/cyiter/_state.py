"""What both twins share: pickle restoration and the reentrancy error.

A pickle made by either twin names :func:`restore` and a public class name,
never a twin's own class, so it loads in whichever twin is active.
"""


def restore(name: str) -> object:
    """Make an empty (exhausted) iterator of the active twin's *name* class.

    Pickle then calls its ``__setstate__`` with the state the other side's
    ``__reduce__`` recorded.
    """
    from cyiter import _select

    if name not in _select.NAMES:
        raise TypeError(f"cyiter cannot restore an object named {name!r}")
    cls: type[object] = _select.CLASSES[name]
    return cls.__new__(cls)


def reentered(name: str) -> RuntimeError:
    """The error for ``next(it)`` called while ``next(it)`` is still running."""
    return RuntimeError(
        f"cannot re-enter the {name} iterator: next() was called while it was "
        "already running (from its own source or a callback)"
    )


def object_repr(name: str, obj: object) -> str:
    """The default repr of iterators that have no constructor-like repr."""
    return f"<cyiter.{name} object at {id(obj):#x}>"
