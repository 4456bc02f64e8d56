"""Descriptive analysis: outcome percentages with intervals, engagement duration, the
report's Tables 1-5 and section 5.1, and police before/after summaries.

Submodules: ``outcomes``, ``duration``, ``tables``, ``police``.

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
from socdata.describe.tables import all_tables

__all__ = [
    "BeforeAfterResult",
    "all_tables",
    "before_after",
    "duration_distribution",
    "early_closed_range",
    "km_median_duration",
    "outcome_percentages",
    "police_statements",
]
