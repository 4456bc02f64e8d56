"""Descriptive analysis: outcome percentages with intervals, engagement duration, the
report's Tables 1-5 and section 5.1, and police before/after summaries.

Submodules: ``outcomes``, ``duration``, ``tables``, ``police``.
"""
