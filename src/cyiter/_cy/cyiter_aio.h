/* The await protocol as cyiter.aio's awaitables drive it, declared in
 * _capi.pxd (docs/internals.md, "Async iterators").
 *
 * Only public CPython API: PyIter_Send (3.10+), the type slots of
 * PyAsyncMethods and the exception functions. */
#ifndef CYITER_AIO_H
#define CYITER_AIO_H

#include <Python.h>

/* What `await obj` iterates, with the interpreter's checks: a native
   coroutine itself, a generator-based one (types.coroutine) itself, else
   what obj.__await__() returns, which must be an iterator and not a
   coroutine.  A new reference, or NULL with TypeError set. */
static inline PyObject *cyiter_await_iter(PyObject *obj) {
    PyAsyncMethods *am = Py_TYPE(obj)->tp_as_async;
    PyObject *it;
    if (PyCoro_CheckExact(obj)) {
        Py_INCREF(obj);
        return obj;
    }
    if (am == NULL || am->am_await == NULL) {
        if (PyGen_CheckExact(obj)) {
            /* rare: looked up through attributes, which need no private layout */
            PyObject *code = PyObject_GetAttrString(obj, "gi_code");
            PyObject *flags = code ? PyObject_GetAttrString(code, "co_flags") : NULL;
            long value = flags ? PyLong_AsLong(flags) : -1;
            Py_XDECREF(code);
            Py_XDECREF(flags);
            if (value == -1 && PyErr_Occurred()) {
                return NULL;
            }
            if (value & CO_ITERABLE_COROUTINE) {
                Py_INCREF(obj);
                return obj;
            }
        }
        PyErr_Format(PyExc_TypeError, "object %.100s can't be used in 'await' expression",
                     Py_TYPE(obj)->tp_name);
        return NULL;
    }
    it = am->am_await(obj);
    if (it == NULL) {
        return NULL;
    }
    if (it == obj && Py_TYPE(it)->tp_iternext != NULL) {
        /* its own iterator (an async generator's __anext__() object): a
           non-NULL tp_iternext is what PyIter_Check asks, bar a sentinel
           that raises TypeError when called, an error either way */
        return it;
    }
    if (PyCoro_CheckExact(it)) {
        Py_DECREF(it);
        PyErr_SetString(PyExc_TypeError, "__await__() returned a coroutine");
        return NULL;
    }
    if (!PyIter_Check(it)) {
        PyErr_Format(PyExc_TypeError, "__await__() returned non-iterator of type '%.100s'",
                     Py_TYPE(it)->tp_name);
        Py_DECREF(it);
        return NULL;
    }
    return it;
}

/* Start awaiting obj, or obj.__anext__() when anext is true, and run it
   until it completes or suspends.  PYGEN_RETURN: *result is its value.
   PYGEN_NEXT: it suspended; *result is what it yielded and *it the iterator
   to resume.  PYGEN_ERROR: an exception is set.  New references. */
static inline PySendResult cyiter_await_start(PyObject *obj, int anext, PyObject **it,
                                              PyObject **result) {
    PyObject *awaitable = obj, *iter;
    PySendResult status;
    *it = *result = NULL;
    if (anext) {
        PyAsyncMethods *am = Py_TYPE(obj)->tp_as_async;
        if (am == NULL || am->am_anext == NULL) {
            PyErr_Format(PyExc_TypeError, "'%.200s' object is not an async iterator",
                         Py_TYPE(obj)->tp_name);
            return PYGEN_ERROR;
        }
        awaitable = am->am_anext(obj);
        if (awaitable == NULL) {
            return PYGEN_ERROR;
        }
    }
    iter = cyiter_await_iter(awaitable);
    if (anext) {
        Py_DECREF(awaitable);
    }
    if (iter == NULL) {
        return PYGEN_ERROR;
    }
    status = PyIter_Send(iter, Py_None, result);
    if (status == PYGEN_NEXT) {
        *it = iter;
    } else {
        Py_DECREF(iter);
    }
    return status;
}

/* Complete an awaitable's iteration with value, as tp_iternext returns:
   StopIteration(value) set and NULL returned.  As CPython's generators do,
   a value that StopIteration's constructor would unpack (a tuple) or take
   for the exception itself gets an instance made for it; before 3.12 any
   other value is left unnormalised, which makes no exception object at
   all (docs/internals.md, "Async iterators"). */
static inline PyObject *cyiter_stop_with(PyObject *value) {
    PyObject *exc;
#if PY_VERSION_HEX < 0x030C0000
    if (!PyTuple_Check(value) && !PyExceptionInstance_Check(value)) {
        PyErr_SetObject(PyExc_StopIteration, value);
        return NULL;
    }
#endif
    exc = PyObject_CallOneArg(PyExc_StopIteration, value);
    if (exc != NULL) {
        PyErr_SetObject(PyExc_StopIteration, exc);
        Py_DECREF(exc);
    }
    return NULL;
}

/* Raise exc again, as it is (its traceback kept). */
static inline void cyiter_restore_error(PyObject *exc) {
#if PY_VERSION_HEX >= 0x030C0000
    Py_INCREF(exc);
    PyErr_SetRaisedException(exc);
#else
    PyObject *type = (PyObject *)Py_TYPE(exc);
    Py_INCREF(type);
    Py_INCREF(exc);
    PyErr_Restore(type, exc, PyException_GetTraceback(exc));
#endif
}

/* Install the C slots of the awaitable of cyiter.aio (_Step): its
   tp_iternext and am_send, which complete without raising through Cython
   (docs/internals.md, "Async iterators").  At module init, before any
   instance exists; the type defines __next__ and __await__, so both
   slots' tables are its own. */
static inline int cyiter_install_step_slots(PyObject *type, iternextfunc next,
                                            sendfunc send) {
    PyTypeObject *t = (PyTypeObject *)type;
    if (t->tp_iternext == NULL || t->tp_as_async == NULL) {
        PyErr_SetString(PyExc_SystemError, "cyiter: the step type lacks its slots");
        return -1;
    }
    t->tp_iternext = next;
    t->tp_as_async->am_send = send;
#ifdef Py_TPFLAGS_HAVE_AM_SEND
    t->tp_flags |= Py_TPFLAGS_HAVE_AM_SEND;
#endif
    PyType_Modified(t);
    return 0;
}

/* Empty a list in place. */
static inline int cyiter_list_clear(PyObject *list) {
    return PyList_SetSlice(list, 0, PyList_GET_SIZE(list), NULL);
}

/* The pending exception as one object, with its traceback; NULL if none. */
static inline PyObject *cyiter_fetch_error(void) {
#if PY_VERSION_HEX >= 0x030C0000
    return PyErr_GetRaisedException();
#else
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    if (type == NULL) {
        return NULL;
    }
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL) {
        PyException_SetTraceback(value, tb);
        Py_DECREF(tb);
    }
    Py_DECREF(type);
    return value;
#endif
}

#endif
