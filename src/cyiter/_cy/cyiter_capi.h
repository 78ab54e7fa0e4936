/* C helpers shared by cyiter's Cython modules, declared in _capi.pxd.
 *
 * Only public, documented CPython API, except where a comment names a
 * private field and docs/internals.md says why it is worth it. */
#ifndef CYITER_CAPI_H
#define CYITER_CAPI_H

#include <Python.h>
#include <stdint.h>
#include <string.h>

/* Own a new reference as a Cython object at no cost: a NULL (the call that
   made it failed) then propagates the pending exception like any error. */
static inline PyObject *cyiter_steal(PyObject *reference) { return reference; }

/* Builtin iterators whose next() runs no Python code while they yield
   items (docs/internals.md, "Plain iterators").  Filled once per module by
   cyiter_init_plain_types(); static builtin types never dangle. */
static PyTypeObject *cyiter_plain_types[3];

static inline int cyiter_init_plain_types(void) {
    PyObject *seqs[3] = {PyList_New(0), PyTuple_New(0),
                         PyObject_CallFunction((PyObject *)&PyRange_Type, "i", 0)};
    int i, ok = 1;
    for (i = 0; i < 3; i++) {
        PyObject *it;
        if (seqs[i] == NULL) { ok = 0; continue; }
        it = PyObject_GetIter(seqs[i]);
        if (it == NULL) { ok = 0; } else { cyiter_plain_types[i] = Py_TYPE(it); Py_DECREF(it); }
        Py_DECREF(seqs[i]);
    }
    return ok ? 0 : -1;
}

static inline int cyiter_is_plain_iterator(PyObject *it) {
    PyTypeObject *t = Py_TYPE(it);
    return t == cyiter_plain_types[0] || t == cyiter_plain_types[1]
        || t == cyiter_plain_types[2];
}

/* Ask for the object at p to be in cache soon, to be written. */
#if defined(__GNUC__) || defined(__clang__)
#  define cyiter_prefetch_w(p) __builtin_prefetch((p), 1, 3)
#else
#  define cyiter_prefetch_w(p) ((void)(p))
#endif

/* A list of n slots, each to be set once with PyList_SET_ITEM; NULL with
   MemoryError set.  Free-threaded CPython's PyList_New(n > 0) frees a
   garbage pointer when it cannot allocate the item array
   (docs/internals.md, "Free-threaded lists"), so there the list is
   [None] * n, made by a path that fails cleanly.  None is immortal there,
   so a slot's None is overwritten without a decref. */
#ifdef Py_GIL_DISABLED
static PyObject *cyiter_list_new(Py_ssize_t n) {
    PyObject *one, *list;
    if (n <= 0) {
        return PyList_New(0);
    }
    one = PyList_New(0);
    if (one == NULL) {
        return NULL;
    }
    if (PyList_Append(one, Py_None) < 0) {
        Py_DECREF(one);
        return NULL;
    }
    list = PySequence_Repeat(one, n);
    Py_DECREF(one);
    return list;
}
#else
#  define cyiter_list_new PyList_New
#endif

/* Result tuple reuse (docs/internals.md, "Tuple reuse").  CYITER_CAN_REUSE
   is 1 where a tuple whose reference count is 1 is reachable through that
   one reference only, and a tuple refilled in place cannot be told from a
   new one: a GIL build of CPython (not PyPy, GraalPy, the limited API or a
   free-threaded build), whose tuple layout has been checked: up to 3.13 a
   tuple is its header and its items; 3.14 and 3.15 also cache its hash in
   the private field ob_hash, which is reset as CPython's own
   _PyTuple_Recycle does; later versions are off until checked. */
#if !CYTHON_COMPILING_IN_CPYTHON || defined(Py_GIL_DISABLED)
#  define CYITER_CAN_REUSE 0
#  define CYITER_RESET_TUPLE_HASH(t) ((void)0)
#elif PY_VERSION_HEX < 0x030E0000
#  define CYITER_CAN_REUSE 1
#  define CYITER_RESET_TUPLE_HASH(t) ((void)0)
#elif PY_VERSION_HEX < 0x03100000
#  define CYITER_CAN_REUSE 1
#  define CYITER_RESET_TUPLE_HASH(t) (((PyTupleObject *)(t))->ob_hash = -1)
#else
#  define CYITER_CAN_REUSE 0
#  define CYITER_RESET_TUPLE_HASH(t) ((void)0)
#endif

/* A tuple refilled in place made as good as a new one: its old hash
   forgotten, and tracked by the collector again (bpo-42536).  Whether it is
   tracked is read from the private PyGC_Head before it, whose first word is
   0 when untracked, where CYITER_CAN_REUSE is 1 (docs/internals.md, "Tuple
   reuse": the call costs 16 instructions a batch). */
