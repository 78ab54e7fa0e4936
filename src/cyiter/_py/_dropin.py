"""The base class of the pure-Python twins of the more-itertools drop-ins
(the Cython twins': ``cyiter/_cy/_dropin.pyx``)."""

from __future__ import annotations

from types import GenericAlias
from typing import Any

from cyiter._py._guard import Guarded
from cyiter._state import object_repr


class Dropin(Guarded):
    """An iterator with the guard, weak references, ``cls[...]`` in
    annotations (as the stubs allow) and the repr every drop-in has.

    ``__new__`` alone (what ``restore()`` calls before ``__setstate__``)
    makes an exhausted iterator, as ``_clear()`` of the class sets it.  It
    lives here, and every public class defines its own ``__init__``, so
    that ``inspect.signature()`` shows that ``__init__`` (on 3.10 and early
    3.11 it prefers an inherited ``__new__`` to an inherited ``__init__``).
    """

    __slots__ = ()
    __class_getitem__: classmethod[Any, [Any], GenericAlias] = classmethod(GenericAlias)
    _name = ""  # the public name, set by the class

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        self = super().__new__(cls)
        self._clear()
        return self

    def __iter__(self) -> Dropin:
        return self

    def __repr__(self) -> str:
        return object_repr(self._name, self)
