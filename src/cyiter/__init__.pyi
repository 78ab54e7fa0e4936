"""Type stubs for cyiter's public API (SPEC sections 3 to 6).

One stub serves both twins: the Cython and the pure-Python classes have the
same signatures (``python -m mypy.stubtest cyiter`` checks each of them).
The readers are ``@final``: they are not meant to be subclassed.
``__new__`` takes any arguments and ``__init__`` checks them, as at runtime.
No class is marked ``@disjoint_base`` (PEP 800): the twins lay their classes
out differently (C fields in a Cython base, ``__slots__`` in Python), so no
one marking fits both; stubtest runs with ``--ignore-disjoint-bases``.
Element types follow the references: ``itertools.count``/``batched``,
``more_itertools.chunked``/``flatten``/``collapse``, ``csv.DictReader``, and
more-itertools' own stubs for the drop-ins of section 11 (windowed to ilen).
"""

import os
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Executor
from types import GenericAlias
from inspect import Signature
from typing import (
    Any,
    AnyStr,
    ClassVar,
    Final,
    Generic,
    Literal,
    Protocol,
    SupportsFloat,
    SupportsIndex,
    TypeVar,
    final,
    overload,
)

from typing_extensions import Self, TypeAlias

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
    "read_jsonl",
    "write_jsonl",
    "windowed",
    "sliding_window",
    "unique_everseen",
    "unique_justseen",
    "interleave",
    "interleave_longest",
    "roundrobin",
    "constrained_batches",
    "ichunked",
    "peekable",
    "ilen",
    "byte_ranges",
    "process_ranges",
]

IMPLEMENTATION: Final[Literal["cython", "python"]]
__version__: Final[str]

_T = TypeVar("_T")
_T_co = TypeVar("_T_co", covariant=True)
_N = TypeVar("_N")
_U = TypeVar("_U")

class _BinaryFile(Protocol):
    """An open binary file object: what ``open(path, "rb")`` or ``io.BytesIO`` gives."""

    def read(self, size: int = ..., /) -> bytes: ...

# A path (opened and closed by the reader) or a binary file object (never
# closed by cyiter).
_Source: TypeAlias = str | os.PathLike[str] | os.PathLike[bytes] | _BinaryFile
# What the readers decompress: the kind, "infer" (from the first bytes) or None.
_Compression: TypeAlias = Literal["infer", "gzip", "bz2", "xz", "zstd"] | None

# 3. Sequences

class count(Generic[_N]):
    @classmethod
    def __class_getitem__(cls, item: Any, /) -> GenericAlias: ...
    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    @overload
    def __init__(self: count[int], start: int = 0, step: int = 1) -> None: ...
    @overload
    def __init__(self: count[float], start: float, step: float = 1) -> None: ...
    @overload
    def __init__(self: count[float], start: float = 0, *, step: float) -> None: ...
    @overload
    def __init__(self: count[_N], start: _N, step: int = 1) -> None: ...
    @overload
    def __init__(self: count[_N], start: _N, step: _N) -> None: ...
    def __iter__(self) -> Self: ...
    def __next__(self) -> _N: ...

class fibonacci:
    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    def __init__(self, n: SupportsIndex | None = None, *, max_value: SupportsFloat | None = None) -> None: ...
    def __iter__(self) -> Self: ...
    def __next__(self) -> int: ...
    def __length_hint__(self) -> int: ...

# 4. Batching

class batched(Generic[_T_co]):
    @classmethod
    def __class_getitem__(cls, item: Any, /) -> GenericAlias: ...
    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    def __init__(self, iterable: Iterable[_T_co], n: SupportsIndex, *, strict: bool = False) -> None: ...
    def __iter__(self) -> Self: ...
    def __next__(self) -> tuple[_T_co, ...]: ...
    def __length_hint__(self) -> int: ...

class chunked(Generic[_T]):
    @classmethod
    def __class_getitem__(cls, item: Any, /) -> GenericAlias: ...
    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    def __init__(self, iterable: Iterable[_T], n: SupportsIndex | None, strict: bool = False) -> None: ...
    def __iter__(self) -> Self: ...
    def __next__(self) -> list[_T]: ...
    def __length_hint__(self) -> int: ...

# 5. Flattening

class flatten(Generic[_T_co]):
    @classmethod
    def __class_getitem__(cls, item: Any, /) -> GenericAlias: ...
    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    def __init__(self, iterable: Iterable[Iterable[_T_co]]) -> None: ...
    def __iter__(self) -> Self: ...
    def __next__(self) -> _T_co: ...

