"""Bar charts of police contact before and after referral, by area (notebook 20).

Drawn from the *released* ``police_before_after`` table (after output control): each rate
is its released count over its released person-months, so the figure shows nothing the
table does not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from socdata.errors import SocdataError

__all__ = ["before_after_plot", "released_rates"]

#: Panels of the figure: the ``police_before_after`` column labels they show.
MEASURES: tuple[str, ...] = ("arrests", "offences", "missing episodes")


def released_rates(released: pd.DataFrame) -> pd.DataFrame:
    """Rates per person-month from a released ``police_before_after`` table.

    Returns ``area``, ``column_label`` and ``rate`` = ``numerator / denominator`` of the
    released ``rate_per_person_month`` rows (missing where a count was suppressed).
    """
    need = {"row_label", "column_label", "measure", "numerator", "denominator"}
    missing = sorted(need - set(released.columns))
    if missing:
        raise SocdataError(
            f"released_rates: the table has no column(s) {missing}; pass the police_before_after "
            "table as written by socdata.report.write_table"
        )
    r = released[released["measure"] == "rate_per_person_month"]
    num = pd.to_numeric(r["numerator"], errors="coerce")
    den = pd.to_numeric(r["denominator"], errors="coerce")
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = num.to_numpy(float) / den.to_numpy(float)
    return pd.DataFrame(
        {
            "area": r["row_label"].to_numpy(),
            "column_label": r["column_label"].to_numpy(),
            "rate": rate,
        }
    )


def before_after_plot(
    released: pd.DataFrame, *, window_months: int, areas: list[str] | None = None
) -> Figure:
    """Rates per person-month before and after referral, one panel per measure.

    Parameters
    ----------
    released
        The released ``police_before_after`` table (``socdata.report.write_table`` output).
    window_months
        Length of each window (for the title).
    areas
        Areas in the order drawn (default: the table's, without ``"All areas"``).
    """
    rates = released_rates(released)
    if areas is None:
        areas = [a for a in dict.fromkeys(rates["area"]) if a != "All areas"]
    lookup = rates.set_index(["area", "column_label"])["rate"]
    fig = Figure(figsize=(11, 3.6))
    axes = fig.subplots(1, len(MEASURES))
    x = np.arange(len(areas))
    for ax, m in zip(axes, MEASURES, strict=True):
        for shift, when in ((-0.2, "before"), (0.2, "after")):
            vals = [float(lookup.get((a, f"{m}: {when}"), np.nan)) for a in areas]
            ax.bar(x + shift, vals, width=0.4, label=when)
        ax.set_xticks(list(x), areas, rotation=20)
        ax.set_title(m)
        ax.set_ylabel("per person-month observed")
    axes[0].legend()
    fig.suptitle(
        f"Engagers, {window_months} months before and after referral "
        "(not an effect estimate: regression to the mean)"
    )
    fig.tight_layout()
    return fig
