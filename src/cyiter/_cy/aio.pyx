"""The machinery of every cyiter.aio iterator, Cython twin.

The pure-Python twin is ``cyiter/_py/aio.py``.  ``__anext__()`` returns a
``_Step``, a hand-written coroutine: it runs the iterator's hooks, which
return the next item or ask for something to be awaited, and awaits that by
hand (``PyIter_Send``).  When nothing it awaits suspends, the step
completes at its first ``send``, with no coroutine, task or future made;
when something does, the suspension passes through to the awaiting task
unchanged.  docs/internals.md, "Async iterators", tells why and how.
"""

cimport cython
from cpython.object cimport PyObject

from cyiter._cy._capi cimport (
    PYGEN_ERROR,
    PYGEN_NEXT,
    PYGEN_RETURN,
    PySendResult,
    await_start,
    fetch_error_raw,
    incref,
    install_step_slots,
    iter_send,
    iternextfunc,
    restore_error,
    steal,
    stop_with,
)

from cyiter._aio import not_pickled, running, thrown
from cyiter._state import object_repr


cdef enum:
    # the states of a _Step
    NEW
    RUNNING     # a hook or the first send of a wait is running
    SUSPENDED   # in ``it``, a wait that suspended
    DONE
    # the hook _drive runs first
    BEGIN
    GOT
    FAILED


@cython.final
@cython.freelist(8)
cdef class _Step:
    """The awaitable of one ``__anext__()`` call."""

    cdef AsyncIter owner
    cdef object it
    cdef int state

    def __await__(self):
        return self

    # Python-level calls; the interpreter's await uses the C slots below
    def __next__(self):
        return steal(_step_send(self, None))

    def send(self, value):
        return steal(_step_send(self, value))

    def throw(self, *args):
        cdef bint done = False
        cdef int state = self._claim(RUNNING)
        if state != SUSPENDED:
            self._check(state)
            self.state = DONE  # thrown into before it started
            raise thrown(args)
        out = self._throw(args, &done)
        return steal(stop_with(out)) if done else out

    def close(self):
        cdef int state = self._claim(DONE)
        if state == RUNNING:
            raise ValueError("__anext__() already executing")
        if state == SUSPENDED:
            it = self.it
            self.it = None
            try:
                close = getattr(it, "close", None)
                if close is not None:
                    close()
            finally:
                self._abandon()

    def __dealloc__(self):
        # a step dropped while suspended without being closed
        if self.state == SUSPENDED:
            self.state = DONE
            self._abandon()

    cdef int _claim(self, int next_state) noexcept:
        """The state, replaced by ``next_state`` if it is NEW or SUSPENDED:
        atomic on a free-threaded build too, so that one thread at a time
        drives the step (another gets the error of a running one)."""
        cdef int state
        with cython.critical_section(self):
            state = self.state
            if state == NEW or state == SUSPENDED:
                self.state = next_state
        return state

    cdef int _check(self, int state) except -1:
        if state == RUNNING:
            raise ValueError("__anext__() already executing")
        if state == DONE:
            raise RuntimeError("cannot reuse already awaited __anext__()")
        return 0

    cdef int _abandon(self) except -1:
        owner = self.owner
        try:
            owner._interrupted()
        finally:
            owner.leave()
        return 0

    cdef object _send(self, object value, bint* done):
        """send(value): what the wait yielded, or with ``done`` set the
        item; raises what the iteration raises."""
        cdef PyObject* result
        cdef PySendResult status
        cdef int state = self._claim(RUNNING)
        if state == SUSPENDED:
            it = self.it
            self.it = None
            status = iter_send(it, value, &result)
            if status == PYGEN_NEXT:
                self.it = it
                self.state = SUSPENDED
                return steal(result)
            if status == PYGEN_RETURN:
                return self._drive(GOT, steal(result), done)
            return self._drive(FAILED, steal(fetch_error_raw()), done)
        self._check(state)
        if value is not None:
            self.state = NEW
            raise TypeError("can't send non-None value to a just-started __anext__()")
        self.state = DONE  # until entered
        self.owner.enter()
        self.state = RUNNING
        return self._drive(BEGIN, None, done)

    cdef object _throw(self, tuple args, bint* done):
        it = self.it
        self.it = None
        try:
            method = getattr(it, "throw", None)
            if method is None:
                raise thrown(args)
            yielded = method(*args)
        except StopIteration as stop:
            return self._drive(GOT, stop.value, done)
        except BaseException as exc:
            return self._drive(FAILED, exc, done)
        self.it = it
        self.state = SUSPENDED
        return yielded

    cdef object _drive(self, int hook, object arg, bint* done):
        """Run the hook, then await whatever the hooks ask for, until one of
        them returns the item (``done`` set) or raises."""
        cdef AsyncIter owner = self.owner
        cdef PyObject* it
        cdef PyObject* value
        cdef PySendResult status
        try:
            if hook == BEGIN:
                result = owner._begin()
            elif hook == GOT:
                result = owner._got(arg)
            else:
                result = owner._failed(arg)
            while True:
                if owner.resume is not None:
                    self.it = owner.resume
                    owner.resume = None
                    self.state = SUSPENDED
                    yielded = owner.yielded
                    owner.yielded = None
                    return yielded
                if owner.awaiting is None:
                    break
                target = owner.awaiting
                owner.awaiting = None
                status = await_start(target, owner.awaiting_anext, &it, &value)
                if status == PYGEN_RETURN:
                    result = owner._got(steal(value))
                elif status == PYGEN_NEXT:
                    self.it = steal(it)
                    self.state = SUSPENDED
                    return steal(value)
                else:
                    result = owner._failed(steal(fetch_error_raw()))
        except StopIteration as exc:
            # as in a coroutine: a StopIteration would pass for the item
            self._end()
            raise RuntimeError(f"{owner.name} raised StopIteration") from exc
        except BaseException:
            self._end()
            raise
        self._end()
        done[0] = True
        return result

    cdef inline void _end(self) noexcept:
        self.state = DONE
        self.owner.leave()


