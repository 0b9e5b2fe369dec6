"""The report's figures never fail on degenerate intervals (all or no seasons meeting the
target, a single replication, rounding in a file)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine

from capsim.reporting import report
from capsim.reporting.figures import _with_band, render
from tests.conftest import mmc_data, scenario


def test_error_bars_are_never_negative_or_missing():
    ax = Figure().add_subplot()
    mean = np.array([1.0, 0.0, 0.5, 0.7])
    low = np.array([1.0, 3.5e-18, 0.4, np.nan])  # the second is above its estimate
    high = np.array([0.9999999999999999, 0.2, 0.6, np.nan])  # the first below it
    _with_band(ax, np.arange(4), mean, low, high, "x")
    (bars,) = ax.containers[0].lines[2]
    segments = np.array(bars.get_segments())
    assert np.all(segments[:, 1, 1] >= segments[:, 0, 1])


def test_a_report_where_every_season_meets_the_target(tmp_path):
    """10 replications where every season meets the target at the recommended roster and
    none at the smallest: the Wilson bounds at 0 and 10 of 10 crashed the figures before."""
    s = scenario(mmc_data(3.0, 1.0, 2, 4.0, horizon_days=6, warmup_days=1))
    result = report(s, tmp_path / "report", replications=10, seed=1, workers=1,
                    progress=False)
    assert result.recommended is not None
    assert (tmp_path / "report" / "index.html").is_file()
    curve = (tmp_path / "report" / "data" / "curve.csv").read_text().splitlines()
    column = curve[0].split(",").index("p_target_met_mean")
    shares = {float(row.split(",")[column]) for row in curve[1:]}
    assert {0.0, 1.0} <= shares


def test_the_png_and_the_svg_share_one_layout(monkeypatch):
    """The constrained layout runs once, for the PNG; the SVG is drawn at its positions."""
    laid_out = []
    execute = ConstrainedLayoutEngine.execute
    monkeypatch.setattr(ConstrainedLayoutEngine, "execute",
                        lambda engine, figure: laid_out.append(figure) or execute(engine, figure))
    made: list[Figure] = []

    def make() -> tuple[Figure, str]:
        figure = Figure(layout="constrained")
        ax = figure.add_subplot()
        ax.plot([0, 1], [0, 1])
        ax.set_ylabel("a label long enough to move the axes")
        made.append(figure)
        return figure, "a line"

    drawn = render("line", make)
    assert drawn.png.startswith(b"\x89PNG")
    assert b"<svg" in drawn.svg
    assert laid_out == made  # once, not once per file
    default = Figure().add_subplot().get_position().bounds
    assert made[0].axes[0].get_position().bounds != default  # the layout's, kept
