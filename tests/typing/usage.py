"""Typed usage of cyiter's public API, checked by ``mypy --strict``.

``assert_type`` pins the types the stubs (src/cyiter/__init__.pyi) give; each
``# type: ignore[code]`` marks a call the stubs must reject (``--strict``
includes ``--warn-unused-ignores``, so a stub that starts accepting it fails
the check).  The file also runs (``python tests/typing/usage.py``): every
``assert_type`` example is real, working code on the active twin.  The
classes are generic only in the stubs (``cyiter.count[int]`` is a TypeError
at runtime), so such types are quoted.
"""

import asyncio
import io
import sys
import tempfile
from collections.abc import AsyncIterator, Generator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from fractions import Fraction
from itertools import islice
from pathlib import Path
from typing import Any, Literal, assert_type

from dask.bag import Bag

import cyiter
import cyiter.aio
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
    assert_type(cyiter.dask.read_jsonl(path, blocksize=1 << 20, loads=len), Bag)
    assert_type(cyiter.byte_ranges(path, 2, compression=None), list[tuple[int, int]])


def jsonl(directory: str) -> None:
    path = Path(directory, "usage.jsonl.gz")
    assert_type(cyiter.write_jsonl(path, [{"a": 1}, [2]], compression="infer"), int)
    assert_type(cyiter.write_jsonl(str(path), iter([3]), dumps=repr, append=True), int)
    with cyiter.read_jsonl(path, max_line_length=100) as values:
        assert_type(values, "cyiter.read_jsonl[Any]")
        assert_type(values.offset, int)
        assert_type(next(values), Any)
    with cyiter.read_jsonl(path, loads=len, compression="gzip") as sizes:
        assert_type(list(sizes), list[int])
    assert_type(list(cyiter.read_lines(path, compression=None)), list[bytes])
def more_dropins() -> None:
    assert_type(next(cyiter.windowed([1, 2, 3], 2)), tuple[int | None, ...])
    assert_type(next(cyiter.windowed("abc", 2, fillvalue=0, step=2)), tuple[str | int, ...])
    assert_type(next(cyiter.sliding_window(range(5), 3)), tuple[int, ...])
    assert_type(list(cyiter.unique_everseen("abca", key=str.lower)), list[str])
    assert_type(list(cyiter.unique_justseen([1.0, 1.0, 2.0])), list[float])
    assert_type(list(cyiter.interleave([1, 2], [3, 4])), list[int])
    assert_type(list(cyiter.interleave_longest("ab", "c")), list[str])
    assert_type(list(cyiter.roundrobin([1], [2, 3])), list[int])
    batches = cyiter.constrained_batches([b"ab", b"c"], 3, max_count=2, get_len=len, strict=False)
    assert_type(next(batches), tuple[bytes, ...])
    assert_type([list(chunk) for chunk in cyiter.ichunked(range(5), 2)], list[list[int]])
    p = cyiter.peekable(["a", "b", "c"])
    assert_type(p.peek(), str)
    assert_type(p.peek(None), str | None)
    assert_type(p[1], str)
    assert_type(p[1:], list[str])
    p.prepend("z")
    assert_type(bool(p), bool)
    assert_type(next(p), str)
    assert_type(cyiter.ilen(x for x in range(5)), int)


async def numbers(n: int) -> AsyncIterator[int]:
    for i in range(n):
        yield i


async def asynchronous() -> None:
    batches = cyiter.aio.abatched(numbers(5), 2, strict=False, timeout=0.5)
    assert_type(batches, "cyiter.aio.abatched[int]")
    assert_type(await anext(batches), tuple[int, ...])
    async with cyiter.aio.achunked(numbers(5), None, False, timeout=1) as chunks:
        assert_type(chunks, "cyiter.aio.achunked[int]")
        assert_type([c async for c in chunks], list[list[int]])
    await batches.aclose()

    async def inners() -> AsyncIterator[list[str] | AsyncIterator[str]]:
        yield ["a"]

    assert_type([x async for x in cyiter.aio.aflatten(inners())], list[str])


async def async_readers(path: Path) -> None:
    lines = cyiter.aio.aread_lines(path)
    assert_type(lines, "cyiter.aio.aread_lines[bytes]")
    assert_type(await anext(lines), bytes)
    assert_type(lines.offset, int)
    await lines.aclose()
    async with cyiter.aio.aread_lines(path, encoding="utf-8", start=1) as text:
        assert_type([line async for line in text], list[str])
    rows = cyiter.aio.aread_csv(path)
    assert_type(rows.fieldnames, list[str] | None)
    assert_type([row async for row in rows], list[dict[str | Any, str | Any]])
    by_index = cyiter.aio.aread_csv(path, fieldnames=[0, 1])
    assert_type(await anext(by_index), dict[int | Any, str | Any])
    await by_index.aclose()
    assert_type([chunk async for chunk in cyiter.aio.aread_chunks(path, 3)], list[bytes])
    sizes = cyiter.aio.aread_jsonl(path, loads=len, compression="infer")
    assert_type(sizes, "cyiter.aio.aread_jsonl[int]")
    assert_type([size async for size in sizes], list[int])


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
    cyiter.read_lines(path, compression="zip")  # type: ignore[call-overload]
    cyiter.read_jsonl(path, loads="json")  # type: ignore[call-overload]
    cyiter.write_jsonl(path, [1], None)  # type: ignore[call-arg]
    cyiter.windowed([1], "2")  # type: ignore[call-overload]
    cyiter.peekable([1]).prepend("a")  # type: ignore[arg-type]
    cyiter.aio.abatched([1, 2], 2)  # type: ignore[arg-type]
    cyiter.aio.abatched(numbers(2), 2, True)  # type: ignore[call-arg]
    cyiter.aio.achunked(numbers(2), 2, timeout="1")  # type: ignore[arg-type]
    cyiter.aio.aread_lines(path, None)  # type: ignore[call-overload]
    cyiter.aio.aread_chunks(io.StringIO("text"))  # type: ignore[arg-type]
    del text, data


def main() -> None:
    sequences()
    batching()
    flattening()
    more_dropins()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "usage.csv")
        path.write_bytes(b"a,b\n1,2\n3,4,5\n")
        readers(path)
        parallel(path)
        asyncio.run(async_readers(path))
        jsonl(tmp)
    asyncio.run(asynchronous())
    print(f"typed usage examples ran on the {cyiter.IMPLEMENTATION} twin", file=sys.stderr)


if __name__ == "__main__":
    main()
