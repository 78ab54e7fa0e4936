"""cyiter: fast iterators, each a Cython class with an identical pure-Python twin.

``cyiter.IMPLEMENTATION`` says which twin is active: ``"cython"`` or
``"python"``.
"""

from cyiter._select import CLASSES as _CLASSES
from cyiter._select import IMPLEMENTATION
from cyiter._version import __version__

count = _CLASSES["count"]
fibonacci = _CLASSES["fibonacci"]
batched = _CLASSES["batched"]
chunked = _CLASSES["chunked"]
flatten = _CLASSES["flatten"]
collapse = _CLASSES["collapse"]
read_chunks = _CLASSES["read_chunks"]
read_lines = _CLASSES["read_lines"]
read_csv = _CLASSES["read_csv"]

__all__ = [
    "IMPLEMENTATION",
    "__version__",
    "count",
    "fibonacci",
    "batched",
    "chunked",
    "flatten",
    "collapse",
    "read_chunks",
    "read_lines",
    "read_csv",
]
