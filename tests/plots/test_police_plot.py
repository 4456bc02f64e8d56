"""The before/after figure of notebook 20, drawn from the released table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from socdata.errors import SocdataError
from socdata.plots.police import before_after_plot, released_rates


def _released():
    rows = []
    for area, (nb, na, pm) in {"Cardiff": (30, 20, 100.0), "Dundee": (10, np.nan, 50.0)}.items():
        for m in ("arrests", "offences", "missing episodes"):
            for when, k in (("before", nb), ("after", na)):
                rows.append((area, f"{m}: {when}", "rate_per_person_month", k, pm))
    return pd.DataFrame(
        rows, columns=["row_label", "column_label", "measure", "numerator", "denominator"]
    )


def test_rates_are_released_counts_over_released_person_months():
    r = released_rates(_released()).set_index(["area", "column_label"])["rate"]
    assert r[("Cardiff", "arrests: before")] == pytest.approx(0.3, rel=1e-12)
    assert np.isnan(r[("Dundee", "offences: after")])  # a suppressed count draws no bar
    fig = before_after_plot(_released(), window_months=12)
    heights = [p.get_height() for p in fig.axes[0].patches]
    np.testing.assert_allclose(heights, [0.3, 0.2, 0.2, np.nan], rtol=1e-12)
    with pytest.raises(SocdataError, match="numerator"):
        released_rates(_released().drop(columns="numerator"))
