"""``cyiter convert``: every pair of formats, the summary, errors, the
progress bar in a pseudo-terminal (and not in a pipe), Ctrl-C and resuming.

Pairs run in this process on both twins; the terminal and Ctrl-C tests run
the command as a child process.
"""

import bz2
import csv
import gzip
import io
import json
import lzma
import os
import pty
import re
import select
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from test_compression import COMPRESS, zstd_decompress

from cyiter.__main__ import main

RECORDS = [
    {"id": str(i), "name": name, "note": note}
    for i, (name, note) in enumerate(
        [("ann", "plain"), ("bob", "a, b"), ("cy", 'he said "hi"'), ("dé", "two\nlines"), ("eve", ""), ("fay", "tab\there")] * 40
    )
]
DECOMPRESS = {"": bytes, ".gz": gzip.decompress, ".bz2": bz2.decompress, ".xz": lzma.decompress, ".zst": zstd_decompress}
SUFFIX_KIND = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zst": "zstd"}


def encode(fmt, records):
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(records[0]), dialect="excel-tab" if fmt == "tsv" else "excel")
    w.writeheader()
    w.writerows(records)
    return out.getvalue().encode("utf-8")


def decode(fmt, data):
    text = data.decode("utf-8")
    if fmt == "jsonl":
        return [json.loads(line) for line in text.splitlines()]
    return list(csv.DictReader(io.StringIO(text, newline=""), dialect="excel-tab" if fmt == "tsv" else "excel"))


def write_input(tmp_path, fmt, suffix, records=RECORDS):
    path = tmp_path / f"in.{fmt}{suffix}"
    data = encode(fmt, records)
    path.write_bytes(COMPRESS[SUFFIX_KIND[suffix]](data) if suffix else data)
    return path


FORMATS = ("csv", "tsv", "jsonl")


@pytest.mark.parametrize("src_fmt", FORMATS)
@pytest.mark.parametrize("dst_fmt", FORMATS)
@pytest.mark.parametrize("src_suffix,dst_suffix", [("", ""), (".gz", ".bz2"), (".xz", ".gz"), (".zst", ".zst"), ("", ".xz")])
def test_every_pair_of_formats(impl, tmp_path, capsys, src_fmt, dst_fmt, src_suffix, dst_suffix):
    src = write_input(tmp_path, src_fmt, src_suffix)
    dst = tmp_path / f"out.{dst_fmt}{dst_suffix}"
    assert main(["convert", str(src), str(dst), "--no-progress"]) == 0
    data = DECOMPRESS[dst_suffix](dst.read_bytes())
    assert decode(dst_fmt, data) == RECORDS
    if dst_fmt != "jsonl":  # (as csv.DictWriter writes them)
        assert data == encode(dst_fmt, RECORDS)
    out, err = capsys.readouterr()
    assert err == ""
    assert re.fullmatch(
        rf"cyiter convert: 240 records, {os.path.getsize(src):,} bytes in, {dst.stat().st_size:,} bytes out, "
        r"\d+\.\d\d s, [\d,.]+ MB/s\n",
        out,
    )


def test_jsonl_to_jsonl_writes_what_write_jsonl_writes(impl, tmp_path, capsys):
    src = write_input(tmp_path, "jsonl", "")
    assert main(["convert", str(src), str(tmp_path / "out.ndjson"), "--no-progress"]) == 0
    impl.write_jsonl(str(tmp_path / "ref.jsonl"), RECORDS)
    assert (tmp_path / "out.ndjson").read_bytes() == (tmp_path / "ref.jsonl").read_bytes()


