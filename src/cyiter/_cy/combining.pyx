"""Cython twin of the combining family: interleave, interleave_longest,
roundrobin.

The pure-Python twin, ``cyiter/_py/combining.py``, is the specification.
The inputs are kept in a tuple, which the code they run cannot change (a
list could be, through gc.get_referents()).  A round of interleave and
interleave_longest waits in a list of this iterator's own, each slot set
back to None as its item is handed out.
"""

cimport cython
from cpython.list cimport PyList_GET_SIZE
from cpython.mem cimport PyMem_Free
from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF
from cpython.tuple cimport PyTuple_GET_SIZE

from cyiter._cy._capi cimport (
    decref,
    incref,
    iteration_stopped,
    list_item,
    list_new_raw,
    list_set_item,
    list_size,
    refcount,
    source_failed,
    steal,
    tuple_item,
    tuple_new_raw,
    tuple_set_item,
    type_slots_of,
)
from cyiter._cy._dropin cimport Dropin
from cyiter._cy._guard cimport guard_enter, guard_leave
from cyiter._cy._items cimport new_pairs, release


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
    cdef tuple its
    # the current round: its items from ``pos`` on are still to hand out
    cdef list round
    cdef Py_ssize_t pos
    cdef bint longest  # set by interleave_longest
    # A round while it is taken: its items in taken[0:got], and (borrowed
    # from ``its``) the inputs that gave them in taken[room:room + got].
    # Used only under the guard, and empty between calls.
    cdef PyObject** taken
    cdef Py_ssize_t room

    def __cinit__(self, *args, **kwargs):
        self.its = ()
        self.round = []

    def __dealloc__(self):
        PyMem_Free(self.taken)

    def __init__(self, *iterables):
        self._set(tuple([iter(iterable) for iterable in iterables]), [])

    @cython.final
    @cython.critical_section  # (the guard's check-and-set, atomic)
    cdef int _set(self, tuple its, list pending) except -1:
        # the old values are released at the return, once the state is whole
        old = (self.its, self.round)
        guard_enter(&self.guard, self.name)
        self.its = its
        self.round = pending
        self.pos = 0
        guard_leave(&self.guard)
        return 0

    @cython.critical_section
    def __next__(self):
        cdef Py_ssize_t pos = self.pos
        # An item of the round, handed out without the guard: that runs no
        # Python code and allocates nothing.
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
        cdef PyObject* it
        cdef PyObject* item
        if self.pos < PyList_GET_SIZE(self.round):
            self.pos += 1
            return take(self.round, self.pos - 1)
        k = PyTuple_GET_SIZE(self.its)
        if k == 0:
            return DONE
        if k > self.room and self._grow(k) < 0:
            return self._ended(0)
        # The items wait in ``taken`` until the round is whole: the round
        # list can be reached (gc.get_referents) by the code the inputs run.
        # 0 <= got <= i < k == len(its) <= room; its is a tuple held by this
        # iterator, which nothing replaces meanwhile (only under the guard)
        for i in range(k):
            it = tuple_item(<PyObject*>self.its, i)
            item = type_slots_of(it).tp_iternext(it)
            if item == NULL:
                if source_failed() < 0 or not self.longest:
                    return self._ended(got)
                continue
            self.taken[got] = item
            self.taken[self.room + got] = it
            got += 1
        if got < k and self._drop_exhausted(got) < 0:
            return self._ended(got)
        if got == 0:
            return self._ended(0)
        return self._first_of_round(got)

    @cython.final
    cdef int _grow(self, Py_ssize_t k) noexcept:
        """Room for the *k* items of a round and their inputs in ``taken``;
        -1 with MemoryError set."""
        self.room = 0
        self.taken = new_pairs(self.taken, k)
        if self.taken == NULL:
            return -1
        self.room = k
        return 0

    @cython.final
    cdef object _first_of_round(self, Py_ssize_t got):
        """The *got* items taken become the round, and the first is handed
        out.  The round's list is refilled only when nothing else holds it
        and every slot holds None (what handing out leaves), which releasing
        cannot free: else a new list."""
        cdef Py_ssize_t i
        cdef PyObject* round = <PyObject*>self.round
        cdef bint reuse = refcount(round) == 1 and list_size(round) == got
        for i in range(got if reuse else 0):
            reuse = reuse and list_item(round, i) == <PyObject*>None
        if reuse:
            for i in range(got):  # 0 <= i < got == len(round)
                decref(list_item(round, i))
                list_set_item(round, i, self.taken[i])
        else:
            fresh = list_new_raw(got)
            if fresh == NULL:
                return self._ended(got)
            for i in range(got):  # new slots, each set once
                list_set_item(fresh, i, self.taken[i])
            self.round = steal(fresh)
        self.pos = 1
        return take(self.round, 0)

    @cython.final
    cdef int _drop_exhausted(self, Py_ssize_t got) noexcept:
        """interleave_longest: only the *got* inputs that gave an item in
        this round stay for the next ones; -1 with MemoryError set."""
        cdef Py_ssize_t i
        cdef PyObject* alive = tuple_new_raw(got)
        if alive == NULL:
            return -1
        for i in range(got):  # 0 <= i < got <= room
            incref(self.taken[self.room + i])
            tuple_set_item(alive, i, self.taken[self.room + i])
        # (the exhausted ones may be freed: the state is whole by then)
        self.its = steal(alive)
        return 0

    @cython.final
    cdef object _ended(self, Py_ssize_t got):
        """An input ended the iteration, or raised (pending): the round's
        items taken are dropped, as in more-itertools."""
        try:
            iteration_stopped()
        finally:
            release(self.taken, got)
            self.its = ()
            self.round = []
            self.pos = 0
        return DONE

    @cython.critical_section
    def __reduce__(self):
        pending = tuple(self.round[self.pos:])
        return (restore, (self.name,), (self.its, pending))

    def __setstate__(self, state):
        its, pending = rounds_state(self.name, state)
        self._set(its, list(pending))


