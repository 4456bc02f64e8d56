"""Descriptive analysis: outcome percentages with intervals, engagement duration and
police before/after summaries.

Submodules: ``outcomes``, ``duration``, ``police``. The report's Tables 1-5 moved to
:mod:`socdata.soceis.tables` (``socdata.describe.tables`` and ``all_tables`` here are
deprecated aliases).

Examples
--------
>>> import pandas as pd
>>> from socdata import describe
>>> cases = pd.DataFrame({"area": ["North"] * 4 + ["South"] * 6,
...                       "outcome_reduced_offending": list("YYNYNYYYNY")})
>>> cases["outcome_reduced_offending"] = cases["outcome_reduced_offending"].map(
...     {"Y": "Yes", "N": "No"})
>>> res = describe.outcome_percentages(cases, outcomes=["outcome_reduced_offending"], by="area")
>>> res.table[["group", "numerator", "denominator", "fraction_word"]]
   group  numerator  denominator   fraction_word
0  North          3            4  three quarters
1  South          4            6      two-thirds
"""

from socdata.describe.duration import (
    duration_distribution,
    early_closed_range,
    km_median_duration,
)
from socdata.describe.outcomes import outcome_percentages
from socdata.describe.police import BeforeAfterResult, before_after, police_statements

__all__ = [
    "BeforeAfterResult",
    "before_after",
    "duration_distribution",
    "early_closed_range",
    "km_median_duration",
    "outcome_percentages",
    "police_statements",
]


def __getattr__(name: str):  # deprecated alias: all_tables moved to socdata.soceis.tables
    if name == "all_tables":
        from socdata.moved import warn_moved

        warn_moved("socdata.describe.all_tables")
        from socdata.soceis.tables import all_tables

        return all_tables
    raise AttributeError(f"module 'socdata.describe' has no attribute {name!r}")
