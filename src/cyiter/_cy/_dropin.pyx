"""The base class of the Cython twins of the more-itertools drop-ins
(the pure twins': ``cyiter/_py/_dropin.py``)."""

from types import GenericAlias

from cyiter._state import object_repr


cdef class Dropin:
    """An iterator with the guard, weak references, ``cls[...]`` in
    annotations (as the stubs allow) and the repr every drop-in has."""

    def __iter__(self):
        return self

    @classmethod
    def __class_getitem__(cls, item, /):
        return GenericAlias(cls, item)

    def __repr__(self):
        return object_repr(self.name, self)
