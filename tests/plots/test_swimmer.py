"""Swimmer plots: one bar per spell, panels per area, pauses drawn, no identifiers."""

from __future__ import annotations

import warnings

import matplotlib
import pytest
from matplotlib.figure import Figure

from socdata.errors import ExcludedRowsWarning, SocdataError
from socdata.plots.swimmer import STATUS_COLOURS, swimmer_plot
from socdata.soceis.synthetic import generate

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def service():
    return generate()["service"]


def test_one_bar_per_spell_and_panel_per_area(service):
    with pytest.warns(ExcludedRowsWarning, match="no bar"):
        fig = swimmer_plot(service, areas=["Cardiff", "Newcastle"])
    assert isinstance(fig, Figure)
    ax_c, ax_n = fig.axes[:2]
    started = service["intervention_start_date"].notna() & service["case_status"].isin(
        ["Open", "Closed"]
    )
    assert len(ax_c.patches) == int((started & (service["area"] == "Cardiff")).sum())
    assert len(ax_n.patches) == int((started & (service["area"] == "Newcastle")).sum())
    # two Newcastle people re-referred: two dotted pause lines
    pauses = [ln for ln in ax_n.lines if ln.get_linestyle() == ":"]
    assert len(pauses) == 2
    # colours are the status colours; open bars exist
    colours = {matplotlib.colors.to_hex(p.get_facecolor()) for p in ax_c.patches}
    assert colours == {c.lower() for c in STATUS_COLOURS.values()}
    # no identifiers on the axes
    assert ax_c.get_yticks().size == 0
    assert "SYN-" not in " ".join(t.get_text() for ax in fig.axes for t in ax.texts)


def test_months_axis_and_errors(service):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        fig = swimmer_plot(service, areas=["Edinburgh"], x="months", title="Synthetic data")
        assert fig.axes[0].get_xlim()[0] == 0
        with pytest.raises(SocdataError, match="Glasgow"):
            swimmer_plot(service, areas=["Glasgow"])
        with pytest.raises(SocdataError, match="x="):
            swimmer_plot(service, x="weeks")
