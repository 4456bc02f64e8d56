"""Love plots: covariate balance before and after matching.

One row per covariate; the standardised mean difference (SMD, treated-group SD before
matching, the ATT convention of MatchIt and cobalt) before matching as an open circle and
after matching as a filled circle, with dashed lines at the balance threshold (0.1 by
default, the usual rule of thumb).  A second panel shows variance ratios (treated /
control) on a log scale with lines at 0.5 and 2, when any covariate has one.

The plot draws aggregates only (one number per covariate and sample).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from socdata.errors import SocdataError

__all__ = ["love_plot"]

_BEFORE = "#D55E00"  # Okabe-Ito vermillion
_AFTER = "#0072B2"  # Okabe-Ito blue


def love_plot(
    result: object,
    *,
    absolute: bool = True,
    threshold: float | None = 0.1,
    variance_ratios: bool = True,
    order: str = "before",
    title: str | None = None,
) -> Figure:
    """Draw a love plot of a matching result.

    Parameters
    ----------
    result
        A :class:`socdata.matching.result.MatchResult` (anything with ``.balance()`` returning the
        balance frame), or the balance frame itself.
    absolute
        Plot absolute SMDs (default) or signed ones.
    threshold
        Draw reference lines at this SMD (and its negative when signed); ``None`` for none.
    variance_ratios
        Add a panel of variance ratios (when any covariate has one).
    order
        Sort covariates by the SMD ``"before"`` matching (largest at the top), ``"after"``,
        or keep the table ``"as_is"``.
    title
        Figure title (default: "Covariate balance").

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    socdata.errors.SocdataError
        When the balance frame lacks the SMD columns or ``order`` is unknown.
    """
    bal = result if isinstance(result, pd.DataFrame) else result.balance()  # type: ignore[attr-defined]
    need = {"covariate", "smd_before", "smd_after"}
    if not need <= set(bal.columns):
        raise SocdataError(
            "love_plot needs a balance frame with columns covariate, smd_before, smd_after; "
            f"got {', '.join(map(str, bal.columns))}"
        )
    if order not in ("before", "after", "as_is"):
        raise SocdataError(f"order must be 'before', 'after' or 'as_is'; got {order!r}")
    b = bal.copy()
    sb = b["smd_before"].astype(float)
    sa = b["smd_after"].astype(float)
    if absolute:
        sb, sa = sb.abs(), sa.abs()
    if order != "as_is":
        key = (sb if order == "before" else sa).abs()
        idx = np.argsort(key.to_numpy(), kind="stable")  # ascending: largest drawn at top
    else:
        idx = np.arange(len(b))[::-1]
    labels = b["covariate"].astype(str).to_numpy()[idx]
    sb, sa = sb.to_numpy()[idx], sa.to_numpy()[idx]
    y = np.arange(len(labels))

    has_vr = (
        variance_ratios
        and {"var_ratio_before", "var_ratio_after"} <= set(b.columns)
        and np.isfinite(b[["var_ratio_before", "var_ratio_after"]].to_numpy(float)).any()
    )
    ncols = 2 if has_vr else 1
    fig = Figure(figsize=(6.5 if has_vr else 4.8, 0.35 * len(labels) + 1.6), layout="constrained")
    axes = fig.subplots(1, ncols, sharey=True, squeeze=False)[0]
    ax = axes[0]
    ax.scatter(sb, y, facecolors="none", edgecolors=_BEFORE, label="Before matching", zorder=3)
    ax.scatter(sa, y, color=_AFTER, label="After matching", zorder=3)
    ax.axvline(0, color="0.3", lw=0.8)
    if threshold is not None:
        ax.axvline(threshold, color="0.5", ls="--", lw=0.8)
        if not absolute:
            ax.axvline(-threshold, color="0.5", ls="--", lw=0.8)
    ax.set_yticks(y, labels)
    ax.set_xlabel(("Absolute s" if absolute else "S") + "tandardised mean difference")
    ax.grid(axis="y", color="0.92")
    ax.legend(loc="best", fontsize="small", framealpha=0.9)
    if has_vr:
        vb = b["var_ratio_before"].to_numpy(float)[idx]
        va = b["var_ratio_after"].to_numpy(float)[idx]
        ax2 = axes[1]
        ok_b, ok_a = np.isfinite(vb) & (vb > 0), np.isfinite(va) & (va > 0)
        ax2.scatter(vb[ok_b], y[ok_b], facecolors="none", edgecolors=_BEFORE, zorder=3)
        ax2.scatter(va[ok_a], y[ok_a], color=_AFTER, zorder=3)
        ax2.set_xscale("log")
        vals = np.concatenate([vb[ok_b], va[ok_a], [0.5, 2.0]])
        lo_v, hi_v = float(vals.min()) / 1.15, float(vals.max()) * 1.15
        ax2.set_xlim(lo_v, hi_v)
        ticks = [t for t in (0.25, 0.5, 1.0, 2.0, 4.0, 8.0) if lo_v <= t <= hi_v]
        ax2.xaxis.set_minor_locator(NullLocator())
        ax2.set_xticks(ticks, [f"{t:g}" for t in ticks])
        for v in (0.5, 2.0):
            ax2.axvline(v, color="0.5", ls="--", lw=0.8)
        ax2.axvline(1.0, color="0.3", lw=0.8)
        ax2.set_xlabel("Variance ratio (treated / control)")
        ax2.grid(axis="y", color="0.92")
    fig.suptitle(title or "Covariate balance")
    return fig