# The C slots of _Step.  An iteration completes by returning NULL with
# StopIteration(item) set; set in C (stop_with), not raised through Cython,
# whose every raise adds a traceback entry (a frame object), several times
# the cost of the rest of a batch (docs/internals.md, "Async iterators").

cdef PyObject* _step_send(_Step step, object value) except NULL:
    # (never called from Cython code where speed counts: a Cython caller
    # takes the NULL of a completion for an error, adding a traceback)
    cdef bint done = False
    out = step._send(value, &done)
    if done:
        return stop_with(out)
    incref(<PyObject*>out)
    return <PyObject*>out


cdef PyObject* _step_next(PyObject* step) except NULL:
    cdef bint done = False
    out = (<_Step>step)._send(None, &done)
    if done:
        return stop_with(out)
    incref(<PyObject*>out)
    return <PyObject*>out


cdef PySendResult _step_am_send(PyObject* step, PyObject* arg, PyObject** result) noexcept:
    cdef bint done = False
    try:
        out = (<_Step>step)._send(<object>arg, &done)
    except BaseException as exc:
        restore_error(exc)
        result[0] = NULL
        return PYGEN_ERROR
    incref(<PyObject*>out)
    result[0] = <PyObject*>out
    return PYGEN_RETURN if done else PYGEN_NEXT


install_step_slots(_Step, <iternextfunc>_step_next, _step_am_send)


cdef class AsyncIter:
    """The base of every cyiter.aio iterator.

    A subclass implements the hooks ``_begin()``, ``_got(value)`` and
    ``_failed(exc)``: each returns the next item, raises (StopAsyncIteration
    at the end), or returns ``self.wait(obj, anext)`` to have ``obj`` (or
    ``obj.__anext__()``) awaited, whose value or exception goes to
    ``_got`` or ``_failed``; a hook that began such a wait itself
    (``await_start``) and saw it suspend returns ``self.suspended(it,
    yielded)`` instead.  ``_interrupted()`` is told when a wait is
    abandoned (its consumer's coroutine closed), ``_close()`` empties the
    iterator for ``aclose()`` and may return an awaitable to await.  Every
    hook runs with the iterator entered (``enter``): a second
    ``__anext__()``, ``aclose()`` or ``__init__`` meanwhile raises
    RuntimeError.
    """

    def __aiter__(self):
        return self

    def __anext__(self):
        cdef _Step step = _Step.__new__(_Step)
        step.owner = self
        return step

    async def aclose(self):
        """Stop the iteration and close what it opened (never the source
        it was given); later ``__anext__()`` calls end it at once."""
        self.enter()
        try:
            pending = self._close()
            if pending is not None:
                await pending
        finally:
            self.leave()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        await self.aclose()

    def __reduce__(self):
        raise not_pickled(self.name)

    def __repr__(self):
        return object_repr("aio." + self.name, self)

    cdef int enter(self) except -1:
        # atomic on a free-threaded build too
        with cython.critical_section(self):
            if self.running:
                raise running(self.name)
            self.running = True
        return 0

    cdef void leave(self) noexcept:
        self.running = False

    cdef object wait(self, object obj, bint anext):
        self.awaiting = obj
        self.awaiting_anext = anext
        return None

    cdef object suspended(self, object it, object yielded):
        self.resume = it
        self.yielded = yielded
        return None

    cdef object _begin(self):
        raise StopAsyncIteration

    cdef object _got(self, object value):
        return value

    cdef object _failed(self, object exc):
        raise exc

    cdef int _interrupted(self) except -1:
        return 0

    cdef object _close(self):
        return None
