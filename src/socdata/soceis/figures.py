"""The figures the SOCEIS notebooks draw, with the report's names, titles and labels.

* Figures 2-4 of the June 2023 report are swimmer plots of the three areas with service
  data (one bar per young person and spell); other areas get ``swimmer_<area>``.  They show
  individual records, so ``socdata reproduce`` draws them from the bundled synthetic data
  only unless asked (:func:`swimmer_outputs`).
* The Kaplan-Meier curves of time open to the service (:func:`duration_km_figure`,
  notebook 14), drawn from the controlled curve.
* The matched-comparator event study (:func:`did_event_study_figure`, notebook 40).

Each function returns figures; saving them is the caller's (``socdata.report.save_figure``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from socdata.derive.spells import EngagementSpells
from socdata.plots.event_study import event_study_plot
from socdata.plots.survival import survival_plot
from socdata.plots.swimmer import swimmer_plot

__all__ = [
    "SWIMMER_FIGURES",
    "did_event_study_figure",
    "duration_km_figure",
    "swimmer_figure_name",
    "swimmer_figures",
    "swimmer_outputs",
]

#: The report's figure names for its three areas with service data.
SWIMMER_FIGURES = {
    "Cardiff": "figure2_swimmer_cardiff",
    "Edinburgh": "figure3_swimmer_edinburgh",
    "Newcastle": "figure4_swimmer_newcastle",
}


def swimmer_figure_name(area: str) -> str:
    """The file name (no suffix) of an area's swimmer plot.

    Examples
    --------
    >>> swimmer_figure_name("Cardiff"), swimmer_figure_name("Vale of Glamorgan")
    ('figure2_swimmer_cardiff', 'swimmer_vale_of_glamorgan')
    """
    return SWIMMER_FIGURES.get(area, f"swimmer_{area.lower().replace(' ', '_')}")


def swimmer_figures(
    spells: EngagementSpells, areas: list[str] | None = None, *, synthetic: bool = False
) -> dict[str, Figure]:
    """One swimmer plot per area, keyed by its file name (:func:`swimmer_figure_name`).

    Parameters
    ----------
    spells
        :func:`socdata.derive.spells.engagement_spells` of the service extract.
    areas
        Areas to draw (default every area with spells, alphabetical).
    synthetic
        Title each figure "Synthetic data".
    """
    areas = areas or sorted(spells.frame["area"].unique())
    title = "Synthetic data" if synthetic else None
    return {
        swimmer_figure_name(a): swimmer_plot(spells, areas=[a], title=title) for a in areas
    }


def swimmer_outputs(
    spells: EngagementSpells,
    areas: list[str] | None = None,
    *,
    draw: bool,
    synthetic: bool,
) -> tuple[dict[str, Figure], str | None]:
    """The swimmer plots a run draws, and the note to print beside them.

    Parameters
    ----------
    spells, areas
        As :func:`swimmer_figures`.
    draw
        Whether to draw them (the run's resolved ``swimmer_plots`` choice:
        ``socdata.pipeline.RunContext.swimmer_plots``).
    synthetic
        Whether the data are the bundled synthetic extracts.

    Returns
    -------
    figures : dict of str to Figure
        :func:`swimmer_figures` when ``draw``, else empty.
    note : str or None
        A warning when individual records of real data are drawn, why nothing was drawn
        when ``draw`` is false, ``None`` when synthetic plots are drawn.

    Examples
    --------
    >>> import pandas as pd
    >>> from socdata.derive.spells import engagement_spells
    >>> service = pd.DataFrame({
    ...     "person_id": ["a"], "referral_id": ["r1"], "area": ["Cardiff"],
    ...     "intervention_start_date": pd.to_datetime(["2021-01-11"]),
    ...     "intervention_end_date": pd.to_datetime(["2021-06-30"]), "case_status": ["Closed"],
    ...     "extract_date": pd.to_datetime(["2021-12-31"])})
    >>> spells = engagement_spells(service)
    >>> figures, note = swimmer_outputs(spells, draw=False, synthetic=False)
    >>> figures, note.startswith("Swimmer plots not drawn")
    ({}, True)
    >>> figures, note = swimmer_outputs(spells, draw=True, synthetic=True)
    >>> list(figures), note
    (['figure2_swimmer_cardiff'], None)
    """
    if not draw:
        return {}, (
            "Swimmer plots not drawn: they show individual records and the data are not the "
            "bundled synthetic extracts (set swimmer_plots = True to draw them)."
        )
    figures = swimmer_figures(spells, areas, synthetic=synthetic)
    if synthetic:
        return figures, None
    return figures, "WARNING: swimmer plots show individual records; review them before sharing."


def duration_km_figure(curve: pd.DataFrame, *, synthetic: bool = False) -> Figure:
    """Kaplan-Meier curves of time open to the service, by area (open cases censored).

    Parameters
    ----------
    curve
        ``group, time, survival``: draw the controlled curve
        (``socdata.report.control.control_survival_curve`` of
        :attr:`socdata.describe.KaplanMeierResult.curves`), so that on real data every
        step shown is backed by enough people.
    synthetic
        Say "synthetic data" in the title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> curve = pd.DataFrame({"group": ["Cardiff"] * 3, "time": [0.0, 2.0, 5.0],
    ...                       "survival": [1.0, 0.6, 0.2]})
    >>> duration_km_figure(curve, synthetic=True).axes[0].get_title()
    'Kaplan-Meier: time open to the service (open cases censored) - synthetic data'
    """
    title = "Kaplan-Meier: time open to the service (open cases censored)"
    return survival_plot(
        curve,
        title=title + (" - synthetic data" if synthetic else ""),
        xlabel="full months since intervention start",
        ylabel="share still engaged",
    )


def did_event_study_figure(fits: Mapping[str, Any], outcome: str = "arrests") -> Figure:
    """Event-time effects of referral on one outcome, engagers against matched comparators.

    Parameters
    ----------
    fits
        Event-study fits by outcome, the second value of
        :func:`socdata.soceis.comparator.event_time_table`.
    outcome
        The outcome drawn (the report's headline outcome by default).

    Returns
    -------
    matplotlib.figure.Figure
        Log rate ratios by month relative to referral, with 95% intervals.

    Examples
    --------
    >>> import pandas as pd
    >>> class Fit:  # any result whose tidy() has event_time, estimate and interval
    ...     def tidy(self):
    ...         return pd.DataFrame({"event_time": [-2, -1, 0, 1],
    ...                              "estimate": [0.05, 0.0, -0.3, -0.25],
    ...                              "conf_low": [-0.2, 0.0, -0.6, -0.5],
    ...                              "conf_high": [0.3, 0.0, 0.0, 0.0],
    ...                              "reference": [False, True, False, False]})
    >>> did_event_study_figure({"arrests": Fit()}).axes[0].get_title()
    'Engagers vs matched comparators: arrests'
    """
    return event_study_plot(
        fits[outcome],
        title=f"Engagers vs matched comparators: {outcome}",
        ylabel="log rate ratio",
    )
