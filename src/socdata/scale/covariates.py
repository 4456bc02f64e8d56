"""ATT(g,t) with covariates on a table source: the 2x2 fits streamed in chunked passes.

With covariates, each ATT(g,t) is a 2x2 doubly robust, IPW or outcome-regression estimate
(Sant'Anna and Zhao 2020, as :mod:`socdata.did._att_gt_drdid`): a logit propensity score
fitted on unit rows and influence functions per unit, which no cohort statistic reduces
exactly.  They are computed here from a :class:`~socdata.scale.units.UnitStream` in
passes over the table, each holding one chunk of units in memory:

1. **cohort statistics** (:func:`socdata.scale.sources.cohort_moments`, a unit with a
   missing covariate counted as incomplete): the panel, its rules and flow log;
2. **cross products** per cohort and period, ``sum x~ x~'`` and ``sum x~ y_t``
   (``x~ = (1, x)``): the outcome regressions of every cell are exact functions of these
   (``"reg"`` and ``"dr"``); the first Newton step of every propensity logit is taken in
   the same pass;
3. **Newton steps** of the logits (``"ipw"``, ``"dr"``): one pass per step, the gradient
   ``sum x~ (d - p)`` and Hessian ``sum x~ x~' p (1 - p)`` of every distinct logit (a
   cohort, its comparison cohorts and the covariate period; cells that share them share
   the fit) summed over chunks, with the stopping rule of the in-memory fit;
4. **weighted sums** at the fitted scores: the information matrix and the sums of the
   comparison weights times ``x~``, ``x~ x~'``, ``y_t`` and ``y_t x~``;
5. **influence functions**: each unit's vector of cell influence functions is formed in
   its chunk and reduced at once to per-cohort means, the pooled within-cohort scatter
   (combined across chunks by the pairwise update) and per-cluster sums -- the statistics
   :class:`socdata.did._att_gt_stats.IFStats` needs for every standard error and
   aggregation.

The estimates equal the in-memory ones up to the order of floating-point sums (tested to
1e-8; the logit is iterated to the same convergence tolerance as in memory, so the fits
agree to about 1e-12).  ``est_method="dr_imp"`` replaces steps 3-4 by inverse
probability tilting, a pass per evaluation of its line search
(:mod:`socdata.scale.tilting`).  Weights and the multiplier bootstrap are not available
here.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np

from socdata._lazy import lazy_module
from socdata.did._att_gt_stats import IFStats
from socdata.errors import (
    AttGtInputError,
    DataQualityWarning,
    EstimationError,
    caller_stacklevel,
)
from socdata.scale import units
from socdata.scale.tilting import fit_tilting, tilting_influence, tilting_parameters
from socdata.scale.units import OrderChanged, UnitChunk, UnitStream

special = lazy_module("scipy.special")

__all__ = ["cells_streamed", "covariate_panel"]

TRIM_LEVEL = 0.995
STREAMED_METHODS = ("dr", "ipw", "reg", "dr_imp")
_SINGULAR_OLS = (
    "the outcome-regression design for the comparison units is singular (collinear "
    "covariates, or a covariate constant among comparison units); remove or combine covariates."
)
_SINGULAR_PS = (
    "the propensity-score design is singular (collinear or constant covariates within a 2x2 "
    "comparison); remove or combine covariates."
)
_NO_CONVERGENCE = (
    "the propensity-score logit did not converge (perfect separation of treated and "
    "comparison units by the covariates?); remove covariates or use est_method='reg'."
)


# ---------------------------------------------------------------------- the panel
def _masked_outcome(rel: Any, outcome: str, covariates: list[str]) -> Any:
    """The relation with the outcome set missing where a covariate is missing or not
    finite, so the statistics pass counts such units as incomplete (as in memory)."""
    from socdata.scale.sources import _q

    bad = " OR ".join(
        f"{_q(c)} IS NULL OR NOT isfinite(CAST({_q(c)} AS DOUBLE))" for c in covariates
    )
    exprs = [
        f"CASE WHEN {bad} THEN NULL ELSE CAST({_q(c)} AS DOUBLE) END AS {_q(c)}"
        if c == outcome
        else _q(c)
        for c in rel.columns
    ]
    return rel.project(", ".join(exprs))


def covariate_panel(data: Any, params: dict[str, Any]) -> tuple[Any, Any]:
    """The estimation panel of ``att_gt(..., covariates=)`` from a table source: the rules
    applied on cohort statistics, and a :class:`UnitStream` of its units for the fits."""
    from concurrent.futures import Future

    import duckdb

    from socdata.scale._sql import is_numeric_type
    from socdata.scale.finish import _cohort_numbers, panel_from_moments
    from socdata.scale.moments import CohortMoments
    from socdata.scale.sources import _check_columns, _relation, cohort_moments, moment_columns

    covariates = list(params["covariates"])
    if isinstance(data, CohortMoments) or type(data).__module__.startswith("pyspark"):
        raise AttGtInputError(
            "att_gt with covariates needs the unit rows: cohort statistics (and Spark, for "
            "now) cannot give them. Pass a DuckDB relation, Parquet path or Arrow table, or "
            "estimate without covariates."
        )
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        rel, desc = _relation(data, con)
        roles = {f"covariates[{i}]": c for i, c in enumerate(covariates)}
        types = _check_columns(rel, {**roles, "outcome": params["outcome"]})
        for c in covariates:
            if not is_numeric_type(types[c]):
                raise AttGtInputError(
                    f"covariate {c!r} has type {types[c]}; covariates must be numeric. Cast "
                    "it in the query, or encode a category as 0/1 columns."
                )
        m0 = cohort_moments(
            _masked_outcome(rel, params["outcome"], covariates), **moment_columns(params)
        )
    finally:
        con.close()
    p = panel_from_moments(
        m0,
        outcome=params["outcome"],
        anticipation=params["anticipation"],
        control_group=params["control_group"],
        balance=params["balance"],
    )
    time_num = (
        np.arange(len(m0.time_labels), dtype=np.float64)
        if m0.time_kind == "datetime"
        else m0.time_labels.astype(np.float64)
    )
    gnum, _ = _cohort_numbers(m0, time_num)
    code_of_key = {k: i for i, k in enumerate(p.moments.cohorts)}
    for key, gv in zip(m0.cohorts, gnum, strict=True):
        if key not in code_of_key:  # late cohorts are never treated; the rest are dropped
            late = np.isfinite(gv) and gv > time_num[-1] + params["anticipation"]
            code_of_key[key] = 0 if late else -1
    clusters = p.moments.clusters
    p.rows = UnitStream(
        data=data,
        columns={c: params[c] for c in ("unit", "time", "cohort", "outcome", "cluster")},
        covariates=covariates,
        n_periods=len(m0.time_labels),
        keep_t=np.isin(m0.time_labels, p.time_labels),
        code_of_key=code_of_key,
        cluster_pos=None if clusters is None else {c: i for i, c in enumerate(clusters.tolist())},
        batch_rows=units.BATCH_ROWS,
    )
    digest: Future = Future()
    digest.set_result(f"{desc} (covariates streamed in chunks)")
    return digest, p


# ---------------------------------------------------------------------- the fits
@dataclasses.dataclass
class _Logit:
    """A propensity-score logit shared by the cells with the same cohort, comparison
    cohorts and covariate period, and its running sums."""

    g: int
    members: np.ndarray
    e: int
    beta: np.ndarray
    iterations: int = 0
    done: bool = False
    error: str | None = None
    grad: Any = 0.0
    hess: Any = 0.0
    sums: dict = dataclasses.field(default_factory=dict)

    def rows(self, ch: UnitChunk) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        mask = np.isin(ch.code, self.members)
        xt = _design(ch.x[mask, self.e, :])
        return mask, xt, (ch.code[mask] == self.g).astype(np.float64)

    def step(self) -> None:
        """One Newton step (the rule of :func:`socdata.did._att_gt_drdid.fit_logit`)."""
        try:
            step = np.linalg.solve(self.hess, self.grad)
        except np.linalg.LinAlgError:
            self.error, self.done = _SINGULAR_PS, True
            return
        self.beta = self.beta + step
        self.iterations += 1
        if np.max(np.abs(step)) < 1e-12 * (1 + np.max(np.abs(self.beta))):
            self.done = True
        elif self.iterations >= 100:
            self.error, self.done = _NO_CONVERGENCE, True
        self.grad = self.hess = 0.0

    def scores(self, xt: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Capped propensity scores and comparison weights (trimmed as DRDID)."""
        ps = np.minimum(special.expit(xt @ self.beta), 1 - 1e-6)
        trim = np.where(d == 1, 1.0, (ps < TRIM_LEVEL).astype(np.float64))
        return ps, trim * ps * (1 - d) / (1 - ps)


