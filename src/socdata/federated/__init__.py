"""Pooled estimates from several sites without sharing rows (federated analysis).

Each site (a police force, a nation's data environment) computes the cohort statistics of
its own panel (:func:`site_statistics`), checks them against the output-control rules
(:mod:`socdata.report.disclosure` rule sets, ACRO vocabulary) and writes them as checked
evidence, as ACRO's federated mode does (``acro.record.Records.finalise_evidence`` and
``finalise_json``): the interim tables as CSV files, an ``evidence.json`` manifest (command,
analysis names, variable types, degrees of freedom, interim tables), an ACRO
``results.json`` record with the checks (status ``pass`` / ``fail``, the cells that failed
in ACRO's ``sdc`` layout, comments and an ``exception`` field for a requested exception)
and ``checksums/`` with the SHA-256 of every file.

The analysis hub reads the folders back (:func:`read_site_statistics`, which verifies the
checksums and refuses a failed record without an exception), pools them exactly
(:func:`pool_sites`, :func:`socdata.scale.combine`) and passes the pooled statistics to
the estimators as ``data``::

    pooled = pool_sites([read_site_statistics(p) for p in folders])
    did.att_gt(pooled, outcome="arrests", unit="person", time="month", cohort="cohort")

Where the sites hold disjoint sets of people over the same periods, the pooled estimate
equals the estimate on the pooled rows (to rounding).  Released with the statistics per
site: units per cohort (exact: exact pooling needs them), cohort-period means and
within-cohort scatter matrices (each cohort at least :func:`min_cohort_size` units,
so that the statistics do not determine any unit's outcome path;
:mod:`socdata.federated.checks`), and with clusters the units and summed outcomes per
cluster and cohort.  For an outcome with few values the statistics are frequency tables
(a 0/1 outcome's ``n * mean`` counts the ones of a period, ``scatter + n * mean mean'``
the units with ones in two periods): their cells are checked against the threshold
(:mod:`socdata.federated.few_values`; ``site_statistics(..., outcome_values="binary" |
"counts" | "continuous")`` says what the outcome is, ``None`` detects 0/1 periods).  Not
checked (needs individual contributions, which the statistics do not hold): the
dominance rules (``safe_nk``, ``safe_pratio``); nor tables of four or more periods of a
0/1 outcome; the record says so for the checker.
"""

from __future__ import annotations

from socdata.federated.checks import check_statistics, min_cohort_size
from socdata.federated.evidence import (
    ACRO_FORMAT_VERSION,
    SiteStatistics,
    pool_sites,
    read_site_statistics,
    site_statistics,
)
from socdata.federated.few_values import OUTCOME_VALUES

__all__ = [
    "ACRO_FORMAT_VERSION",
    "OUTCOME_VALUES",
    "SiteStatistics",
    "check_statistics",
    "min_cohort_size",
    "pool_sites",
    "read_site_statistics",
    "site_statistics",
]
