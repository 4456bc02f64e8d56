"""The notebooks' figures with the report's names and labels (socdata.soceis.figures)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import socdata
from socdata.derive.spells import engagement_spells
from socdata.paths import synthetic_dir
from socdata.soceis.comparator import ESTIMATE_KEEP_COLUMNS, estimate_keep_columns
from socdata.soceis.figures import (
    did_event_study_figure,
    duration_km_figure,
    swimmer_figure_name,
    swimmer_outputs,
)


@pytest.fixture(scope="module")
def spells():
    service = socdata.read_extract(synthetic_dir(), "service")
    return engagement_spells(service, warn=False)


def test_swimmer_outputs_follow_the_run_choice(spells):
    figures, note = swimmer_outputs(spells, ["Cardiff"], draw=True, synthetic=True)
    assert list(figures) == [swimmer_figure_name("Cardiff")] and note is None
    assert figures["figure2_swimmer_cardiff"].get_suptitle() == "Synthetic data"
    figures, note = swimmer_outputs(spells, ["Cardiff"], draw=True, synthetic=False)
    assert list(figures) == ["figure2_swimmer_cardiff"]
    assert note.startswith("WARNING: swimmer plots show individual records")
    assert figures["figure2_swimmer_cardiff"].get_suptitle() == ""
    figures, note = swimmer_outputs(spells, ["Cardiff"], draw=False, synthetic=False)
    assert figures == {} and "swimmer_plots = True" in note


def test_duration_km_figure_draws_each_area_but_not_overall():
    curve = pd.DataFrame(
        {
            "group": ["Cardiff", "Cardiff", "Edinburgh", "Overall"],
            "time": [2.0, 6.0, 3.0, 2.0],
            "survival": [0.7, 0.4, 0.5, 0.6],
        }
    )
    ax = duration_km_figure(curve).axes[0]
    assert ax.get_title() == "Kaplan-Meier: time open to the service (open cases censored)"
    assert ax.get_xlabel() == "full months since intervention start"
    assert ax.get_ylabel() == "share still engaged"
    labels = {ln.get_label() for ln in ax.get_lines() if not ln.get_label().startswith("_")}
    assert labels == {"Cardiff", "Edinburgh"}
    assert duration_km_figure(curve, synthetic=True).axes[0].get_title().endswith(
        " - synthetic data"
    )


class _Fit:
    outcome = "missing episodes"

    def tidy(self):
        return pd.DataFrame(
            {
                "event_time": [-2, -1, 0, 1],
                "estimate": [0.05, 0.0, -0.3, -0.25],
                "conf_low": [-0.2, 0.0, -0.6, -0.5],
                "conf_high": [0.3, 0.0, 0.0, 0.1],
                "reference": [False, True, False, False],
            }
        )


def test_did_event_study_figure_plots_the_chosen_outcome():
    fits = {"arrests": _Fit(), "missing": _Fit()}
    ax = did_event_study_figure(fits, "missing").axes[0]
    assert ax.get_title() == "Engagers vs matched comparators: missing"
    assert ax.get_ylabel() == "log rate ratio"
    points = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 3]
    assert np.allclose(points[0].get_ydata(), [0.05, -0.3, -0.25])  # reference drawn apart
    with pytest.raises(KeyError):
        did_event_study_figure(fits, "offences")


def test_estimate_keep_columns_are_the_present_ones_in_order():
    est = pd.DataFrame(columns=["value", "truth", "n", "measured_relative_bias"])
    assert estimate_keep_columns(est) == ["measured_relative_bias", "truth"]
    assert estimate_keep_columns(pd.DataFrame(columns=list(ESTIMATE_KEEP_COLUMNS))) == list(
        ESTIMATE_KEEP_COLUMNS
    )
