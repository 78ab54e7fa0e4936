"""Cython twin of the combining family: interleave, interleave_longest,
roundrobin.

The pure-Python twin, ``cyiter/_py/combining.py``, is the specification.
A round of interleave and interleave_longest waits in a list of this
iterator's own, each slot set back to None as its item is handed out.
"""

cimport cython
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF

from cyiter._cy._capi cimport (
    source_failed,
    decref,
    iteration_stopped,
    iternextfunc,
    list_item,
    list_set_item,
    steal,
    type_slots,
)
from cyiter._cy._dropin cimport Dropin
from cyiter._cy._guard cimport guard_enter, guard_leave


from cyiter._dropins import length_hints, rounds_state, roundrobin_state
from cyiter._state import restore

# what a step returns when the iteration has ended
cdef object DONE = object()


cdef inline object take(list items, Py_ssize_t i):
    """``items[i]``, moved out: the slot holds None instead.  Runs no Python
    code and allocates nothing; the caller keeps i in bounds."""
    cdef PyObject* item = list_item(<PyObject*>items, i)
    Py_INCREF(None)
    list_set_item(<PyObject*>items, i, <PyObject*>None)
    return steal(item)


cdef class _Rounds(Dropin):
    # the inputs of the next round; empty once exhausted
    cdef list its
    # the current round: its items from ``pos`` on are still to hand out
    cdef list round
    cdef Py_ssize_t pos
    cdef bint longest  # set by interleave_longest

    def __cinit__(self, *args, **kwargs):
        self.its = []
        self.round = []

    def __init__(self, *iterables):
        self._set([iter(iterable) for iterable in iterables], [])

    @cython.final
    @cython.critical_section  # (the guard's check-and-set, atomic)
    cdef int _set(self, list its, list pending) except -1:
        # the old values are released at the return, once the state is whole
        old = (self.its, self.round)
        guard_enter(&self.guard, self.name)
        self.its = its
        self.round = pending
        self.pos = 0
        guard_leave(&self.guard)
        return 0

    def __next__(self):
        cdef Py_ssize_t pos
        # (a critical section as a block, not a decorator, so that Cython can
        # end the iteration without creating a StopIteration)
        with cython.critical_section(self):
            pos = self.pos
            # An item of the round, handed out without the guard: that runs
            # no Python code and allocates nothing.
            if pos < PyList_GET_SIZE(self.round) and not self.guard.running:
                self.pos = pos + 1
                return take(self.round, pos)
            guard_enter(&self.guard, self.name)
            result = self._next_round()
        if result is DONE:
            raise StopIteration
        return result

    @cython.final
    cdef object _next_round(self):
        """The first item of the next round (or of what is left of this
        one, after a thread waited for the guard); under the guard, which it
        leaves."""
        try:
            return self._next_round_guarded()
        finally:
            guard_leave(&self.guard)

    @cython.final
    cdef object _next_round_guarded(self):
        cdef Py_ssize_t k, i, got = 0
        cdef PyObject* item
        if self.pos < PyList_GET_SIZE(self.round):
            self.pos += 1
            return take(self.round, self.pos - 1)
        its = self.its
        k = PyList_GET_SIZE(its)
        if k == 0:
            return DONE
        if PyList_GET_SIZE(self.round) != k:
            self.round = [None] * k
        round = self.round
        # 0 <= got <= i < k == len(its) == len(round): in bounds; neither
        # list changes size meanwhile (only under the guard)
        for i in range(k):
            it = <object>PyList_GET_ITEM(its, i)  # held across the call
            item = type_slots(it).tp_iternext(<PyObject*>it)
            if item == NULL:
                if source_failed() < 0 or not self.longest:
                    return self._ended()
                its[i] = None  # exhausted: left out of the next rounds
                continue
            # the slot held None, which cannot be freed
            decref(list_item(<PyObject*>round, got))
            list_set_item(<PyObject*>round, got, item)
            got += 1
        if got < k:
            self._drop_exhausted(got)
            if got == 0:
                return self._ended()
        self.pos = 1
        return take(round, 0)

    @cython.final
    cdef int _drop_exhausted(self, Py_ssize_t got) except -1:
        """interleave_longest: the inputs exhausted in this round (None in
        ``its``) leave it, and the round holds the ``got`` items taken."""
        self.its = [it for it in self.its if it is not None]
        del self.round[got:]
        return 0

    @cython.final
    cdef object _ended(self):
        """An input ended the iteration, or raised (pending): the round's
        items not handed out are dropped, as in more-itertools."""
        try:
            iteration_stopped()
        finally:
            self.its = []
            self.round = []
            self.pos = 0
        return DONE

    @cython.critical_section
    def __reduce__(self):
        pending = tuple(self.round[self.pos:])
        return (restore, (self.name,), (tuple(self.its), pending))

    def __setstate__(self, state):
        its, pending = rounds_state(self.name, state)
        self._set(list(its), list(pending))


