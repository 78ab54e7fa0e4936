"""The base class of the pure-Python twins of the more-itertools drop-ins."""

from cyiter._py._guard import Guarded


class Dropin(Guarded):
    """``__new__`` alone (what ``restore()`` calls before ``__setstate__``)
    makes an exhausted iterator, as ``_clear()`` of the class sets it.

    ``__new__`` lives here, not in the public classes, so that
    ``inspect.signature()`` shows their own ``__init__``.
    """

    __slots__ = ()

    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls)
        self._clear()
        return self

    def __iter__(self):
        return self
