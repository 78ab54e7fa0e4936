"""cyiter: fast iterators, each a Cython class with an identical pure-Python twin.

``cyiter.IMPLEMENTATION`` says which twin is active: ``"cython"`` or
``"python"``.  The public names are declared once, in ``_select.FAMILIES``
(the twins' classes) and ``_select.FUNCTIONS`` (plain Python over them).
"""

from importlib import import_module as _import_module

from cyiter._select import CLASSES as _CLASSES
from cyiter._select import FUNCTIONS as _FUNCTIONS
from cyiter._select import IMPLEMENTATION
from cyiter._select import NAMES as _NAMES
from cyiter._version import __version__

globals().update((name, _CLASSES[name]) for name in _NAMES)
for _module, _names in _FUNCTIONS.items():
    globals().update((_name, getattr(_import_module(_module), _name)) for _name in _names)

__all__ = ["IMPLEMENTATION", "__version__", *_NAMES, *(n for names in _FUNCTIONS.values() for n in names)]
