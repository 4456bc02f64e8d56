"""The result of :func:`socdata.did.stacked_did` (private module; public via ``socdata.did``)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from socdata import distributions as stats
from socdata.did._results import ClusterInferenceResult
from socdata.did.pretrend import hotelling_test
from socdata.results import TestResult, order_tidy

__all__ = ["OVERALL", "StackedDiDResult", "event_term"]

OVERALL = "treated:post"


def event_term(k: int) -> str:
    """Name of the event-time coefficient ``k``."""
    return f"treated:event_time[{k}]"


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class StackedDiDResult(ClusterInferenceResult):
    """Overall and event-time estimates of the stacked DiD.

    Attributes
    ----------
    family
        ``"linear"`` or ``"poisson"`` (estimates are log rate ratios).
    method
        ``"ols"``, ``"mantel-haenszel"`` or ``"pml"`` (see :func:`socdata.did.stacked_did`).
    outcome
        Outcome column.
    coef, vcov, terms
        Overall estimate (``terms[0] == "treated:post"``) then nothing else: the overall
        model has one slope.  ``event_coef``/``event_vcov``/``event_times`` hold the
        event-time model.
    reference
        Event time of the reference period (coefficient fixed at 0).
    n_obs, n_sets, n_units, n_clusters, cluster, df_t, ssc, df_k
        Rows used, matched sets, unit-by-set units, clusters and the CRV1 constants (the
        last five and ``conf_level`` declared once in
        :class:`~socdata.did._results.ClusterInferenceResult`).
    conf_level
        Level of the intervals.
    weights
        ``"auto"``, a column name or ``None``.
    """

    family: str = "linear"
    method: str = "ols"
    outcome: str = ""
    coef: float = np.nan
    se: float = np.nan
    event_times: tuple[int, ...] = ()
    event_coef: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    event_vcov: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 0)))
    reference: int = -1
    exclude: tuple[int, ...] = (0,)
    n_obs: int = 0
    n_event_obs: int = 0
    n_sets: int = 0
    n_treated: int = 0
    n_units: int = 0
    weights: str | None = "auto"

    @property
    def scale(self) -> str:
        """``"identity"`` (linear) or ``"log"`` (Poisson)."""
        return "log" if self.family == "poisson" else "identity"

    def _row(self, term: str, est: float, se: float, kind: str, k: float, n: int) -> dict:
        t = est / se if se > 0 else np.nan
        q = stats.t.ppf(0.5 + self.conf_level / 2, self.df_t)
        return {
            "term": term,
            "estimate": est,
            "std_error": se,
            "statistic": t,
            "p_value": float(2 * stats.t.sf(abs(t), self.df_t)) if np.isfinite(t) else np.nan,
            "conf_low": est - q * se,
            "conf_high": est + q * se,
            "ci_type": f"{'sandwich' if self.method == 'mantel-haenszel' else 'CRV1'} by "
            f"{self.cluster}, t({self.df_t})",
            "n": n,
            "kind": kind,
            "event_time": k,
            "n_clusters": self.n_clusters,
            "df": self.df_t,
        }

    def tidy(self) -> pd.DataFrame:
        """Overall row (``treated:post``) then one row per event time.

        Extra columns: ``kind`` (``overall``/``event_time``/``reference``), ``event_time``,
        ``n_clusters``, ``df``; Poisson adds ``rate_ratio`` and its interval.
        """
        rows = [self._row(OVERALL, self.coef, self.se, "overall", np.nan, self.n_obs)]
        if not self.event_times:
            return order_tidy(self._rate_ratios(pd.DataFrame(rows)))
        se = np.sqrt(np.diag(self.event_vcov))
        for j, k in enumerate(self.event_times):
            rows.append(
                self._row(
                    event_term(k), self.event_coef[j], se[j], "event_time", k, self.n_event_obs
                )
            )
        ref = self._row(
            event_term(self.reference), 0.0, np.nan, "reference", self.reference, self.n_event_obs
        )
        ref.update(std_error=np.nan, statistic=np.nan, p_value=np.nan, conf_low=0.0, conf_high=0.0)
        rows.append(ref)
        out = pd.DataFrame(rows)
        out = pd.concat([out.iloc[:1], out.iloc[1:].sort_values("event_time")], ignore_index=True)
        out["reference"] = out["kind"] == "reference"
        return order_tidy(self._rate_ratios(out))

    def _rate_ratios(self, out: pd.DataFrame) -> pd.DataFrame:
        if self.family == "poisson":
            for c in ("estimate", "conf_low", "conf_high"):
                name = "rate_ratio" if c == "estimate" else f"rate_ratio_{c}"
                out[name] = np.exp(out[c].astype(float))
        return out

    def pre_periods(self) -> np.ndarray:
        """Positions (in ``event_times``) of the pre-period coefficients."""
        return np.flatnonzero(np.asarray(self.event_times) < 0)

    def pretrend_test(self) -> TestResult:
        """Joint test that every pre-period event-time coefficient is zero.

        Hotelling's small-sample correction of the cluster-robust Wald statistic:
        ``F = W (G - q) / (q (G - 1)) ~ F(q, G - q)`` with ``q`` pre-period coefficients and
        ``G`` clusters (:func:`socdata.did.pretrend.hotelling_test`); not computed, with
        the reason, when ``q`` is too large for ``G``.
        """
        idx = self.pre_periods()
        return hotelling_test(
            self.event_coef[idx],
            self.event_vcov[np.ix_(idx, idx)],
            self.n_clusters,
            what="pre-period event-time coefficients of the stacked DiD",
        )

    def _summary_body(self) -> str:
        what = {
            "ols": "Stacked DiD, least squares",
            "pml": "Stacked DiD, Poisson pseudo-ML (estimates are log rate ratios; biased away "
            "from 0 with small sets and sparse outcomes: incidental parameters)",
            "mantel-haenszel": "Stacked DiD, Mantel-Haenszel rate ratio over the matched sets "
            "(estimates are log rate ratios)",
        }[self.method]
        tab = self.tidy()
        cols = ["term", "estimate", "std_error", "p_value", "conf_low", "conf_high"]
        if self.family == "poisson":
            cols += ["rate_ratio"]
        pt = self.pretrend_test()
        lines = [
            f"{what}: outcome {self.outcome!r}; "
            + (
                "each set's 2x2 table (engager/comparators x later/baseline period)"
                if self.method == "mantel-haenszel"
                else "fixed effects unit x matched set and matched set x event time"
            ),
            f"Matched sets: {self.n_sets} ({self.n_treated} treated units, {self.n_units} "
            f"unit-by-set units); rows used: {self.n_obs} overall (event times "
            f"{list(self.exclude)} excluded), {self.n_event_obs} by event time",
            tab[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"),
            "",
            (
                f"Standard errors: sandwich over the sets, clustered by {self.cluster} "
                f"({self.n_clusters} clusters), G/(G-1) = {self.ssc:.6g}; t({self.df_t})."
                if self.method == "mantel-haenszel"
                else f"Standard errors: CRV1 clustered by {self.cluster} ({self.n_clusters} "
                f"clusters), G/(G-1)*(N-1)/(N-K) = {self.ssc:.6g} with K = {self.df_k}; "
                f"t({self.df_t})."
            ),
            f"Weights: {self.weights!r}"
            + (" (engagers 1, comparators 1/k in a set of k)" if self.weights == "auto" else ""),
            str(pt),
            "Caveat: a pre-trend test that does not reject is not evidence of parallel trends "
            "(low power at these sizes, Roth 2022); see the sensitivity analysis "
            "(socdata.did.honest_sensitivity) for how large a violation would overturn the "
            "estimate.",
        ]
        return "\n".join(lines)
