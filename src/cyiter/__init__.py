"""cyiter: fast iterators, each a Cython class with an identical pure-Python twin.

``cyiter.IMPLEMENTATION`` says which twin is active: ``"cython"`` or
``"python"``.  The public names are declared once, in ``_select.FAMILIES``.
"""

from cyiter._select import CLASSES as _CLASSES
from cyiter._select import IMPLEMENTATION
from cyiter._select import NAMES as _NAMES
from cyiter._version import __version__

globals().update((name, _CLASSES[name]) for name in _NAMES)

__all__ = ["IMPLEMENTATION", "__version__", *_NAMES]
