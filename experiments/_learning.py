"""Shared by the teaching scripts: command-line options, a plot style, saving figures.

Figures use matplotlib's Agg backend (no screen needed) and the Okabe-Ito palette,
which stays distinguishable for colour-blind readers.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "reports" / "learning"


def options(description: str, argv: Sequence[str] | None) -> argparse.Namespace:
    """--quick (fewer replications), --out DIR (figures), --seed."""
    parser = argparse.ArgumentParser(description=description.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer replications")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for figures")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def figure(ncols: int = 1) -> tuple[plt.Figure, list[plt.Axes]]:
    """A figure in the common style."""
    plt.rcParams.update({"axes.prop_cycle": plt.cycler(color=PALETTE), "axes.grid": True,
                         "grid.alpha": 0.3, "font.size": 10})
    fig, axes = plt.subplots(1, ncols, figsize=(6.4 * ncols, 4.2), squeeze=False)
    return fig, list(axes[0])


def save(fig: plt.Figure, out: Path, name: str) -> Path:
    """Write the figure as PNG into ``out`` and say where."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.png"
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    print(f"\nfigure: {path}")
    return path
