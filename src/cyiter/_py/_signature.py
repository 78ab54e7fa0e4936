"""``inspect.signature()`` of a pure-Python iterator class.

``inspect`` looks at ``__new__`` before ``__init__``, and every twin
class has a ``__new__(cls, *args, **kwargs)`` (an object made by it is an
exhausted iterator, what a pickle starts from).  ``InitSignature`` gives
the class the signature of its ``__init__`` instead, without ``self`` or
annotations: the one the Cython twin declares in its docstring's first
line and the stub types.
"""

from __future__ import annotations

from typing import Any


class InitSignature:
    """A class attribute ``__signature__``, worked out when first asked for."""

    def __get__(self, obj: object, cls: type) -> Any:
        if obj is not None:
            return None  # an iterator is not callable: inspect goes on as usual
        from inspect import Parameter, Signature, signature

        params = list(signature(getattr(cls, "__init__")).parameters.values())[1:]
        return Signature([p.replace(annotation=Parameter.empty) for p in params])