cdef class interleave(_Rounds):
    """interleave(*iterables)
--

Drop-in for :func:`more_itertools.interleave`: an item of each
    iterable in turn, until the shortest one is exhausted (a round that it
    cannot complete is not yielded).

    >>> from cyiter import interleave
    >>> list(interleave([1, 2, 3], [4, 5], [6, 7, 8]))
    [1, 4, 6, 2, 5, 7]
    """

    def __cinit__(self, *args, **kwargs):
        self.name = "interleave"

    @cython.critical_section
    def __length_hint__(self):
        hints = length_hints(self.its)
        if hints is None:
            return NotImplemented
        pending = PyList_GET_SIZE(self.round) - self.pos
        return pending + len(self.its) * min(hints, default=0)


cdef class interleave_longest(_Rounds):
    """interleave_longest(*iterables)
--

Drop-in for :func:`more_itertools.interleave_longest`: an item of
    each iterable in turn, skipping those that are exhausted, until all
    are.

    >>> from cyiter import interleave_longest
    >>> list(interleave_longest([1, 2, 3], [4, 5], [6, 7, 8]))
    [1, 4, 6, 2, 5, 7, 3, 8]
    """

    def __cinit__(self, *args, **kwargs):
        self.name = "interleave_longest"
        self.longest = True

    @cython.critical_section
    def __length_hint__(self):
        hints = length_hints(self.its)
        if hints is None:
            return NotImplemented
        return PyList_GET_SIZE(self.round) - self.pos + sum(hints)


cdef class roundrobin(Dropin):
    """roundrobin(*iterables)
--

Drop-in for :func:`more_itertools.roundrobin`: an item of each
    iterable in turn, skipping those that are exhausted, until all are.
    Unlike :class:`interleave_longest`, each item is taken from its
    iterable only when it is asked for.

    >>> from cyiter import roundrobin
    >>> list(roundrobin("ABC", "D", "EF"))
    ['A', 'D', 'E', 'B', 'F', 'C']
    """

    cdef list its  # the inputs not exhausted yet; empty once exhausted
    cdef Py_ssize_t index  # the one to take the next item from

    def __cinit__(self, *args, **kwargs):
        self.name = "roundrobin"
        self.its = []

    def __init__(self, *iterables):
        self._set([iter(iterable) for iterable in iterables], 0)

    @cython.final
    @cython.critical_section  # (the guard's check-and-set, atomic)
    cdef int _set(self, list its, Py_ssize_t index) except -1:
        old = self.its
        guard_enter(&self.guard, "roundrobin")
        self.its = its
        self.index = index
        guard_leave(&self.guard)
        return 0

    def __next__(self):
        cdef PyObject* item
        cdef Py_ssize_t index, k
        with cython.critical_section(self):
            guard_enter(&self.guard, "roundrobin")
            its = self.its
            k = PyList_GET_SIZE(its)
            index = self.index
            # 0 <= index < k, or k == 0 (_set, and every change below)
            if k:
                # The common case inline: the next input gives an item.
                it = <object>PyList_GET_ITEM(its, index)  # held across the call
                item = type_slots(it).tp_iternext(<PyObject*>it)
                if item != NULL:
                    self.index = index + 1 if index + 1 < k else 0
                    guard_leave(&self.guard)
                    return steal(item)
                result = self._next_after_end()
            else:
                guard_leave(&self.guard)
                result = DONE
        if result is DONE:
            raise StopIteration
        return result

    @cython.final
    cdef object _next_after_end(self):
        """The input at ``index`` gave no item: it ended (it leaves the
        rotation, and the next one is asked) or raised (pending: the
        iteration ends, as in more-itertools); under the guard, which it
        leaves."""
        try:
            return self._next_after_end_guarded()
        finally:
            guard_leave(&self.guard)

    @cython.final
    cdef object _next_after_end_guarded(self):
        cdef PyObject* item
        cdef Py_ssize_t index
        its = self.its
        while True:
            if source_failed() < 0:
                return self._failed()
            index = self.index
            # released once the state is whole (it may run a __del__)
            ended = its.pop(index)
            if index == PyList_GET_SIZE(its):
                index = self.index = 0
            if PyList_GET_SIZE(its) == 0:
                return DONE
            it = <object>PyList_GET_ITEM(its, index)  # held across the call
            item = type_slots(it).tp_iternext(<PyObject*>it)
            if item != NULL:
                self.index = index + 1 if index + 1 < PyList_GET_SIZE(its) else 0
                return steal(item)

    @cython.final
    cdef object _failed(self):
        """Raise the pending error of an input, which ends the iteration."""
        try:
            return steal(NULL)
        finally:
            self.its = []
            self.index = 0

    @cython.critical_section
    def __length_hint__(self):
        hints = length_hints(self.its)
        return NotImplemented if hints is None else sum(hints)

    @cython.critical_section
    def __reduce__(self):
        return (restore, ("roundrobin",), (tuple(self.its), self.index))

    def __setstate__(self, state):
        its, index = roundrobin_state(state)
        self._set(list(its), index)
