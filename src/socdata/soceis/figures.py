"""The June 2023 report's figures drawn from the service extract (notebook 14).

Figures 2-4 are swimmer plots of the three areas with service data (one bar per young
person and spell); other areas get ``swimmer_<area>``.  They show individual records, so
``socdata reproduce`` draws them from the bundled synthetic data only unless asked.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from socdata.derive.spells import EngagementSpells
from socdata.plots.swimmer import swimmer_plot

__all__ = ["SWIMMER_FIGURES", "swimmer_figure_name", "swimmer_figures"]

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