def _design(x: np.ndarray) -> np.ndarray:
    return np.column_stack([np.ones(len(x)), x])


def _newton_sums(lg: _Logit, ch: UnitChunk) -> None:
    _, xt, d = lg.rows(ch)
    p = special.expit(xt @ lg.beta)
    lg.grad = lg.grad + xt.T @ (d - p)
    lg.hess = lg.hess + (xt * (p * (1 - p))[:, None]).T @ xt


def _weighted_sums(lg: _Logit, ch: UnitChunk) -> None:
    mask, xt, d = lg.rows(ch)
    ps, wc = lg.scores(xt, d)
    y = ch.y[mask]
    add = {
        "info": (xt * (ps * (1 - ps))[:, None]).T @ xt,
        "w": wc.sum(),
        "wx": wc @ xt,
        "wxx": (xt * wc[:, None]).T @ xt,
        "wy": wc @ y,
        "wyx": np.einsum("m,mt,mq->tq", wc, y, xt),
    }
    for k, v in add.items():
        lg.sums[k] = lg.sums.get(k, 0.0) + v


class _CrossProducts:
    """Per cohort and period ``sum x~ x~'`` ``(H, T, q, q)`` and ``sum x~(s) y_t``
    ``(H, T, T, q)``: the outcome regressions of all cells are exact functions of these."""

    def __init__(self, n_h: int, n_t: int, q: int):
        self.xx = np.zeros((n_h, n_t, q, q))
        self.xy = np.zeros((n_h, n_t, n_t, q))

    def add(self, ch: UnitChunk) -> None:
        xt = np.concatenate([np.ones((*ch.x.shape[:2], 1)), ch.x], axis=2)
        for h in np.unique(ch.code):
            sel = ch.code == h
            xh, yh = xt[sel], ch.y[sel]
            self.xx[h] += np.einsum("mtq,mtr->tqr", xh, xh)
            self.xy[h] += np.einsum("msq,mt->stq", xh, yh)


