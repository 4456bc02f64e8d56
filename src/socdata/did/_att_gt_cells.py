"""ATT(g,t) cells: which cells exist, their estimates and influence-function statistics.

Private helper of :func:`socdata.did.att_gt`.  Without covariates each cell is a
difference of (weighted) cohort mean changes and the influence functions are held as
cohort sums; with covariates each cell is a DRDID-style 2x2 estimate and the influence
functions are stacked into an ``n x K`` matrix.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np

from socdata import distributions as _st
from socdata._lazy import lazy_module
from socdata.did._att_gt_arrays import PanelArrays
from socdata.did._att_gt_results import _SE_FLOOR, _boot_inference, _fmt, _inference_frame
from socdata.did._att_gt_stats import (
    IFStats,
    cohort_mode_stats,
    common_mode_stats,
    stats_from_moments,
)
from socdata.errors import DataQualityWarning, EstimationError, caller_stacklevel

sparse = lazy_module("scipy.sparse")


@dataclasses.dataclass
class Cells:
    cohort: list[int]
    t: list[int]
    b: list[int]
    base: list[bool]
    controls: list[np.ndarray]


def plan_cells(p: PanelArrays, control_group: str, base_period: str, anticipation: int) -> Cells:
    tnum = p.time_num
    n_t = len(tnum)
    tfac = 1 if base_period == "varying" else 0
    cv = p.cohort_values
    cells = Cells([], [], [], [], [])
    for code in range(1, len(cv)):
        g = cv[code]
        if p.control_only is not None and g >= p.control_only:
            continue
        pre_idx = np.flatnonzero(tnum + anticipation < g)
        if len(pre_idx) == 0:  # pragma: no cover - such units were dropped in build_panel
            continue
        pret_g = int(pre_idx[-1])
        for ti in range(n_t - tfac):
            cur = ti + tfac
            pret = pret_g if base_period == "universal" else ti
            if g - anticipation <= tnum[cur]:
                pret = pret_g
            is_base = base_period == "universal" and pret == cur
            if control_group == "never_treated":
                ctrl = np.array([0])
            else:
                thr = max(tnum[cur], tnum[pret]) + anticipation
                ctrl = np.flatnonzero((cv > thr) & (np.arange(len(cv)) != code))
            cells.cohort.append(code)
            cells.t.append(cur)
            cells.b.append(pret)
            cells.base.append(is_base)
            cells.controls.append(ctrl)
    return cells


def cells_unconditional(
    p: PanelArrays, cells: Cells, boot: dict[str, Any]
) -> tuple[np.ndarray, IFStats]:
    """ATT(g,t) without covariates: differences of (weighted) cohort mean changes, with
    the influence-function statistics held as cohort sums (no n x K matrix)."""
    n = p.n_units
    k = len(cells.t)
    code = np.asarray(cells.cohort)
    ct, cb = np.asarray(cells.t), np.asarray(cells.b)
    att = np.full(k, np.nan)
    if p.moments is not None:  # a table source: the engine computed the cohort moments
        m = p.moments
        stats = stats_from_moments(
            m.n,
            m.mean,
            m.scatter,
            cell_t=ct,
            cell_b=cb,
            cluster_n=m.cluster_n,
            cluster_sum=m.cluster_sum,
        )
        means = stats.means
    else:
        stats, means = cohort_mode_stats(
            p.y,
            p.cohort_code,
            len(p.cohort_values),
            pairs=(np.zeros(0, int), np.zeros(0, int), np.zeros(0), np.zeros(0)),
            cell_t=ct,
            cell_b=cb,
            cluster_code=p.cluster_code,
            n_clusters=p.n_clusters,
            weights=p.weights,
            **boot,
        )
    wsum = stats.n_h  # units per cohort, or summed weights
    w_treat = wsum[code]
    w_ctrl = np.array([wsum[c].sum() for c in cells.controls], dtype=float)
    dbar = means[:, ct] - means[:, cb]  # (H, K): mean change of each cohort per cell
    pk, ph, pa, pc = [], [], [], []
    for j in range(k):
        if cells.base[j]:
            att[j] = 0.0
            continue
        ctrl = cells.controls[j]
        if w_ctrl[j] == 0 or w_treat[j] == 0:
            warnings.warn(
                f"no comparison units for ATT({_fmt(p.cohort_labels[code[j]])},"
                f"{_fmt(p.time_labels[ct[j]])}); it is left missing.",
                DataQualityWarning,
                stacklevel=caller_stacklevel(),
            )
            continue
        pooled = float(wsum[ctrl] @ dbar[ctrl, j]) / w_ctrl[j]
        att[j] = dbar[code[j], j] - pooled
        pk.append(np.full(1 + len(ctrl), j))
        ph.append(np.concatenate([[code[j]], ctrl]))
        a_c = -n / w_ctrl[j]
        pa.append(np.concatenate([[n / w_treat[j]], np.full(len(ctrl), a_c)]))
        pc.append(np.concatenate([[0.0], a_c * (dbar[ctrl, j] - pooled)]))
    pairs = tuple(np.concatenate(v) if v else np.zeros(0) for v in (pk, ph, pa, pc))
    pairs = (pairs[0].astype(int), pairs[1].astype(int), pairs[2], pairs[3])
    return att, dataclasses.replace(stats, pairs=pairs)


def cells_conditional(
    p: PanelArrays, cells: Cells, est: Any, boot: dict[str, Any]
) -> tuple[np.ndarray, IFStats]:
    """ATT(g,t) with covariates: a DRDID-style 2x2 estimator per cell, influence
    functions stacked into an n x K matrix."""
    n = p.y.shape[0]
    k = len(cells.t)
    code = np.asarray(cells.cohort)
    ct, cb = np.asarray(cells.t), np.asarray(cells.b)
    att = np.full(k, np.nan)
    z = np.zeros((n, k))
    for j in range(k):
        if cells.base[j]:
            att[j] = 0.0
            continue
        in_g = p.cohort_code == code[j]
        sub = np.flatnonzero(in_g | np.isin(p.cohort_code, cells.controls[j]))
        d = in_g[sub].astype(float)
        early = min(ct[j], cb[j])
        x = np.column_stack([np.ones(len(sub)), p.x[sub, early, :]])
        try:
            a, inf = est(p.y[sub, ct[j]], p.y[sub, cb[j]], d, x)
        except EstimationError as exc:
            warnings.warn(
                f"ATT({_fmt(p.cohort_labels[code[j]])},{_fmt(p.time_labels[ct[j]])}) "
                f"could not be estimated and is left missing: {exc}",
                DataQualityWarning,
                stacklevel=caller_stacklevel(),
            )
            continue
        att[j] = a
        z[sub, j] = inf * (n / len(sub))
    stats = common_mode_stats(
        z,
        p.cohort_code,
        len(p.cohort_values),
        cluster_code=p.cluster_code,
        n_clusters=p.n_clusters,
        **boot,
    )
    return att, stats


def cell_inference(
    att: np.ndarray, stats: IFStats, conf_level: float, bootstrap: bool, cband: bool
) -> tuple[dict[str, np.ndarray], np.ndarray, str]:
    """Standard errors, critical values and the interval type of the cells."""
    k = att.size
    eye = sparse.identity(k, format="csr")
    se = np.sqrt(np.maximum(stats.variance(eye), 0.0))
    se = np.where((se > _SE_FLOOR) & np.isfinite(att), se, np.nan)
    crit = np.full(k, _st.norm.ppf((1 + conf_level) / 2))
    ci_type = "pointwise (analytic)"
    if bootstrap:
        dev = stats.boot_deviations(eye)
        se, c = _boot_inference(dev, conf_level)
        if cband:
            crit[:] = c
            ci_type = "uniform (multiplier bootstrap, sup-t)"
        else:
            ci_type = "pointwise (multiplier bootstrap)"
    return _inference_frame(att, se, crit), crit, ci_type
