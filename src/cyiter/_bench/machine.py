"""What the numbers were measured on: machine, Python, package versions."""

import os
import platform
import subprocess
import sys
from importlib import metadata
from typing import Any

#: Distributions whose versions the report records (the references and the
#: optional tools of the ``bench`` extra).
PACKAGES = (
    "cyiter",
    "more-itertools",
    "cytoolz",
    "toolz",
    "iteration_utilities",
    "asyncstdlib",
    "rich",
    "matplotlib",
)


def cpu_model() -> str:
    """The CPU's marketing name, or the best thing the platform offers."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Hardware", "Model"):
                    return value.strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        try:
            out = subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"],
                capture_output=True,
                text=True,
                check=True,
            )
            return out.stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            pass
    return platform.processor() or platform.machine() or "unknown"


def usable_cores() -> int | None:
    """The cores this process may run on (None when the OS does not say)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count()


def package_versions() -> dict[str, str | None]:
    """``{distribution: version or None}`` for :data:`PACKAGES`."""
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def describe() -> dict[str, Any]:
    """Everything a reader needs to judge where the numbers come from."""
    import cyiter

    gil = getattr(sys, "_is_gil_enabled", None)
    return {
        "cpu": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "usable_cores": usable_cores(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "python_build": " ".join(platform.python_build()),
        "gil_enabled": True if gil is None else gil(),
        "cyiter_version": cyiter.__version__,
        "cyiter_implementation": cyiter.IMPLEMENTATION,
        "packages": package_versions(),
    }
