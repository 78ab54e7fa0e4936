# cython: language_level=3
from cyiter._cy._guard cimport Guard


cdef class Dropin:
    # the public name (of the class), set by its __cinit__
    cdef str name
    cdef object __weakref__
    cdef Guard guard
