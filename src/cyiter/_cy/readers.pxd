# cython: language_level=3
"""The reader core, which every Cython reader subclasses (``cimport`` it).

The pure-Python twin, ``cyiter/_py/readers.py``, is its specification.
"""

from cyiter._cy._capi cimport nl_scan
from cyiter._cy._guard cimport Guard


cdef class _Reader:
    cdef object src        # cyiter._source.Source; None once exhausted or closed
    cdef object path       # absolute path; None for a file object
    cdef str name          # the public name, for messages
    cdef object label      # repr of the source
    cdef object options    # the checked options, as pickles record them
    cdef bytearray buf     # the buffer, 2 * ALIGN bytes more than cap
    cdef char* data        # ALIGN-aligned in buf; data[pos:end] is unread
    cdef Py_ssize_t cap
    cdef Py_ssize_t pos
    cdef Py_ssize_t end
    cdef long long base    # file offset of data[0]
    cdef bint eof          # the last read gave nothing
    cdef bint trusted      # readinto may be given memory that is not buf
    cdef int fd            # descriptor of a FileIO the reader opened, else -1
    cdef object __weakref__
    cdef Guard guard

    # given by each reader
    cdef tuple _bind(self, tuple args, dict kwargs)
    cdef _configure(self, dict options)
    cdef _begin(self, long long start)
    cdef _resume(self, long long offset, dict extra)
    cdef dict _extra_state(self)

    cdef _open(self, src)
    cdef long long _position(self) except -1
    cdef _seek(self, long long pos)
    cdef Py_ssize_t _fill(self, Py_ssize_t keep_from, Py_ssize_t size) except -1
    cdef _resync(self)
    cdef _finish(self)
    cdef _resize(self, Py_ssize_t size)
    cdef Py_ssize_t _readinto(self, char* into, Py_ssize_t size) except -1
    cdef Py_ssize_t _compact(self, Py_ssize_t keep_from)


cdef class read_lines(_Reader):
    cdef object codec       # normalised codec name, None for bytes lines
    cdef bytes codec_b
    cdef bytes errors_b
    cdef bint utf8
    cdef int latin_skip      # non-ASCII lines left to send past the Latin decoder
    cdef bint sig            # utf-8-sig: drop a BOM at the start of the file
    cdef bint as_is          # an ASCII line is that text: copy, do not decode
    cdef bint keepends
    cdef bint skip           # discard through the next b"\n" first
    cdef long long stop      # -1: none
    # the fast path of __next__ runs while pos < stop_at: stop - base, so
    # that no line starting at stop or after is ours; -1 while skip is set
    cdef Py_ssize_t stop_at
    cdef Py_ssize_t buffer_size
    cdef Py_ssize_t maxlen   # NO_LIMIT (PY_SSIZE_T_MAX): none
    cdef nl_scan scan

    cdef void _set_stop_at(self) noexcept
    cdef Py_ssize_t _more(self, Py_ssize_t keep_from) except -1
    cdef _align(self)
    cdef _next_general(self)
    cdef tuple _find_line(self)
    cdef _decoded(self, const char* p, Py_ssize_t n, bint last, Py_ssize_t end)