cdef class interleave(_Rounds):
    """interleave(*iterables)
--

Drop-in for :func:`more_itertools.interleave`: an item of each
    iterable in turn, until the shortest one is exhausted (a round that it
    cannot complete is not yielded).

    >>> from cyiter import interleave
    >>> list(interleave("ab", [1, 2, 3]))
    ['a', 1, 'b', 2]
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
    >>> list(interleave_longest("ab", [1, 2, 3]))
    ['a', 1, 'b', 2, 3]
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
    >>> list(roundrobin([1, 2, 3], "x", "yz"))
    [1, 'x', 'y', 2, 'z', 3]
    """

    cdef tuple its  # the inputs not exhausted yet; empty once exhausted
    cdef Py_ssize_t index  # the one to take the next item from

    def __cinit__(self, *args, **kwargs):
        self.name = "roundrobin"
        self.its = ()

    def __init__(self, *iterables):
        self._set(tuple([iter(iterable) for iterable in iterables]), 0)

    @cython.final
    @cython.critical_section  # (the guard's check-and-set, atomic)
    cdef int _set(self, tuple its, Py_ssize_t index) except -1:
        old = self.its
        guard_enter(&self.guard, "roundrobin")
        self.its = its
        self.index = index
        guard_leave(&self.guard)
        return 0

    @cython.critical_section
    def __next__(self):
        cdef PyObject* it
        cdef PyObject* item
        cdef Py_ssize_t index, k
        # (the state is read under the guard: a thread that waited for it
        # finds what the other one left)
        guard_enter(&self.guard, "roundrobin")
        index = self.index
        k = PyTuple_GET_SIZE(self.its)
        # 0 <= index < k, or k == 0 (_set, and every change below)
        if k == 0:
            guard_leave(&self.guard)
            raise StopIteration
        # The common case inline: the next input gives an item.  (its is a
        # tuple, which holds the input; nothing replaces it while the guard
        # is held.)
        it = tuple_item(<PyObject*>self.its, index)
        item = type_slots_of(it).tp_iternext(it)
        if item != NULL:
            self.index = index + 1 if index + 1 < k else 0
            guard_leave(&self.guard)
            return steal(item)
        result = self._next_after_end()
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
        cdef Py_ssize_t index, k
        while True:
            if source_failed() < 0:
                return self._failed()
            index = self.index
            # released once the state is whole (it may run a __del__)
            ended = self.its
            self.its = ended[:index] + ended[index + 1 :]
            k = PyTuple_GET_SIZE(self.its)
            if index == k:
                index = self.index = 0
            if k == 0:
                return DONE
            item = type_slots_of(tuple_item(<PyObject*>self.its, index)).tp_iternext(
                tuple_item(<PyObject*>self.its, index)
            )
            if item != NULL:
                self.index = index + 1 if index + 1 < k else 0
                return steal(item)

    @cython.final
    cdef object _failed(self):
        """Raise the pending error of an input, which ends the iteration."""
        try:
            return steal(NULL)
        finally:
            self.its = ()
            self.index = 0

    @cython.critical_section
    def __length_hint__(self):
        hints = length_hints(self.its)
        return NotImplemented if hints is None else sum(hints)

    @cython.critical_section
    def __reduce__(self):
        return (restore, ("roundrobin",), (self.its, self.index))

    def __setstate__(self, state):
        its, index = roundrobin_state(state)
        self._set(its, index)