class _IFAccumulator:
    """Per-cohort means and pooled within-cohort scatter of the units' cell influence
    functions (pairwise update across chunks), and per-cluster sums."""

    def __init__(self, n_h: int, k: int, n_clusters: int | None):
        self.n = np.zeros(n_h)
        self.mean = np.zeros((n_h, k))
        self.scatter = np.zeros((k, k))
        self.csum = None if n_clusters is None else np.zeros((n_clusters, k))
        self.cn = None if n_clusters is None else np.zeros((n_clusters, n_h))

    def add(self, z: np.ndarray, ch: UnitChunk) -> None:
        n_h = len(self.n)
        nb = np.bincount(ch.code, minlength=n_h).astype(np.float64)
        sb = np.zeros_like(self.mean)
        np.add.at(sb, ch.code, z)
        mb = np.divide(sb, nb[:, None], out=np.zeros_like(sb), where=nb[:, None] > 0)
        zc = z - mb[ch.code]
        self.scatter += zc.T @ zc
        for h in np.flatnonzero(nb):
            na, tot = self.n[h], self.n[h] + nb[h]
            delta = mb[h] - self.mean[h]
            self.scatter += np.outer(delta, delta) * (na * nb[h] / tot)
            self.mean[h] += delta * (nb[h] / tot)
            self.n[h] = tot
        if self.csum is not None:
            np.add.at(self.csum, ch.cluster, z)
            np.add.at(self.cn, (ch.cluster, ch.code), 1.0)

    def stats(self, n: int) -> IFStats:
        csums = None
        if self.csum is not None:
            csums = (self.csum - self.cn @ self.mean)[:, None, :]
        return IFStats(
            n=n,
            n_h=self.n.copy(),
            mode="common",
            scatter=self.scatter[None],
            means=self.mean,
            n_cells=self.mean.shape[1],
            cluster_sums=csums,
            cluster_n=self.cn,
        )


