"""``est_method="dr_imp"`` on a table source: inverse probability tilting in chunked passes.

The improved doubly robust 2x2 estimator (``socdata.did._att_gt_drdid.dr_imp_panel``) fits
the propensity score by inverse probability tilting (Graham, Pinto and Egel 2012): damped
Newton steps on the concave ``mean(d x'g - (1 - d) exp(x'g))`` from the logit fit, each
step halved until the objective does not fall.  Here each evaluation of the objective (with
its gradient and Hessian at the same point) is one pass over the table for all tilting
problems at once; :class:`Tilting` replays the in-memory line search as a state machine
over those passes.  Then one pass sums the odds-weighted cross products of the outcome
regression and the weighted terms of the estimate, and the influence-function pass
follows (:mod:`socdata.scale.covariates`).  The influence function of this estimator has
no estimation effect of the nuisance models, so no information matrix is needed.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from socdata._lazy import lazy_module
from socdata.errors import EstimationError

special = lazy_module("scipy.special")

__all__ = ["Tilting", "fit_tilting"]

TRIM_LEVEL = 0.995
_SINGULAR = (
    "the propensity-score design is singular for inverse probability tilting; remove or "
    "combine covariates."
)
_NO_CONVERGENCE = (
    "inverse probability tilting did not converge (no overlap between treated and "
    "comparison units?); use est_method='dr' or 'reg'."
)


@dataclasses.dataclass
class Tilting:
    """One tilting problem (the cells sharing a logit) and its line-search state."""

    logit: Any
    n_sub: float
    g: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    cand: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    step: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    val: float = np.nan
    t: float = 1.0
    at_base: bool = True  # the next pass evaluates at g itself (no line search pending)
    iterations: int = 0
    done: bool = False
    error: str | None = None
    acc: dict = dataclasses.field(default_factory=dict)
    sums: dict = dataclasses.field(default_factory=dict)

    def accumulate(self, ch: Any) -> None:
        """Objective, gradient and Hessian at ``cand`` over the chunk's sample units."""
        _, xt, d = self.logit.rows(ch)
        idx = xt @ self.cand
        odds = np.exp(np.minimum(idx, 700))
        ctrl = 1.0 - d
        add = {
            "obj": float(np.sum(d * idx - ctrl * odds)),
            "grad": xt.T @ (d - ctrl * odds),
            "hess": (xt * (ctrl * odds)[:, None]).T @ xt,
        }
        for k, v in add.items():
            self.acc[k] = self.acc.get(k, 0.0) + v

    def advance(self) -> None:
        """The in-memory line search (``fit_ipt``) after one evaluation pass."""
        obj, grad, hess = (self.acc[k] / self.n_sub for k in ("obj", "grad", "hess"))
        self.acc = {}
        if self.at_base:
            self.val = obj
            self._new_step(grad, hess)
        elif obj >= self.val - 1e-15 * abs(self.val):  # step accepted
            self.g, self.val = self.cand, obj
            if not self._converged():
                self._new_step(grad, hess)
        else:
            self.t /= 2
            if self.t > 1e-8:
                self.cand = self.g + self.t * self.step
                return
            self.g = self.g + self.t * self.step  # the last, tiny step is taken as is
            if not self._converged():
                self.at_base, self.cand = True, self.g

    def _new_step(self, grad: np.ndarray, hess: np.ndarray) -> None:
        try:
            self.step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            self.error, self.done = _SINGULAR, True
            return
        self.t, self.at_base = 1.0, False
        self.cand = self.g + self.step

    def _converged(self) -> bool:
        self.iterations += 1
        if np.max(np.abs(self.t * self.step)) < 1e-12 * (1 + np.max(np.abs(self.g))):
            self.done = True
        elif self.iterations >= 200:
            self.error, self.done = _NO_CONVERGENCE, True
        return self.done

    def weights(self, xt: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Odds weights of the outcome regression and the estimate's unit weights
        ``trim (1 - (1 - d) / (1 - ps))``."""
        ps = np.clip(special.expit(xt @ self.g), 1e-6, 1 - 1e-6)
        trim = np.where(d == 1, 1.0, (ps < TRIM_LEVEL).astype(np.float64))
        return (1 - d) * ps / (1 - ps), trim * (1 - (1 - d) / (1 - ps))

    def add_sums(self, ch: Any) -> None:
        mask, xt, d = self.logit.rows(ch)
        om, c = self.weights(xt, d)
        y = ch.y[mask]
        add = {
            "wxx": (xt * om[:, None]).T @ xt,
            "wyx": np.einsum("m,mt,mq->tq", om, y, xt),
            "cy": c @ y,
            "cx": c @ xt,
        }
        for k, v in add.items():
            self.sums[k] = self.sums.get(k, 0.0) + v


def fit_tilting(stream: Any, logits: dict[tuple, Any], n_sub: dict[tuple, float]) -> dict:
    """Tilting problems started from the fitted logits, iterated pass by pass, then their
    weighted sums (one more pass)."""
    tilts = {}
    for key, lg in logits.items():
        tl = Tilting(logit=lg, n_sub=n_sub[key])
        if lg.error:
            tl.error, tl.done = lg.error, True
        else:
            tl.g = tl.cand = lg.beta
        tilts[key] = tl
    while any(not tl.done for tl in tilts.values()):
        pending = [tl for tl in tilts.values() if not tl.done]
        for ch in stream.chunks():
            for tl in pending:
                tl.accumulate(ch)
        for tl in pending:
            tl.advance()
    ok = [tl for tl in tilts.values() if tl.error is None]
    if ok:
        for ch in stream.chunks():
            for tl in ok:
                tl.add_sums(ch)
    return tilts


def tilting_parameters(par: dict[str, Any], tl: Tilting) -> None:
    """A cell's outcome regression (odds-weighted least squares) and estimate."""
    if tl.error:
        raise EstimationError(tl.error)
    s, t, b = tl.sums, par["t"], par["b"]
    try:
        coef = np.linalg.solve(s["wxx"], s["wyx"][t] - s["wyx"][b])
    except np.linalg.LinAlgError as exc:
        raise EstimationError(
            "the outcome-regression design for the comparison units is singular (collinear "
            "covariates, or a covariate constant among comparison units); remove or combine "
            "covariates."
        ) from exc
    total = s["cy"][t] - s["cy"][b] - float(s["cx"] @ coef)
    par.update(tilting=tl, coef=coef, att=total / par["n_sub"] / par["pbar"])


def tilting_influence(par: dict[str, Any], xt, d, dy) -> np.ndarray:
    """Per-unit influence function of ``dr_imp_panel`` for the chunk's sample units."""
    _, c = par["tilting"].weights(xt, d)
    return (c * (dy - xt @ par["coef"]) - d * par["att"]) / par["pbar"]
