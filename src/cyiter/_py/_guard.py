"""The reentrancy and thread guard of every pure-Python ``__next__``.

Same contract as ``cyiter/_cy/_guard.pxd``: the thread running ``__next__``
that calls it again gets RuntimeError; another thread waits its turn, so
no item is lost or duplicated.  A pure-Python method can be interrupted
between any two bytecodes, so unlike the Cython twin it takes a real lock.
"""

from functools import wraps
from threading import Lock, get_ident

from cyiter._state import reentered


class Guarded:
    """Base class: owns the lock that :func:`guarded` methods take."""

    __slots__ = ("_lock", "_owner", "__weakref__")

    def __new__(cls, *args, **kwargs):
        self = object.__new__(cls)
        self._lock = Lock()
        self._owner = 0
        return self


def guarded(method):
    """Decorate a state-changing method (``__next__``, re-initialisation) of
    a Guarded class; the error names the class, which is the public name."""

    @wraps(method)
    def locked(self, *args):
        lock = self._lock
        if not lock.acquire(False):
            if self._owner == get_ident():
                raise reentered(type(self).__name__)
            lock.acquire()
        self._owner = get_ident()
        try:
            return method(self, *args)
        finally:
            self._owner = 0
            lock.release()

    return locked
