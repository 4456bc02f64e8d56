"""Output checks of one site's cohort statistics (ACRO vocabulary, rule-set parameters).

A site releases, per cohort ``h`` of ``n`` units observed in ``T`` periods, the count, the
``T`` period means and the ``T x T`` within-cohort scatter matrix (and per cluster the
units and summed outcomes).  Four rules decide whether that may leave the site:

* **threshold** (ACRO ``safe_threshold``): every count of units behind a statistic at
  least the threshold and ``min_base``; each cluster-by-cohort cell at least the
  threshold;
* **minimum cohort size** (:func:`min_cohort_size`): ``n >= T + 1`` and enough residual
  degrees of freedom (ACRO ``safe_dof_threshold``) that the statistics do not determine
  the units' outcome paths.  With ``n = 1`` the means *are* the unit's path; with ``n = 2``
  the scatter is ``d d' / 2`` with ``d = y_1 - y_2``, so ``d`` is known up to its sign and
  both paths are recovered exactly; with ``3 <= n <= T`` the centred paths span a subspace
  of dimension ``n - 1`` that the scatter matrix reveals (its column space), which pins
  ``T - n + 1`` exact linear relations on every unit's path, and only a rotation within
  that subspace is unknown.  From ``n = T + 1`` on the scatter can be of full rank (no
  relation is revealed) and the unknowns ``(n - 1) T`` exceed the equations
  ``T (T + 1) / 2`` by ``T (T - 1) / 2 >= safe_dof_threshold`` (for ``T >= 5``);
* **all values the same** (ACRO ``all-values-are-same``): a period in which every unit of
  a cohort has the same outcome (a zero on the scatter's diagonal) tells each of them
  their value; a failure when that value is not zero (zeros follow the rule set's
  ``zeros_are_disclosive``);
* **few values** (:mod:`socdata.federated.few_values`; failures under ACRO's
  ``threshold`` and ``zeros``): the rank argument above protects a continuous outcome,
  not a 0/1 one.  For a 0/1 outcome ``S_t = n mean_t`` is the number of units with a one
  in period ``t`` and ``P_st = scatter_st + n mean_s mean_t`` the number with ones in
  both ``s`` and ``t``, so every pair of periods releases a 2 x 2 table (both ``P_st``,
  only s ``S_s - P_st``, only t ``S_t - P_st``, neither ``n - S_s - S_t + P_st``).  A
  period counts as 0/1 when ``S_t`` is a whole number in ``0 .. n`` and
  ``scatter_tt + n mean_t^2 = n mean_t`` (``sum y^2 = sum y``), within a tolerance for
  rounding (``1e-6`` plus ``2^14`` epsilons times the size of the terms; measured
  rounding at a million units: ``9e-11``).  In every cohort, the counts ``S_t``,
  ``n - S_t``, the four cells of every pair of 0/1 periods, and the cluster cells
  (``cluster_sum`` and ``cluster_n - cluster_sum``) must be 0 or at least the threshold;
  so must the cells of every 3-period table, which the pair tables bound (one free cell,
  the units with ones in all three; non-negative cells bound it, and when the bounds meet
  the table is pinned: a zero cell in a pair table, shown by default, is enough).  A
  count known to be zero fails when ``zeros_are_disclosive``.  ``outcome_values=`` lets the
  site say what the outcome is: ``"binary"`` is verified (every period 0/1);
  ``"counts"`` (0, 1, 2, ...) is verified (whole sums and cross-products) and adds every
  period, with the units behind an event total ``S_t`` bounded by
  ``S_t^2 / Q_t <= k_t <= S_t - (sqrt(1 + 4 (Q_t - S_t)) - 1) / 2`` (``Q_t = P_tt``) and
  the units with events in two periods by ``[1, min(P_st, k_s, k_t)]`` when
  ``P_st > 0`` (the other pair cells and the cluster cells by interval arithmetic on
  these bounds), failing a count certainly in ``1 .. threshold - 1``; ``"continuous"``
  removes nothing: 0/1 periods are checked whatever is declared, because a reader of the
  statistics sees them.

Not checked: the dominance rules (nk, p-ratio; the statistics hold no individual
contributions).  For few-valued outcomes: tables of four or more periods (their cells
are bounded by the pair tables only through a linear programme per quadruple, 194,580 per
cohort at 48 periods; they can leak: one of 1,159 random four-period tables passing every
lower-order check has a cell pinned to 1-9, ``tests/federated/four_period_search.py``;
that table, like every pinned small 3-period cell found, has zero cells in its pair
tables, which a rule set with ``zeros_are_disclosive=True`` refuses); an attacker who
solves for whole paths with integer programming over all periods at once; for counts, the 3-period tables of periods that are not 0/1
and any bound tighter than those above (the interval arithmetic is loose), units
pinned by a large product from few people (``P_st >= threshold`` can come from one unit
with 3 and 4 events), and undeclared counts (integer sums alone do not say the outcome
is a count: a change score is integer too), so a site with a count outcome should
declare it; for any outcome, differences between two releases of a site that differ by a
few units (``docs/explanation/disclosure-control.md``).
"""

from __future__ import annotations

import numpy as np

from socdata.federated.few_values import (
    cohort_name,
    few_value_cells,
    verify_outcome_values,
)
from socdata.report.disclosure import RuleSet
from socdata.scale.moments import CohortMoments

__all__ = ["check_statistics", "min_cohort_size"]


