"""The speedup chart (PNG) of a run: needs matplotlib (the ``bench`` extra)."""

from typing import Any

from cyiter._bench.timing import CYTHON, PYTHON


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def write(doc: dict[str, Any], path: str) -> None:
    """Bars of each twin's speedup over the fastest reference, one row per case."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels: list[str] = []
    series: dict[str, list[float]] = {CYTHON: [], PYTHON: []}
    for case in doc["cases"]:
        speedups = {
            c["role"]: c.get("speedup_vs_fastest_reference")
            for c in case["candidates"]
            if c["role"] in series and c["status"] == "ok"
        }
        if not any(speedups.values()):
            continue
        labels.append(f"{case['key']}  (vs {case['fastest_reference']})")
        for role, values in series.items():
            values.append(speedups.get(role) or float("nan"))
    height = 2 + 0.32 * max(len(labels), 1)
    fig = Figure(figsize=(10, height), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    positions = range(len(labels))
    bar = 0.4
    twins = (
        (CYTHON, "cyiter, Cython twin", "#1f77b4"),
        (PYTHON, "cyiter, pure-Python twin", "#ff7f0e"),
    )
    for offset, (role, name, color) in enumerate(twins):
        bars = ax.barh(
            [p + (offset - 0.5) * bar for p in positions],
            series[role],
            height=bar,
            label=name,
            color=color,
        )
        ax.bar_label(bars, fmt="%.2fx", fontsize=7, padding=2)
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_xscale("log")
    finite = [v for values in series.values() for v in values if v == v]  # not NaN
    ax.set_xlim(right=max(finite + [1.0]) * 3)  # room for the labels
    ax.set_yticks(list(positions), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("speedup over the fastest installed reference (log scale; > 1 is faster)")
    m = doc["machine"]
    ax.set_title(
        f"cyiter bench ({doc['mode']}): {m['cpu']}, Python {m['python']}", fontsize=10
    )
    fig.legend(loc="outside lower center", ncols=2, fontsize=8)
    fig.savefig(path, dpi=110)