class collapse:
    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    def __init__(
        self,
        iterable: Iterable[Any],
        base_type: type | tuple[type, ...] | None = None,
        levels: SupportsIndex | None = None,
    ) -> None: ...
    def __iter__(self) -> Self: ...
    def __next__(self) -> Any: ...

# 6. Reading files: every reader is a context manager with .offset and close()

@final
class read_chunks:
    def __new__(
        cls,
        source: _Source,
        size: SupportsIndex = 65536,
        *,
        start: SupportsIndex = 0,
        stop: SupportsIndex | None = None,
        compression: _Compression = None,
    ) -> Self: ...
    def __init__(
        self,
        source: _Source,
        size: SupportsIndex = 65536,
        *,
        start: SupportsIndex = 0,
        stop: SupportsIndex | None = None,
        compression: _Compression = None,
    ) -> None: ...
    @property
    def offset(self) -> int: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *exc_info: object) -> None: ...
    def __iter__(self) -> Self: ...
    def __next__(self) -> bytes: ...
    def __length_hint__(self) -> int: ...

@final
class read_lines(Generic[AnyStr]):
    @classmethod
    def __class_getitem__(cls, item: Any, /) -> GenericAlias: ...
    def __new__(
        cls,
        source: _Source,
        *,
        encoding: str | None = None,
        errors: str = "strict",
        keepends: bool = False,
        start: SupportsIndex = 0,
        stop: SupportsIndex | None = None,
        buffer_size: SupportsIndex = 1048576,
        max_line_length: SupportsIndex | None = None,
        compression: _Compression = "infer",
    ) -> Self: ...
    @overload
    def __init__(
        self: read_lines[bytes],
        source: _Source,
        *,
        encoding: None = None,
        errors: str = "strict",
        keepends: bool = False,
        start: SupportsIndex = 0,
        stop: SupportsIndex | None = None,
        buffer_size: SupportsIndex = 1048576,
        max_line_length: SupportsIndex | None = None,
        compression: _Compression = "infer",
    ) -> None: ...
    @overload
    def __init__(
        self: read_lines[str],
        source: _Source,
        *,
        encoding: str,
        errors: str = "strict",
        keepends: bool = False,
        start: SupportsIndex = 0,
        stop: SupportsIndex | None = None,
        buffer_size: SupportsIndex = 1048576,
        max_line_length: SupportsIndex | None = None,
        compression: _Compression = "infer",
    ) -> None: ...
    @overload  # an encoding only known at runtime: lines of either type
    def __init__(
        self: read_lines[Any],
        source: _Source,
        *,
        encoding: str | None,
        errors: str = "strict",
        keepends: bool = False,
        start: SupportsIndex = 0,
        stop: SupportsIndex | None = None,
        buffer_size: SupportsIndex = 1048576,
        max_line_length: SupportsIndex | None = None,
        compression: _Compression = "infer",
    ) -> None: ...
    @property
    def offset(self) -> int: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *exc_info: object) -> None: ...
    def __iter__(self) -> Self: ...
    def __next__(self) -> AnyStr: ...

