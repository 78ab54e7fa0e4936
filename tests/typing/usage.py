"""Typed usage of cyiter's public API, checked by ``mypy --strict``.

``assert_type`` pins the types the stubs (src/cyiter/__init__.pyi) give; each
``# type: ignore[code]`` marks a call the stubs must reject (``--strict``
includes ``--warn-unused-ignores``, so a stub that starts accepting it fails
the check).  The file also runs (``python tests/typing/usage.py``): every
``assert_type`` example is real, working code on the active twin.  The
classes are generic only in the stubs (``cyiter.count[int]`` is a TypeError
at runtime), so such types are quoted.
"""

import io
import sys
import tempfile
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from fractions import Fraction
from itertools import islice
from pathlib import Path
from typing import Any, Literal, assert_type

from dask.bag import Bag

import cyiter
import cyiter.dask


def sequences() -> None:
    assert_type(cyiter.IMPLEMENTATION, Literal["cython", "python"])
    assert_type(cyiter.__version__, str)

    assert_type(next(cyiter.count()), int)
    assert_type(next(cyiter.count(3, 2)), int)
    assert_type(next(cyiter.count(1.5)), float)
    assert_type(next(cyiter.count(1, 0.5)), float)
    assert_type(next(cyiter.count(step=0.5)), float)
    assert_type(next(cyiter.count(Fraction(1, 3))), Fraction)
    assert_type(next(cyiter.count(Fraction(1, 3), Fraction(1, 2))), Fraction)
    assert_type(next(cyiter.count(Decimal("1.5"), 2)), Decimal)
    assert_type(next(cyiter.count(1j, 1j)), complex)
    c: "cyiter.count[int]" = cyiter.count(10)
    assert_type(iter(c), "cyiter.count[int]")

    fib = cyiter.fibonacci(10, max_value=1000)
    assert_type(list(fib), list[int])
    assert_type(cyiter.fibonacci(max_value=Fraction(7, 2)), cyiter.fibonacci)
    assert_type(fib.__length_hint__(), int)


def batching() -> None:
    assert_type(next(cyiter.batched("abcde", 2)), tuple[str, ...])
    assert_type(list(cyiter.batched(range(5), 2, strict=False)), list[tuple[int, ...]])
    assert_type(next(cyiter.chunked([1.0, 2.0, 3.0], 2)), list[float])
    assert_type(next(cyiter.chunked(iter(b"xyz"), None, strict=False)), list[int])


def flattening() -> None:
    assert_type(list(cyiter.flatten([[1, 2], (3,)])), list[int])
    assert_type(list(cyiter.flatten(["ab", "cd"])), list[str])
    assert_type(next(cyiter.collapse([1, [2, [3, "x"]]], base_type=tuple, levels=2)), Any)


def readers(path: Path) -> None:
    with cyiter.read_chunks(path, 4, start=1, stop=None) as chunks:
        assert_type(chunks, cyiter.read_chunks)
        assert_type(next(chunks), bytes)
        assert_type(chunks.offset, int)

    lines_b = cyiter.read_lines(str(path))
    assert_type(lines_b, "cyiter.read_lines[bytes]")
    assert_type(next(lines_b), bytes)
    lines_b.close()

    with cyiter.read_lines(path, encoding="utf-8", keepends=True, max_line_length=100) as lines_s:
        assert_type(lines_s, "cyiter.read_lines[str]")
        assert_type(next(lines_s), str)
        assert_type(lines_s.offset, int)

    encoding: str | None = "utf-8" if path.suffix == ".csv" else None
    with cyiter.read_lines(path, encoding=encoding) as lines_any:
        assert_type(lines_any, "cyiter.read_lines[Any]")

    with open(path, "rb") as f:
        assert_type(list(cyiter.read_lines(f, start=0, stop=4)), list[bytes])
    assert_type(list(cyiter.read_chunks(io.BytesIO(b"data"))), list[bytes])

    with cyiter.read_csv(path, delimiter=",") as rows:
        assert_type(next(rows), dict[str | Any, str | Any])
        assert_type(rows.offset, int)
    by_index = cyiter.read_csv(path, fieldnames=[0, 1], restval="")
    assert_type(by_index, "cyiter.read_csv[int]")
    assert_type(next(by_index), dict[int | Any, str | Any])
    by_index.close()


def count_lines(lines: "cyiter.read_lines[bytes]") -> int:
    return sum(1 for _ in lines)


def first_rows(rows: "cyiter.read_csv[str]") -> list[dict[str | Any, str | Any]]:
    return list(islice(rows, 1))


def parallel(path: Path) -> None:
    assert_type(cyiter.byte_ranges(path, 2), list[tuple[int, int]])
    assert_type(cyiter.byte_ranges(io.BytesIO(b"data"), size=3), list[tuple[int, int]])
    with ThreadPoolExecutor(2) as threads:
        counts = cyiter.process_ranges(count_lines, cyiter.read_lines, path, parts=2, executor=threads)
        assert_type(counts, Generator[int, None, None])
        assert_type(sum(counts), int)
        rows = cyiter.process_ranges(first_rows, "read_csv", path, executor=threads, delimiter=",")
        assert_type(list(rows), list[list[dict[str | Any, str | Any]]])
    bag = cyiter.dask.read_csv([path, str(path)], blocksize="1 MiB", delimiter=",")
    assert_type(bag, Bag)
    assert_type(cyiter.dask.read_lines(path, blocksize=None), Bag)


def rejected(path: Path) -> None:
    """Calls the stubs must refuse (never run)."""
    cyiter.batched([1, 2], "2")  # type: ignore[arg-type]
    cyiter.batched([1, 2], 2, True)  # type: ignore[call-arg]
    cyiter.fibonacci(1.5)  # type: ignore[arg-type]
    cyiter.read_lines(b"bytes are data, not a path")  # type: ignore[call-overload]
    cyiter.read_lines(path, None)  # type: ignore[call-overload]
    cyiter.read_chunks(io.StringIO("text"))  # type: ignore[arg-type]
    cyiter.read_csv(path, fieldnames="ab", delimiter=1)  # type: ignore[call-overload]
    text: str = next(cyiter.read_lines(path))  # type: ignore[assignment]
    data: bytes = next(cyiter.read_lines(path, encoding="ascii"))  # type: ignore[assignment]
    cyiter.read_chunks(path).offset = 0  # type: ignore[misc]
    cyiter.byte_ranges(path)  # type: ignore[call-overload]
    cyiter.byte_ranges(path, 2, size=3)  # type: ignore[call-overload]
    cyiter.process_ranges(count_lines, cyiter.read_chunks, path)  # type: ignore[arg-type]
    del text, data


def main() -> None:
    sequences()
    batching()
    flattening()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "usage.csv")
        path.write_bytes(b"a,b\n1,2\n3,4,5\n")
        readers(path)
        parallel(path)
    print(f"typed usage examples ran on the {cyiter.IMPLEMENTATION} twin", file=sys.stderr)


if __name__ == "__main__":
    main()
