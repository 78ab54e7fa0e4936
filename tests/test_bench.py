"""``python -m cyiter bench``: structure and correctness of its output, never speed.

The runs use the hidden ``--scale`` and ``--rounds`` knobs so that the whole
command finishes in seconds.  Tests of the optional extras (rich,
matplotlib) skip when those are not installed; everything else runs
without them.
"""

import csv
import dataclasses
import io
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

import cyiter
from cyiter import _select
from cyiter._bench import baseline, cases, data, main, memory, plot, targets, timing
from cyiter._bench.timing import CYTHON, PYTHON, REFERENCE, Candidate, Case

TINY = ["--scale", "0.002", "--rounds", "2"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def bench(tmp_path, *args):
    """Run the command in-process at the tiny size; (status, JSON document)."""
    out = tmp_path / "bench.json"
    status = main([*TINY, "--json", str(out), *args])
    return status, json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    """One tiny run of every iterator, shared by the structure tests."""
    tmp = tmp_path_factory.mktemp("bench")
    md = tmp / "RESULTS.md"
    status, doc = bench(tmp, "--markdown", str(md))
    return status, doc, md.read_text(encoding="utf-8")


def test_runs_end_to_end_with_every_iterator(full_run):
    status, doc, _ = full_run
    assert status == 0
    assert doc["schema"] == "cyiter-bench/2"
    assert list(doc["iterators"]) == list(cases.ITERATORS)
    for name, info in doc["iterators"].items():
        assert info["status"] in ("measured", "skipped"), name
        assert info["cases"], name
        if info["status"] == "skipped":
            assert info["reason"]
    keys = [case["key"] for case in doc["cases"]]
    assert len(keys) == len(set(keys))
    assert {case["iterator"] for case in doc["cases"]} == set(cases.ITERATORS)


#: The reader class measured by the cases of functions over the twins
#: (None: the twin's candidate is skipped, measured in another case).
TWIN_OF = {
    "process_ranges/read_lines": "read_lines",
    "process_ranges/read_csv": "read_csv",
    "cyiter.dask/sync": "cyiter.dask",
    "cyiter.dask/processes": "cyiter.dask",
    "pipeline/convert": "read_csv",
    "pipeline/etl": "read_csv",
    "pipeline/checkpoint": {CYTHON: "read_csv", PYTHON: None},
    "pipeline/workers=2": {CYTHON: "read_csv", PYTHON: None},
}


def _has_dask():
    try:
        import dask.bag  # noqa: F401
    except ImportError:
        return False
    return True


def test_every_existing_twin_is_measured(full_run):
    _, doc, _ = full_run
    for kind in (CYTHON, PYTHON):
        try:
            present = {*_select.load_twin(kind), "cyiter.dask"}
        except ImportError:
            present = set()
        if kind != cyiter.IMPLEMENTATION or not _has_dask():
            present.discard("cyiter.dask")  # (read with the active twin only)
        for case in doc["cases"]:
            twin = next(c for c in case["candidates"] if c["role"] == kind)
            measures = TWIN_OF.get(case["key"], case["iterator"])
            if isinstance(measures, dict):
                measures = measures[kind]
            if measures in present:
                assert twin["status"] == "ok", (case["key"], twin)
            else:
                assert twin["status"] == "skipped", (case["key"], twin)
    measured = {n for n, info in doc["iterators"].items() if info["status"] == "measured"}
    assert {"count", "fibonacci"} <= measured


#: Cases compared only with a package that may be missing (aiofiles, dask)
#: or with the Cython twin (absent from a pure install).
ONLY_OPTIONAL_REFERENCES = {
    "aread_lines/aiofiles", "aread_lines/bytes", "cyiter.dask/sync", "cyiter.dask/processes",
    "pipeline/checkpoint", "pipeline/workers=2",
}


def test_numbers_are_consistent(full_run):
    _, doc, _ = full_run
    for case in doc["cases"]:
        ok = [c for c in case["candidates"] if c["status"] == "ok"]
        refs = [c for c in ok if c["role"] == REFERENCE]
        if case["key"] in ONLY_OPTIONAL_REFERENCES and not refs:
            assert all(
                c["status"] == "skipped" and c["reason"]
                for c in case["candidates"] if c["role"] == REFERENCE
            ), case["key"]
            continue
        assert refs, case["key"]  # the stdlib references are always there
        fastest = min(refs, key=lambda c: c["min_ns"])
        assert case["fastest_reference"] == fastest["label"]
        for c in ok:
            assert c["rounds"] == 2 and c["runs"] >= 2
            assert 0 < c["min_ns"] <= c["median_ns"]
            if sys.platform != "win32":  # where the thread CPU clock ticks every 15.6 ms
                assert 0 < c["cpu_min_ns"] < c["min_ns"] * 2
            assert c["ns_per_unit_min"] == pytest.approx(c["min_ns"] / case["units"])
            assert c["speedup_vs_fastest_reference"] == pytest.approx(
                fastest["min_ns"] / c["min_ns"]
            )
            assert ("mb_per_s" in c) == (case["nbytes"] is not None)
        assert fastest["speedup_vs_fastest_reference"] == pytest.approx(1.0)
        for c in case["candidates"]:
            if c["status"] != "ok":
                assert c["reason"] and "min_ns" not in c


def test_every_published_target_is_reported(full_run):
    _, doc, _ = full_run
    rows = doc["targets"]
    names = [row["name"] for row in rows]
    # the pure twin's recorded speed is CPU time of the calling thread: none
    # for the work of worker processes
    pure = [name for name in cases.ITERATORS if name not in cases.IN_WORKERS]
    assert len(names) == len(set(names))
    assert names == [
        *(t.name for t in targets.TARGETS),
        *(f"{name}-pure-twin" for name in pure),
        *(row["name"] for row in rows if row["unit"] == "MB"),
    ]
    assert len([row for row in rows if row["unit"] == "MB"]) == len(memory.WORKLOADS)
    # a tiny run has no recorded speed to compare the pure twin with, and says so
    for row in rows[len(targets.TARGETS) : len(targets.TARGETS) + len(pure)]:
        assert row["status"] == "skipped" and "scaled" in row["detail"], row
    for row in rows:
        assert row["status"] in ("pass", "fail", "skipped")
        if row["status"] == "skipped":
            assert row["measured"] is None and row["detail"]
        elif row["unit"] == "x":
            assert (row["status"] == "pass") == (row["measured"] >= row["needed"])
    assert doc["summary"] == {
        s: sum(row["status"] == s for row in rows) for s in ("pass", "fail", "skipped")
    }


def test_memory_entries_per_reader_and_twin(full_run):
    _, doc, _ = full_run
    entries = doc["memory"]
    assert len(entries) == 2 * len(memory.WORKLOADS)
    for entry in entries:
        assert entry["status"] in ("ok", "skipped", "error")
        if entry["status"] == "ok":
            sizes = "memory_file_bytes" + ("" if entry["twin"] == CYTHON else "_python")
            assert entry["file_bytes"] == doc["sizes"][sizes]
            assert len(entry["peak_bytes"]) == 2
            # (Linux syncs a thread's RSS count every few dozen page faults,
            # so a peak read just after the baseline can show a few pages less)
            assert all(p > 0 and b > 0 for p, b in zip(entry["peak_bytes"], entry["baseline_bytes"]))
        else:
            assert entry["reason"]


def test_machine_and_versions_recorded(full_run):
    _, doc, md = full_run
    m = doc["machine"]
    assert m["cpu"] and m["python"] == ".".join(map(str, sys.version_info[:3]))
    assert m["packages"]["cyiter"] is not None
    assert "more-itertools" in m["packages"]
    assert m["cyiter_implementation"] in ("cython", "python")
    assert md.startswith("# cyiter benchmark results")
    assert m["cpu"] in md
    assert "| target | measured | needed | result |" in md
    assert "issue" not in md.lower()  # the report speaks of targets, not of the tracker
    for case in doc["cases"]:
        assert f"### {case['iterator']}: {case['workload']}" in md


def test_only_runs_the_named_iterators(tmp_path):
    status, doc = bench(tmp_path, "--only", "fibonacci", "--only", "count")
    assert status == 0
    assert list(doc["iterators"]) == ["count", "fibonacci"]
    assert {case["iterator"] for case in doc["cases"]} == {"count", "fibonacci"}
    assert {row["iterator"] for row in doc["targets"]} == {"count", "fibonacci"}
    assert doc["memory"] == []


def test_unknown_iterator_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--only", "zip"])
    assert exc.value.code == 2
    assert "invalid choice: 'zip'" in capsys.readouterr().err


def test_missing_reference_is_skipped(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "cytoolz", None)  # import cytoolz fails
    status, doc = bench(tmp_path, "--only", "batched")
    assert status == 0
    for case in doc["cases"]:
        cy = next(c for c in case["candidates"] if c["label"] == "cytoolz.partition_all")
        assert cy == {
            "label": "cytoolz.partition_all",
            "role": REFERENCE,
            "status": "skipped",
            "reason": "cytoolz is not installed",
        }
    cytoolz_targets = [t for t in doc["targets"] if "cytoolz" in t["target"]]
    assert len(cytoolz_targets) == 12  # 8 "<= 0.9x the time", 4 ">= 1.5x faster" (large list and in cache)
    assert all(t["status"] == "skipped" for t in cytoolz_targets)


def test_without_the_extension_the_cython_twin_is_skipped(tmp_path, monkeypatch):
    for family in _select.FAMILIES:  # no extension module imports
        monkeypatch.setitem(sys.modules, f"cyiter._cy.{family}", None)
    status, doc = bench(tmp_path, "--only", "count", "--only", "chunked")
    assert status == 0
    for case in doc["cases"]:
        cy, py = case["candidates"][:2]
        assert cy["status"] == "skipped"
        assert cy["reason"].startswith("cython twin unavailable: import of cyiter._cy.")
        assert py["status"] == "ok" and "speedup_vs_pure_python" not in py
    assert all(t["status"] == "skipped" for t in doc["targets"] if "pure-Python" not in t["target"])
    assert doc["iterators"]["count"]["status"] == "measured"


def test_a_family_that_does_not_import_hides_only_its_iterators(tmp_path, monkeypatch):
    try:
        _select.load_twin("cython")
        cython = "ok"
    except ImportError:  # a pure install: the Cython twin is skipped anyway
        cython = "skipped"
    monkeypatch.setattr(_select, "FAMILIES", {**_select.FAMILIES, "unbuilt": ("nothing",)})
    status, doc = bench(tmp_path, "--only", "count")
    assert status == 0
    (case,) = doc["cases"]
    assert [c["status"] for c in case["candidates"]] == [cython, "ok", "ok"]


def test_output_into_a_missing_directory_fails_before_running(tmp_path, capsys):
    missing = tmp_path / "nowhere" / "r.json"
    assert main([*TINY, "--json", str(missing)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and f"no directory for {missing}" in err


def test_text_output_is_plain_without_a_terminal(tmp_path, capsys):
    assert main([*TINY, "--only", "count"]) == 0
    out, err = capsys.readouterr()
    assert "\x1b[" not in out
    assert out.startswith("cyiter bench: quick mode, 2 rounds")
    assert "\nSummary\n" in out and "\nTargets" in out
    assert "cyiter.count (Cython)" in out and "itertools.count" in out
    assert err == "[1/1] count: first 200 values\n"


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_terminal_without_rich_falls_back_to_plain(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "rich", None)
    monkeypatch.setitem(sys.modules, "rich.console", None)
    fake = _Terminal()
    monkeypatch.setattr(sys, "stdout", fake)
    assert main([*TINY, "--only", "count"]) == 0
    assert "\nSummary\n" in fake.getvalue()
    assert capsys.readouterr().err.startswith("[1/1] count")


def test_terminal_with_rich_draws_tables(monkeypatch, capsys):
    pytest.importorskip("rich")
    monkeypatch.setenv("COLUMNS", "250")
    fake = _Terminal()
    monkeypatch.setattr(sys, "stdout", fake)
    assert main([*TINY, "--only", "count"]) == 0
    text = fake.getvalue()
    assert "Summary" in text and "cyiter.count (Cython)" in text
    assert "┃" in text or "│" in text  # rich's box drawing, not the plain table
    assert "[1/1]" not in capsys.readouterr().err


def test_plot_writes_a_png(full_run, tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "speedup.png"
    plot.write(full_run[1], str(png))  # the command's --plot: test_benchmarks_run_py...
    head = png.read_bytes()[:24]
    assert head[:8] == PNG_MAGIC and head[12:16] == b"IHDR"
    width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    assert width > 500 and height > 200
    assert png.stat().st_size > 5000


def test_plot_without_matplotlib_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main([*TINY, "--plot", str(tmp_path / "x.png")]) == 2
    assert "--plot needs matplotlib" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def _run_module(*args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "cyiter", *args], capture_output=True, text=True, **kwargs
    )


def test_python_m_cyiter_bench(tmp_path):
    out = _run_module("bench", *TINY, "--only", "count", "--json", str(tmp_path / "r.json"))
    assert out.returncode == 0, out.stderr
    assert "cyiter.count (Cython)" in out.stdout
    assert json.loads((tmp_path / "r.json").read_text())["iterators"]["count"]


def test_memory_child_runs_cleanly(tmp_path):
    classes, _ = cases.twin_classes(PYTHON)
    if "read_chunks" not in classes:
        pytest.skip("read_chunks is not written yet")
    if memory.peak_rss_bytes() is None:
        pytest.skip("this platform does not report peak RSS")
    path = tmp_path / "data.bin"
    path.write_bytes(b"x" * 300_000)
    out = subprocess.run(
        [sys.executable, "-W", "error", "-m", "cyiter._bench.rss", PYTHON, "read_chunks",
         str(path), json.dumps({"size": 4096})],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0 and out.stderr == "", out.stderr
    report = json.loads(out.stdout)
    assert report["peak"] >= report["baseline"] > 1_000_000


def test_python_m_cyiter_without_command_prints_help():
    out = _run_module()
    assert out.returncode == 2
    assert "bench" in out.stdout


def test_benchmarks_run_py_shares_the_implementation(tmp_path):
    pytest.importorskip("matplotlib")
    script = os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks", "run.py")
    paths = {name: tmp_path / name for name in ("R.md", "r.json", "p.png")}
    out = subprocess.run(
        [sys.executable, script, "--quick", *TINY, "--only", "count",
         "--markdown", str(paths["R.md"]), "--json", str(paths["r.json"]),
         "--plot", str(paths["p.png"])],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert paths["R.md"].read_text().startswith("# cyiter benchmark results")
    assert "Produced by `python benchmarks/run.py --quick" in paths["R.md"].read_text()
    assert "](p.png)\n" in paths["R.md"].read_text()  # the chart, relative to RESULTS.md
    assert json.loads(paths["r.json"].read_text())["mode"] == "quick"
    assert paths["p.png"].read_bytes()[:8] == PNG_MAGIC


def _default_sigint():
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX")
def test_ctrl_c_removes_the_temporary_data(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cyiter", "bench", "--only", "read_chunks",
         "--scale", "0.01", "--rounds", "1000000"],
        env={**os.environ, "TMPDIR": str(tmp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # as a terminal's Ctrl-C finds it: whoever started the test run may
        # have ignored SIGINT (a shell does for a background job), and a
        # Python started with SIGINT ignored leaves it ignored
        preexec_fn=_default_sigint,
    )
    try:
        deadline = time.monotonic() + 60
        while not any(tmp.glob("cyiter-bench-*/lines-*")):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no data file appeared"
            time.sleep(0.05)
        time.sleep(0.3)  # into the timed rounds
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert "interrupted; temporary data removed" in err
    assert list(tmp.iterdir()) == []


# -- the parts ----------------------------------------------------------------


def _case(*candidates, items=3):
    return Case("x", "x", "three items", "item", items, items, list(candidates))


def _profile(rounds, slow_s=math.inf, budget_s=math.inf):
    return dataclasses.replace(
        cases.profile("quick"), rounds=rounds, min_sample_s=0.0, slow_s=slow_s, budget_s=budget_s
    )


def test_measure_reports_wrong_output_and_errors_instead_of_timing():
    def good(consume):
        return consume(iter([1, 2, 3]))

    def short(consume):
        return consume(iter([1, 2]))

    def boom(consume):
        raise KeyError("nope")

    results = timing.measure(
        _case(
            Candidate("good", REFERENCE, good),
            Candidate("short", REFERENCE, short),
            Candidate("boom", CYTHON, boom),
            Candidate("absent", PYTHON, reason="not built"),
        ),
        _profile(rounds=3),
    )
    by_label = {m.label: m for m in results}
    assert by_label["good"].ok and len(by_label["good"].samples_ns) == 3
    assert by_label["short"].status == "error"
    assert by_label["short"].reason == "yielded 2 items, expected 3"
    assert (by_label["boom"].status, by_label["boom"].reason) == ("error", "KeyError: 'nope'")
    assert (by_label["absent"].status, by_label["absent"].reason) == ("skipped", "not built")
    assert not by_label["short"].samples_ns and not by_label["boom"].samples_ns


def test_measure_interleaves_rounds():
    order = []

    def candidate(name):
        def run(consume):
            order.append(name)
            return consume(iter("abc"))

        return Candidate(name, REFERENCE, run)

    timing.measure(_case(candidate("a"), candidate("b"), candidate("c")), _profile(3))
    # warm-up a, b, c; then each round starts one further along
    assert "".join(order) == "abc" + "abc" + "bca" + "cab"


def test_a_turn_lasts_min_sample_s():
    runs = []

    def quick(consume):
        runs.append(1)
        return consume(iter("abc"))

    start = time.perf_counter_ns()
    (result,) = timing.measure(
        _case(Candidate("quick", REFERENCE, quick)),
        dataclasses.replace(_profile(rounds=2), min_sample_s=0.02),
    )
    elapsed = time.perf_counter_ns() - start
    assert result.rounds == 2
    # each turn repeats its microsecond-long run for 20 ms (however busy the
    # machine, several times); the warm-up run is not a sample
    assert len(result.samples_ns) == len(runs) - 1 >= 2 * 2
    assert sum(result.samples_ns) < elapsed  # the runs themselves, not the time between


def test_a_candidate_failing_in_a_round_is_dropped():
    calls = []

    def flaky(consume):
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk gone")
        return consume(iter("abc"))

    (result,) = timing.measure(_case(Candidate("flaky", REFERENCE, flaky)), _profile(5))
    assert (result.status, result.reason) == ("error", "OSError: disk gone")
    assert len(calls) == 3  # not run again after failing


def test_a_slow_candidate_joins_only_the_first_rounds():
    def fast(consume):
        return consume(iter("abc"))

    def slow(consume):
        time.sleep(0.05)
        return consume(iter("abc"))

    # far apart: on a loaded machine a preempted fast run can take milliseconds
    results = timing.measure(
        _case(Candidate("fast", REFERENCE, fast), Candidate("slow", REFERENCE, slow)),
        _profile(rounds=timing.SLOW_ROUNDS + 2, slow_s=0.02),
    )
    assert [m.rounds for m in results] == [timing.SLOW_ROUNDS + 2, timing.SLOW_ROUNDS]
    assert [m.slow for m in results] == [False, True]


def test_a_candidate_over_budget_is_timed_by_its_warm_up_alone():
    calls = []

    def slow(consume):
        calls.append(consume)
        time.sleep(0.002)
        return consume(iter("abc"))

    (result,) = timing.measure(
        _case(Candidate("slow", REFERENCE, slow)), _profile(rounds=4, budget_s=0.001)
    )
    assert calls == [timing.tally]
    assert result.ok and result.single and result.rounds == 0
    assert len(result.samples_ns) == 1 and result.min_ns >= 2_000_000


def test_cyiter_console_script(tmp_path):
    script = shutil.which("cyiter")
    if script is None:
        pytest.skip("the cyiter console script is not on PATH")
    out = subprocess.run(
        [script, "bench", *TINY, "--only", "fibonacci"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert "cyiter.fibonacci (Cython)" in out.stdout


def _measured(label, role, ns, cpu_ns=None):
    cpu = ns if cpu_ns is None else cpu_ns
    return timing.Measured(label, role, "ok", samples_ns=[ns, ns * 2], cpu_samples_ns=[cpu, cpu * 2])


NO_RECORD = baseline.Baseline(about="no recorded speed")


def test_targets_compare_min_times():
    count_target = next(t for t in targets.TARGETS if t.iterator == "count")
    results = {
        "count": [
            _measured("cyiter.count (Cython)", CYTHON, 100.0),
            _measured("itertools.count", REFERENCE, 105.0),
        ]
    }
    row, pure = targets.evaluate(results, [], ["count"], NO_RECORD)
    assert (row["name"], row["target"]) == ("count", count_target.text)
    assert row["measured"] == 1.05 and row["status"] == "pass"
    assert (pure["name"], pure["status"], pure["detail"]) == ("count-pure-twin", "skipped", "no recorded speed")
    results["count"][0].samples_ns = [120.0]
    row, _ = targets.evaluate(results, [], ["count"], NO_RECORD)
    assert row["measured"] == 0.88 and row["status"] == "fail"


def test_targets_are_judged_on_the_figure_shown():
    # a speedup of 1.7996 is shown as 1.80x: against 1.80x needed, it passes
    # (judged unrounded, the report read "1.80x, needs 1.80x: FAIL")
    lines = next(t for t in targets.TARGETS if t.name == "read_lines-bytes")
    (comparison,) = lines.comparisons
    results = {
        "read_lines/bytes": [
            _measured("cyiter.read_lines (Cython)", CYTHON, 100.0),
            _measured(comparison.reference, REFERENCE, 179.96),
        ]
    }

    def row():
        rows = targets.evaluate(results, [], ["read_lines"], NO_RECORD)
        return next(r for r in rows if r["target"] == lines.text)

    assert row()["needed"] == 1.8
    assert row()["measured"] == 1.8 and row()["status"] == "pass"
    results["read_lines/bytes"][1].samples_ns = [179.4]
    assert row()["measured"] == 1.79 and row()["status"] == "fail"


def test_no_target_compares_the_pure_twin_with_a_reference():
    # the only targets of the pure twin are against its own recorded speed
    assert all(t.role == CYTHON for t in targets.TARGETS)
    assert {t.role for t in targets.pure_targets(NO_RECORD)} == {PYTHON}


def _pure(ns):
    return _measured("cyiter.flatten (pure Python)", PYTHON, ns)


def test_pure_twin_target_divides_by_the_recorded_speedup_and_takes_the_worst_row():
    recorded = baseline.Baseline(
        {
            "flatten/5": baseline.Recorded("itertools.chain.from_iterable", 0.5),
            "flatten/1000": baseline.Recorded("more_itertools.flatten", 0.2),
            "collapse": baseline.Recorded("more_itertools.collapse", 0.3),
        },
        "CPython 3.11, quick mode",
    )
    results = {
        # as fast as recorded: 50/100 = 0.5
        "flatten/5": [_pure(100.0), _measured("itertools.chain.from_iterable", REFERENCE, 50.0)],
        # 15% slower than recorded: 17/100 = 0.17, 0.85 of 0.2
        "flatten/1000": [_pure(100.0), _measured("more_itertools.flatten", REFERENCE, 17.0)],
    }
    rows = targets.evaluate(results, [], ["flatten"], recorded)
    pure = next(r for r in rows if r["name"] == "flatten-pure-twin")
    assert (pure["measured"], pure["needed"], pure["status"]) == (0.85, 0.9, "fail")
    assert pure["detail"] == "flatten/1000 vs more_itertools.flatten (recorded 0.2x)"
    results["flatten/1000"][1].cpu_samples_ns = [19.0]  # 0.95 of its record
    pure = next(r for r in targets.evaluate(results, [], ["flatten"], recorded) if r["name"] == pure["name"])
    assert (pure["measured"], pure["status"]) == (0.95, "pass")


def test_pure_twin_target_compares_cpu_times():
    # the twin's long runs preempted (wall clock twice its CPU time), the
    # reference's short ones not: the wall clock would read 0.5 of the record
    recorded = baseline.Baseline({"count": baseline.Recorded("itertools.count", 0.1)}, "CPython 3.11")
    results = {
        "count": [
            _measured("cyiter.count (pure Python)", PYTHON, 200.0, cpu_ns=100.0),
            _measured("itertools.count", REFERENCE, 10.0),
        ]
    }
    row = targets.evaluate(results, [], ["count"], recorded)[-1]
    assert (row["name"], row["measured"], row["status"]) == ("count-pure-twin", 1.0, "pass")
    results["count"][0].cpu_samples_ns = [0.0]  # a clock too coarse for the run
    row = targets.evaluate(results, [], ["count"], recorded)[-1]
    assert (row["status"], row["detail"]) == ("skipped", "count: the thread CPU clock is too coarse here")


def test_pure_twin_target_without_its_reference_or_its_row_is_skipped():
    recorded = baseline.Baseline({"count": baseline.Recorded("itertools.count", 0.1)}, "CPython 3.11, quick mode")
    missing_reference = {"count": [_measured("cyiter.count (pure Python)", PYTHON, 100.0)]}
    count, fib = targets.evaluate(missing_reference, [], ["count", "fibonacci"], recorded)[-2:]
    assert (count["status"], count["detail"]) == ("skipped", "no itertools.count")
    assert fib["status"] == "skipped"
    assert fib["detail"] == "no fibonacci row recorded (CPython 3.11, quick mode)"


def _run_doc(speedups, mode="quick", python="3.11.7", gil=True, scale=1.0):
    """A bench JSON document: the pure twin at 100 ns of CPU time, each reference at 100 * speedup."""
    machine = {
        "cpu": "Some CPU", "usable_cores": 2, "platform": "Linux", "python": python,
        "python_implementation": "CPython", "gil_enabled": gil, "load_average": [0.5, 0.5, 0.5],
        "packages": {},
    }

    def case(key, reference, speedup):
        return {
            "key": key,
            "candidates": [
                {"label": "cyiter.x (Cython)", "role": CYTHON, "status": "ok", "cpu_min_ns": 1.0},
                {"label": "cyiter.x (pure Python)", "role": PYTHON, "status": "ok", "cpu_min_ns": 100.0},
                {"label": "absent", "role": REFERENCE, "status": "skipped", "reason": "not installed"},
                {"label": reference, "role": REFERENCE, "status": "ok", "cpu_min_ns": 100.0 * speedup},
                {"label": "second", "role": REFERENCE, "status": "ok", "cpu_min_ns": 1.0},
            ],
        }

    return {
        "mode": mode, "scale": scale, "created": "2026-12-04T10:00:00+00:00", "machine": machine,
        "cases": [case(key, ref, speedup) for key, (ref, speedup) in speedups.items()],
    }


def test_recording_takes_the_first_reference_that_ran_and_the_median_of_the_runs():
    runs = [_run_doc({"count": ("itertools.count", value)}) for value in (0.1, 0.3, 0.12)]
    entry = baseline.entry(runs, "abc1234")
    assert entry["interpreter"] == "CPython 3.11" and entry["mode"] == "quick"
    assert entry["rows"] == {"count": {"reference": "itertools.count", "speedup": 0.12, "per_run": [0.1, 0.3, 0.12]}}
    assert entry["commit"] == "abc1234" and entry["runs"] == 3
    assert entry["machine"]["cpu"] == "Some CPU"

    doc = baseline.merged({"schema": baseline.SCHEMA, "entries": []}, entry)
    found = baseline.find("quick", runs[0]["machine"], doc=doc)
    assert found.rows == {"count": baseline.Recorded("itertools.count", 0.12)}
    assert "CPython 3.11, quick mode: recorded 2026-12-04 at commit abc1234 on Some CPU" in found.about
    # another interpreter, build or mode, or scaled sizes: no record, and why
    for mode, machine, scale in [
        ("full", runs[0]["machine"], 1.0),
        ("quick", {**runs[0]["machine"], "python": "3.12.1"}, 1.0),
        ("quick", {**runs[0]["machine"], "gil_enabled": False}, 1.0),
        ("quick", runs[0]["machine"], 0.5),
    ]:
        missing = baseline.find(mode, machine, scale, doc=doc)
        assert not missing.rows and missing.about.startswith("no"), missing
    # recording again replaces the entry of the same interpreter and mode only
    other = baseline.entry([_run_doc({"count": ("itertools.count", 0.2)}, mode="full")], "def5678")
    doc = baseline.merged(baseline.merged(doc, other), baseline.entry(runs[:1], "fff0000"))
    assert [(e["mode"], e["commit"]) for e in doc["entries"]] == [("full", "def5678"), ("quick", "fff0000")]


def test_recording_refuses_runs_that_do_not_compare():
    quick = _run_doc({"count": ("itertools.count", 0.1)})
    with pytest.raises(ValueError, match="differ in mode, interpreter or scale"):
        baseline.entry([quick, _run_doc({"count": ("itertools.count", 0.1)}, python="3.12.0")], "x")
    with pytest.raises(ValueError, match="scale 1"):
        baseline.entry([_run_doc({}, scale=0.5)], "x")
    with pytest.raises(ValueError, match="count: not measured against the same reference"):
        baseline.entry([quick, _run_doc({"count": ("other", 0.1)})], "x")


def test_the_shipped_record_holds_every_row_for_its_interpreters():
    doc = baseline.load()
    assert doc["entries"], "no recorded speed of the pure twin"
    for entry in doc["entries"]:
        found = baseline.find(entry["mode"], {
            "python": entry["machine"]["python"],
            "python_implementation": entry["interpreter"].split()[0],
            "gil_enabled": "free-threaded" not in entry["interpreter"],
        }, doc=doc)
        assert found.rows and all(r.speedup > 0 for r in found.rows.values())
        # no row the bench no longer has (its target would only say "not run")
        ctx = cases.Context(cases.profile(entry["mode"]), "unused", cases.load_twins())
        keys = {p.key for name in cases.ITERATORS for p in cases.CASES[name](ctx)}
        stale = sorted(set(found.rows) - keys)
        assert not stale, f"rows gone from the bench, record again (benchmarks/record_baseline.py): {stale}"


def test_memory_target_uses_the_largest_growth():
    def result(twin, peaks):
        r = memory.MemoryResult("read_csv", "read_csv", twin, [1, 2], "ok")
        r.baseline_bytes, r.peak_bytes = (1, 1), peaks
        return r

    rows = targets.evaluate(
        {}, [result(CYTHON, (10_000_000, 11_000_000)), result(PYTHON, (10_000_000, 16_000_000))], [], NO_RECORD
    )
    assert rows == [
        {
            "name": "read_csv-memory",
            "iterator": "read_csv",
            "target": "read_csv: same peak RSS (within 5 MB) for a small and a large file",
            "unit": "MB",
            "needed": 5.0,
            "measured": 6.0,
            "status": "fail",
            "detail": "python twin, 1 B / 2 B files",
        }
    ]


def test_full_profile_has_the_sizes_of_the_targets():
    full = cases.profile("full")
    assert full.file_bytes >= 256 * data.MiB and full.csv_bytes >= 256 * data.MiB
    assert full.memory_bytes == (64 * data.MiB, 512 * data.MiB)
    assert full.rounds >= 5
    assert data.tree(full.leaves)[1] == pytest.approx(10**6, rel=0.1)


def test_generated_files_count_their_records(tmp_path):
    lines = data.lines_file(str(tmp_path), 3 * data.MiB + 5)
    with open(lines.path, "rb") as f:
        raw = f.read()
    assert len(raw) == lines.nbytes >= 3 * data.MiB + 5
    assert raw.count(b"\n") == lines.records and raw.endswith(b"\n")
    assert any(byte > 127 for byte in raw)  # some UTF-8 beyond ASCII
    table = data.csv_file(str(tmp_path), 200_000)
    with open(table.path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == table.records
    assert any("\n" in row["comment"] for row in rows)
    assert any('"' in row["comment"] for row in rows)


def test_tree_has_depth_five_and_string_leaves():
    tree, leaves = data.tree(1000)
    depth, node = 0, tree
    while isinstance(node, list):
        depth, node = depth + 1, node[0]
    assert depth == 5 and isinstance(node, str)
    import more_itertools

    assert len(list(more_itertools.collapse(tree))) == leaves == 4**5
