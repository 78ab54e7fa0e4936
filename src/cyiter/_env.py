"""Parsing of cyiter's environment switches (shared by the selector and tests)."""

import os
import warnings

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


def env_flag(name: str) -> bool:
    """True when the variable *name* is set to 1/true/yes/on (any case).

    0/false/no/off, empty and unset are False.  Anything else is treated as
    unset, with a warning, so that a typo cannot silently flip a switch on.
    """
    value = os.environ.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value not in _FALSE:
        warnings.warn(
            f"ignoring {name}={os.environ[name]!r}: use 1/true/yes/on or 0/false/no/off",
            RuntimeWarning,
            stacklevel=3,
        )
    return False
