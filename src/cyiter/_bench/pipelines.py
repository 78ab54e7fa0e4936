"""The workloads of the restartable pipeline: CSV to JSON Lines.

``cyiter convert`` (a pipeline without stages) and the five-stage ETL
(read, filter, transform, batch, write) against the generator pipeline
users write for the same job: ``csv.DictReader``, ``filter``, ``map``,
batches of 1000 and ``json.dumps`` per line, the file synced at the end as
``write_jsonl`` syncs it.  Then the one-worker pipeline against itself with
checkpoints (every :data:`cyiter._pipeline.CHECKPOINT_SECONDS`) and with
two workers.  Each run writes the whole file, so a run counts the records
written.
"""

import csv
import json
import os
from collections.abc import Callable
from itertools import islice, repeat
from typing import Any

from cyiter._bench import data
from cyiter._bench.cases import TWIN_LABELS, Context, Pending
from cyiter._bench.timing import CYTHON, PYTHON, REFERENCE, Candidate, Case, Consume, Run

ITERATORS: tuple[str, ...] = ("pipeline",)

#: The workers of the parallel case: the cores of the machine the target was set on.
WORKERS = 2
#: The generator pipeline's batch, in records.
BATCH = 1000

GENERATORS = "generator pipeline: csv.DictReader, {stages}batches, json.dumps per line"
WITHOUT_CHECKPOINTS = "the same without checkpoints (Cython)"
ONE_WORKER = "the same with one worker (Cython)"


def keep(row: dict[str, str]) -> bool:
    """The ETL's filter (module level: it pickles)."""
    return float(row["amount"]) > 0


def transform(row: dict[str, str]) -> dict[str, Any]:
    """The ETL's transform: typed fields, a derived one."""
    return {
        "id": int(row["id"]),
        "name": row["name"],
        "city": row["city"],
        "amount": round(float(row["amount"]) * 1.2, 2),
        "date": row["date"],
        "comment": row["comment"],
    }


def generator_pipeline(src: str, dst: str, stages: bool) -> int:
    """The job written with generators; the records written."""
    with open(src, newline="", encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as out:
        records: Any = csv.DictReader(f)
        if stages:
            records = map(transform, filter(keep, records))
        count = 0
        while batch := list(islice(records, BATCH)):
            out.write("".join(json.dumps(record) + "\n" for record in batch))
            count += len(batch)
        out.flush()
        os.fsync(out.fileno())
    return count


def _csv(ctx: Context) -> data.DataFile:
    """The CSV file of the readers' size (the one of read_csv when they agree)."""
    size = ctx.profile.file_bytes
    if ctx.profile.csv_bytes == size:
        return ctx.csv_file()
    return ctx.cached("pipeline-csv", lambda: data.csv_file(ctx.directory, size))


def pipeline_cases(ctx: Context) -> list[Pending]:
    out = os.path.join(ctx.directory, "pipeline.jsonl")
    checkpoint = os.path.join(ctx.directory, "pipeline.checkpoint")

    def job(cls: Any, path: str, stages: bool, **options: Any) -> Run:
        from cyiter import pipeline

        def run(consume: Consume) -> int:
            p = pipeline(cls(path))
            if stages:
                p = p.filter(keep).map(transform)
            return consume(repeat(None, p.write_jsonl(out, progress=False, **options)))

        return run

    def generators(path: str, stages: bool) -> Run:
        def run(consume: Consume) -> int:
            return consume(repeat(None, generator_pipeline(path, out, stages)))

        return run

    def twins(path: str, stages: bool) -> list[Candidate]:
        candidates = []
        for kind in (CYTHON, PYTHON):
            label = f"cyiter.pipeline over read_csv ({TWIN_LABELS[kind]})"
            classes, reason = ctx.twins[kind]
            if "read_csv" in classes:
                candidates.append(Candidate(label, kind, job(classes["read_csv"], path, stages)))
            else:
                candidates.append(Candidate(label, kind, reason=reason or "no read_csv"))
        return candidates

    def kept(path: str, stages: bool) -> int:
        from cyiter import read_csv

        with read_csv(path) as rows:
            return sum(1 for row in rows if keep(row)) if stages else sum(1 for _ in rows)

    def against_generators(stages: bool) -> Callable[[], Case]:
        def build() -> Case:
            f = _csv(ctx)
            candidates = twins(f.path, stages)
            label = GENERATORS.format(stages="filter, map, " if stages else "")
            candidates.append(Candidate(label, REFERENCE, generators(f.path, stages)))
            n = kept(f.path, stages)
            key = "pipeline/etl" if stages else "pipeline/convert"
            return Case("pipeline", key, workload(stages), "row", f.records, n, candidates, f.nbytes)

        return build

    def against_itself(key: str, variant: str, options: dict[str, Any], reference: str) -> Callable[[], Case]:
        def build() -> Case:
            f = _csv(ctx)
            classes, reason = ctx.twins[CYTHON]
            cls = classes.get("read_csv")
            pure = Candidate(
                f"{variant} (pure Python)", PYTHON,
                reason="the pure twin's pipeline is measured in pipeline/convert and pipeline/etl",
            )
            if cls is None:
                candidates = [Candidate(f"{variant} (Cython)", CYTHON, reason=reason or "no read_csv"), pure]
            else:
                candidates = [
                    Candidate(f"{variant} (Cython)", CYTHON, job(cls, f.path, False, **options)),
                    pure,
                    Candidate(reference, REFERENCE, job(cls, f.path, False)),
                ]
            return Case("pipeline", key, workload(False), "row", f.records, f.records, candidates, f.nbytes)

        return build

    def workload(stages: bool) -> str:
        what = "filter, transform, write" if stages else "converted"
        return f"{data.size_label(ctx.profile.file_bytes)} CSV file to JSON Lines, {what}, synced"

    from cyiter import _pipeline

    every = f"checkpoints every {_pipeline.CHECKPOINT_SECONDS:g} s"
    workers = f"pipeline/workers={WORKERS}"
    return [
        Pending("pipeline", "pipeline/convert", workload(False), against_generators(False)),
        Pending("pipeline", "pipeline/etl", workload(True), against_generators(True)),
        Pending(
            "pipeline", "pipeline/checkpoint", workload(False),
            against_itself("pipeline/checkpoint", every, {"checkpoint": checkpoint}, WITHOUT_CHECKPOINTS),
        ),
        Pending(
            "pipeline", workers, workload(False),
            against_itself(workers, f"workers={WORKERS}", {"workers": WORKERS}, ONE_WORKER),
        ),
    ]


CASES: dict[str, Callable[[Context], list[Pending]]] = {"pipeline": pipeline_cases}