@final
class read_csv(Generic[_T]):
    @classmethod
    def __class_getitem__(cls, item: Any, /) -> GenericAlias: ...
    def __new__(
        cls,
        source: _Source,
        *,
        fieldnames: Sequence[_T] | None = None,
        delimiter: str = ",",
        quotechar: str | None = '"',
        escapechar: str | None = None,
        doublequote: bool = True,
        skipinitialspace: bool = False,
        strict: bool = False,
        restkey: str | None = None,
        restval: str | None = None,
        encoding: str = "utf-8",
        errors: str = "strict",
        max_field_size: SupportsIndex = 131072,
        quoting: int = 0,
        start: SupportsIndex = 0,
        stop: SupportsIndex | None = None,
        compression: _Compression = "infer",
    ) -> Self: ...
    @overload
    def __init__(
        self: read_csv[str],
        source: _Source,
        *,
        fieldnames: None = None,
        delimiter: str = ",",
        quotechar: str | None = '"',
        escapechar: str | None = None,
        doublequote: bool = True,
        skipinitialspace: bool = False,
        strict: bool = False,
        restkey: str | None = None,
        restval: str | None = None,
        encoding: str = "utf-8",
        errors: str = "strict",
        max_field_size: SupportsIndex = 131072,
        quoting: int = 0,
        start: SupportsIndex = 0,
        stop: SupportsIndex | None = None,
        compression: _Compression = "infer",
    ) -> None: ...
    @overload
    def __init__(
        self: read_csv[_T],
        source: _Source,
        *,
        fieldnames: Sequence[_T],
        delimiter: str = ",",
        quotechar: str | None = '"',
        escapechar: str | None = None,
        doublequote: bool = True,
        skipinitialspace: bool = False,
        strict: bool = False,
        restkey: str | None = None,
        restval: str | None = None,
        encoding: str = "utf-8",
        errors: str = "strict",
        max_field_size: SupportsIndex = 131072,
        quoting: int = 0,
        start: SupportsIndex = 0,
        stop: SupportsIndex | None = None,
        compression: _Compression = "infer",
    ) -> None: ...
    @property
    def offset(self) -> int: ...
    @property
    def fieldnames(self) -> list[_T] | None: ...
    @fieldnames.setter
    def fieldnames(self, value: Iterable[_T] | None) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *exc_info: object) -> None: ...
    def __iter__(self) -> Self: ...
    # as typeshed types csv.DictReader: restkey and restval can put other
    # keys and values in a row
    def __next__(self) -> dict[_T | Any, str | Any]: ...

@final
class read_jsonl(Generic[_T]):
    @classmethod
    def __class_getitem__(cls, item: Any, /) -> GenericAlias: ...
    def __new__(
        cls,
        source: _Source,
        *,
        loads: Callable[[bytes], Any] | None = None,
        start: SupportsIndex = 0,
        stop: SupportsIndex | None = None,
        compression: _Compression = "infer",
        buffer_size: SupportsIndex = 1048576,
        max_line_length: SupportsIndex | None = None,
    ) -> Self: ...
    @overload
    def __init__(
        self: read_jsonl[Any],
        source: _Source,
        *,
        loads: None = None,
        start: SupportsIndex = 0,
        stop: SupportsIndex | None = None,
        compression: _Compression = "infer",
        buffer_size: SupportsIndex = 1048576,
        max_line_length: SupportsIndex | None = None,
    ) -> None: ...
    @overload  # the values are what loads returns
    def __init__(
        self: read_jsonl[_T],
        source: _Source,
        *,
        loads: Callable[[bytes], _T],
        start: SupportsIndex = 0,
        stop: SupportsIndex | None = None,
        compression: _Compression = "infer",
        buffer_size: SupportsIndex = 1048576,
        max_line_length: SupportsIndex | None = None,
    ) -> None: ...
    @property
    def offset(self) -> int: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *exc_info: object) -> None: ...
    def __iter__(self) -> Self: ...
    def __next__(self) -> _T: ...

def write_jsonl(
    path: str | os.PathLike[str] | os.PathLike[bytes] | bytes,
    iterable: Iterable[Any],
    *,
    dumps: Callable[[Any], str | bytes] | None = None,
    compression: _Compression = "infer",
    append: bool = False,
) -> int: ...

# 6.1 and 8. Byte ranges, and running a reader over each in parallel

_R = TypeVar("_R")

@overload
def byte_ranges(
    source: _Source, parts: SupportsIndex, *, size: None = None, compression: _Compression = "infer"
) -> list[tuple[int, int]]: ...
@overload
def byte_ranges(
    source: _Source, parts: None = None, *, size: SupportsIndex, compression: _Compression = "infer"
) -> list[tuple[int, int]]: ...

# *reader* is a reader class or its name; *func* takes that reader
def process_ranges(
    func: Callable[[_R], _T],
    reader: type[_R] | str,
    source: str | os.PathLike[str] | os.PathLike[bytes],
    *,
    parts: SupportsIndex | None = None,
    workers: SupportsIndex | None = None,
    executor: Executor | None = None,
    **reader_kwargs: Any,
) -> Generator[_T, None, None]: ...

# 11. More drop-ins (more-itertools)

class windowed(Generic[_T_co]):
    @classmethod
    def __class_getitem__(cls, item: Any, /) -> GenericAlias: ...
    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    @overload
    def __init__(
        self: windowed[_T | None],
        seq: Iterable[_T],
        n: SupportsIndex,
        fillvalue: None = None,
        step: SupportsIndex = 1,
    ) -> None: ...
    @overload
    def __init__(
        self: windowed[_T | _U],
        seq: Iterable[_T],
        n: SupportsIndex,
        fillvalue: _U,
        step: SupportsIndex = 1,
    ) -> None: ...
    def __iter__(self) -> Self: ...
    def __next__(self) -> tuple[_T_co, ...]: ...
    def __length_hint__(self) -> int: ...

