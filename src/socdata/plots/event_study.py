"""Event-study plot: coefficients by event time with confidence intervals.

Takes an event-study result (aggregates only) and returns a matplotlib Figure; it writes no
file (``socdata.report.save_figure`` does).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

__all__ = ["event_study_plot"]


def event_study_plot(
    result: Any,
    *,
    ax: Any | None = None,
    title: str | None = None,
    xlabel: str = "Months relative to referral",
    ylabel: str | None = None,
    show_pretrend: bool = True,
) -> Figure:
    """Plot event-study estimates with confidence intervals.

    Parameters
    ----------
    result
        An :class:`socdata.did.event_study.EventStudyResult` (or any result whose ``tidy()``
        has ``event_time``, ``estimate``, ``conf_low``, ``conf_high`` and ``reference``
        columns).
    ax
        Axes to draw on; a new figure is created when ``None``.
    title, xlabel, ylabel
        Labels (``ylabel`` defaults to "Effect on <outcome>").
    show_pretrend
        Print the joint pre-trend test in the corner.

    Returns
    -------
    matplotlib.figure.Figure
        Points with interval bars, the reference period drawn as a hollow marker at zero
        and labelled, a horizontal zero line, and a dashed line between event times -1
        and 0 (treatment start).
    """
    tidy = result.tidy()
    if "event_time" not in tidy.columns:
        raise ValueError(
            "event_study_plot needs a result whose tidy() has an 'event_time' column "
            "(socdata.did.event_study)."
        )
    tidy = tidy[tidy["event_time"].notna()].copy()
    tidy["event_time"] = tidy["event_time"].astype(int)
    is_ref = tidy["reference"].astype(bool).to_numpy() if "reference" in tidy else None
    if is_ref is None:
        is_ref = np.zeros(len(tidy), dtype=bool)
    if ax is None:
        fig = Figure(figsize=(8, 4.5), layout="constrained")
        ax = fig.subplots()
    else:
        fig = ax.figure
    est = tidy[~is_ref]
    x = est["event_time"].to_numpy()
    y = est["estimate"].to_numpy(dtype=float)
    lo = est["conf_low"].to_numpy(dtype=float)
    hi = est["conf_high"].to_numpy(dtype=float)
    finite = np.isfinite(lo) & np.isfinite(hi)
    yerr = np.vstack([y - np.where(finite, lo, y), np.where(finite, hi, y) - y])
    level = getattr(result, "conf_level", 0.95)
    ax.axhline(0.0, color="0.3", linewidth=0.8)
    ax.axvline(-0.5, color="0.5", linestyle="--", linewidth=0.8, label="treatment starts")
    ax.errorbar(
        x,
        y,
        yerr=yerr,
        fmt="o",
        color="C0",
        ecolor="C0",
        capsize=3,
        markersize=5,
        label=f"estimate and {level:.0%} interval",
    )
    if (~finite).any():
        ax.plot(x[~finite], y[~finite], "x", color="C3", label="interval unbounded")
    ref = tidy[is_ref]
    if len(ref):
        rx = int(ref["event_time"].iloc[0])
        ax.plot(
            [rx],
            [0.0],
            "o",
            markerfacecolor="white",
            markeredgecolor="C0",
            markersize=7,
            label=f"reference period ({rx}), fixed at 0",
        )
    binned = est["binned"].astype(bool).to_numpy() if "binned" in est else np.zeros(len(est), bool)
    if binned.any():
        for bx in x[binned]:
            ax.annotate(
                "binned",
                (bx, 0),
                xytext=(0, -14),
                textcoords="offset points",
                ha="center",
                fontsize=7,
                color="0.4",
            )
    outcome = getattr(result, "outcome", "") or "the outcome"
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel or f"Effect on {outcome}")
    ax.set_title(title or "Event study (two-way fixed effects)")
    pre = getattr(result, "pretrend", None)
    if show_pretrend and pre is not None:
        text = (
            f"Pre-trend test: {pre.distribution} = {pre.statistic:.2f}, p = {pre.p_value:.3f}"
            if pre.computed
            else "Pre-trend test not computed"
        )
        ax.text(0.01, 0.98, text, transform=ax.transAxes, va="top", ha="left", fontsize=8)
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    return fig
