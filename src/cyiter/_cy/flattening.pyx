"""Cython twin of the flattening family: flatten, collapse.

The pure-Python twin is ``cyiter/_py/flattening.py``.
"""

cimport cython
from cpython.iterator cimport PyIter_Check
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.object cimport PyObject, PyTypeObject
from cpython.sequence cimport PySequence_Check

from cyiter._cy._capi cimport (
    PyErr_Clear,
    init_plain_types,
    is_plain_iterator,
    PyErr_ExceptionMatches,
    get_iter_or_null,
    iteration_stopped,
    steal,
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


cdef class flatten:
    """flatten(iterable)

    One level of flattening: drop-in for :func:`more_itertools.flatten` and
    :func:`itertools.chain.from_iterable`.

    >>> from cyiter import flatten
    >>> list(flatten([[0, 1], [2, 3], (), "ab"]))
    [0, 1, 2, 3, 'a', 'b']
    """

    cdef object source   # iterator of iterables; None once exhausted
    cdef object active   # iterator of the current iterable, or None
    cdef Guard guard

    def __init__(self, iterable):
        self._set(iter(iterable), None)

    cdef int _set(self, source, active) except -1:
        _check_iterator("flatten", source)
        _check_iterator("flatten", active)
        guard_enter(&self.guard, "flatten")
        self.source = source
        self.active = active
        guard_leave(&self.guard)
        return 0

    def __iter__(self):
        return self

    def __next__(self):
        cdef PyObject* item
        cdef PyObject* active
        # (a critical section as a block, not a decorator, so that Cython can
        # end the iteration without creating a StopIteration)
        with cython.critical_section(self):
            if self.guard.running:
                result = self._next_guarded()
            else:
                result = self._next_plain()
        if result is DONE:
            raise StopIteration
        return result

    cdef inline object _next_plain(self):
        """The next item as far as builtin iterators over lists and tuples
        take it, which runs no Python code and so needs no guard; anything
        else goes to ``_next_guarded``."""
        cdef PyObject* item
        cdef PyObject* iterable
        cdef PyObject* active = <PyObject*>self.active   # borrowed: see below
        cdef PyObject* source
        while is_plain_iterator(active):
            item = type_slots_of(active).tp_iternext(active)
            if item != NULL:
                return steal(item)
            # the inner iterator is exhausted (builtin ones never raise);
            # take the next iterable if that too runs no Python code
            source = <PyObject*>self.source
            if not is_plain_iterator(source):
                break
            iterable = type_slots_of(source).tp_iternext(source)
            if iterable == NULL:
                break  # the outer iterator is exhausted: the guarded path ends it
            if not (type_of(iterable) == <PyTypeObject*>list or type_of(iterable) == <PyTypeObject*>tuple):
                return self._next_guarded(steal(iterable))
            # Replace ``active``.  Releasing the old one may free its list and
            # run a __del__ of an item, which may call next() on this very
            # iterator: the state is complete before that, and re-read after.
            self.active = iter(steal(iterable))
            active = <PyObject*>self.active
        return self._next_guarded()

    cdef object _next_guarded(self, pending=DONE):
        """The guarded general path; *pending* (unless DONE) is an item
        already taken from the outer iterator."""
        cdef PyObject* new_active
        guard_enter(&self.guard, "flatten")
        try:
            if pending is not DONE:
                self.active = None
                new_active = get_iter_or_null(pending)
                if new_active == NULL:
                    self.source = None  # not iterable: that ends it, as in chain
                self.active = steal(new_active)  # raises the TypeError, if any
            return self._next_slow()
        finally:
            guard_leave(&self.guard)

    cdef object _next_slow(self):
        # chain.from_iterable's rules: an error from the outer iterator, or an
        # item that is not iterable, ends it; an error from an inner iterator
        # propagates and the inner iterator is tried again next time.
        cdef PyObject* item
        cdef PyObject* new_active
        cdef object active
        cdef object source
        while self.source is not None:
            active = self.active
            if active is None:
                source = self.source  # held across the call
                item = type_slots(source).tp_iternext(<PyObject*>source)
                if item == NULL:
                    self.source = None
                    iteration_stopped()  # raises what the source raised
                    return DONE
                iterable = steal(item)
                new_active = get_iter_or_null(iterable)
                if new_active == NULL:
                    self.source = None
                active = steal(new_active)  # raises the TypeError, if any
                self.active = active
            item = type_slots(active).tp_iternext(<PyObject*>active)
            if item != NULL:
                return steal(item)
            iteration_stopped()
            self.active = None
        self.active = None
        return DONE

    @cython.critical_section
    def __reduce__(self):
        return (restore, ("flatten",), (self.source, self.active))

    def __setstate__(self, state):
        source, active = state
        self._set(source, active)

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
