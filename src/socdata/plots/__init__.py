"""Figures: swimmer plots (``swimmer``), love plots (``love``), event-study plots
(``event_study``).  Every function takes aggregates or a validated extract and returns a
matplotlib Figure; none writes files (``socdata.report`` does)."""
