"""Cython twin of the flattening family: flatten, collapse.

The pure-Python twin is ``cyiter/_py/flattening.py``.
"""

cimport cython
from cpython.iterator cimport PyIter_Check
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.object cimport PyObject, PyTypeObject
from cpython.ref cimport Py_REFCNT
from cpython.sequence cimport PySequence_Check

from cyiter._cy._capi cimport (
    PyErr_Clear,
    PyErr_Occurred,
    init_plain_types,
    is_plain_iterator,
    PyErr_ExceptionMatches,
    get_iter_or_null,
    iteration_stopped,
    list_item,
    list_size,
    steal,
    tuple_item,
    tuple_size,
    type_of,
    type_slots,
    type_slots_of,
)
from cyiter._cy._guard cimport Guard, guard_enter, guard_leave

import sys

from cyiter._state import object_repr, restore

__all__ = ["flatten", "collapse"]

# what a step returns when the iteration has ended
cdef object DONE = object()

init_plain_types()


cdef int _check_iterator(str name, object it) except -1:
    """Keep a crafted pickle state from reaching ``tp_iternext``."""
    if it is not None and not PyIter_Check(it):
        raise TypeError(f"{name} state: {type(it).__name__!r} object is not an iterator")
    return 0


# -- reading a list or tuple by index ------------------------------------------
#
# Both iterators read an exact list or tuple by index instead of through
# iter(): a position instead of an iterator object, and no indirect call per
# item.  It behaves as the iterator would: the size is read again for every
# item (a list that grows or shrinks meanwhile gives what its iterator
# gives), and the sequence is let go at its end.  Pickles still hold
# iterators (``positioned_iter``), so both twins load them.

cdef inline bint by_index(object node) noexcept:
    """Whether *node* is read by index: an exact list or tuple, whose
    iterator runs no Python code and has no state but its position."""
    return type(node) is list or type(node) is tuple


cdef inline PyObject* seq_item(PyObject* seq, Py_ssize_t i) noexcept:
    """Item *i* of *seq*, an exact list or tuple, as a borrowed reference;
    NULL when *i* is past its end.  The caller ensures ``i >= 0``.  (Any
    other object counts as empty: the garbage collector's tp_clear may have
    replaced the sequence with None.)"""
    if type_of(seq) == <PyTypeObject*>list:
        if i < list_size(seq):
            return list_item(seq, i)  # 0 <= i < len(seq): in bounds
    elif type_of(seq) == <PyTypeObject*>tuple:
        if i < tuple_size(seq):
            return tuple_item(seq, i)  # 0 <= i < len(seq): in bounds
    return NULL


cdef object positioned_iter(object seq, Py_ssize_t index):
    """What a pickle records for *seq* read up to *index*: ``iter(seq)``
    after *index* next() calls (its ``__setstate__`` clamps an index past
    the end, as the iterator's own ``__reduce__`` does)."""
    it = iter(seq)
    if index:
        it.__setstate__(index)
    return it


