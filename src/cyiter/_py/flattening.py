"""Pure-Python twin of the flattening family: flatten, collapse.

Mirrors ``cyiter/_cy/flattening.pyx`` exactly; see the docstrings there.
"""

from types import GenericAlias

from cyiter._py._guard import Guarded, guarded
from cyiter._state import object_repr, restore



def _check_iterator(name, it):
    if it is not None and not hasattr(type(it), "__next__"):
        raise TypeError(f"{name} state: {type(it).__name__!r} object is not an iterator")


class flatten(Guarded):
    """flatten(iterable)

    One level of flattening: drop-in for :func:`more_itertools.flatten` and
    :func:`itertools.chain.from_iterable`.

    >>> from cyiter import flatten
    >>> list(flatten([[0, 1], [2, 3], (), "ab"]))
    [0, 1, 2, 3, 'a', 'b']
    """

    __slots__ = ("_source", "_active")
    __class_getitem__ = classmethod(GenericAlias)

    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls)
        self._source = self._active = None
        return self

    def __init__(self, iterable):
        self._set(iter(iterable), None)

    def _set(self, source, active):
        _check_iterator("flatten", source)
        _check_iterator("flatten", active)
        self._assign(source, active)

    @guarded
    def _assign(self, source, active):
        self._source = source
        self._active = active

    def __iter__(self):
        return self

    @guarded
    def __next__(self):
        # chain.from_iterable's rules: an error from the outer iterator, or an
        # item that is not iterable, ends it; an error from an inner iterator
        # propagates and the inner iterator is tried again next time.
        while self._source is not None:
            active = self._active
            if active is None:
                try:
                    active = iter(next(self._source))
                except BaseException:
                    self._source = None
                    raise
                self._active = active
            for item in active:
                return item
            self._active = None
        raise StopIteration

    def __reduce__(self):
        return (restore, ("flatten",), (self._source, self._active))

    def __setstate__(self, state):
        source, active = state
        self._set(source, active)

    def __repr__(self):
        return object_repr("flatten", self)


class collapse(Guarded):
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

    __slots__ = ("_stack", "_base_type", "_levels", "_passthrough")

    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls)
        self._stack = []
        self._base_type = self._levels = None
        self._passthrough = False
        return self

    def __init__(self, iterable, base_type=None, levels=None):
        if levels is not None:
            0 > levels  # compared with each depth: fail now, not later
        if base_type is not None:
            isinstance(None, base_type)  # a bad base_type fails now, not later
        self._set([iter((iterable,))], base_type, levels)

    def _set(self, stack, base_type, levels):
        for it in stack:
            _check_iterator("collapse", it)
        self._assign(stack, base_type, levels)

    @guarded
    def _assign(self, stack, base_type, levels):
        self._stack = stack
        self._base_type = base_type
        self._levels = levels
        if stack:
            self._enter_top()

    def _enter_top(self):
        # the reference tests the depth against levels once each time it
        # enters a level; the nodes of a deeper level pass through as they are
        levels = self._levels
        self._passthrough = levels is not None and bool(len(self._stack) - 1 > levels)

    def __iter__(self):
        return self

    @guarded
    def __next__(self):
        stack = self._stack
        base_type = self._base_type
        try:
            while stack:
                for node in stack[-1]:
                    break
                else:
                    stack.pop()
                    if stack:
                        self._enter_top()
                    continue
                if (
                    self._passthrough
                    or isinstance(node, (str, bytes))
                    or (base_type is not None and isinstance(node, base_type))
                ):
                    return node
                try:
                    child = iter(node)
                except TypeError:
                    return node
                stack.append(child)
                self._enter_top()
        except BaseException:
            self._stack = []  # as a generator, it ends with any exception
            raise
        raise StopIteration

    def __reduce__(self):
        return (restore, ("collapse",), (list(self._stack), self._base_type, self._levels))

    def __setstate__(self, state):
        stack, base_type, levels = state
        self._set(list(stack), base_type, levels)

    def __repr__(self):
        return object_repr("collapse", self)
