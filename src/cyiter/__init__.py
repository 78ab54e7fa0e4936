"""cyiter: fast iterators, each a Cython class with an identical pure-Python twin.

``cyiter.IMPLEMENTATION`` says which twin is active: ``"cython"`` or
``"python"``.  The public names are declared once, in ``_select.FAMILIES``
(the twins' classes) and ``_select.FUNCTIONS`` (plain Python over them).
"""

from importlib import import_module as _import_module
from typing import Any as _Any

from cyiter._select import CLASSES as _CLASSES
from cyiter._select import FUNCTIONS as _FUNCTIONS
from cyiter._select import IMPLEMENTATION
from cyiter._select import NAMES as _NAMES
from cyiter._version import __version__

globals().update((name, _CLASSES[name]) for name in _NAMES)

# The functions' modules (process pools, checkpoints) are imported on first
# use: they would double the time ``import cyiter`` takes.
_FUNCTION_MODULES = {name: module for module, names in _FUNCTIONS.items() for name in names}

__all__ = ["IMPLEMENTATION", "__version__", *_NAMES, *_FUNCTION_MODULES]


def __getattr__(name: str) -> _Any:
    module = _FUNCTION_MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'cyiter' has no attribute {name!r}")
    value = getattr(_import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
