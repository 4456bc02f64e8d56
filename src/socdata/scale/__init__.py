"""National scale: estimates from cohort statistics computed where the data are.

Without covariates, ATT(g,t) (and its aggregations and analytic standard errors), the
event study and balanced-panel TWFE are exact functions of per-cohort counts, period
means and scatter matrices (:class:`CohortMoments`).  :func:`cohort_moments` computes them
with DuckDB (embedded: pandas, Parquet, Arrow, DuckDB relations) or Spark; the estimators
in :mod:`socdata.did` accept such a table source (or the moments themselves) as ``data``
and finish the estimate with the same code as in memory.  Statistics of disjoint sites
pool exactly (:func:`combine`; with output control, :mod:`socdata.federated`).

Beyond cohort moments: ATT(g,t) with covariates streams the table in chunked passes
(:mod:`socdata.scale.covariates`); the stacked matched-set design is finished from sums per
set, arm and event time (:mod:`socdata.scale.stacked`); before/after police rates from
per-area sums of a windows table (:func:`socdata.scale.police.before_after_windows`).
See ``docs/explanation/scale.md``.
"""

from __future__ import annotations

from socdata.scale.moments import CohortMoments, combine
from socdata.scale.sources import cohort_moments, is_table_source

__all__ = ["CohortMoments", "cohort_moments", "combine", "is_table_source"]
