"""Descriptive analysis: outcome percentages with intervals, engagement duration, the
report's Tables 1-5 and section 5.1, and police before/after summaries.

Submodules: ``outcomes``, ``duration``, ``tables``, ``police``.
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
