# cython: language_level=3
"""C-API pieces that Cython's own ``cpython`` declarations lack.

All of them are public, documented CPython API (no underscore names).
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

    PyObject* PyErr_Occurred()
    int PyErr_ExceptionMatches(PyObject*)
    void PyErr_Clear()

    # The *_SET_ITEM macros steal a reference: take the raw pointer so that
    # Cython does not add reference counting of its own.
    void tuple_set_item "PyTuple_SET_ITEM"(object, Py_ssize_t, PyObject*)
    void list_set_item "PyList_SET_ITEM"(object, Py_ssize_t, PyObject*)
    void Py_DecRef(PyObject*)

    # The size and items of a list or tuple held as a raw pointer (the
    # cpython.list / cpython.tuple versions take an object).  No bounds
    # check: every use states why its index is in range.
    Py_ssize_t list_size "PyList_GET_SIZE"(PyObject*)
    PyObject* list_item "PyList_GET_ITEM"(PyObject*, Py_ssize_t)
    Py_ssize_t tuple_size "PyTuple_GET_SIZE"(PyObject*)
    PyObject* tuple_item "PyTuple_GET_ITEM"(PyObject*, Py_ssize_t)


cdef inline int iteration_stopped() except -1:
    """After ``tp_iternext`` returned NULL: 0 when the iterator is exhausted
    (a StopIteration is cleared), -1 to propagate the error it raised."""
    if PyErr_Occurred() == NULL:
        return 0
    if PyErr_ExceptionMatches(<PyObject*>StopIteration):
        PyErr_Clear()
        return 0
    return -1


cdef extern from *:
    """
    static CYTHON_INLINE PyObject* cyiter_steal(PyObject* reference) { return reference; }
    """
    # Own a new reference as an object at no cost; a NULL (the call that
    # made it failed) propagates the pending exception like any error.
    object steal "cyiter_steal"(PyObject* new_reference)
    # PyObject_GetIter, NULL on error, for code that must act before raising
    PyObject* get_iter_or_null "PyObject_GetIter"(object)


cdef extern from *:
    """
    /* Builtin iterators whose next() runs no Python code while they yield
       items.  The exception: at its end a list or tuple iterator lets go of
       its sequence, and freeing that may run an item's __del__ (which may do
       anything, e.g. call next() on the cyiter iterator reading it, or walk
       gc.get_objects()).  So a caller holds the iterator across the call and
       re-reads its own state after a NULL, and fills no container that
       Python code could see half-filled. */
    static PyTypeObject *cyiter_plain_types[3];
    static CYTHON_INLINE int cyiter_is_plain_iterator(PyObject *it) {
        PyTypeObject *t = Py_TYPE(it);
        return t == cyiter_plain_types[0] || t == cyiter_plain_types[1]
            || t == cyiter_plain_types[2];
    }
    """
    PyTypeObject* plain_types "cyiter_plain_types"[3]
    bint is_plain_iterator "cyiter_is_plain_iterator"(PyObject*)


cdef inline void init_plain_types():
    """Fill ``plain_types``: call once when a module that uses it loads.
    (Static builtin types: the pointers never dangle.)"""
    cdef object kind
    for i, kind in enumerate((type(iter([])), type(iter(())), type(iter(range(0))))):
        plain_types[i] = <PyTypeObject*>kind