static inline void cyiter_tuple_refilled(PyObject *t) {
    CYITER_RESET_TUPLE_HASH(t);
    if (((uintptr_t *)t)[-2] == 0) {
        PyObject_GC_Track(t);
    }
}

/* The item array of a tuple. */
#define cyiter_tuple_items(t) (&PyTuple_GET_ITEM((t), 0))

/* Batches filled in place (docs/internals.md, "Tuple reuse").  Both put
   new references to the next items into slots[0:n]: src[0:n] when src is
   not NULL (src[0:avail] readable, avail >= n), else those of the iterator it (which the caller holds); both
   return how many came, fewer when it ended or raised (its error left
   pending). */

/* A batch of at least CYITER_AHEAD items copied from src[0:avail] asks for
   the item that far ahead to be brought into cache: a list too large for
   the cache costs a memory read per item (a reference count to write),
   which the hardware prefetcher does not guess (docs/internals.md,
   "Prefetching"). */
#define CYITER_AHEAD 64

static inline Py_ssize_t cyiter_ahead(Py_ssize_t n, Py_ssize_t avail) {
    return n < CYITER_AHEAD ? 0 : Py_MIN(n, avail - CYITER_AHEAD);
}

/* Into the empty slots of a new list or tuple. */
static inline Py_ssize_t
cyiter_fill(PyObject **slots, Py_ssize_t n, PyObject *const *src, Py_ssize_t avail, PyObject *it)
{
    Py_ssize_t k;
    if (src != NULL) {
        Py_ssize_t ahead = cyiter_ahead(n, avail);
        for (k = 0; k < n; k++) {
            if (k < ahead) {
                cyiter_prefetch_w(src[k + CYITER_AHEAD]);
            }
            slots[k] = Py_NewRef(src[k]);
        }
    }
    else {
        iternextfunc next_item = Py_TYPE(it)->tp_iternext;
        for (k = 0; k < n && (slots[k] = next_item(it)) != NULL; k++) {
        }
    }
    return k;
}

/* Into slots that hold the items of the batch before.  An old item is let
   go at once when that frees nothing; the others are parked in
   parked[0:*nparked], for the caller to release once the batch is whole. */
static inline void
cyiter_replace(PyObject **slots, Py_ssize_t k, PyObject *item, PyObject **parked, Py_ssize_t *m)
{
    PyObject *old = slots[k];
    slots[k] = item;
    if (Py_REFCNT(old) == 1) {
        parked[(*m)++] = old;
    }
    else {
        Py_DECREF(old);
    }
}

static inline Py_ssize_t
cyiter_refill(PyObject **slots, Py_ssize_t n, PyObject *const *src, Py_ssize_t avail,
              PyObject *it, PyObject **parked, Py_ssize_t *nparked)
{
    Py_ssize_t k, m = 0;
    if (src != NULL) {
        Py_ssize_t ahead = cyiter_ahead(n, avail);
        for (k = 0; k < n; k++) {
            if (k < ahead) {
                cyiter_prefetch_w(src[k + CYITER_AHEAD]);
            }
            cyiter_replace(slots, k, Py_NewRef(src[k]), parked, &m);
        }
    }
    else {
        iternextfunc next_item = Py_TYPE(it)->tp_iternext;
        for (k = 0; k < n; k++) {
            PyObject *item = next_item(it);
            if (item == NULL) {
                break;
            }
            cyiter_replace(slots, k, item, parked, &m);
        }
    }
    *nparked = m;
    return k;
}

/* A tag of the running thread, unique among live threads and never 0
   (docs/internals.md, "The guard"): the thread pointer on glibc x86-64 and
   AArch64, the address of a thread-local byte elsewhere on glibc, else
   PyThread_get_thread_ident(). */
#if defined(__has_builtin)
#  if __has_builtin(__builtin_thread_pointer)
#    define CYITER_HAS_THREAD_POINTER 1
#  endif
#endif
#if defined(__GLIBC__) && defined(CYITER_HAS_THREAD_POINTER) \
    && (defined(__x86_64__) || defined(__aarch64__))
#  define cyiter_thread_tag() ((unsigned long)(uintptr_t)__builtin_thread_pointer())
#elif defined(__GLIBC__) && defined(__GNUC__)
static __thread char cyiter_thread_anchor __attribute__((tls_model("initial-exec")));
#  define cyiter_thread_tag() ((unsigned long)(uintptr_t)&cyiter_thread_anchor)
#else
#  define cyiter_thread_tag() PyThread_get_thread_ident()
#endif

/* p[:n], all ASCII, as str (every codec the readers accept decodes ASCII
   as is); NULL with MemoryError set when it cannot be made. */
static inline PyObject *cyiter_ascii_text(const char *p, Py_ssize_t n) {
    PyObject *text = PyUnicode_New(n, 127);
    if (text != NULL) {
        memcpy(PyUnicode_1BYTE_DATA(text), p, (size_t)n);
    }
    return text;
}

#endif /* CYITER_CAPI_H */
