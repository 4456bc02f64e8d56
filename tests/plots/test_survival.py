"""Survival curves (socdata.plots.survival) and the report's swimmer figures."""

from __future__ import annotations

import pandas as pd
import pytest

import socdata
from socdata.derive.spells import engagement_spells
from socdata.errors import SocdataError
from socdata.paths import synthetic_dir
from socdata.plots.survival import survival_plot
from socdata.soceis.figures import swimmer_figure_name, swimmer_figures
from socdata.soceis.tables import service_data_areas


def test_steps_start_at_one_and_follow_the_curve():
    curve = pd.DataFrame(
        {
            "group": ["A", "A", "B", "Overall"],
            "time": [1, 4, 2, 1],
            "survival": [0.75, 0.25, 0.5, 0.6],
        }
    )
    fig = survival_plot(curve, title="t", xlabel="months", ylabel="share")
    ax = fig.axes[0]
    lines = {ln.get_label(): ln for ln in ax.get_lines() if not ln.get_label().startswith("_")}
    assert set(lines) == {"A", "B"}  # Overall skipped
    assert list(lines["A"].get_xdata()) == [0, 1, 4]
    assert list(lines["A"].get_ydata()) == [1.0, 0.75, 0.25]
    assert ax.get_xlabel() == "months" and ax.get_title() == "t"
    with pytest.raises(SocdataError, match="survival"):
        survival_plot(curve.drop(columns="survival"))


def test_swimmer_figures_one_per_area_with_the_report_names():
    service = socdata.read_extract(synthetic_dir(), "service")
    areas = service_data_areas(service)
    assert "Dundee" not in areas  # case-file data
    spells = engagement_spells(service, warn=False)
    figs = swimmer_figures(spells, areas[:1], synthetic=True)
    assert list(figs) == [swimmer_figure_name(areas[0])]
    assert swimmer_figure_name("Newcastle") == "figure4_swimmer_newcastle"
    assert service_data_areas(service.drop(columns="record_source")) is None