class sliding_window(Generic[_T_co]):
    @classmethod
    def __class_getitem__(cls, item: Any, /) -> GenericAlias: ...
    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    def __init__(self, iterable: Iterable[_T_co], n: SupportsIndex) -> None: ...
    def __iter__(self) -> Self: ...
    def __next__(self) -> tuple[_T_co, ...]: ...
    def __length_hint__(self) -> int: ...

class unique_everseen(Generic[_T]):
    @classmethod
    def __class_getitem__(cls, item: Any, /) -> GenericAlias: ...
    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    def __init__(self, iterable: Iterable[_T], key: Callable[[_T], object] | None = None) -> None: ...
    def __iter__(self) -> Self: ...
    def __next__(self) -> _T: ...

class unique_justseen(Generic[_T]):
    @classmethod
    def __class_getitem__(cls, item: Any, /) -> GenericAlias: ...
    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    def __init__(self, iterable: Iterable[_T], key: Callable[[_T], object] | None = None) -> None: ...
    def __iter__(self) -> Self: ...
    def __next__(self) -> _T: ...

class interleave(Generic[_T_co]):
    @classmethod
    def __class_getitem__(cls, item: Any, /) -> GenericAlias: ...
    def __new__(cls, *args: Any) -> Self: ...
    def __init__(self, *iterables: Iterable[_T_co]) -> None: ...
    def __iter__(self) -> Self: ...
    def __next__(self) -> _T_co: ...
    def __length_hint__(self) -> int: ...

class interleave_longest(Generic[_T_co]):
    @classmethod
    def __class_getitem__(cls, item: Any, /) -> GenericAlias: ...
    def __new__(cls, *args: Any) -> Self: ...
    def __init__(self, *iterables: Iterable[_T_co]) -> None: ...
    def __iter__(self) -> Self: ...
    def __next__(self) -> _T_co: ...
    def __length_hint__(self) -> int: ...

class roundrobin(Generic[_T_co]):
    @classmethod
    def __class_getitem__(cls, item: Any, /) -> GenericAlias: ...
    def __new__(cls, *args: Any) -> Self: ...
    def __init__(self, *iterables: Iterable[_T_co]) -> None: ...
    def __iter__(self) -> Self: ...
    def __next__(self) -> _T_co: ...
    def __length_hint__(self) -> int: ...

class constrained_batches(Generic[_T]):
    # for inspect.signature(): a signature line cannot give get_len=len
    __signature__: ClassVar[Signature]
    @classmethod
    def __class_getitem__(cls, item: Any, /) -> GenericAlias: ...
    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    def __init__(
        self,
        iterable: Iterable[_T],
        max_size: int,
        max_count: int | None = None,
        get_len: Callable[[_T], object] = ...,
        strict: bool = True,
    ) -> None: ...
    def __iter__(self) -> Self: ...
    def __next__(self) -> tuple[_T, ...]: ...

class ichunked(Generic[_T]):
    @classmethod
    def __class_getitem__(cls, item: Any, /) -> GenericAlias: ...
    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    def __init__(self, iterable: Iterable[_T], n: SupportsIndex) -> None: ...
    def __iter__(self) -> Self: ...
    def __next__(self) -> Iterator[_T]: ...
    def __length_hint__(self) -> int: ...

class peekable(Generic[_T]):
    @classmethod
    def __class_getitem__(cls, item: Any, /) -> GenericAlias: ...
    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    def __init__(self, iterable: Iterable[_T]) -> None: ...
    def __iter__(self) -> Self: ...
    def __next__(self) -> _T: ...
    def __bool__(self) -> bool: ...
    @overload
    def peek(self) -> _T: ...
    @overload
    def peek(self, default: _U) -> _T | _U: ...
    def prepend(self, *items: _T) -> None: ...
    @overload
    def __getitem__(self, index: SupportsIndex, /) -> _T: ...
    @overload
    def __getitem__(self, index: slice, /) -> list[_T]: ...
    def __length_hint__(self) -> int: ...

def ilen(iterable: Iterable[object]) -> int: ...
