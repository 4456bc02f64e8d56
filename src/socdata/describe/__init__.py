"""Descriptive analysis: outcome percentages with intervals, engagement duration and
police before/after summaries.

Submodules: ``outcomes``, ``duration``, ``police``. The report's Tables 1-5 moved to
:mod:`socdata.soceis.tables` (``socdata.describe.tables`` and ``all_tables`` here are
deprecated aliases).
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
