# cython: language_level=3
"""Every C declaration cyiter's Cython modules share, in one place.

The C lives in real headers beside this file (``cyiter_capi.h``,
``cyiter_io.h``); the rest is public CPython API that Cython's own
``cpython`` declarations lack.  Names: the C name without its ``cyiter_``
or ``Py`` prefix, in lower case; ``_raw`` marks a function returning a new
reference as a raw pointer (NULL with an exception set).
"""

from cpython.object cimport PyObject, PyTypeObject


cdef extern from "Python.h":
    ctypedef PyObject* (*iternextfunc)(PyObject*)
    ctypedef PyObject* (*getiterfunc)(PyObject*)

    ctypedef struct TypeSlots "PyTypeObject":
        getiterfunc tp_iter
        iternextfunc tp_iternext
        void* tp_as_sequence  # (only ever compared with NULL)

    TypeSlots* type_slots "Py_TYPE"(object)
    TypeSlots* type_slots_of "Py_TYPE"(PyObject*)
    PyTypeObject* type_of "Py_TYPE"(PyObject*)
    PyTypeObject PyList_Type

    PyObject* PyErr_Occurred()
    # PyLong_AsSsize_t without Cython's error check: -1 with an error set on overflow
    Py_ssize_t long_as_ssize "PyLong_AsSsize_t"(object) noexcept
    int PyErr_ExceptionMatches(PyObject*)
    void PyErr_Clear()

    # Raw pointers, so that Cython adds no reference counting of its own.
    # The *_set_item macros steal the reference to the item.  No bounds
    # check: every use says why its index is in range.
    void incref "Py_INCREF"(PyObject*)
    void decref "Py_DECREF"(PyObject*)
    Py_ssize_t refcount "Py_REFCNT"(PyObject*)
    void gc_untrack "PyObject_GC_UnTrack"(void*)
    void gc_track "PyObject_GC_Track"(void*)
    void tuple_set_item "PyTuple_SET_ITEM"(PyObject*, Py_ssize_t, PyObject*)
    void list_set_item "PyList_SET_ITEM"(PyObject*, Py_ssize_t, PyObject*)
    Py_ssize_t list_size "PyList_GET_SIZE"(PyObject*)
    PyObject* list_item "PyList_GET_ITEM"(PyObject*, Py_ssize_t)
    Py_ssize_t tuple_size "PyTuple_GET_SIZE"(PyObject*)
    PyObject* tuple_item "PyTuple_GET_ITEM"(PyObject*, Py_ssize_t)
    # the item array of an exact list or tuple
    PyObject** sequence_items "PySequence_Fast_ITEMS"(PyObject*)
    PyObject* tuple_new_raw "PyTuple_New"(Py_ssize_t)
    PyObject* bytes_raw "PyBytes_FromStringAndSize"(const char*, Py_ssize_t)
    # PyObject_GetIter, NULL on error, for code that must act before raising
    PyObject* get_iter_raw "PyObject_GetIter"(object)


cdef extern from "cyiter_capi.h":
    object steal "cyiter_steal"(PyObject* new_reference)
    int init_plain_types "cyiter_init_plain_types"() except -1
    bint is_plain_iterator "cyiter_is_plain_iterator"(PyObject*)
    PyObject* list_new_raw "cyiter_list_new"(Py_ssize_t)
    PyObject* ascii_text_raw "cyiter_ascii_text"(const char* p, Py_ssize_t n)
    bint CAN_REUSE "CYITER_CAN_REUSE"
    void tuple_refilled "cyiter_tuple_refilled"(PyObject*)
    unsigned long thread_tag "cyiter_thread_tag"() noexcept nogil
    Py_ssize_t refill "cyiter_refill"(
        PyObject** slots, Py_ssize_t n, PyObject** src, Py_ssize_t avail, PyObject* it,
        PyObject** parked, Py_ssize_t* nparked
    ) noexcept
    Py_ssize_t fill "cyiter_fill"(
        PyObject** slots, Py_ssize_t n, PyObject** src, Py_ssize_t avail, PyObject* it
    ) noexcept
    PyObject** tuple_items "cyiter_tuple_items"(PyObject*)


cdef extern from "cyiter_aio.h":
    ctypedef enum PySendResult:
        PYGEN_RETURN
        PYGEN_ERROR
        PYGEN_NEXT
    PySendResult await_start "cyiter_await_start"(
        object obj, int anext, PyObject** it, PyObject** result
    )
    PySendResult iter_send "PyIter_Send"(object it, object value, PyObject** result)
    ctypedef PySendResult (*sendfunc)(PyObject*, PyObject*, PyObject**) noexcept
    PyObject* fetch_error_raw "cyiter_fetch_error"()
    PyObject* stop_with "cyiter_stop_with"(object value)
    void restore_error "cyiter_restore_error"(object exc)
    int install_step_slots "cyiter_install_step_slots"(
        object type, iternextfunc next, sendfunc send
    ) except -1
    int list_clear "cyiter_list_clear"(object) except -1


cdef extern from "cyiter_io.h":
    Py_ssize_t sys_read "cyiter_sys_read"(int fd, char* buf, Py_ssize_t n) nogil
    ctypedef struct nl_scan "cyiter_nl_scan":
        Py_ssize_t block
    # new reference; NULL without an error: not that kind of text
    PyObject* utf8_latin1_raw "cyiter_utf8_latin1"(const char* p, Py_ssize_t n)
    Py_ssize_t next_nl "cyiter_next_nl"(
        nl_scan* s, const char* data, Py_ssize_t pos, Py_ssize_t end, int text, int* ascii
    ) noexcept nogil


cdef inline int source_failed() noexcept:
    """After ``tp_iternext`` returned NULL: 0 when the iterator is exhausted
    (a StopIteration is cleared), -1 when it raised, the error left pending
    for a caller that cleans up before raising it."""
    if PyErr_Occurred() == NULL:
        return 0
    if PyErr_ExceptionMatches(<PyObject*>StopIteration):
        PyErr_Clear()
        return 0
    return -1


cdef extern from "cyiter_jsonl.h":
    bint blank "cyiter_blank"(const char* p, Py_ssize_t n) noexcept nogil
    bint digit_run "cyiter_digit_run"(const char* p, Py_ssize_t n, Py_ssize_t run) noexcept nogil
cdef inline int iteration_stopped() except -1:
    """``source_failed``, raising the error at once."""
    return source_failed()
