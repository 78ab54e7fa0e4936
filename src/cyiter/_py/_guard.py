"""The reentrancy and thread guard of every pure-Python iterator.

Every method that reads or changes an iterator's state runs under it
(docs/internals.md, "The guard"): the thread running such a method that
calls into the iterator again gets RuntimeError; another thread waits its
turn, so no item is lost or duplicated.

A pure-Python method can be interrupted between any two bytecodes, so the
guard must be atomic by itself.  It is a one-item deque used as a token:
``deque.pop()`` and ``deque.append()`` are single C calls, atomic under the
GIL and locked per object on a free-threaded build, and giving the token
back never allocates (an emptied list frees its items on 3.13+, so that a
MemoryError could keep the token for ever; a ``threading.Lock`` costs
several times more per call).  Who holds the token is recorded so that, on
contention only, re-entry can be told apart from another thread.
"""

from __future__ import annotations

import inspect
from collections import deque
from functools import wraps
from threading import get_ident
from time import sleep
from typing import Any, Callable, TypeVar

from cyiter._py._signature import InitSignature
from cyiter._state import reentered

_Method = TypeVar("_Method", bound=Callable[..., Any])
_ANY_ARGS = inspect.CO_VARARGS | inspect.CO_VARKEYWORDS


class Guarded:
    """Base class: owns the token that :func:`guarded` methods take, and
    gives its subclasses the signature of their ``__init__``."""

    __slots__ = ("_token", "_owner", "__weakref__")
    __signature__ = InitSignature()

    _token: deque[None]
    _owner: int

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        self = object.__new__(cls)
        self._token = deque((None,))
        self._owner = 0
        return self


def _contended(self: Guarded) -> None:
    """The token is taken: raise if by this thread, else wait for it."""
    if self._owner == get_ident():
        raise reentered(type(self).__name__)
    delay = 0.0
    while True:
        sleep(delay)
        try:
            self._token.pop()
            return
        except IndexError:
            delay = min(delay * 2.0 + 1e-6, 1e-3)


def guarded(method: _Method) -> _Method:
    """Decorate a method of a Guarded class that reads or changes its state
    (``__next__``, ``_set``); the error names the class, the public name."""
    code = method.__code__
    if code.co_argcount == 1 and not code.co_flags & _ANY_ARGS and not code.co_kwonlyargcount:
        # a method of self alone (``__next__``): a wrapper taking *args or
        # **kwargs costs a fifth of a pure-Python next() on 3.11
        @wraps(method)
        def locked(self: Guarded) -> Any:
            try:
                self._token.pop()
            except IndexError:
                _contended(self)
            try:
                # inside the try: get_ident() makes an int, and a MemoryError
                # there must give the token back, else every later call waits
                self._owner = get_ident()
                return method(self)
            finally:
                self._owner = 0
                self._token.append(None)

        return locked  # type: ignore[return-value]

    @wraps(method)
    def locked_with_args(self: Guarded, *args: Any, **kwargs: Any) -> Any:
        try:
            self._token.pop()
        except IndexError:
            _contended(self)
        try:
            self._owner = get_ident()  # inside the try, as in locked()
            return method(self, *args, **kwargs)
        finally:
            self._owner = 0
            self._token.append(None)

    return locked_with_args  # type: ignore[return-value]