def _cell_parameters(
    j: int, cells: Any, m: Any, xp: _CrossProducts | None, lg: Any, method: str
) -> dict[str, Any]:
    """Everything a cell's estimate and per-unit influence function need, from the sums
    of the passes (raises :class:`EstimationError` as the in-memory 2x2 estimator would)."""
    g, ctrl = int(cells.cohort[j]), np.asarray(cells.controls[j])
    t, b = int(cells.t[j]), int(cells.b[j])
    e = min(t, b)
    n_g = float(m.n[g])
    n_sub = n_g + float(m.n[ctrl].sum())
    par: dict[str, Any] = dict(
        method=method, g=g, members=np.concatenate([[g], ctrl]), t=t, b=b, e=e, n_sub=n_sub
    )
    par["pbar"] = n_g / n_sub
    sum_dy_t = n_g * (m.mean[g, t] - m.mean[g, b])  # treated units' summed change
    if method == "dr_imp":  # lg: the cell's inverse probability tilting
        tilting_parameters(par, lg)
        return par
    if lg is not None:
        if lg.error:
            raise EstimationError(lg.error)
        s = lg.sums
        par["logit"] = lg
        par["hess_inv"] = np.linalg.inv(s["info"]) * n_sub
    if method != "ipw":
        xtx = xp.xx[ctrl, e].sum(axis=0)
        xtdy = (xp.xy[ctrl, e, t] - xp.xy[ctrl, e, b]).sum(axis=0)
        try:
            coef = np.linalg.solve(xtx, xtdy)
        except np.linalg.LinAlgError as exc:
            raise EstimationError(_SINGULAR_OLS) from exc
        sx_g = xp.xx[g, e, 0, :]
        par.update(coef=coef, xpx_inv=np.linalg.inv(xtx / n_sub), mwx=sx_g / n_sub)
    if method == "reg":
        par["eta_t"] = sum_dy_t / n_g
        par["eta_c"] = float(sx_g @ coef) / n_g
    elif method == "ipw":
        par["eta_t"] = sum_dy_t / n_g
        par["eta_c"] = (s["wy"][t] - s["wy"][b]) / s["w"]
        par["m2"] = (s["wyx"][t] - s["wyx"][b] - par["eta_c"] * s["wx"]) / n_sub
        par["wbar"] = s["w"] / n_sub
    else:  # dr
        par["eta_t"] = (sum_dy_t - float(sx_g @ coef)) / n_g
        par["eta_c"] = (s["wy"][t] - s["wy"][b] - float(s["wx"] @ coef)) / s["w"]
        par["m2"] = (s["wyx"][t] - s["wyx"][b] - s["wxx"] @ coef - par["eta_c"] * s["wx"]) / n_sub
        par["wbar"] = s["w"] / n_sub
        par["wcx"] = s["wx"] / n_sub
    par["att"] = par["eta_t"] - par["eta_c"]
    return par


def _cell_influence(par: dict[str, Any], ch: UnitChunk) -> tuple[np.ndarray, np.ndarray]:
    """The units of the chunk in the cell's 2x2 sample and their influence functions
    (the formulas of :mod:`socdata.did._att_gt_drdid`)."""
    mask = np.isin(ch.code, par["members"])
    xt = _design(ch.x[mask, par["e"], :])
    d = (ch.code[mask] == par["g"]).astype(np.float64)
    dy = ch.y[mask, par["t"]] - ch.y[mask, par["b"]]
    pbar, method = par["pbar"], par["method"]
    if method == "dr_imp":
        return mask, tilting_influence(par, xt, d, dy)
    if method != "ipw":
        out = xt @ par["coef"]
        asy_ols = (((1 - d) * (dy - out))[:, None] * xt) @ par["xpx_inv"]
    if method != "reg":
        ps, wc = par["logit"].scores(xt, d)
        asy_ps = ((d - ps)[:, None] * xt) @ par["hess_inv"]
    eta_t, eta_c = par["eta_t"], par["eta_c"]
    if method == "reg":
        inf = d * (dy - eta_t) / pbar - (d * (out - eta_c) + asy_ols @ par["mwx"]) / pbar
    elif method == "ipw":
        inf_c = (wc * dy - wc * eta_c + asy_ps @ par["m2"]) / par["wbar"]
        inf = d * (dy - eta_t) / pbar - inf_c
    else:
        inf_t = (d * (dy - out) - d * eta_t - asy_ols @ par["mwx"]) / pbar
        inf_c = (wc * (dy - out) - wc * eta_c + asy_ps @ par["m2"] - asy_ols @ par["wcx"]) / par[
            "wbar"
        ]
        inf = inf_t - inf_c
    return mask, inf


