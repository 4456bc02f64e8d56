"""Result classes of the regression DiD estimators (private; re-exported by their modules).

A result holds coefficients, their covariance matrix, counts and inference settings only:
no person rows, no fitted values, no identifiers (a test checks the pickled size).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from socdata.did._inference import t_inference
from socdata.results import Result, TestResult, order_tidy


@dataclasses.dataclass(frozen=True)
class BootstrapInference:
    """Wild cluster bootstrap p-value and interval for one coefficient.

    Attributes
    ----------
    term
        Coefficient tested.
    t_stat
        Observed cluster-robust t statistic for ``H0: coefficient = 0``.
    p_value
        Symmetric bootstrap p-value, share of ``|t*| >= |t|``.
    conf_low, conf_high
        Interval from inverting the bootstrap test (may be infinite: with very few clusters
        no value of the coefficient is rejected far enough out).
    weights
        ``"rademacher"`` or ``"webb"``.
    draws
        Number of bootstrap draws (all sign patterns when ``enumerated``).
    enumerated
        Whether every weight pattern was used (exact, no simulation error).
    n_clusters
        Number of clusters.
    """

    term: str
    t_stat: float
    p_value: float
    conf_low: float
    conf_high: float
    weights: str
    draws: int
    enumerated: bool
    n_clusters: int
    seed: int | None = None

    def describe(self) -> str:
        """One sentence describing the bootstrap."""
        how = (
            f"full enumeration of all {self.draws} weight patterns"
            if self.enumerated
            else f"{self.draws} draws (seed {self.seed})"
        )
        return (
            f"wild cluster restricted bootstrap (WCR, null imposed, {self.weights} weights, "
            f"{how}, {self.n_clusters} clusters); interval by test inversion"
        )


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class ClusterInferenceResult(Result):
    """The fields of a result with cluster-robust t inference, declared once.

    Shared by :class:`FixedEffectsResult` (``twfe``, ``poisson_twfe``, ``event_study``)
    and :class:`socdata.did.StackedDiDResult`.

    Attributes
    ----------
    n_clusters
        Number of clusters.
    cluster
        Name of the cluster variable.
    df_t
        Degrees of freedom of the t reference distribution (``n_clusters - 1``).
    ssc, df_k
        Small-sample factor applied to the sandwich and the ``K`` in ``(N-1)/(N-K)``
        (:func:`socdata.did._inference.crv1`).
    conf_level
        Confidence level of the intervals.
    """

    n_clusters: int = 0
    cluster: str = ""
    df_t: int = 0
    ssc: float = 1.0
    df_k: int = 0
    conf_level: float = 0.95


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class FixedEffectsResult(ClusterInferenceResult):
    """Coefficients of a two-way fixed-effects regression (linear or Poisson).

    Attributes
    ----------
    method
        ``"twfe"`` (OLS) or ``"poisson_twfe"`` (Poisson pseudo-maximum likelihood).
    terms
        Coefficient names (regressor columns).
    coef, vcov
        Estimates and their CRV1 covariance matrix.
    n_obs, n_units, n_times, n_clusters
        Observations used, fixed-effect levels and clusters.
    cluster
        Name of the cluster variable.
    df_t
        Degrees of freedom of the t reference distribution (``n_clusters - 1``).
    ssc, df_k
        Small-sample factor applied to the sandwich and the ``K`` in ``(N-1)/(N-K)``.
    conf_level
        Confidence level of the intervals.

        These six are declared once in :class:`ClusterInferenceResult`.
    bootstrap
        Wild cluster bootstrap inference per term (few clusters), or empty.
    scale
        ``"identity"`` or ``"log"`` (Poisson; tidy adds rate ratios).
    few_clusters
        Whether the cluster count is below the threshold where the cluster formula is trusted.
    weights
        Name of the observation-weight column (weighted fit), or ``None`` (unweighted).
    """

    method: str = "twfe"
    terms: tuple[str, ...] = ()
    coef: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    vcov: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 0)))
    n_obs: int = 0
    n_units: int = 0
    n_times: int = 0
    bootstrap: tuple[BootstrapInference, ...] = ()
    scale: str = "identity"
    few_clusters: bool = False
    iterations: int | None = None
    weights: str | None = None

    # ---- accessors ------------------------------------------------------------------------
    @property
    def std_errors(self) -> np.ndarray:
        """Standard errors (square roots of the covariance diagonal)."""
        return np.sqrt(np.diag(self.vcov))

    def estimate(self, term: str) -> float:
        """Estimate of one term."""
        return float(self.coef[self.terms.index(term)])

    def _inference_rows(self) -> list[dict[str, Any]]:
        se = self.std_errors
        stat, p, lo, hi = t_inference(self.coef, se, self.df_t, self.conf_level)
        boot = {b.term: b for b in self.bootstrap}
        rows: list[dict[str, Any]] = []
        for j, term in enumerate(self.terms):
            row: dict[str, Any] = {
                "term": term,
                "estimate": float(self.coef[j]),
                "std_error": float(se[j]),
                "statistic": float(stat[j]),
                "p_value": float(p[j]),
                "conf_low": float(lo[j]),
                "conf_high": float(hi[j]),
                "ci_type": f"CRV1 cluster-robust t({self.df_t})",
                "n": self.n_obs,
            }
            if term in boot:
                b = boot[term]
                row.update(
                    p_value=b.p_value,
                    conf_low=b.conf_low,
                    conf_high=b.conf_high,
                    ci_type=f"wild cluster bootstrap (WCR, {b.weights}, "
                    + ("enumerated" if b.enumerated else f"B={b.draws}")
                    + ")",
                    p_value_analytic=float(p[j]),
                )
            row.update(n_clusters=self.n_clusters, cluster=self.cluster, df=self.df_t)
            rows.append(row)
        return rows

    def tidy(self) -> pd.DataFrame:
        """One row per coefficient (see :data:`socdata.results.TIDY_COLUMNS`).

        Extra columns: ``n_clusters``, ``cluster``, ``df`` and, with few clusters,
        ``p_value_analytic`` (the unreliable cluster-formula p-value, for comparison); for a
        Poisson model ``rate_ratio``, ``rate_ratio_conf_low``, ``rate_ratio_conf_high``.
        """
        frame = pd.DataFrame(self._inference_rows())
        if self.scale == "log" and len(frame):
            frame["rate_ratio"] = np.exp(frame["estimate"].astype(float))
            frame["rate_ratio_conf_low"] = np.exp(frame["conf_low"].astype(float))
            frame["rate_ratio_conf_high"] = np.exp(frame["conf_high"].astype(float))
        return order_tidy(frame)

    def inference_note(self) -> str:
        """Sentence stating the variance estimator and, with few clusters, the warning."""
        base = (
            f"Standard errors: CRV1 clustered by {self.cluster} ({self.n_clusters} clusters), "
            f"small-sample factor G/(G-1)*(N-1)/(N-K) = {self.ssc:.6g} with K = {self.df_k} "
            "(slopes plus fixed effects not nested in the clusters; pyfixest/fixest "
            f"default); t({self.df_t}) reference distribution."
        )
        if self.few_clusters:
            base += (
                f" WARNING: only {self.n_clusters} clusters. The usual cluster-robust formula "
                "is unreliable with so few clusters (standard errors too small, tests "
                "over-reject)"
            )
            if self.bootstrap:
                base += (
                    "; p-values and intervals come from the wild cluster bootstrap: "
                    + self.bootstrap[0].describe()
                    + "."
                )
            else:
                base += (
                    "; the p-values and intervals shown use that formula and should not be "
                    "trusted. Cluster by person, or use socdata.did.twfe(..., cluster=...) "
                    "for a wild cluster bootstrap."
                )
        return base

    def _summary_body(self) -> str:
        cols = ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]
        if self.scale == "log":
            cols += ["rate_ratio", "rate_ratio_conf_low", "rate_ratio_conf_high"]
        table = self.tidy()[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}")
        what = {
            "twfe": "Two-way fixed effects (OLS) with unit and period fixed effects",
            "poisson_twfe": "Poisson pseudo-maximum likelihood with unit and period fixed "
            "effects; estimates on the log scale, rate_ratio = exp(estimate)",
            "event_study": "Event study: two-way fixed effects with event-time indicators",
        }.get(self.method, self.method)
        lines = [
            what,
            f"Observations: {self.n_obs}; units: {self.n_units}; periods: {self.n_times}",
            table,
            "",
            self.inference_note(),
        ]
        if self.weights is not None:
            lines.insert(
                2,
                f"Weighted by {self.weights!r} (analytic/matching weights: weighted fit, CRV1 "
                "scores multiplied by the weights; N in the small-sample factor counts rows "
                "with positive weight).",
            )
        return "\n".join(lines)


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class EventStudyResult(FixedEffectsResult):
    """Event-study coefficients by event time, with the joint pre-trend test.

    Attributes
    ----------
    event_times
        Event time of each term (same order as ``terms``).
    reference
        Omitted event time (normalised to zero).
    window
        Event-time window; with binned endpoints the first and last terms collect
        everything beyond the window.
    binned
        Whether the endpoints are binned.
    pretrend
        Joint Wald test that all pre-period (lead) coefficients are zero.
    dropped_event_times
        Event times whose indicator was dropped as collinear with the fixed effects.
    """

    event_times: tuple[int, ...] = ()
    reference: int = -1
    window: tuple[int, int] = (-12, 12)
    binned: bool = True
    pretrend: TestResult | None = None
    dropped_event_times: tuple[int, ...] = ()
    outcome: str = ""

    def tidy(self) -> pd.DataFrame:
        """One row per event time, including the reference period (estimate 0, no SE).

        Extra columns: ``event_time``, ``reference`` (True on the omitted period),
        ``binned`` (True on an endpoint that collects event times beyond the window).
        """
        frame = super().tidy()
        frame["event_time"] = pd.array(
            [e if e != 10**9 else pd.NA for e in self.event_times], dtype="Int64"
        )
        frame["reference"] = False
        lo, hi = self.window
        frame["binned"] = [self.binned and (e == lo or e == hi) for e in self.event_times]
        ref = {c: pd.NA for c in frame.columns}
        ref.update(
            term=f"event_time::{self.reference}",
            estimate=0.0,
            ci_type="reference period (normalised to 0)",
            n=self.n_obs,
            event_time=self.reference,
            reference=True,
            binned=False,
        )
        frame = pd.concat([frame, pd.DataFrame([ref]).dropna(axis=1, how="all")], ignore_index=True)
        frame["event_time"] = frame["event_time"].astype("Int64")
        frame = frame.sort_values("event_time", kind="stable", na_position="last")
        for col in ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"):
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
        return order_tidy(frame)

    def _summary_body(self) -> str:
        body = super()._summary_body()
        notes = [
            body,
            f"Reference period: event time {self.reference} (coefficient fixed at 0). "
            + (
                f"Endpoints binned: event time {self.window[0]} collects all earlier and "
                f"{self.window[1]} all later months."
                if self.binned
                else "Endpoints not binned: observations outside the window are dropped."
            ),
            str(self.pretrend) if self.pretrend is not None else "",
            "Caution: with staggered adoption and effects that differ by cohort or over time, "
            "two-way fixed-effects event-study coefficients mix effects from other periods "
            "and cohorts (Sun and Abraham 2021); use socdata.did.att_gt (Callaway and "
            "Sant'Anna 2021) for the dynamic effects in that case.",
        ]
        if self.dropped_event_times:
            notes.append(
                "Event times dropped as collinear with the fixed effects: "
                + ", ".join(map(str, self.dropped_event_times))
            )
        return "\n".join(n for n in notes if n)


def wald_test(
    coef: np.ndarray, vcov: np.ndarray, idx: list[int], df_t: int, name: str, null: str
) -> TestResult:
    """Joint Wald test that ``coef[idx]`` are zero, F(q, df_t) like fixest's ``wald()``.

    The statistic is ``b' V^-1 b / q``, referred to ``F(q, G-1)`` (G clusters).
    """
    from socdata import distributions as stats

    q = len(idx)
    if q == 0:
        return TestResult(name=name, null=null, reason="no pre-period coefficients to test")
    b = coef[idx]
    v = vcov[np.ix_(idx, idx)]
    rank = np.linalg.matrix_rank(v)
    if rank < q:
        return TestResult(
            name=name,
            null=null,
            reason=f"the covariance of the {q} lead coefficients has rank {rank} < {q} "
            "(more leads than clusters allow); reduce the window or bin more periods",
        )
    stat = float(b @ np.linalg.solve(v, b)) / q
    p = float(stats.f.sf(stat, q, df_t))
    return TestResult(
        name=name,
        null=null,
        statistic=stat,
        p_value=p,
        df=(q, df_t),
        distribution=f"F({q}, {df_t})",
    )
