"""Type stubs for cyiter.aio (SPEC section 10).

One stub serves both twins, as for ``cyiter`` (see its ``__init__.pyi``).
``__anext__`` returns an awaitable, not a coroutine: the object it returns
completes at once when the next item is at hand.  Element types follow the
references: ``itertools.batched``, ``more_itertools.chunked``,
``itertools.chain.from_iterable``, and the sync readers for the async ones.
"""

from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Sequence
from types import GenericAlias
from typing import Any, AnyStr, Generic, SupportsIndex, TypeVar, final, overload

from typing_extensions import Self

from cyiter import _Compression, _Source

__all__ = [
    "abatched", "achunked", "aflatten", "aread_chunks", "aread_lines", "aread_csv", "aread_jsonl",
]

_T = TypeVar("_T")
_T_co = TypeVar("_T_co", covariant=True)

class abatched(Generic[_T_co]):
    @classmethod
    def __class_getitem__(cls, item: Any, /) -> GenericAlias: ...
    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    def __init__(
        self,
        aiterable: AsyncIterable[_T_co],
        n: SupportsIndex,
        *,
        strict: bool = False,
        timeout: float | None = None,
    ) -> None: ...
    def __aiter__(self) -> Self: ...
    def __anext__(self) -> Awaitable[tuple[_T_co, ...]]: ...
    async def aclose(self) -> None: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *exc_info: object) -> None: ...

class achunked(Generic[_T]):
    @classmethod
    def __class_getitem__(cls, item: Any, /) -> GenericAlias: ...
    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    def __init__(
        self,
        aiterable: AsyncIterable[_T],
        n: SupportsIndex | None,
        strict: bool = False,
        *,
        timeout: float | None = None,
    ) -> None: ...
    def __aiter__(self) -> Self: ...
    def __anext__(self) -> Awaitable[list[_T]]: ...
    async def aclose(self) -> None: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *exc_info: object) -> None: ...

class aflatten(Generic[_T_co]):
    @classmethod
    def __class_getitem__(cls, item: Any, /) -> GenericAlias: ...
    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    def __init__(self, aiterable: AsyncIterable[Iterable[_T_co] | AsyncIterable[_T_co]]) -> None: ...
    def __aiter__(self) -> Self: ...
    def __anext__(self) -> Awaitable[_T_co]: ...
    async def aclose(self) -> None: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *exc_info: object) -> None: ...

# The async readers take the arguments of their sync twins (cyiter.read_*).

@final
class aread_chunks:
    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    def __init__(
        self,
        source: _Source,
        size: SupportsIndex = 65536,
        *,
        start: SupportsIndex = 0,
        stop: SupportsIndex | None = None,
        compression: _Compression = None,
    ) -> None: ...
    @classmethod
    def __class_getitem__(cls, item: Any, /) -> GenericAlias: ...
    @property
    def offset(self) -> int: ...
    def __aiter__(self) -> Self: ...
    def __anext__(self) -> Awaitable[bytes]: ...
    async def aclose(self) -> None: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *exc_info: object) -> None: ...

@final
class aread_lines(Generic[AnyStr]):
    @classmethod
    def __class_getitem__(cls, item: Any, /) -> GenericAlias: ...
    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    @overload
    def __init__(
        self: aread_lines[bytes],
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
        self: aread_lines[str],
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
        self: aread_lines[Any],
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
    def __aiter__(self) -> Self: ...
    def __anext__(self) -> Awaitable[AnyStr]: ...
    async def aclose(self) -> None: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *exc_info: object) -> None: ...

@final
class aread_csv(Generic[_T]):
    @classmethod
    def __class_getitem__(cls, item: Any, /) -> GenericAlias: ...
    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    @overload
    def __init__(
        self: aread_csv[str],
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
        self: aread_csv[_T],
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
    def __aiter__(self) -> Self: ...
    def __anext__(self) -> Awaitable[dict[_T | Any, str | Any]]: ...
    async def aclose(self) -> None: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *exc_info: object) -> None: ...

@final
class aread_jsonl(Generic[_T]):
    @classmethod
    def __class_getitem__(cls, item: Any, /) -> GenericAlias: ...
    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    @overload
    def __init__(
        self: aread_jsonl[Any],
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
        self: aread_jsonl[_T],
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
    def __aiter__(self) -> Self: ...
    def __anext__(self) -> Awaitable[_T]: ...
    async def aclose(self) -> None: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *exc_info: object) -> None: ...
