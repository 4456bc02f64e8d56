"""Aggregation weights of ATT(g,t): simple, group, dynamic (event time) and calendar.

Private helper of :mod:`socdata.did.att_gt`.  Each aggregated parameter is a linear
combination ``sum_k w_k ATT_k`` of the group-time cells with weights that are themselves
estimated (cohort shares); as in R ``did::aggte`` (Callaway and Sant'Anna 2021, section 3
and appendix), the influence function adds the estimation effect of those weights, which
depends on the unit only through its cohort.  This module returns, for every reported row,
the cell weights ``W`` (J x K) and the cohort-level additions ``E`` (J x H), so that
estimates are ``W @ att`` and influence functions follow from :class:`IFStats`.
"""

from __future__ import annotations

import dataclasses

import numpy as np

AGG_TYPES = ("simple", "group", "dynamic", "calendar")


@dataclasses.dataclass(frozen=True)
class AggSpec:
    """Rows of an aggregation: labels, cell weights and cohort-level IF additions.

    Row 0 is the overall parameter; ``uniform_rows`` are the rows a simultaneous band covers.
    """

    labels: list
    weights: np.ndarray
    extra: np.ndarray
    keys: list
    uniform_rows: np.ndarray


def weight_if(
    keepers: np.ndarray,
    pg: np.ndarray,
    cell_cohort: np.ndarray,
    att: np.ndarray,
    n_cohorts: int,
) -> np.ndarray:
    """Cohort-level influence of estimating the weights ``pg[keepers] / sum(pg[keepers])``.

    Mirrors ``wif(...) %*% att[keepers]`` of R did's ``compute.aggte``: for a unit in cohort
    ``h`` it is ``sum_k att_k (1[h = g_k] - pg_k) / S - sum_l (1[h = g_l] - pg_l) *
    sum_k att_k pg_k / S**2`` with ``S = sum_k pg_k`` over the kept cells.
    """
    p = pg[keepers]
    a = att[keepers]
    g = cell_cohort[keepers]
    s = p.sum()
    ind = np.zeros((n_cohorts, len(keepers)))
    ind[g, np.arange(len(keepers))] = 1.0
    dev = ind - p[None, :]
    return dev @ a / s - dev.sum(axis=1) * (a @ p) / s**2


def build(
    kind: str,
    *,
    cell_cohort: np.ndarray,
    cell_gnum: np.ndarray,
    cell_tnum: np.ndarray,
    att: np.ndarray,
    pg: np.ndarray,
    n_cohorts: int,
    time_num: np.ndarray,
    cohort_labels: list,
    time_labels: np.ndarray,
    min_e: float = -np.inf,
    max_e: float = np.inf,
    balance_e: int | None = None,
) -> AggSpec:
    """Weights of the ``kind`` aggregation, following R ``did::aggte``."""
    k = len(att)
    post = cell_gnum <= cell_tnum
    rows_w: list[np.ndarray] = []
    rows_e: list[np.ndarray] = []
    labels: list = []
    keys: list = []

    def unit_row(idx: np.ndarray, wts: np.ndarray) -> np.ndarray:
        r = np.zeros(k)
        r[idx] = wts
        return r

    if kind == "simple":
        keep = np.flatnonzero(post & (cell_tnum <= cell_gnum + max_e))
        w = pg[keep] / pg[keep].sum()
        rows_w.append(unit_row(keep, w))
        rows_e.append(weight_if(keep, pg, cell_cohort, att, n_cohorts))
        labels.append("overall")
        keys.append(None)
        return AggSpec(labels, np.array(rows_w), np.array(rows_e), keys, np.array([], int))

    if kind == "group":
        codes = np.unique(cell_cohort)
        gw, ge, gatt, gpg = [], [], [], []
        for code in codes:
            idx = np.flatnonzero((cell_cohort == code) & post & (cell_tnum <= cell_gnum + max_e))
            if len(idx) == 0:
                continue
            r = unit_row(idx, np.full(len(idx), 1.0 / len(idx)))
            gw.append(r)
            ge.append(np.zeros(n_cohorts))
            gatt.append(r @ att)
            gpg.append(pg[idx[0]])
            labels.append(cohort_labels[code])
            keys.append(code)
        gw_a, gatt_a, gpg_a = np.array(gw), np.array(gatt), np.array(gpg)
        overall_w = (gpg_a / gpg_a.sum()) @ gw_a
        grp_codes = np.array(keys, dtype=int)
        overall_e = weight_if(np.arange(len(gpg_a)), gpg_a, grp_codes, gatt_a, n_cohorts)
        return AggSpec(
            ["overall", *labels],
            np.vstack([overall_w, gw_a]),
            np.vstack([overall_e, np.array(ge)]),
            [None, *keys],
            np.arange(1, len(labels) + 1),
        )

    if kind == "dynamic":
        e_cell = cell_tnum - cell_gnum
        include = np.ones(k, dtype=bool)
        eseq = np.unique(e_cell)
        if balance_e is not None:
            include = (time_num[-1] - cell_gnum) >= balance_e
            eseq = np.unique(e_cell[include])
            eseq = eseq[(eseq <= balance_e) & (eseq >= balance_e - time_num[-1] + time_num[0])]
        eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
        for e in eseq:
            idx = np.flatnonzero((e_cell == e) & include)
            rows_w.append(unit_row(idx, pg[idx] / pg[idx].sum()))
            rows_e.append(weight_if(idx, pg, cell_cohort, att, n_cohorts))
            labels.append(int(e) if float(e).is_integer() else float(e))
            keys.append(float(e))
        wmat, emat = np.array(rows_w).reshape(-1, k), np.array(rows_e).reshape(-1, n_cohorts)
        epos = eseq >= 0
        if epos.any():
            overall_w, overall_e = wmat[epos].mean(0), emat[epos].mean(0)
        else:
            overall_w, overall_e = np.full(k, np.nan), np.zeros(n_cohorts)
        return AggSpec(
            ["overall", *labels],
            np.vstack([overall_w, wmat]),
            np.vstack([overall_e, emat]),
            [None, *keys],
            np.arange(1, len(labels) + 1),
        )

    if kind == "calendar":
        min_g = cell_gnum.min()
        periods = np.flatnonzero(time_num >= min_g)
        for j in periods:
            idx = np.flatnonzero((cell_tnum == time_num[j]) & post)
            if len(idx) == 0:
                continue
            rows_w.append(unit_row(idx, pg[idx] / pg[idx].sum()))
            rows_e.append(weight_if(idx, pg, cell_cohort, att, n_cohorts))
            labels.append(time_labels[j])
            keys.append(float(time_num[j]))
        wmat, emat = np.array(rows_w), np.array(rows_e)
        return AggSpec(
            ["overall", *labels],
            np.vstack([wmat.mean(0), wmat]),
            np.vstack([emat.mean(0), emat]),
            [None, *keys],
            np.arange(1, len(labels) + 1),
        )
    raise ValueError(kind)  # pragma: no cover - checked by the caller