cdef class flatten:
    """flatten(iterable)

    One level of flattening: drop-in for :func:`more_itertools.flatten` and
    :func:`itertools.chain.from_iterable`.

    >>> from cyiter import flatten
    >>> list(flatten([[0, 1], [2, 3], (), "ab"]))
    [0, 1, 2, 3, 'a', 'b']
    """

    # The state of the pure twin, ``_source`` and ``_active``, except that a
    # list or tuple may be read by index instead of through an iterator:
    # source: what gives the iterables: None once exhausted; an iterator
    #     (source_index -1), or an exact list or tuple (source_index >= 0:
    #     the position of the next iterable in it)
    # active: the current iterable: None (none yet, or exhausted); an
    #     iterator (index -1), or an exact list or tuple (index >= 0: the
    #     position of its next item)
    # Each index changes together with its object, before the old object is
    # released (which may run a __del__), so the pair is always consistent.
    cdef object source
    cdef object active
    cdef Py_ssize_t source_index
    cdef Py_ssize_t index
    cdef Guard guard

    def __cinit__(self, *args, **kwargs):
        self.source_index = -1
        self.index = -1

    def __init__(self, iterable):
        if by_index(iterable):
            self._set(iterable, 0, None)
        else:
            self._set(iter(iterable), -1, None)

    cdef int _set(self, source, Py_ssize_t source_index, active) except -1:
        if source_index < 0:
            _check_iterator("flatten", source)
        _check_iterator("flatten", active)
        guard_enter(&self.guard, "flatten")
        try:
            self.source_index = source_index
            self.source = source
            self.index = -1
            self.active = active
        finally:
            guard_leave(&self.guard)
        return 0

    def __iter__(self):
        return self

    def __next__(self):
        cdef PyObject* seq
        cdef Py_ssize_t i
        # (a critical section as a block, not a decorator, so that Cython can
        # end the iteration without creating a StopIteration)
        with cython.critical_section(self):
            # The common case, inline: the next item of a list or tuple read
            # by index.  It runs no Python code and allocates nothing, so it
            # needs no guard, but steps aside while a guarded call runs.
            i = self.index
            if i >= 0 and not self.guard.running:
                # index >= 0: an exact list or tuple (or None, after tp_clear)
                seq = <PyObject*>self.active
                if type_of(seq) == <PyTypeObject*>list:
                    if i < list_size(seq):
                        self.index = i + 1
                        return <object>list_item(seq, i)  # 0 <= i < len(seq)
                elif type_of(seq) == <PyTypeObject*>tuple:
                    if i < tuple_size(seq):
                        self.index = i + 1
                        return <object>tuple_item(seq, i)  # 0 <= i < len(seq)
        # Every other case, out of line and in a critical section of its own
        # (it reads the state again): this function then needs no registers
        # saved, and costs a list's item fewer instructions than chain.
        result = self._next_other()
        if result is DONE:
            raise StopIteration
        return result

    @cython.critical_section
    cdef object _next_other(self):
        if self.guard.running:
            return self._next_guarded()
        return self._next_plain()

    cdef object _next_plain(self):
        """The next item as far as lists and tuples read by index and builtin
        iterators over them take it, which runs no Python code and so needs
        no guard (*); anything else goes to ``_next_guarded``.

        (*) Except when a builtin iterator ends: it lets go of its sequence,
        and if that was the last reference, freeing it may run a __del__ of
        an item, which may call next() on this very iterator.  So the
        iterator is held during the call, and the state re-read after it."""
        cdef PyObject* item
        cdef Py_ssize_t i
        while self.source is not None:
            # the next item of the current iterable
            i = self.index
            if i >= 0:
                item = seq_item(<PyObject*>self.active, i)
                if item != NULL:
                    self.index = i + 1
                    return <object>item
            elif is_plain_iterator(<PyObject*>self.active):
                active = self.active  # held across the call, see above
                item = type_slots(active).tp_iternext(<PyObject*>active)
                if item != NULL:
                    return steal(item)
                # exhausted, or out of memory (a range iterator's int)
                iteration_stopped()
                if self.active is not active:
                    continue  # a __del__ moved it on: start again from there
                active = None  # (self.active holds it: released below)
            else:
                break  # none yet, or any other iterator
            # it is exhausted: take the next iterable
            i = self.source_index
            if i >= 0:
                item = seq_item(<PyObject*>self.source, i)
                if item == NULL:
                    break  # the end: the guarded path lets go of it all
                self.source_index = i + 1
                iterable = <object>item
            elif is_plain_iterator(<PyObject*>self.source):
                source = self.source  # held across the call, see above
                item = type_slots(source).tp_iternext(<PyObject*>source)
                source = None  # (self.source holds it)
                if item == NULL:
                    if PyErr_Occurred() == NULL:
                        break  # the end: the guarded path lets go of it all
                    return self._source_failed()
                iterable = steal(item)
            else:
                break
            if not by_index(iterable):
                return self._next_guarded(iterable)
            self._replace_active(iterable)
        return self._next_guarded()

    cdef int _replace_active(self, iterable) except -1:
        """Make *iterable*, a list or tuple, the current one, read by index,
        without the guard: the old one is released under the guard if that
        may free it (a __del__ that then calls next() gets the RuntimeError
        it gets from the pure twin)."""
        old = self.active  # kept until the state is whole
        self.index = 0
        self.active = iterable
        if Py_REFCNT(old) == 1:
            guard_enter(&self.guard, "flatten")
            try:
                old = None
            finally:
                guard_leave(&self.guard)
        return 0

    cdef object _source_failed(self):
        """The plain source raised (a range iterator out of memory): that
        ends it, as in chain, and the error propagates."""
        guard_enter(&self.guard, "flatten")
        try:
            self.source_index = -1
            self.source = None
            self.index = -1
            self.active = None
        finally:
            guard_leave(&self.guard)
        return steal(NULL)  # NULL: raises the error still pending

    cdef object _next_guarded(self, pending=DONE):
        """The guarded general path; *pending* (unless DONE) is an item
        already taken from the outer iterator."""
        guard_enter(&self.guard, "flatten")
        try:
            if pending is not DONE:
                self._take(pending)
            return self._next_slow()
        finally:
            guard_leave(&self.guard)

    cdef int _take(self, iterable) except -1:
        """Make *iterable*, just taken from the source, the current one
        (under the guard)."""
        cdef PyObject* new_active
        if by_index(iterable):
            self.index = 0
            self.active = iterable
            return 0
        self.index = -1
        self.active = None
        new_active = get_iter_or_null(iterable)
        if new_active == NULL:
            # not iterable: that ends it, as in chain
            self.source_index = -1
            self.source = None
        self.active = steal(new_active)  # raises the TypeError, if any
        return 0

    cdef object _next_slow(self):
        # chain.from_iterable's rules: an error from the outer iterator, or an
        # item that is not iterable, ends it; an error from an inner iterator
        # propagates and the inner iterator is tried again next time.
        cdef PyObject* item
        cdef Py_ssize_t i
        cdef object active
        cdef object source
        while self.source is not None:
            i = self.index
            if i >= 0:
                item = seq_item(<PyObject*>self.active, i)
                if item != NULL:
                    self.index = i + 1
                    return <object>item
            elif self.active is not None:
                active = self.active  # held across the call
                item = type_slots(active).tp_iternext(<PyObject*>active)
                if item != NULL:
                    return steal(item)
                iteration_stopped()
            # the current iterable is exhausted, or there is none yet
            self.index = -1
            self.active = None
            i = self.source_index
            if i >= 0:
                item = seq_item(<PyObject*>self.source, i)
                if item == NULL:
                    break
                self.source_index = i + 1
                iterable = <object>item
            else:
                source = self.source  # held across the call
                item = type_slots(source).tp_iternext(<PyObject*>source)
                if item == NULL:
                    self.source = None
                    iteration_stopped()  # raises what the source raised
                    return DONE
                iterable = steal(item)
            self._take(iterable)
        self.source_index = -1
        self.source = None
        self.index = -1
        self.active = None
        return DONE

    @cython.critical_section
    def __reduce__(self):
        cdef Py_ssize_t source_index
        cdef Py_ssize_t index
        # the whole state is read before anything is allocated (a collection
        # could run a __del__ that moves this iterator on)
        source = self.source
        active = self.active
        source_index = self.source_index
        index = self.index
        if source_index >= 0:
            source = positioned_iter(source, source_index)
        if index >= 0:
            active = positioned_iter(active, index)
        return (restore, ("flatten",), (source, active))

    def __setstate__(self, state):
        source, active = state
        self._set(source, -1, active)

    def __repr__(self):
        return object_repr("flatten", self)