@pytest.mark.parametrize(
    "args,message",
    [
        (["in.csv", "out.json"], "cannot tell the format of the output 'out.json' from its suffix"),
        (["in.txt", "out.jsonl"], "cannot tell the format of the input 'in.txt'"),
        (["missing.csv", "out.jsonl"], "FileNotFoundError: "),
    ],
)
def test_errors_exit_1_with_a_message(impl, tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    for name in ("in.csv", "in.txt"):
        (tmp_path / name).write_text("a\n1\n")
    assert main(["convert", *args]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("cyiter convert: error: ") and message in err
    assert not any(name.startswith("out") or name.startswith(".out") for name in os.listdir(tmp_path))


def test_csv_output_names_a_record_with_other_keys(impl, tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text('{"a": 1, "b": 2}\n{"b": 3, "a": 4}\n{"a": 5}\n', encoding="utf-8")
    assert main(["convert", str(src), str(tmp_path / "out.csv")]) == 1
    err = capsys.readouterr().err
    assert "record 2 has the keys ['a'], not those of the CSV header ['a', 'b']" in err


# -- as a child process ------------------------------------------------------------

DRIVER = textwrap.dedent(
    """
    import multiprocessing, sys
    import slow_pipeline  # (a job slow enough to interrupt, in the workers too)
    multiprocessing.set_forkserver_preload(["slow_pipeline"])
    if "--no-rich" in sys.argv:
        sys.argv.remove("--no-rich")
        sys.modules["rich"] = None
    from cyiter.__main__ import main
    sys.exit(main(sys.argv[1:]))
    """
)


def child_env(kind="cython"):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "COLUMNS": "120"}
    env.pop("CYITER_PURE_PYTHON", None)
    if kind == "python":
        env["CYITER_PURE_PYTHON"] = "1"
    return env


def big_input(tmp_path, rows=3000):
    return write_input(tmp_path, "csv", "", [{"id": str(i), "name": "x" * (i % 50), "note": "n"} for i in range(rows)])


def run_in_terminal(args, timeout=60):
    """Run the driver with stderr on a pseudo-terminal: (status, stdout, what the terminal got)."""
    try:
        master, slave = pty.openpty()
    except OSError as exc:  # (a chroot without /dev/pts has none)
        pytest.skip(f"no pseudo-terminal here: {exc}")
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, *args], stdout=subprocess.PIPE, stderr=slave, env=child_env()
    )
    os.close(slave)
    seen = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # (the child closed the terminal: EIO)
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out.decode(), seen.decode("utf-8", "replace")


@pytest.mark.parametrize("rich", [True, False])
def test_the_progress_bar_is_drawn_in_a_terminal(tmp_path, rich):
    if rich:
        pytest.importorskip("rich")
    src = big_input(tmp_path)
    args = ["convert", str(src), str(tmp_path / "out.jsonl")] + ([] if rich else ["--no-rich"])
    code, out, terminal = run_in_terminal(args)
    assert code == 0, terminal
    assert out.startswith("cyiter convert: 3,000 records")
    size_mb = os.path.getsize(src) / 1e6
    if rich:  # the bar, the share done, bytes done of all, the rate, the time left
        assert "━" in terminal and "  0%" in terminal and "100%" in terminal
        assert f"{size_mb * 1000:.1f}/{size_mb * 1000:.1f} kB" in terminal
        assert re.search(r"[\d.]+ kB/s", terminal) and "0:00:00" in terminal
    else:
        assert f"cyiter: {size_mb:,.1f} of {size_mb:,.1f} MB (100%)" in terminal
    assert terminal.count("\r") + terminal.count("\x1b[") >= 2  # (redrawn, not printed line by line)


def test_no_bar_in_a_pipe_or_with_no_progress(tmp_path):
    src = big_input(tmp_path, 300)
    for extra in ([], ["--no-progress"]):
        proc = subprocess.run(
            [sys.executable, "-m", "cyiter", "convert", str(src), str(tmp_path / "out.jsonl"), *extra],
            capture_output=True, env=child_env(), timeout=60,
        )
        assert proc.returncode == 0 and proc.stderr == b""
        assert proc.stdout.startswith(b"cyiter convert: 300 records")
    code, _, terminal = run_in_terminal(["convert", str(src), str(tmp_path / "out.jsonl"), "--no-progress"])
    assert code == 0 and terminal == ""


