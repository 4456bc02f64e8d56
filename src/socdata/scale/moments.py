"""Cohort moments: the sufficient statistics of ATT(g,t), event study and TWFE without covariates.

For a balanced panel and no covariates, every estimate of :func:`socdata.did.att_gt`
(never-treated or not-yet-treated controls, analytic standard errors, all four
aggregations), of the event study and of balanced-panel TWFE with a cohort-by-period
treatment is a function of, per cohort ``h`` (first treated period; never treated
included):

* the number of units ``n_h``,
* the mean outcome in each period ``mean_h`` (``T``),
* the within-cohort scatter matrix ``M_h = sum_i (y_i - mean_h)(y_i - mean_h)'``
  (``T x T``),

and, for clustered standard errors, per cluster and cohort the unit count and the sum of
the outcomes.  :class:`CohortMoments` holds these, keyed by the cohort's *raw* value
(before any estimator rule: which cohorts are excluded or recoded is decided when the
estimate is finished), so statistics from disjoint row sets (batches of a scan, Spark
partitions, sites) combine exactly with :func:`combine` (Chan, Golub and LeVeque's
pairwise update, which keeps the scatter centred and so avoids cancellation).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

import numpy as np

from socdata.errors import EstimationError

__all__ = ["CohortMoments", "combine", "moments_from_wide"]

#: Key of the never-treated cohort (cohort 0 or missing).
NEVER = None


@dataclasses.dataclass(frozen=True, eq=False)
class CohortMoments:
    """Per-cohort counts, period means and scatter matrices of a balanced panel.

    Attributes
    ----------
    time_labels
        The periods, sorted (numeric, or ``datetime64[ns]``).
    time_kind
        ``"numeric"`` or ``"datetime"``.
    cohorts
        Raw cohort value of each row of the arrays (``None`` = never treated), sorted
        with never treated first.
    n
        Complete units per cohort, ``(H,)`` int.
    mean
        Mean outcome per cohort and period, ``(H, T)``.
    scatter
        Within-cohort scatter of the outcome vectors, ``(H, T, T)``.
    n_incomplete
        Units per cohort lacking a row or an outcome in some period, ``(H,)``.
    n_rows
        Rows read.
    clusters, cluster_n, cluster_sum
        With a cluster column: the cluster labels ``(C,)``, units per cluster and cohort
        ``(C, H)`` and summed outcomes ``(C, H, T)``; ``None`` otherwise.
    example_incomplete
        A masked identifier of one incomplete unit (for the error message), or ``None``.
    source
        What the moments were computed from (engine and input), for provenance.
    """

    time_labels: np.ndarray
    time_kind: str
    cohorts: tuple
    n: np.ndarray
    mean: np.ndarray
    scatter: np.ndarray
    n_incomplete: np.ndarray
    n_rows: int
    clusters: np.ndarray | None = None
    cluster_n: np.ndarray | None = None
    cluster_sum: np.ndarray | None = None
    example_incomplete: str | None = None
    source: str = ""

    @property
    def n_units(self) -> int:
        """Complete units (all cohorts)."""
        return int(self.n.sum())

    def sums(self) -> np.ndarray:
        """Summed outcomes per cohort and period, ``(H, T)``."""
        return self.mean * self.n[:, None]

    def select(self, keep: np.ndarray) -> CohortMoments:
        """The moments of the cohorts where ``keep`` is true."""
        keep = np.asarray(keep, dtype=bool)
        cl = {}
        if self.clusters is not None:
            cl = dict(cluster_n=self.cluster_n[:, keep], cluster_sum=self.cluster_sum[:, keep])
        return dataclasses.replace(
            self,
            cohorts=tuple(c for c, k in zip(self.cohorts, keep, strict=True) if k),
            n=self.n[keep],
            mean=self.mean[keep],
            scatter=self.scatter[keep],
            n_incomplete=self.n_incomplete[keep],
            **cl,
        )

    def periods(self, keep: np.ndarray) -> CohortMoments:
        """The moments restricted to the periods where ``keep`` is true (exact: a scatter
        matrix restricted to some periods is its sub-matrix)."""
        keep = np.asarray(keep, dtype=bool)
        cl = {}
        if self.clusters is not None:
            cl = dict(cluster_sum=self.cluster_sum[:, :, keep])
        return dataclasses.replace(
            self,
            time_labels=self.time_labels[keep],
            mean=self.mean[:, keep],
            scatter=self.scatter[:, keep][:, :, keep],
            **cl,
        )

    def merge_cohorts(self, groups: Sequence[Sequence[int]], labels: Sequence) -> CohortMoments:
        """Cohorts merged: group ``j`` (indices into ``cohorts``) becomes cohort ``labels[j]``
        (exact pooled moments)."""
        parts = []
        for idx, lab in zip(groups, labels, strict=True):
            idx = list(idx)
            m = self.select(np.isin(np.arange(len(self.cohorts)), idx))
            parts.append(_collapse(m, lab))
        return combine(parts)


def _collapse(m: CohortMoments, label: object) -> CohortMoments:
    """All cohorts of ``m`` pooled into one cohort called ``label``."""
    n_tot = int(m.n.sum())
    mean = m.sums().sum(axis=0) / n_tot if n_tot else np.zeros(len(m.time_labels))
    dev = m.mean - mean
    scatter = m.scatter.sum(axis=0) + np.einsum("h,ht,hs->ts", m.n.astype(float), dev, dev)
    cl = {}
    if m.clusters is not None:
        cl = dict(
            cluster_n=m.cluster_n.sum(axis=1, keepdims=True),
            cluster_sum=m.cluster_sum.sum(axis=1, keepdims=True),
        )
    return dataclasses.replace(
        m,
        cohorts=(label,),
        n=np.array([n_tot]),
        mean=mean[None, :],
        scatter=scatter[None],
        n_incomplete=np.array([int(m.n_incomplete.sum())]),
        **cl,
    )


def _sort_key(c: object) -> tuple:
    return (0, 0) if c is NEVER else (1, c)


def combine(parts: Iterable[CohortMoments]) -> CohortMoments:
    """Exact moments of the union of disjoint row sets (same periods).

    Parameters
    ----------
    parts
        Moments of disjoint sets of units (batches, partitions or sites).  Clusters with
        the same label in two parts are treated as one cluster.

    Returns
    -------
    CohortMoments
        Counts added, means weighted, scatter matrices pooled with the between-part term
        ``n_a n_b / n (mean_a - mean_b)(mean_a - mean_b)'``.
    """
    parts = list(parts)
    if not parts:
        raise EstimationError("no statistics to combine.")
    first = parts[0]
    for p in parts[1:]:
        if p.time_kind != first.time_kind or not np.array_equal(p.time_labels, first.time_labels):
            raise EstimationError(
                "the statistics cover different periods; rule: every part must hold the same "
                f"periods (got {len(first.time_labels)} and {len(p.time_labels)}). Restrict "
                "every site to the same window of periods."
            )
        if (p.clusters is None) != (first.clusters is None):
            raise EstimationError("some statistics have clusters and some do not.")
    cohorts = sorted({c for p in parts for c in p.cohorts}, key=_sort_key)
    pos = {c: i for i, c in enumerate(cohorts)}
    n_h, n_t = len(cohorts), len(first.time_labels)
    n = np.zeros(n_h, dtype=np.int64)
    mean = np.zeros((n_h, n_t))
    scatter = np.zeros((n_h, n_t, n_t))
    n_inc = np.zeros(n_h, dtype=np.int64)
    for p in parts:
        for j, c in enumerate(p.cohorts):
            h = pos[c]
            n_inc[h] += p.n_incomplete[j]
            nb = int(p.n[j])
            if nb == 0:
                continue
            na = int(n[h])
            tot = na + nb
            delta = p.mean[j] - mean[h]
            mean[h] += delta * (nb / tot)
            scatter[h] += p.scatter[j] + np.outer(delta, delta) * (na * nb / tot)
            n[h] = tot
    cl: dict = {}
    if first.clusters is not None:
        labels = sorted({c for p in parts for c in p.clusters.tolist()}, key=str)
        cpos = {c: i for i, c in enumerate(labels)}
        cn = np.zeros((len(labels), n_h))
        cs = np.zeros((len(labels), n_h, n_t))
        for p in parts:
            rows = [cpos[c] for c in p.clusters.tolist()]
            cols = [pos[c] for c in p.cohorts]
            cn[np.ix_(rows, cols)] += p.cluster_n
            cs[np.ix_(rows, cols)] += p.cluster_sum
        cl = dict(clusters=np.array(labels, dtype=object), cluster_n=cn, cluster_sum=cs)
    example = next((p.example_incomplete for p in parts if p.example_incomplete), None)
    return CohortMoments(
        time_labels=first.time_labels,
        time_kind=first.time_kind,
        cohorts=tuple(cohorts),
        n=n,
        mean=mean,
        scatter=scatter,
        n_incomplete=n_inc,
        n_rows=sum(p.n_rows for p in parts),
        example_incomplete=example,
        source=" + ".join(dict.fromkeys(p.source for p in parts)),
        **cl,
    )


def _unique_keys(cohort: np.ndarray) -> tuple[list, np.ndarray]:
    """Distinct raw cohort keys (``None`` for never treated) and the index of each unit's.

    ``cohort`` is float (0 or NaN = never treated), ``datetime64`` (NaT = never) or an
    object array of keys."""
    if cohort.dtype.kind == "M":
        v = cohort.astype("datetime64[ns]").view("int64").copy()
        never = np.isnat(cohort)
        v[never] = np.iinfo(np.int64).min
        uniq, inv = np.unique(v, return_inverse=True)
        keys = [NEVER if u == np.iinfo(np.int64).min else int(u) for u in uniq]
        return keys, inv
    if cohort.dtype.kind in "fiub":
        v = cohort.astype(np.float64)
        v = np.where(np.isnan(v), 0.0, v)
        uniq, inv = np.unique(v, return_inverse=True)
        return [NEVER if u == 0 else float(u) for u in uniq], inv
    keys = list(dict.fromkeys(cohort.tolist()))
    pos = {c: i for i, c in enumerate(keys)}
    return keys, np.fromiter((pos[c] for c in cohort.tolist()), np.int64, len(cohort))


def moments_from_wide(
    y: np.ndarray,
    cohort: np.ndarray,
    *,
    time_labels: np.ndarray,
    time_kind: str,
    cluster: np.ndarray | None = None,
    incomplete: np.ndarray | None = None,
    n_rows: int = 0,
    source: str = "",
) -> CohortMoments:
    """Moments of complete units given as an ``(n, T)`` outcome matrix.

    Parameters
    ----------
    y
        Outcomes of the complete units, one row per unit.
    cohort
        Raw cohort per unit: float (0 or NaN = never treated), ``datetime64`` (NaT =
        never) or an object array of keys (``None`` = never).
    cluster
        Cluster label per unit, or ``None``.
    incomplete
        Raw cohort of each incomplete unit (counted, not used), or ``None``.
    """
    uniq, code = _unique_keys(cohort)
    keys = list(uniq)
    if incomplete is not None and len(incomplete):
        inc_uniq, inc_code = _unique_keys(incomplete)
        keys += [c for c in inc_uniq if c not in keys]
    cohorts = sorted(keys, key=_sort_key)
    pos = {c: i for i, c in enumerate(cohorts)}
    code = np.array([pos[c] for c in uniq], dtype=np.int64)[code]
    n_h, n_t = len(cohorts), y.shape[1]
    n = np.bincount(code, minlength=n_h).astype(np.int64)
    mean = np.zeros((n_h, n_t))
    scatter = np.zeros((n_h, n_t, n_t))
    order = np.argsort(code, kind="stable")
    starts = np.concatenate([[0], np.cumsum(n)])
    for h in range(n_h):
        if n[h] == 0:
            continue
        yc = y[order[starts[h] : starts[h + 1]]]  # a copy (fancy indexing): centred in place
        mu = yc.mean(axis=0)
        yc -= mu
        mean[h] = mu
        scatter[h] = yc.T @ yc
    n_inc = np.zeros(n_h, dtype=np.int64)
    if incomplete is not None and len(incomplete):
        inc = np.array([pos[c] for c in inc_uniq], dtype=np.int64)[inc_code]
        np.add.at(n_inc, inc, 1)
    cl: dict = {}
    if cluster is not None:
        labels, ccode = np.unique(np.asarray(cluster).astype(str), return_inverse=True)
        labels = np.asarray(cluster)[np.unique(ccode, return_index=True)[1]]
        cn = np.zeros((len(labels), n_h))
        np.add.at(cn, (ccode, code), 1.0)
        cs = np.zeros((len(labels), n_h, n_t))
        np.add.at(cs, (ccode, code), y)
        cl = dict(clusters=np.asarray(labels, dtype=object), cluster_n=cn, cluster_sum=cs)
    return CohortMoments(
        time_labels=np.asarray(time_labels),
        time_kind=time_kind,
        cohorts=tuple(cohorts),
        n=n,
        mean=mean,
        scatter=scatter,
        n_incomplete=n_inc,
        n_rows=n_rows,
        source=source,
        **cl,
    )
