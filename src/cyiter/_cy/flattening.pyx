"""Cython twin of the flattening family: flatten, collapse."""

cimport cython
from cpython.bytes cimport PyBytes_Check
from cpython.exc cimport PyErr_CheckSignals
from cpython.list cimport PyList_GET_SIZE
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.object cimport PyObject, PyTypeObject
from cpython.pyport cimport PY_SSIZE_T_MAX
from cpython.sequence cimport PySequence_Check
from cpython.unicode cimport PyUnicode_Check
from libc.string cimport memcpy

from cyiter._cy._capi cimport (
    PyErr_Clear,
    PyErr_ExceptionMatches,
    TypeSlots,
    get_iter_raw,
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
from types import GenericAlias

from cyiter._batchargs import is_iterator
from cyiter._state import object_repr, restore


# what a step returns when the iteration has ended
cdef object DONE = object()

# A loop that yields nothing for this many steps checks for signals (Ctrl-C
# stops collapse of a list that contains itself).
cdef enum:
    SIGNAL_STEPS = 4096


cdef int _check_iterator(str name, object it) except -1:
    """Keep a crafted pickle state from reaching ``tp_iternext``."""
    if it is not None and not is_iterator(it):
        raise TypeError(f"{name} state: {type(it).__name__!r} object is not an iterator")
    return 0


# Both iterators read an exact list or tuple by index instead of through
# iter(), as its iterator would: the size is read for every item, and the
# sequence is let go at its end.  Pickles hold iterators (positioned_iter).

cdef inline bint by_index(object node) noexcept:
    return type(node) is list or type(node) is tuple


cdef inline PyObject* seq_item(PyObject* seq, Py_ssize_t i) noexcept:
    """Item *i* >= 0 of *seq* (borrowed), NULL past its end.  Anything but
    a list or tuple counts as empty: tp_clear may have put None there."""
    if type_of(seq) == <PyTypeObject*>list:
        if i < list_size(seq):
            return list_item(seq, i)  # 0 <= i < len(seq)
    elif type_of(seq) == <PyTypeObject*>tuple:
        if i < tuple_size(seq):
            return tuple_item(seq, i)  # 0 <= i < len(seq)
    return NULL


cdef inline bint is_leaf(PyObject* node) noexcept:
    """An atom whatever the base_type, told without a call: str, bytes, or
    a type that iter() refuses without running code (int, None...)."""
    cdef TypeSlots* kind = type_slots_of(node)
    return (
        PyUnicode_Check(<object>node)
        or PyBytes_Check(<object>node)
        or (kind.tp_iter == NULL and kind.tp_as_sequence == NULL)
    )


cdef inline int count_step(Py_ssize_t* steps) except -1:
    steps[0] += 1
    if steps[0] % SIGNAL_STEPS == 0:
        PyErr_CheckSignals()
    return 0


cdef object positioned_iter(object seq, Py_ssize_t index):
    """``iter(seq)`` after *index* next() calls, what a pickle records."""
    it = iter(seq)
    if index:
        it.__setstate__(index)
    return it


cdef class flatten:
    """flatten(iterable)
--

    One level of flattening: drop-in for :func:`more_itertools.flatten`
    and :meth:`itertools.chain.from_iterable`.

    >>> from cyiter import flatten
    >>> list(flatten([[0, 1], [2, 3], (), "ab"]))
    [0, 1, 2, 3, 'a', 'b']
    """

    # The pure twin's state, but a list or tuple may be read by index:
    # _source_index >= 0 is the position of the next iterable in _source,
    # _index >= 0 that of the next item in _active; -1: an iterator.
    cdef object _source
    cdef object _active
    cdef Py_ssize_t _source_index
    cdef Py_ssize_t _index
    cdef object __weakref__
    cdef Guard _guard

    def __cinit__(self, *args, **kwargs):
        self._source_index = -1
        self._index = -1

    @classmethod
    def __class_getitem__(cls, item, /):
        return GenericAlias(cls, item)

    def __init__(self, iterable):
        if by_index(iterable):
            self._set(iterable, None, 0)
        else:
            self._set(iter(iterable), None, -1)

    @cython.critical_section
    cdef int _set(self, source, active, Py_ssize_t source_index) except -1:
        if source_index < 0:
            _check_iterator("flatten", source)
        _check_iterator("flatten", active)
        guard_enter(&self._guard, self)
        try:
            self._source_index = source_index
            self._source = source
            self._index = -1
            self._active = active
        finally:
            guard_leave(&self._guard)
        return 0

    def __iter__(self):
        return self

    def __next__(self):
        cdef PyObject* seq
        cdef Py_ssize_t i
        # (a block, not a decorator: Cython then ends the iteration without
        # creating a StopIteration)
        with cython.critical_section(self):
            # The fast path: an item of a list or tuple read by index runs
            # no Python code, so it needs no guard (unless another call runs).
            i = self._index
            if i >= 0 and not self._guard.running:
                seq = <PyObject*>self._active
                if type_of(seq) == <PyTypeObject*>list:
                    if i < list_size(seq):
                        self._index = i + 1
                        return <object>list_item(seq, i)  # 0 <= i < len(seq)
                elif type_of(seq) == <PyTypeObject*>tuple:
                    if i < tuple_size(seq):
                        self._index = i + 1
                        return <object>tuple_item(seq, i)  # 0 <= i < len(seq)
        # every other case out of line: this function then saves no registers
        result = self._next_guarded()
        if result is DONE:
            raise StopIteration
        return result

    @cython.final
    @cython.critical_section
    cdef object _next_guarded(self):
        guard_enter(&self._guard, self)
        try:
            return self._advance()
        finally:
            guard_leave(&self._guard)

    @cython.final
    cdef object _advance(self):
        """The general step, under the guard, as chain.from_iterable's: an
        error of the outer iterator, or an item that is not iterable, ends
        it; an error of an inner iterator propagates, and it is tried again
        next time."""
        cdef PyObject* item
        cdef Py_ssize_t i, steps = 0
        while self._source is not None:
            i = self._index
            if i >= 0:
                item = seq_item(<PyObject*>self._active, i)
                if item != NULL:
                    self._index = i + 1
                    return <object>item
            elif self._active is not None:
                active = self._active  # held across the call
                item = type_slots(active).tp_iternext(<PyObject*>active)
                if item != NULL:
                    return steal(item)
                iteration_stopped()
            # the current iterable is exhausted, or there is none yet
            count_step(&steps)
            self._index = -1
            self._active = None
            iterable = self._next_iterable()
            if iterable is DONE:
                break
            if by_index(iterable):
                self._active = iterable
                self._index = 0
            else:
                try:
                    self._active = iter(iterable)
                except BaseException:
                    self._end()  # not iterable: that ends it
                    raise
        self._end()
        return DONE

    @cython.final
    cdef void _end(self):
        self._source_index = -1
        self._source = None

    @cython.final
    cdef object _next_iterable(self):
        """The next iterable of ``_source``; DONE at its end.  An error
        ends the source and propagates."""
        cdef PyObject* item
        cdef Py_ssize_t i = self._source_index
        if i >= 0:
            item = seq_item(<PyObject*>self._source, i)
            if item == NULL:
                return DONE
            self._source_index = i + 1
            return <object>item
        source = self._source  # held across the call
        item = type_slots(source).tp_iternext(<PyObject*>source)
        if item == NULL:
            self._end()
            iteration_stopped()
            return DONE
        return steal(item)

    @cython.critical_section
    def __reduce__(self):
        # the whole state is read before anything is allocated (a collection
        # could run a __del__ that moves this iterator on)
        source, active = self._source, self._active
        source_index, index = self._source_index, self._index
        if source_index >= 0:
            source = positioned_iter(source, source_index)
        if index >= 0:
            active = positioned_iter(active, index)
        return (restore, ("flatten",), (source, active))

    def __setstate__(self, state):
        source, active = state
        self._set(source, active, -1)

    def __repr__(self):
        return object_repr("flatten", self)


cdef class collapse:
    """collapse(iterable, base_type=None, levels=None)
--

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

    # The pure twin's state, but a level may be an exact list or tuple read
    # by index: _index[depth] >= 0 is the position of its next node, -1 an
    # iterator.  _index has room for _capacity >= len(_stack) levels.
    cdef list _stack
    cdef Py_ssize_t* _index
    cdef Py_ssize_t _capacity
    cdef object _base_type
    cdef object _levels
    # the nodes of the top level pass through as they are (it is deeper
    # than levels)
    cdef bint _passthrough
    # levels as a C bound when it is an int: every check runs no Python code
    cdef bint _plain
    cdef Py_ssize_t _max_level
    cdef object __weakref__
    cdef Guard _guard

    def __cinit__(self, *args, **kwargs):
        self._stack = []

    def __dealloc__(self):
        PyMem_Free(self._index)

    def __init__(self, iterable, base_type=None, levels=None):
        if levels is not None:
            0 > levels  # compared with each depth: fail now, not later
        if base_type is not None:
            isinstance(None, base_type)  # a bad base_type fails now, not later
        self._set([(iterable,)], base_type, levels, 0)

    @cython.critical_section
    cdef int _set(self, list stack, base_type, levels, Py_ssize_t first) except -1:
        """The new state: each level of *stack* read by index from *first*
        on (0), or an iterator (-1)."""
        cdef Py_ssize_t depth
        if first < 0:
            for it in stack:
                _check_iterator("collapse", it)
        guard_enter(&self._guard, self)
        try:
            self._reserve(PyList_GET_SIZE(stack))
            for depth in range(PyList_GET_SIZE(stack)):
                self._index[depth] = first  # depth < len(stack) <= _capacity
            self._stack = stack
            self._base_type = base_type
            self._levels = levels
            self._plain = base_type is None and (levels is None or type(levels) is int)
            self._max_level = PY_SSIZE_T_MAX if levels is None else (
                max(-1, min(levels, sys.maxsize)) if type(levels) is int else 0
            )
            if stack:
                self._enter_top()
        finally:
            guard_leave(&self._guard)
        return 0

    @cython.final
    cdef int _reserve(self, Py_ssize_t levels) except -1:
        """Room in ``_index`` for *levels* levels (PyMem memory starts no
        garbage collection)."""
        cdef Py_ssize_t capacity
        cdef Py_ssize_t* grown
        if levels <= self._capacity:
            return 0
        capacity = max(levels, 2 * self._capacity, 16)
        if <size_t>capacity > PY_SSIZE_T_MAX // sizeof(Py_ssize_t):
            raise MemoryError()
        grown = <Py_ssize_t*>PyMem_Realloc(self._index, capacity * sizeof(Py_ssize_t))
        if grown == NULL:
            raise MemoryError()
        self._index = grown
        self._capacity = capacity
        return 0

    @cython.final
    cdef inline int _enter_top(self) except -1:
        # the reference tests the depth against levels once each time it
        # enters a level
        cdef Py_ssize_t depth = PyList_GET_SIZE(self._stack) - 1
        if self._plain:
            self._passthrough = depth > self._max_level
        else:
            self._passthrough = self._levels is not None and bool(depth > self._levels)
        return 0

    def __iter__(self):
        return self

    def __next__(self):
        cdef PyObject* stack
        cdef PyObject* node
        cdef Py_ssize_t top, i
        # (a block, not a decorator: Cython then ends the iteration without
        # creating a StopIteration)
        with cython.critical_section(self):
            # The fast path: an atom of a list or tuple read by index runs no
            # Python code, so it needs no guard (unless another call runs).
            stack = <PyObject*>self._stack
            if self._plain and not self._guard.running and stack != <PyObject*>None:
                top = list_size(stack) - 1
                if top >= 0:
                    i = self._index[top]  # 0 <= top < len(stack) <= _capacity
                    if i >= 0:
                        node = seq_item(list_item(stack, top), i)
                        if node != NULL and (self._passthrough or is_leaf(node)):
                            self._index[top] = i + 1
                            return <object>node
        # every other case out of line: this function then saves no registers
        result = self._next_guarded()
        if result is DONE:
            raise StopIteration
        return result

    @cython.final
    @cython.critical_section
    cdef object _next_guarded(self):
        guard_enter(&self._guard, self)
        try:
            return self._advance()
        except BaseException:
            self._stack = []  # as a generator, it ends with any exception
            raise
        finally:
            guard_leave(&self._guard)

    @cython.final
    cdef object _advance(self):
        """The general step, under the guard: depth first, one level per
        iterable entered, as more_itertools.collapse."""
        cdef list stack = self._stack
        cdef PyObject* item
        cdef Py_ssize_t top, i, steps = 0
        if stack is None:
            return DONE  # (cleared by the garbage collector)
        while True:
            count_step(&steps)
            top = PyList_GET_SIZE(stack) - 1
            if top < 0:
                return DONE
            nodes = <object>list_item(<PyObject*>stack, top)  # 0 <= top < len(stack)
            i = self._index[top]  # top < len(stack) <= _capacity
            if i >= 0:
                item = seq_item(<PyObject*>nodes, i)
                if item != NULL:
                    self._index[top] = i + 1
            else:
                item = type_slots(nodes).tp_iternext(<PyObject*>nodes)
                if item == NULL:
                    iteration_stopped()
            if item == NULL:
                stack.pop()  # nodes holds it until the state is whole
                if PyList_GET_SIZE(stack):
                    self._enter_top()
                continue
            node = <object>item if i >= 0 else steal(item)
            # the order of the pure twin: base_type's __instancecheck__ sees
            # the same nodes
            if self._passthrough or PyUnicode_Check(node) or PyBytes_Check(node):
                return node
            if self._base_type is not None and isinstance(node, self._base_type):
                return node
            if by_index(node):
                self._push(node, 0)
                continue
            if type_slots(node).tp_iter == NULL and not PySequence_Check(node):
                return node  # not iterable: an atom (without raising TypeError)
            item = get_iter_raw(node)
            if item == NULL and PyErr_ExceptionMatches(<PyObject*>TypeError):
                PyErr_Clear()
                return node  # iter() refused it: an atom, as for the reference
            self._push(steal(item), -1)

    @cython.final
    cdef inline int _push(self, nodes, Py_ssize_t first) except -1:
        """A new top level: an exact list or tuple (*first* 0) or an
        iterator (-1)."""
        cdef Py_ssize_t depth = PyList_GET_SIZE(self._stack)
        self._reserve(depth + 1)
        self._index[depth] = first  # depth < depth + 1 <= _capacity
        self._stack.append(nodes)
        self._enter_top()
        return 0

    @cython.critical_section
    def __reduce__(self):
        cdef list stack
        cdef Py_ssize_t depth, count
        cdef Py_ssize_t* index
        # A snapshot of _stack and _index together: the copy allocates, and a
        # collection then may run a __del__ that moves this iterator on;
        # after the copy nothing runs until _index is copied too.
        while True:
            stack = None  # a previous turn's copy is let go before copying
            current = self._stack
            stack = list(current)
            if current is self._stack:
                break
        count = PyList_GET_SIZE(stack)
        index = <Py_ssize_t*>PyMem_Malloc(max(count, 1) * sizeof(Py_ssize_t))
        if index == NULL:
            raise MemoryError()
        if count:  # count == len(self._stack) <= _capacity
            memcpy(index, self._index, count * sizeof(Py_ssize_t))
        try:
            for depth in range(count):
                if index[depth] >= 0:  # depth < count
                    stack[depth] = positioned_iter(stack[depth], index[depth])
        finally:
            PyMem_Free(index)
        return (restore, ("collapse",), (stack, self._base_type, self._levels))

    def __setstate__(self, state):
        stack, base_type, levels = state
        self._set(list(stack), base_type, levels, -1)

    def __repr__(self):
        return object_repr("collapse", self)
