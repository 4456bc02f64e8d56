"""Small-sample pre-trend tests of ATT(g,t) results (private; used by ``AttGtResult``).

The pre-treatment ATT(g,t) are differences of cohort means; their analytic covariance is a
sum of independent within-cohort parts, ``V = sum_h V_h``, each estimated from the ``n_h``
units of cohort ``h``.  With small cohorts (a few engagers referred in the same month) the
parts are noisy and the chi-squared Wald test is far oversized.  The test here:

1. rescales each part to its unbiased version (``n_h / (n_h - 1)``: the analytic formula
   divides by ``n_h``);
2. treats the problem as the multivariate Behrens-Fisher problem and calibrates the sup-t
   statistic ``max |ATT(g,t)| / se`` over the pre-period cells by a parametric bootstrap
   of its small-sample distribution (:func:`socdata.did.pretrend.parametric_bootstrap_test`);
3. when there are more pre-period cells than the cohorts' degrees of freedom, tests the
   event-time averages of the pre-period cells instead (weights proportional to cohort
   size, as ``aggregate("dynamic")``), and says so in the test's name;
4. otherwise returns the reason the test cannot be trusted.

``method="chi2"`` gives the large-sample chi-squared Wald test (oversized at small n,
kept for comparison with R did's ``W``); ``method="wald"`` the Wald statistic under the
same parametric bootstrap.

With clusters or weights the cohort decomposition does not hold; Hotelling's correction with
``G`` clusters (units) is used instead.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from socdata.did.pretrend import hotelling_test, parametric_bootstrap_test, wald_chi2_test
from socdata.results import TestResult

WHAT_CELLS = "pre-treatment ATT(g,t) (t < g - anticipation)"
WHAT_EVENT = "event-time average of the pre-treatment ATT(g,t)"


def _parts(stats, w: np.ndarray) -> tuple[list[np.ndarray], list[float]]:
    """Unbiased within-cohort covariance parts of the functionals ``w`` and their df."""
    parts, dfs = [], []
    h_total = stats.scatter.shape[0]
    for h in range(h_total):
        n_h = float(stats.n_h[h])
        if n_h < 2:
            continue
        sc = np.zeros_like(stats.scatter)
        sc[h] = stats.scatter[h]
        part = dataclasses.replace(stats, scatter=sc).covariance(w)
        if not np.any(part):
            continue
        parts.append(part * n_h / (n_h - 1))
        dfs.append(n_h - 1)
    return parts, dfs


METHODS = ("auto", "cells", "event", "wald", "chi2")


def pretrend(
    result, method: str = "auto", draws: int = 999, seed: int | None = 20240301
) -> TestResult:
    """Pre-trend test of an ``AttGtResult`` (see module docstring).

    ``method``: ``"auto"`` (cells, else event-time averages), ``"cells"``, ``"event"``,
    ``"wald"`` (Wald statistic, parametric bootstrap) or ``"chi2"`` (large-sample).
    """
    if method not in METHODS:
        raise ValueError(f"pretrend_test: method must be one of {METHODS}, got {method!r}")
    cells = result.cells
    pre = cells["pre"].to_numpy() & np.isfinite(cells["std_error"].to_numpy())
    idx = np.flatnonzero(pre)
    est_all = cells["estimate"].to_numpy(dtype=float)
    if len(idx) == 0:
        return TestResult(
            "joint pre-trend test", WHAT_CELLS, reason="no pre-treatment cells with a variance"
        )
    w_cells = np.zeros((len(idx), len(cells)))
    w_cells[np.arange(len(idx)), idx] = 1.0
    ev = cells["event_time"].to_numpy(dtype=float)[idx]
    es = np.unique(ev)
    w_event = np.zeros((len(es), len(cells)))
    n_tr = cells["n_treated"].to_numpy(dtype=float)
    for i, e in enumerate(es):
        m = idx[ev == e]
        w_event[i, m] = n_tr[m] / n_tr[m].sum()
    stats = result._stats
    simple = stats.mode == "cohort" and stats.cluster_sums is None and stats.sum_zw is None
    if method == "chi2":
        return wald_chi2_test(est_all[idx], stats.covariance(w_cells), what=WHAT_CELLS)
    tried = []
    for w, what in ((w_cells, WHAT_CELLS), (w_event, WHAT_EVENT)):
        if method == "event" and what == WHAT_CELLS:
            continue
        est = w @ est_all
        if simple:
            parts, dfs = _parts(stats, w)
            test = parametric_bootstrap_test(
                est,
                parts,
                dfs,
                draws=draws,
                seed=seed,
                what=what,
                statistic="wald" if method == "wald" else "sup_t",
            )
        else:
            g = stats.cluster_sums.shape[0] if stats.cluster_sums is not None else stats.n
            test = hotelling_test(est, stats.covariance(w), g, what=what)
        if test.computed:
            if tried:
                test = dataclasses.replace(
                    test,
                    name=f"{test.name}, of event-time averages ({tried[0]})",
                )
            return test
        tried.append(test.reason)
        if method == "cells":
            break
    return TestResult(
        "joint pre-trend test (small-sample corrected)", WHAT_CELLS, reason="; ".join(tried)
    )
