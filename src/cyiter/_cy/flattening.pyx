"""Cython twin of the flattening family: flatten, collapse.

The pure-Python twin is ``cyiter/_py/flattening.py``.
"""

cimport cython
from cpython.iterator cimport PyIter_Check
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.object cimport PyObject, PyTypeObject
from cpython.ref cimport Py_REFCNT
from cpython.sequence cimport PySequence_Check
from cpython.unicode cimport PyUnicode_Check
from cpython.bytes cimport PyBytes_Check
from cpython.pyport cimport PY_SSIZE_T_MAX
from libc.string cimport memcpy

from cyiter._cy._capi cimport (
    PyErr_Clear,
    PyErr_Occurred,
    init_plain_types,
    is_plain_iterator,
    PyErr_ExceptionMatches,
    get_iter_raw,
    iteration_stopped,
    list_item,
    list_size,
    steal,
    tuple_item,
    tuple_size,
    TypeSlots,
    type_of,
    type_slots,
    type_slots_of,
)
from cyiter._cy._guard cimport Guard, guard_enter, guard_leave

import sys
from types import GenericAlias

from cyiter._state import object_repr, restore


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


cdef inline bint is_string(PyObject* node) noexcept:
    """str or bytes (or a subclass): an atom, whatever its base_type."""
    return PyUnicode_Check(<object>node) or PyBytes_Check(<object>node)