def _fit_nuisance(
    stream: UnitStream, logits: list[_Logit], xp: _CrossProducts | None, weighted: bool = True
) -> None:
    """Passes 2-4: cross products with the first Newton step, a pass per further step,
    then the weighted sums at the fitted scores."""
    first = True
    while first or any(not lg.done for lg in logits):
        pending = [lg for lg in logits if not lg.done]
        if pending or xp is not None:
            for ch in stream.chunks():
                if first and xp is not None:
                    xp.add(ch)
                for lg in pending:
                    _newton_sums(lg, ch)
        for lg in pending:
            lg.step()
        first = False
    ok = [lg for lg in logits if lg.error is None] if weighted else []
    if ok:
        for ch in stream.chunks():
            for lg in ok:
                _weighted_sums(lg, ch)


def cells_streamed(p: Any, cells: Any, est: Any) -> tuple[np.ndarray, IFStats]:
    """ATT(g,t) with covariates from a table source (see module docstring): the same
    estimates and influence-function statistics as
    :func:`socdata.did._att_gt_cells.cells_conditional`."""
    try:
        return _cells_streamed(p, cells, est)
    except OrderChanged:  # the stored order is not stable between scans: scan ordered
        p.rows.ordered = False
        return _cells_streamed(p, cells, est)


def _cells_streamed(p: Any, cells: Any, est: Any) -> tuple[np.ndarray, IFStats]:
    from socdata.did._att_gt_results import _fmt

    method = est.__name__.removesuffix("_panel")
    stream: UnitStream = p.rows
    m = p.moments
    k = len(cells.t)
    q = 1 + len(stream.covariates)
    att = np.where(np.asarray(cells.base), 0.0, np.nan)
    active = [j for j in range(k) if not cells.base[j]]
    logits: dict[tuple, _Logit] = {}
    cell_logit: dict[int, _Logit] = {}
    if method != "reg":
        for j in active:
            g, ctrl = int(cells.cohort[j]), np.asarray(cells.controls[j])
            e = min(int(cells.t[j]), int(cells.b[j]))
            key = (g, tuple(ctrl.tolist()), e)
            if key not in logits:
                p0 = np.clip(m.n[g] / (m.n[g] + m.n[ctrl].sum()), 1e-12, 1 - 1e-12)
                beta = np.zeros(q)
                beta[0] = np.log(p0 / (1 - p0))
                logits[key] = _Logit(g=g, members=np.concatenate([[g], ctrl]), e=e, beta=beta)
            cell_logit[j] = logits[key]
    n_h = len(p.cohort_values)
    xp = _CrossProducts(n_h, p.n_periods, q) if method in ("reg", "dr") else None
    _fit_nuisance(stream, list(logits.values()), xp, weighted=method != "dr_imp")
    if method == "dr_imp":  # the logits start inverse probability tilting
        n_sub = {key: float(m.n[[*key[1], key[0]]].sum()) for key in logits}
        tilts = fit_tilting(stream, logits, n_sub)
        key_of = {id(lg): key for key, lg in logits.items()}
        cell_logit = {j: tilts[key_of[id(lg)]] for j, lg in cell_logit.items()}
    params: dict[int, dict] = {}
    for j in active:
        try:
            params[j] = _cell_parameters(j, cells, m, xp, cell_logit.get(j), method)
        except EstimationError as exc:
            warnings.warn(
                f"ATT({_fmt(p.cohort_labels[cells.cohort[j]])},{_fmt(p.time_labels[cells.t[j]])}) "
                f"could not be estimated and is left missing: {exc}",
                DataQualityWarning,
                stacklevel=caller_stacklevel(),
            )
            continue
        att[j] = params[j]["att"]
    n = p.n_units
    acc = _IFAccumulator(n_h, k, None if m.clusters is None else len(m.clusters))
    for ch in stream.chunks():  # the last pass: influence functions
        z = np.zeros((len(ch.code), k))
        for j, par in params.items():
            mask, inf = _cell_influence(par, ch)
            z[mask, j] = inf * (n / par["n_sub"])
        acc.add(z, ch)
    return att, acc.stats(n)
