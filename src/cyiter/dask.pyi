"""Type stubs for cyiter.dask: bags read by cyiter's readers."""

import os
from collections.abc import Sequence
from typing import Any

from dask.bag import Bag
from typing_extensions import TypeAlias

__all__ = ["read_lines", "read_csv", "read_jsonl"]

_Path: TypeAlias = str | os.PathLike[str]
# a path, a glob pattern, or a list of them
_Paths: TypeAlias = _Path | Sequence[_Path]

def read_lines(paths: _Paths, *, blocksize: int | str | None = "64 MiB", **reader_kwargs: Any) -> Bag: ...
def read_csv(paths: _Paths, *, blocksize: int | str | None = "64 MiB", **reader_kwargs: Any) -> Bag: ...
def read_jsonl(paths: _Paths, *, blocksize: int | str | None = "64 MiB", **reader_kwargs: Any) -> Bag: ...
