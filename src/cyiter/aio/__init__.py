"""cyiter.aio: async iterators, each a Cython class with an identical
pure-Python twin, on the twin ``cyiter.IMPLEMENTATION`` names.

Their ``__anext__()`` completes without suspending whenever the next item
is at hand; only a real wait suspends.  The public names are declared once,
in ``cyiter._select.AIO_FAMILIES``.
"""

from cyiter._select import AIO_NAMES as _NAMES
from cyiter._select import CLASSES as _CLASSES

globals().update((name, _CLASSES[name]) for name in _NAMES)

__all__ = list(_NAMES)
