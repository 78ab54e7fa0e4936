"""The ``cyiter`` command: ``python -m cyiter bench [options]``."""

import argparse
import shlex
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from cyiter import IMPLEMENTATION, __version__
    from cyiter import _bench

    parser = argparse.ArgumentParser(
        prog="cyiter",
        description="cyiter: fast iterators, each a Cython class with a pure-Python twin.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"cyiter {__version__} ({IMPLEMENTATION} twin)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    bench = commands.add_parser(
        "bench",
        help="benchmark cyiter against its pure-Python twin and the installed references",
        description="Benchmark cyiter against its pure-Python twin and the installed "
        "references, on data generated in a temporary directory.",
    )
    _bench.add_arguments(bench)
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return _bench.run(args, shlex.join(["python", "-m", "cyiter", *argv]))


if __name__ == "__main__":
    sys.exit(main())
