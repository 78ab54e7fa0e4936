"""The data the benchmark runs on, generated on the spot and deterministic.

Files are written into the run's temporary directory by repeating one block
of about a megabyte of varied lines or CSV records, so that a file of
hundreds of megabytes costs seconds to write while each line or record
still differs from its neighbours.
"""

import csv
import gzip
import io
import json
import math
import os
import random
import shutil
from dataclasses import dataclass
from typing import Any

MiB = 1 << 20
_BLOCK = MiB

_WORDS = (
    "alpha beta gamma delta iterator chunk batch record field value offset "
    "buffer stream python cython reader writer file line column table index "
    "quick brown fox jumps over lazy dog data sample test result"
).split()
_NON_ASCII = ["naïve", "café", "Straße", "東京", "€", "ёлка", "smörgåsbord", "πr²"]
# Western European words: in log lines made of them, about a quarter of the
# UTF-8 bytes belong to accented letters (two-byte sequences)
_EUROPEAN = (
    "über größe müller straße café déjà élève français garçon niño año señor "
    "mañana ação coração pão são löwe schön für zürich forêt hôtel être tête "
    "crème brûlée façade señorita jalapeño smörgåsbord ångström bjørn søren"
).split()


def size_label(nbytes: int) -> str:
    """``256 MiB``, ``64 KiB``, ``900 B``."""
    for unit, size in (("MiB", MiB), ("KiB", 1024)):
        if nbytes >= size:
            return f"{nbytes / size:.3g} {unit}"
    return f"{nbytes} B"


@dataclass(frozen=True)
class DataFile:
    path: str
    nbytes: int
    records: int  # lines of a text file, data rows of a CSV file


def _words(rng: random.Random, k: int, non_ascii: bool) -> list[str]:
    words = rng.choices(_WORDS, k=k)
    if non_ascii:
        words[rng.randrange(k)] = rng.choice(_NON_ASCII)
    return words


def _lines_block(rng: random.Random, target: int) -> tuple[bytes, int]:
    """About *target* bytes of ``\\n``-terminated UTF-8 lines, and their count."""
    lines = []
    size = 0
    while size < target:
        k = rng.choice((0, 1, 3, 6, 10, 14, 20))
        line = " ".join(_words(rng, k, k > 0 and rng.random() < 0.1)) if k else ""
        data = line.encode("utf-8") + b"\n"
        lines.append(data)
        size += len(data)
    return b"".join(lines), len(lines)