def min_cohort_size(n_periods: int, rules: RuleSet) -> int:
    """Fewest units a cohort needs for its means and scatter matrix to be released.

    ``max(threshold, min_base, T + 1, n_dof)`` where ``n_dof`` is the least ``n`` with
    ``(n - 1) T - T (T + 1) / 2 >= safe_dof_threshold`` (unknowns of the centred paths less
    the equations of the scatter matrix); ``0`` when the rule set is disabled.

    >>> from socdata.report.disclosure import get_rule_set
    >>> min_cohort_size(48, get_rule_set("soceis-default-v1"))
    49
    >>> min_cohort_size(2, get_rule_set("soceis-default-v1"))
    10
    """
    if not rules.enabled:
        return 0
    t = int(n_periods)
    n_dof = 1 + int(np.ceil((t * (t + 1) / 2 + rules.safe_dof_threshold) / max(t, 1)))
    return max(rules.threshold, rules.min_base, t + 1, n_dof)


def _constant_periods(m: CohortMoments, rules: RuleSet) -> list[tuple[int, int]]:
    """(cohort, period) where every unit has the same outcome, disclosive by the rules."""
    out = []
    for h in range(len(m.cohorts)):
        if m.n[h] < 2:
            continue  # a single unit fails the cohort-size rule already
        diag = np.diag(m.scatter[h])
        tol = 1e-12 * m.n[h] * np.maximum(1.0, m.mean[h] ** 2)
        for t in np.flatnonzero(diag <= tol):
            if rules.zeros_are_disclosive or abs(m.mean[h, t]) > 1e-12:
                out.append((h, int(t)))
    return out


def check_statistics(
    m: CohortMoments, rules: RuleSet, *, outcome_values: str | None = None
) -> tuple[str, dict, str, list[str]]:
    """ACRO-style checks of a site's statistics.

    Parameters
    ----------
    m
        The site's statistics.
    rules
        Output-control rule set.
    outcome_values
        What the outcome is: ``"binary"`` (0/1), ``"counts"`` (0, 1, 2, ...),
        ``"continuous"``, or ``None`` to detect from the statistics
        (:func:`socdata.federated.few_values.few_value_cells`; a declaration adds checks,
        never removes the ones the statistics call for).

    Returns
    -------
    status, sdc, summary, comments
        ``"pass"``/``"fail"``, the ``sdc`` block (summary counts and failing cells per
        check), the one-line summary and one comment per failure naming cohort and rule.
    """
    if not rules.enabled:
        verify_outcome_values(m, outcome_values)  # a declaration is still verified
        return "pass", _sdc({}), "pass", []
    base = max(rules.threshold, rules.min_base)
    need = min_cohort_size(len(m.time_labels), rules)
    cells: dict[str, list] = {"threshold": [], "dof": [], "all-values-are-same": []}
    comments = []
    for i, v in enumerate(m.n.tolist()):
        name = cohort_name(m.cohorts[i], m.time_kind)
        if 0 < v < base:
            cells["threshold"].append([i, "n"])
        if 0 < v < need:
            cells["dof"].append([i, "n"])
            comments.append(
                f"cohort {name}: {v} units, fewer than the minimum cohort size {need} "
                f"(rule: at least max(threshold, min_base, T + 1, residual dof >= "
                f"{rules.safe_dof_threshold}) units for {len(m.time_labels)} periods, so "
                "that the means and scatter matrix do not determine the units' outcome "
                "paths); merge it with a neighbouring cohort or shorten the window"
            )
    for h, t in _constant_periods(m, rules):
        name = cohort_name(m.cohorts[h], m.time_kind)
        cells["all-values-are-same"].append([h, str(m.time_labels[t])])
        comments.append(
            f"cohort {name}, period {m.time_labels[t]}: every unit has the same outcome "
            "(rule: all-values-are-same); merge cohorts or leave the period out"
        )
    if m.clusters is not None:
        cn = m.cluster_n
        small = [
            [f"cluster {int(c)}", f"cohort {int(h)}"]
            for c, h in zip(*np.nonzero((cn > 0) & (cn < rules.threshold)), strict=True)
        ]
        cells["threshold"] += small
        if small:
            comments.append(
                f"{len(small)} cluster-by-cohort cells have fewer than {rules.threshold} units "
                "(rule: threshold); merge small clusters or compute without clusters"
            )
    few, few_totals, few_comments = few_value_cells(m, rules, outcome_values)
    totals = {k: len(v) for k, v in cells.items()}
    for k, v in few.items():
        cells[k] = cells.get(k, []) + v
        totals[k] = totals.get(k, 0) + few_totals[k]
    comments += few_comments
    failed = {k: v for k, v in totals.items() if v}
    if not failed:
        return "pass", _sdc(cells, totals), "pass", comments
    summary = "fail; " + "; ".join(f"{k}: {v} cells" for k, v in failed.items())
    return "fail", _sdc(cells, totals), summary, comments


def _sdc(cells: dict[str, list], totals: dict[str, int] | None = None) -> dict:
    """ACRO's ``sdc`` block; ``totals`` counts failing cells beyond those listed."""
    keys = ("negative", "missing", "threshold", "p-ratio", "nk-rule", "all-values-are-same")
    keys += ("rounding", "zeros", "dof")
    full = {k: list(cells.get(k, [])) for k in keys}
    totals = totals or {}
    summary = {"suppressed": False, **{k: totals.get(k, len(v)) for k, v in full.items()}}
    return {"summary": summary, "cells": full}
