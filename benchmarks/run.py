"""Record the full benchmark: ``python benchmarks/run.py`` from the repository root.

Runs ``cyiter bench --full`` (the one implementation, in ``cyiter._bench``)
and writes RESULTS.md, results.json and speedup.png next to this file.
Extra arguments are passed on (later options win), e.g. ``--only read_csv``.
"""

import os
import sys

from cyiter._bench import main

HERE = os.path.dirname(os.path.abspath(__file__))


def _out(name):
    path = os.path.join(HERE, name)
    try:
        return os.path.relpath(path)  # shorter in the report's command line
    except ValueError:  # Windows: another drive than the current directory
        return path


if __name__ == "__main__":
    sys.exit(
        main(
            [
                "--full",
                "--markdown",
                _out("RESULTS.md"),
                "--json",
                _out("results.json"),
                "--plot",
                _out("speedup.png"),
                *sys.argv[1:],
            ],
            command=" ".join(["python benchmarks/run.py", *sys.argv[1:]]),
        )
    )