cdef class collapse:
    """collapse(iterable, base_type=None, levels=None)

    Drop-in for :func:`more_itertools.collapse`: flatten any depth of
    nesting; strings and bytes (and instances of *base_type*) are atoms;
    *levels* limits the depth.  Iterative: 100,000 levels of nesting are
    fine, and it holds one iterator per level.

    >>> from cyiter import collapse
    >>> list(collapse([(1, 2), ([3, 4], [[5], [6]])]))
    [1, 2, 3, 4, 5, 6]
    >>> list(collapse(["ab", ("cd", "ef"), ["gh", "ij"]], base_type=tuple))
    ['ab', ('cd', 'ef'), 'gh', 'ij']
    >>> list(collapse([("a", ["b"]), ("c", ["d"])], levels=1))
    ['a', ['b'], 'c', ['d']]
    """

    # stack[i] iterates the nodes at depth i; empty once exhausted.  The
    # bottom one iterates a 1-tuple holding the argument itself.
    cdef list stack
    cdef object base_type
    cdef object levels
    # levels as a C bound when it is an int (levels_mode 1), else compared
    # in Python (mode 2); mode 0: no limit
    cdef int levels_mode
    cdef Py_ssize_t max_level
    # whether the top of the stack is deeper than levels: its nodes are
    # passed through as they are (the reference tests this once each time it
    # enters a level)
    cdef bint passthrough
    # a node pulled by the unguarded path that needs the guarded one
    cdef object pending
    cdef Guard guard

    def __cinit__(self, *args, **kwargs):
        self.stack = []
        self.pending = DONE

    def __init__(self, iterable, base_type=None, levels=None):
        if levels is not None:
            0 > levels  # compared with each depth: fail now, not later
        if base_type is not None:
            isinstance(None, base_type)  # a bad base_type fails now, not later
        self._set([iter((iterable,))], base_type, levels)

    cdef int _set(self, list stack, base_type, levels) except -1:
        for it in stack:
            _check_iterator("collapse", it)
        guard_enter(&self.guard, "collapse")
        try:
            self.stack = stack
            self.base_type = base_type
            self.levels = levels
            self.levels_mode = 0
            if type(levels) is int:
                self.levels_mode = 1
                self.max_level = max(-1, min(levels, sys.maxsize))
            elif levels is not None:
                self.levels_mode = 2
            if stack:
                self._enter_top()
        finally:
            guard_leave(&self.guard)
        return 0

    cdef int _enter_top(self) except -1:
        cdef Py_ssize_t depth = PyList_GET_SIZE(self.stack) - 1
        if self.levels_mode == 0:
            self.passthrough = False
        elif self.levels_mode == 1:
            self.passthrough = depth > self.max_level
        else:
            self.passthrough = bool(depth > self.levels)
        return 0

    def __iter__(self):
        return self

    def __next__(self):
        cdef bint ok = False
        # (a critical section as a block, not a decorator, so that Cython can
        # end the iteration without creating a StopIteration)
        with cython.critical_section(self):
            node = DONE
            if self.stack and not self.guard.running and self.base_type is None:
                node = self._next_plain()
            if node is DONE and self.stack:
                guard_enter(&self.guard, "collapse")
                try:
                    node = self._next(self.pending)
                    ok = True
                finally:
                    self.pending = DONE
                    guard_leave(&self.guard)
                    if not ok:
                        self.stack = []  # as a generator, it ends with any exception
        if node is DONE:
            raise StopIteration
        return node

    cdef inline object _next_plain(self):
        """The next leaf as far as builtin list/tuple iterators take it,
        which runs no Python code and needs no guard; DONE hands over to the
        guarded ``_next`` (with a node already pulled in ``pending``)."""
        cdef list stack = self.stack
        cdef Py_ssize_t top
        cdef PyObject* nodes
        cdef PyObject* item
        cdef PyTypeObject* kind
        while True:
            top = PyList_GET_SIZE(stack) - 1
            if top < 0:
                return DONE
            # 0 <= top < size: in bounds; borrowed from the list, which
            # nothing below changes before it is read
            nodes = PyList_GET_ITEM(stack, top)
            if not is_plain_iterator(nodes):
                return DONE
            item = type_slots_of(nodes).tp_iternext(nodes)
            if item == NULL:
                return DONE  # popping may free a level's list: guarded
            node = steal(item)
            if self.passthrough or isinstance(node, (str, bytes)):
                return node
            kind = type_of(item)
            if kind == <PyTypeObject*>list or kind == <PyTypeObject*>tuple:
                # descending allocates an iterator, which may start a
                # collection and run a __del__: under the guard
                guard_enter(&self.guard, "collapse")
                try:
                    stack.append(iter(node))
                    self._enter_top()
                finally:
                    guard_leave(&self.guard)
                continue
            if type_slots(node).tp_iter == NULL and not PySequence_Check(node):
                return node  # not iterable: an atom
            self.pending = node
            return DONE

    cdef object _next(self, pending):
        """The general step, under the guard; *pending* (unless DONE) is a
        node already pulled from the top iterator."""
        cdef list stack = self.stack
        cdef object nodes
        cdef object node
        cdef PyObject* item
        cdef PyObject* child_ptr
        cdef Py_ssize_t top
        while True:
            if pending is not DONE:
                node = pending
                pending = DONE
            else:
                top = PyList_GET_SIZE(stack) - 1
                if top < 0:
                    return DONE
                # 0 <= top < size: in bounds; borrowed, then owned by ``nodes``
                nodes = <object>PyList_GET_ITEM(stack, top)
                item = type_slots(nodes).tp_iternext(<PyObject*>nodes)
                if item == NULL:
                    iteration_stopped()
                    stack.pop()
                    if PyList_GET_SIZE(stack):
                        self._enter_top()
                    continue
                node = steal(item)
            if self.passthrough or isinstance(node, (str, bytes)):
                return node
            if self.base_type is not None and isinstance(node, self.base_type):
                return node
            if type_slots(node).tp_iter == NULL and not PySequence_Check(node):
                return node  # not iterable: an atom (without raising TypeError)
            child_ptr = get_iter_or_null(node)
            if child_ptr == NULL and PyErr_ExceptionMatches(<PyObject*>TypeError):
                PyErr_Clear()
                return node  # iter() refused it: an atom, as for the reference
            stack.append(steal(child_ptr))
            self._enter_top()

    @cython.critical_section
    def __reduce__(self):
        return (restore, ("collapse",), (list(self.stack), self.base_type, self.levels))

    def __setstate__(self, state):
        stack, base_type, levels = state
        self._set(list(stack), base_type, levels)

    def __repr__(self):
        return object_repr("collapse", self)
