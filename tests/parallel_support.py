"""What the workers of tests/test_parallel.py run.

Functions at module level pickle by reference, and a worker process that
was spawned (a spawn or forkserver pool, a distributed worker) imports
them by module name: this module, on the ``tests`` path every process
inherits, rather than the test module, whose name depends on how pytest
imported it.
"""

import os

import cyiter


def count_items(reader):
    return sum(1 for _ in reader)


def items_of(reader):
    return list(reader)


def twin_of(reader):
    """Which twin's class the worker got, and which twin its cyiter selects."""
    return type(reader).__module__, cyiter.IMPLEMENTATION


def fail_on_boom(reader):
    for line in reader:
        if line == b"boom":
            raise ValueError("found a boom")
    return 0


def pid_of(reader):
    return os.getpid()
