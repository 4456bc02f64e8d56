"""Kaplan-Meier survival curves as step lines, one per group."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from socdata.errors import SocdataError

__all__ = ["survival_plot"]


def survival_plot(
    curve: pd.DataFrame,
    *,
    title: str | None = None,
    xlabel: str = "time",
    ylabel: str = "survival",
    skip_groups: tuple[str, ...] = ("Overall",),
    median_line: bool = True,
    figsize: tuple[float, float] = (7, 4),
) -> Figure:
    """Draw survival curves as steps (each starts at 1 at time 0).

    Parameters
    ----------
    curve
        ``group, time, survival`` (e.g. :func:`socdata.report.control.control_survival_curve`
        of :attr:`socdata.describe.KaplanMeierResult.curves`: draw the controlled curve).
    title, xlabel, ylabel
        Labels (the title in a 10-point font).
    skip_groups
        Groups not drawn (default the ``Overall`` curve).
    median_line
        A dotted horizontal line at 0.5, where the median is read.
    figsize
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> curve = pd.DataFrame({"group": ["A", "A"], "time": [1, 3], "survival": [0.5, 0.0]})
    >>> fig = survival_plot(curve, title="demo")
    >>> [line.get_label() for line in fig.axes[0].get_lines()][:1]
    ['A']
    """
    missing = [c for c in ("group", "time", "survival") if c not in curve.columns]
    if missing:
        raise SocdataError(
            f"survival_plot: the curve lacks column(s) {missing}; pass group, time and "
            "survival (KaplanMeierResult.curves, or its controlled version)"
        )
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.subplots()
    for group, c in curve.groupby("group", sort=False):
        if group in skip_groups:
            continue
        ax.step([0, *c["time"]], [1.0, *c["survival"]], where="post", label=group)
    if median_line:
        ax.axhline(0.5, color="grey", linestyle=":", linewidth=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(frameon=False)
    return fig