@pytest.mark.parametrize("kind,workers", [("cython", 1), ("python", 1), ("cython", 2)])
def test_ctrl_c_keeps_the_checkpoint_and_the_same_command_resumes(tmp_path, kind, workers):
    """With workers, Ctrl-C reaches them too: they stop at their next
    batch with their checkpoints written."""
    src = big_input(tmp_path, 6000)
    dst, ck = tmp_path / "out.jsonl.gz", tmp_path / "job.ckpt"
    args = ["convert", str(src), str(dst), "--checkpoint", str(ck), "--workers", str(workers)]
    ref = subprocess.run([sys.executable, "-c", DRIVER, "convert", str(src), str(tmp_path / "ref.jsonl.gz")],
                         capture_output=True, env=child_env(kind), timeout=60)
    assert ref.returncode == 0, ref.stderr
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=child_env(kind), start_new_session=True)
    deadline = time.monotonic() + 30
    while not ck.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGINT)  # (what Ctrl-C sends: the whole process group)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert out == b""
    assert f"the work done is recorded in {ck}. Resume with the same command:" in err.decode()
    saved = json.loads(ck.read_text())
    assert (0 < saved["records"] < 6000 if workers == 1 else not saved["done"]) and not dst.exists()
    rerun = subprocess.run([sys.executable, "-c", DRIVER, *args], capture_output=True, env=child_env(kind), timeout=60)
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.decode().startswith("cyiter convert: 6,000 records") and b"resumed" in rerun.stdout
    assert dst.read_bytes() == (tmp_path / "ref.jsonl.gz").read_bytes()
    assert sorted(os.listdir(tmp_path)) == ["in.csv", "out.jsonl.gz", "ref.jsonl.gz"]


def test_two_workers_in_a_terminal(tmp_path):
    """The bar sums what the workers read; the output is one worker's."""
    src = big_input(tmp_path)
    one = subprocess.run([sys.executable, "-c", DRIVER, "convert", str(src), str(tmp_path / "one.jsonl.gz")],
                         capture_output=True, env=child_env(), timeout=60)
    assert one.returncode == 0, one.stderr
    code, out, terminal = run_in_terminal(
        ["convert", str(src), str(tmp_path / "two.jsonl.gz"), "--workers", "2", "--no-rich"]
    )
    assert code == 0, terminal
    assert out.startswith("cyiter convert: 3,000 records")
    size_mb = os.path.getsize(src) / 1e6
    assert f"cyiter: {size_mb:,.1f} of {size_mb:,.1f} MB (100%)" in terminal
    assert (tmp_path / "two.jsonl.gz").read_bytes() == (tmp_path / "one.jsonl.gz").read_bytes()


PROBE = textwrap.dedent(
    """
    import sys
    import cyiter
    progress = {"None": None, "True": True, "False": False}[sys.argv[2]]
    p = cyiter.pipeline(cyiter.read_lines(sys.argv[1], encoding="utf-8"))
    p.write_jsonl(sys.argv[1] + ".jsonl", progress=progress)
    print(sorted(name for name in ("rich", "tqdm") if name in sys.modules))
    """
)


@pytest.mark.parametrize("progress", ["None", "False", "True"])
def test_progress_forced_and_imported_only_when_shown(tmp_path, progress):
    """progress=True draws the bar on stderr even in a pipe; rich is
    imported only then."""
    src = big_input(tmp_path, 300)
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(src), progress], capture_output=True, env=child_env(), timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    shown = progress == "True"
    try:
        import rich  # noqa: F401
    except ImportError:
        assert proc.stdout == b"[]\n"
    else:
        assert proc.stdout == (b"['rich']\n" if shown else b"[]\n")
    assert (b"100%" in proc.stderr) is shown
    assert proc.stderr == b"" or shown
