"""Swimmer plots of engagement like Figures 2-4 of the June 2023 report.

One horizontal bar per young person and spell: its length is the time open to the
service, its colour the case status at the extract date (closed, or still open). A young
person who was closed and re-referred has two bars on the same row with a visible gap
(the pause). One panel per area.

These plots show individual records. ``socdata`` notebooks draw them only on the bundled
synthetic extracts unless asked explicitly; do not publish them from real data without
disclosure review.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from socdata.derive.spells import EngagementSpells, engagement_spells
from socdata.errors import ExcludedRowsWarning, SocdataError

__all__ = ["STATUS_COLOURS", "swimmer_plot"]

#: Bar colours by case status (colour-blind safe, Okabe-Ito).
STATUS_COLOURS: dict[str, str] = {"Closed": "#0072B2", "Open": "#E69F00"}
_GAP_COLOUR = "#999999"


def _layout(n_rows: Sequence[int]) -> list[float]:
    return [max(n, 3) for n in n_rows]


def swimmer_plot(
    service: pd.DataFrame | EngagementSpells,
    *,
    areas: Sequence[str] | None = None,
    x: Literal["calendar", "months"] = "calendar",
    title: str | None = None,
    width: float = 9.0,
    row_height: float = 0.12,
) -> Figure:
    """Draw one horizontal bar per young person and spell, one panel per area.

    Parameters
    ----------
    service
        Service extract (or spells from :func:`socdata.derive.spells.engagement_spells`).
        Episodes without an intervention start date have no bar (counted in a warning).
    areas
        Areas to draw, in this order (default: every area with spells, alphabetical).
    x
        ``"calendar"``: bars on the calendar (pauses between spells at their dates, the
        extract date as a dashed line); ``"months"``: months since the young person's first
        start, so bar lengths compare directly.
    title
        Figure title (e.g. ``"Synthetic data"``).
    width, row_height
        Figure width and height per row, in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not saved; use :func:`socdata.report.save_figure`).

    Notes
    -----
    Young people are sorted by their first start date (earliest at the top). Rows carry no
    identifiers. Durations in months use the same full-month rule as
    :func:`socdata.derive.spells.full_months` only for labels; bars span exact dates.
    """
    if x not in ("calendar", "months"):
        raise SocdataError(f"swimmer_plot: x={x!r} is not allowed; use 'calendar' or 'months'")
    if isinstance(service, EngagementSpells):
        sp = service
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExcludedRowsWarning)
            sp = engagement_spells(service, warn=False)
        n_excl = sp.flow.steps[0].n_in - sp.flow.steps[0].n_out if sp.flow.steps else 0
        if n_excl:
            warnings.warn(
                f"swimmer_plot: {n_excl} referral episode(s) have no bar "
                f"({'; '.join(f'{r}: {n}' for r, n in sp.flow.steps[0].excluded)})",
                ExcludedRowsWarning,
                stacklevel=2,
            )
    f = sp.frame
    if f.empty:
        raise SocdataError(
            "swimmer_plot: no engagement spells to draw (no episode has an intervention start date)"
        )
    present = sorted(f["area"].unique())
    if areas is None:
        areas = present
    else:
        unknown = [a for a in areas if a not in present]
        if unknown:
            raise SocdataError(
                f"swimmer_plot: area(s) {unknown} have no spells; areas with spells: {present}"
            )
    n_people = [f.loc[f["area"] == a, "person_id"].nunique() for a in areas]
    heights = _layout(n_people)
    fig = Figure(
        figsize=(width, 1.2 * len(areas) + row_height * sum(heights)), layout="constrained"
    )
    axes = fig.subplots(len(areas), 1, squeeze=False, gridspec_kw={"height_ratios": heights})[:, 0]
    for ax, area, n in zip(axes, areas, n_people, strict=True):
        _draw_area(ax, f[f["area"] == area], area, n, x)
    axes[-1].set_xlabel("date" if x == "calendar" else "months since first start")
    _legend(fig, x)
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontsize=11)
    return fig


def _draw_area(ax, g: pd.DataFrame, area: str, n: int, x: str) -> None:
    """One area's bars (a row per young person), pauses and extract dates."""
    first = g.groupby("person_id")["start_date"].min().sort_values(kind="mergesort")
    order = {p: i for i, p in enumerate(first.index)}
    for _, r in g.iterrows():
        y = order[r["person_id"]]
        if x == "calendar":
            left = mdates.date2num(r["start_date"])
            right = mdates.date2num(r["end_date"])
        else:
            origin = first[r["person_id"]]
            left = (r["start_date"] - origin).days / 30.4375
            right = (r["end_date"] - origin).days / 30.4375
        colour = STATUS_COLOURS.get("Open" if r["censored"] else "Closed")
        ax.barh(
            y,
            max(right - left, 0.5 if x == "months" else 10),
            left=left,
            height=0.8,
            color=colour,
            edgecolor="none",
        )
    # pauses between spells of the same person
    multi = g[g["n_spells"] > 1].sort_values(["person_id", "spell_number"])
    for pid, h in multi.groupby("person_id"):
        y = order[pid]
        for prev, nxt in zip(h.iloc[:-1].itertuples(), h.iloc[1:].itertuples(), strict=True):
            if x == "calendar":
                a, b = mdates.date2num(prev.end_date), mdates.date2num(nxt.start_date)
            else:
                origin = first[pid]
                a = (prev.end_date - origin).days / 30.4375
                b = (nxt.start_date - origin).days / 30.4375
            ax.plot([a, b], [y, y], color=_GAP_COLOUR, linestyle=":", linewidth=1.2)
    if x == "calendar":
        for d in g["extract_date"].dropna().unique():
            ax.axvline(
                mdates.date2num(pd.Timestamp(d)), color="black", linestyle="--", linewidth=0.8
            )
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 7)))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    else:
        ax.set_xlim(left=0)
    ax.set_ylim(n - 0.5 if n else 0.5, -0.5)
    ax.set_yticks([])
    ax.set_ylabel("young people")
    n_re = int((g.groupby("person_id").size() > 1).sum())
    ax.set_title(
        f"{area}: {n} young people, {len(g)} spells" + (f", {n_re} re-referred" if n_re else ""),
        loc="left",
        fontsize=10,
    )
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def _legend(fig: Figure, x: str) -> None:
    handles = [
        Patch(color=STATUS_COLOURS["Closed"], label="Closed"),
        Patch(color=STATUS_COLOURS["Open"], label="Open at extract date"),
    ]
    from matplotlib.lines import Line2D

    handles.append(
        Line2D([], [], color=_GAP_COLOUR, linestyle=":", label="pause before re-referral")
    )
    if x == "calendar":
        handles.append(Line2D([], [], color="black", linestyle="--", label="extract date"))
    fig.legend(
        handles=handles, loc="outside upper right", ncols=len(handles), fontsize=8, frameon=False
    )


def _bar_count(fig: Figure) -> int:  # pragma: no cover - test helper
    return int(np.sum([len(ax.patches) for ax in fig.axes]))