def _csv_block(rng: random.Random, target: int) -> tuple[bytes, bytes, int]:
    """A CSV header, and about *target* bytes of records after it, and their count.

    The comments column has plain text, quoted delimiters, doubled quotes
    and embedded newlines, what a CSV reader must get right.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    header_writer = csv.writer(header := io.StringIO())
    header_writer.writerow(["id", "name", "city", "amount", "date", "comment"])
    rows = 0
    while out.tell() < target:
        roll = rng.random()
        words = _words(rng, rng.randint(1, 8), rng.random() < 0.1)
        if roll < 0.2:
            comment = ", ".join(words)
        elif roll < 0.28:
            comment = f'he said "{" ".join(words)}"'
        elif roll < 0.3:
            comment = "\n".join(words)
        else:
            comment = " ".join(words)
        writer.writerow(
            [
                rows,
                rng.choice(_WORDS).title(),
                rng.choice(_NON_ASCII) if rng.random() < 0.05 else rng.choice(_WORDS),
                f"{rng.uniform(-1e4, 1e4):.2f}",
                f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                comment,
            ]
        )
        rows += 1
    return header.getvalue().encode(), out.getvalue().encode("utf-8"), rows


def _write(path: str, head: bytes, block: bytes, per_block: int, target: int) -> DataFile:
    repeats = max(1, math.ceil((target - len(head)) / len(block)))
    with open(path, "wb") as f:
        f.write(head)
        for _ in range(repeats):
            f.write(block)
    return DataFile(path, len(head) + repeats * len(block), repeats * per_block)


def lines_file(directory: str, target_bytes: int, seed: int = 20261121) -> DataFile:
    """A text file of at least *target_bytes* (UTF-8, ``\\n`` line ends)."""
    block, count = _lines_block(random.Random(seed), min(target_bytes, _BLOCK))
    path = os.path.join(directory, f"lines-{target_bytes}.txt")
    return _write(path, b"", block, count, target_bytes)


def european_lines_file(directory: str, target_bytes: int, seed: int = 20261121) -> DataFile:
    """A log-like UTF-8 text file of at least *target_bytes* in which about a
    quarter of the bytes belong to accented Latin letters."""
    rng = random.Random(seed)
    lines = []
    size = 0
    while size < min(target_bytes, _BLOCK):
        words = rng.choices(_EUROPEAN, k=rng.randint(2, 9)) + rng.choices(_WORDS, k=rng.randint(0, 2))
        rng.shuffle(words)
        line = f"10:{rng.randrange(60):02d}:{rng.randrange(60):02d} {' '.join(words)}\n"
        lines.append(line.encode("utf-8"))
        size += len(lines[-1])
    path = os.path.join(directory, f"european-{target_bytes}.txt")
    return _write(path, b"", b"".join(lines), len(lines), target_bytes)


def csv_file(directory: str, target_bytes: int, seed: int = 20261121) -> DataFile:
    """A CSV file (header and records) of at least *target_bytes*."""
    head, block, count = _csv_block(random.Random(seed), min(target_bytes, _BLOCK))
    path = os.path.join(directory, f"table-{target_bytes}.csv")
    return _write(path, head, block, count, target_bytes)


def _records_block(rng: random.Random, target: int) -> tuple[list[dict[str, Any]], bytes]:
    """Records of about *target* bytes as JSON Lines: the records, and the
    block of their lines (``json.dumps`` as it is by default, so ASCII with
    ``\\u`` escapes, as most JSON Lines written by Python are)."""
    records: list[dict[str, Any]] = []
    lines: list[bytes] = []
    size = 0
    while size < target:
        k = rng.randint(0, 8)
        words = _words(rng, k, k > 0 and rng.random() < 0.1)
        record = {
            "id": len(records),
            "user": {"name": rng.choice(_WORDS).title(), "age": rng.randint(18, 90)},
            "tags": rng.sample(_WORDS, rng.randint(0, 4)),
            "score": round(rng.uniform(-1e4, 1e4), 3),
            "active": rng.random() < 0.5,
            "note": " ".join(words) or None,
        }
        line = json.dumps(record).encode("ascii") + b"\n"
        records.append(record)
        lines.append(line)
        size += len(line)
    return records, b"".join(lines)


def records(target_bytes: int, seed: int = 20261121) -> list[dict[str, Any]]:
    """Records whose JSON Lines take about *target_bytes*: a block of about
    a megabyte of distinct records, repeated (the same objects)."""
    block, data = _records_block(random.Random(seed), min(target_bytes, _BLOCK))
    return block * max(1, math.ceil(target_bytes / len(data)))


def jsonl_file(directory: str, target_bytes: int, seed: int = 20261121) -> DataFile:
    """A JSON Lines file of at least *target_bytes* (one record per line)."""
    block, data = _records_block(random.Random(seed), min(target_bytes, _BLOCK))
    path = os.path.join(directory, f"records-{target_bytes}.jsonl")
    return _write(path, b"", data, len(block), target_bytes)


def gzip_file(source: DataFile) -> DataFile:
    """*source* compressed by the gzip module (level 6, zlib's default);
    ``nbytes`` stays the decompressed size."""
    path = source.path + ".gz"
    with open(source.path, "rb") as f, gzip.open(path, "wb", compresslevel=6) as out:
        shutil.copyfileobj(f, out, _BLOCK)
    return DataFile(path, source.nbytes, source.records)


def tree(leaves: int, depth: int = 5) -> tuple[list[Any], int]:
    """Nested lists *depth* levels deep holding about *leaves* string leaves.

    Returns the tree and its exact number of leaves.
    """
    branch = max(2, round(leaves ** (1 / depth)))
    pool = [f"leaf-{i}" for i in range(1000)]
    counter = iter(range(branch**depth))

    def level(d: int) -> list[Any]:
        if d == 1:
            return [pool[next(counter) % 1000] for _ in range(branch)]
        return [level(d - 1) for _ in range(branch)]

    return level(depth), branch**depth
