"""Pick the twin that ``import cyiter`` exposes.

The Cython twin is used when its extension modules import, unless
``CYITER_PURE_PYTHON`` is set or the interpreter is not CPython.  With
``CYITER_REQUIRE_EXTENSIONS`` set, a missing extension is an ImportError
instead of a silent fallback (wheel tests use it).
"""

import importlib
import sys

from cyiter._env import env_flag

#: The public iterator classes (and the function ilen), declared here and
#: nowhere else: for each family, its module (the same name in ``_cy`` and
#: ``_py``) and its names, in the order of the documentation.
#: ``cyiter.__all__`` derives from it.
FAMILIES = {
    "sequences": ("count", "fibonacci"),
    "batching": ("batched", "chunked"),
    "flattening": ("flatten", "collapse"),
    "readers": ("read_chunks", "read_lines"),
    "delimited": ("read_csv",),
    "jsonl": ("read_jsonl", "write_jsonl"),
    "windowing": ("windowed", "sliding_window"),
    "selecting": ("unique_everseen", "unique_justseen"),
    "combining": ("interleave", "interleave_longest", "roundrobin"),
    "grouping": ("constrained_batches", "ichunked"),
    "lookahead": ("peekable", "ilen"),
}
NAMES = tuple(name for names in FAMILIES.values() for name in names)

#: The same for the ``cyiter.aio`` namespace, whose families live beside
#: the others (``_cy/aio<family>``, ``_py/aio<family>``).  One selection
#: serves both namespaces: ``cyiter.aio`` always runs on ``IMPLEMENTATION``.
AIO_FAMILIES = {
    "aiobatching": ("abatched", "achunked"),
    "aioflattening": ("aflatten",),
    "aioreaders": ("aread_chunks", "aread_lines", "aread_csv", "aread_jsonl"),
}
AIO_NAMES = tuple(name for names in AIO_FAMILIES.values() for name in names)

#: The classes whose pickles ``cyiter._state.restore`` makes again.
PICKLED = NAMES + AIO_FAMILIES["aioreaders"]

#: Public functions written once, in plain Python, over whichever twin is
#: active: their module and names, declared here and nowhere else.
FUNCTIONS: dict[str, tuple[str, ...]] = {
    "cyiter._parallel": ("byte_ranges", "process_ranges"),
}


def load_twin(kind: str) -> dict[str, type]:
    """Return ``{name: class}`` for every public class of the twin *kind*
    ("cython" or "python"), those of ``cyiter`` and of ``cyiter.aio``."""
    package = "cyiter._cy" if kind == "cython" else "cyiter._py"
    classes = {}
    for family, names in {**FAMILIES, **AIO_FAMILIES}.items():
        module = importlib.import_module(f"{package}.{family}")
        for name in names:
            try:
                classes[name] = getattr(module, name)
            except AttributeError:
                raise ImportError(f"{package}.{family} lacks {name}") from None
    return classes


def _select() -> tuple[str, dict[str, type]]:
    require = env_flag("CYITER_REQUIRE_EXTENSIONS")
    pure = env_flag("CYITER_PURE_PYTHON")  # read (and warned about) in every case
    if sys.implementation.name != "cpython":
        if require:
            raise ImportError(
                "CYITER_REQUIRE_EXTENSIONS is set but cyiter's extension needs "
                f"CPython, not {sys.implementation.name}"
            )
        return "python", load_twin("python")
    try:
        compiled = load_twin("cython")
    except ImportError as exc:
        if require:
            raise ImportError(
                "CYITER_REQUIRE_EXTENSIONS is set but cyiter's compiled "
                f"extension cannot be imported: {exc}"
            ) from exc
        compiled = None
    if compiled is None or pure:
        return "python", load_twin("python")
    return "cython", compiled


IMPLEMENTATION, CLASSES = _select()
