"""Descriptive analysis: outcome percentages with intervals, engagement duration and
police before/after summaries.

Submodules: ``outcomes``, ``duration``, ``police``. The report's Tables 1-5 moved to
:mod:`socdata.soceis.tables` and the March 2024 police statements to
:mod:`socdata.soceis.police_statements` (``socdata.describe.tables``, and ``all_tables`` and
``police_statements`` here, are deprecated aliases).

Examples
--------
>>> import pandas as pd
>>> from socdata import describe
>>> cases = pd.DataFrame({"area": ["North"] * 4 + ["South"] * 6,
...                       "outcome_reduced_offending": list("YYNYNYYYNY")})
>>> cases["outcome_reduced_offending"] = cases["outcome_reduced_offending"].map(
...     {"Y": "Yes", "N": "No"})
>>> res = describe.outcome_percentages(cases, outcome="outcome_reduced_offending", by="area")
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
from socdata.describe.police import BeforeAfterResult, before_after

__all__ = [
    "BeforeAfterResult",
    "before_after",
    "duration_distribution",
    "early_closed_range",
    "km_median_duration",
    "outcome_percentages",
]

#: Deprecated names of this package -> the key of their move in socdata.moved.MOVED.
_MOVED_HERE = {
    "all_tables": ("socdata.describe.all_tables", "socdata.soceis.tables", "all_tables"),
    "police_statements": (
        "socdata.describe.police_statements",
        "socdata.soceis.police_statements",
        "police_statements",
    ),
}


def __getattr__(name: str):  # deprecated aliases of names that moved to socdata.soceis
    if name in _MOVED_HERE:
        import importlib

        from socdata.moved import warn_moved

        old, module, attr = _MOVED_HERE[name]
        warn_moved(old)
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'socdata.describe' has no attribute {name!r}")