cdef inline bint is_leaf(PyObject* node) noexcept:
    """Whether *node* is an atom whatever the base_type, as far as a test
    without a call tells: a str or bytes, or an object whose type has
    neither tp_iter nor the sequence slots (int, float, None...), which
    iter() refuses without running any code.  Other atoms (instances of
    Python classes always have the sequence slots) go the general way."""
    cdef TypeSlots* kind = type_slots_of(node)
    return is_string(node) or (kind.tp_iter == NULL and kind.tp_as_sequence == NULL)


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
    cdef object __weakref__
    cdef Guard guard

    def __cinit__(self, *args, **kwargs):
        self.source_index = -1
        self.index = -1

    @classmethod
    def __class_getitem__(cls, item, /):
        """``flatten[...]`` in annotations, as the stubs allow."""
        return GenericAlias(cls, item)

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
            self._end()
        finally:
            guard_leave(&self.guard)
        return steal(NULL)  # NULL: raises the error still pending

    cdef void _end(self):
        """Exhausted: let go of the source and the current iterable."""
        self.source_index = -1
        self.source = None
        self.index = -1
        self.active = None

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
        new_active = get_iter_raw(iterable)
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
        self._end()
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

    # stack[i] gives the nodes at depth i; empty once exhausted.  The
    # bottom one is a 1-tuple holding the argument itself.  Each is an
    # iterator (index[i] == -1) or an exact list or tuple read by index
    # (index[i] >= 0: the position of its next node).  index has room for
    # ``capacity`` levels, never fewer than len(stack): it grows before a
    # level is pushed, and every level is pushed by ``_push`` or ``_set``.
    # stack is this object's own list (copied in and out).
    cdef list stack
    cdef Py_ssize_t* index
    cdef Py_ssize_t capacity
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
    # whether the unguarded path may run: with a base_type, isinstance may
    # run Python code, and so may comparing a depth with levels in mode 2
    cdef bint plain
    # a node pulled by the unguarded path that needs the guarded one
    cdef object pending
    cdef object __weakref__
    cdef Guard guard

    def __cinit__(self, *args, **kwargs):
        self.stack = []
        self.pending = DONE

    def __dealloc__(self):
        PyMem_Free(self.index)

    def __init__(self, iterable, base_type=None, levels=None):
        if levels is not None:
            0 > levels  # compared with each depth: fail now, not later
        if base_type is not None:
            isinstance(None, base_type)  # a bad base_type fails now, not later
        self._set([(iterable,)], base_type, levels, 0)

    cdef int _set(self, list stack, base_type, levels, Py_ssize_t first) except -1:
        """The new state: *stack* is read by index from *first* on (0 or -1:
        every level is an iterator)."""
        cdef Py_ssize_t depth
        if first < 0:
            for it in stack:
                _check_iterator("collapse", it)
        guard_enter(&self.guard, "collapse")
        try:
            self._reserve(PyList_GET_SIZE(stack))
            # then stack replaces self.stack before anything can run
            for depth in range(PyList_GET_SIZE(stack)):
                self.index[depth] = first  # depth < len(stack) <= capacity
            self.stack = stack
            self.base_type = base_type
            self.levels = levels
            self.levels_mode = 0
            if type(levels) is int:
                self.levels_mode = 1
                self.max_level = max(-1, min(levels, sys.maxsize))
            elif levels is not None:
                self.levels_mode = 2
            self.plain = base_type is None and self.levels_mode < 2
            if stack:
                self._enter_top()
        finally:
            guard_leave(&self.guard)
        return 0

    cdef int _reserve(self, Py_ssize_t levels) except -1:
        """Room in ``index`` for *levels* levels.  (PyMem memory is no
        Python object: allocating it starts no garbage collection.)"""
        cdef Py_ssize_t capacity
        cdef Py_ssize_t* grown
        if levels <= self.capacity:
            return 0
        capacity = max(levels, 2 * self.capacity, 16)
        if <size_t>capacity > PY_SSIZE_T_MAX // sizeof(Py_ssize_t):
            raise MemoryError()
        grown = <Py_ssize_t*>PyMem_Realloc(self.index, capacity * sizeof(Py_ssize_t))
        if grown == NULL:
            raise MemoryError()
        self.index = grown
        self.capacity = capacity
        return 0

    cdef int _push(self, nodes, Py_ssize_t first) except -1:
        """A new top level: *nodes* is an exact list or tuple (*first* 0)
        or an iterator (-1)."""
        cdef Py_ssize_t depth = PyList_GET_SIZE(self.stack)
        self._reserve(depth + 1)
        self.index[depth] = first  # depth < depth + 1 <= capacity
        self.stack.append(nodes)  # (a list grows with PyMem memory too)
        self._enter_top()
        return 0

    cdef int _pop(self, bint guarded) except -1:
        """Drop the top level, which is exhausted.  Unless *guarded*, the
        guard is taken to release it if that may free it (a __del__ that
        then calls next() gets the RuntimeError of the pure twin)."""
        nodes = self.stack.pop()  # kept until the state is whole
        if PyList_GET_SIZE(self.stack):
            self._enter_top()
        if not guarded and Py_REFCNT(nodes) == 1:
            guard_enter(&self.guard, "collapse")
            try:
                nodes = None
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
        cdef PyObject* stack
        cdef PyObject* node
        cdef Py_ssize_t top
        cdef Py_ssize_t i
        # (a critical section as a block, not a decorator, so that Cython can
        # end the iteration without creating a StopIteration)
        with cython.critical_section(self):
            # The common case, inline: a string (or a node passed through)
            # from a list or tuple read by index.  It runs no Python code and
            # allocates nothing, so it needs no guard, but steps aside while
            # a guarded call runs.
            stack = <PyObject*>self.stack
            if self.plain and not self.guard.running and stack != <PyObject*>None:
                top = list_size(stack) - 1
                if top >= 0:
                    i = self.index[top]  # 0 <= top < len(stack) <= capacity
                    if i >= 0:
                        # 0 <= top < len(stack): in bounds
                        node = seq_item(list_item(stack, top), i)
                        if node != NULL and (self.passthrough or is_leaf(node)):
                            self.index[top] = i + 1
                            return <object>node
        # Every other case, out of line and in a critical section of its own
        # (it reads the state again): this function then needs no registers
        # saved.
        result = self._next_other()
        if result is DONE:
            raise StopIteration
        return result

    @cython.critical_section
    cdef object _next_other(self):
        cdef bint ok = False
        try:
            node = DONE
            if self.plain and not self.guard.running:
                node = self._next_plain()
            if node is DONE and self.stack:
                guard_enter(&self.guard, "collapse")  # re-entered: raises
                try:
                    node = self._next(self.pending)
                finally:
                    self.pending = DONE
                    guard_leave(&self.guard)
            ok = True
        finally:
            # As a generator, it ends with any exception, except the
            # RuntimeError of a call that re-entered (or gave up waiting for
            # another thread): the call that runs will end it.
            if not ok and not self.guard.running:
                self._end()
        return node

    cdef int _end(self) except -1:
        guard_enter(&self.guard, "collapse")
        try:
            self.stack = []
        finally:
            guard_leave(&self.guard)
        return 0

    cdef inline object _next_plain(self):
        """The next leaf as far as lists and tuples read by index (and
        builtin iterators) take it, without the guard: it runs no Python
        code (*) and allocates only PyMem memory.  DONE hands over to the
        guarded ``_next`` (with a node already pulled in ``pending``).

        (*) Releasing a level that ends may free it and run a __del__:
        ``_pop`` takes the guard for that, and a builtin iterator that lets
        go of its sequence is held during the call; the state is whole
        before, and re-read after."""
        cdef PyObject* stack
        cdef PyObject* nodes
        cdef PyObject* item
        cdef PyTypeObject* kind
        cdef Py_ssize_t top
        cdef Py_ssize_t i
        while True:
            stack = <PyObject*>self.stack
            if stack == <PyObject*>None:
                return DONE  # (cleared by the garbage collector)
            top = list_size(stack) - 1
            if top < 0:
                return DONE
            nodes = list_item(stack, top)  # 0 <= top < len(stack): in bounds
            i = self.index[top]  # top < len(stack) <= capacity
            if i >= 0:
                # an exact list or tuple
                item = seq_item(nodes, i)
                if item == NULL:
                    self._pop(False)
                    continue
                self.index[top] = i + 1
                node = <object>item
            elif is_plain_iterator(nodes):
                held = <object>nodes
                item = type_slots_of(nodes).tp_iternext(nodes)
                if item == NULL:
                    # (a range iterator may fail: out of memory for an int)
                    iteration_stopped()
                    return DONE  # the guarded path sees the end again, and pops it
                node = steal(item)
            else:
                return DONE
            if self.passthrough or isinstance(node, (str, bytes)):
                return node
            kind = type_of(<PyObject*>node)
            if kind == <PyTypeObject*>list or kind == <PyTypeObject*>tuple:
                self._push(node, 0)
                continue
            if type_slots(node).tp_iter == NULL and not PySequence_Check(node):
                return node  # not iterable: an atom
            self.pending = node
            return DONE

    cdef object _next(self, pending):
        """The general step, under the guard; *pending* (unless DONE) is a
        node already pulled from the top level."""
        cdef list stack = self.stack
        cdef object nodes
        cdef object node
        cdef PyObject* item
        cdef PyObject* child_ptr
        cdef Py_ssize_t top
        cdef Py_ssize_t i
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
                i = self.index[top]  # top < len(stack) <= capacity
                if i >= 0:
                    item = seq_item(<PyObject*>nodes, i)
                    if item == NULL:
                        self._pop(True)
                        continue
                    self.index[top] = i + 1
                    node = <object>item
                else:
                    item = type_slots(nodes).tp_iternext(<PyObject*>nodes)
                    if item == NULL:
                        iteration_stopped()
                        self._pop(True)
                        continue
                    node = steal(item)
            if self.passthrough or isinstance(node, (str, bytes)):
                return node
            if self.base_type is not None and isinstance(node, self.base_type):
                return node
            if by_index(node):
                self._push(node, 0)
                continue
            if type_slots(node).tp_iter == NULL and not PySequence_Check(node):
                return node  # not iterable: an atom (without raising TypeError)
            child_ptr = get_iter_raw(node)
            if child_ptr == NULL and PyErr_ExceptionMatches(<PyObject*>TypeError):
                PyErr_Clear()
                return node  # iter() refused it: an atom, as for the reference
            self._push(steal(child_ptr), -1)

    @cython.critical_section
    def __reduce__(self):
        cdef list stack
        cdef Py_ssize_t depth
        cdef Py_ssize_t count
        cdef Py_ssize_t* index
        # A snapshot of stack and index together: the copy allocates a list
        # first, and a collection then could run a __del__ that moves this
        # iterator on, or gives it a new stack; after the copy, nothing runs
        # (nothing is released) until index is copied too.
        while True:
            stack = None  # a previous turn's copy is let go before copying
            current = self.stack
            stack = list(current)
            if current is self.stack:
                break
        count = PyList_GET_SIZE(stack)
        index = <Py_ssize_t*>PyMem_Malloc(max(count, 1) * sizeof(Py_ssize_t))
        if index == NULL:
            raise MemoryError()
        if count:  # count == len(self.stack) <= capacity
            memcpy(index, self.index, count * sizeof(Py_ssize_t))
        try:
            for depth in range(count):
                if index[depth] >= 0:  # depth < count
                    stack[depth] = positioned_iter(stack[depth], index[depth])
        finally:
            PyMem_Free(index)
        return (restore, ("collapse",), (stack, self.base_type, self.levels))

    def __setstate__(self, state):
        stack, base_type, levels = state
        self._set(list(stack), base_type, levels, -1)

    def __repr__(self):
        return object_repr("collapse", self)
