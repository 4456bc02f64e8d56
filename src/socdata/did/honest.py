"""Sensitivity of an event-study estimate to violations of parallel trends (HonestDiD-style).

Rambachan and Roth (2023) bound the post-period violation of parallel trends ``delta_t`` by
what the pre-period shows.  Under their **relative magnitudes** restriction
``Delta^RM(Mbar)``, no post-period change of the violation is larger than ``Mbar`` times the
largest change between consecutive pre-periods:

``|delta_{t} - delta_{t-1}| <= Mbar * m``, ``m = max_{s < 0} |delta_{s} - delta_{s-1}|``,

with ``delta = 0`` at the reference period (-1).  For the target ``theta = l' tau_post``
(by default the average effect over the post-period event times of the overall estimate)
the identified set is ``l' beta_post +- Mbar * m * sum_t l_t (t - reference)``: a violation
growing by ``Mbar * m`` a month reaches ``(t - reference) Mbar m`` at event time ``t``
(tested against a linear program in ``tests/did/test_did_honest.py``).

**Inference** (a conservative, closed-form version of the paper's confidence sets): the
pre-period slope bound ``m`` is replaced by its Bonferroni upper confidence bound (level
``1 - alpha/2`` jointly over the pre-period changes), and ``l' beta_post`` gets a
``1 - alpha/2`` interval; their union covers ``theta`` with probability at least
``1 - alpha`` for every ``delta`` in ``Delta^RM(Mbar)``.  This is wider than the
conditional/hybrid intervals of the ``HonestDiD`` R package, so the breakdown value here is
a lower bound on theirs.

The **breakdown value** is the largest ``Mbar`` at which the robust interval still excludes
zero: "the effect survives post-referral violations up to ``Mbar`` times the worst
pre-referral month-to-month change".
"""

from __future__ import annotations

import dataclasses
import itertools
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from socdata import distributions as stats
from socdata.errors import EstimationError, SocdataDeprecationWarning
from socdata.options import Renamed, check_conf_level, renamed_keywords
from socdata.provenance import Provenance
from socdata.results import Result, order_tidy

__all__ = ["HonestResult", "honest_sensitivity", "rm_bias_bound"]

DEFAULT_MBAR = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)


def rm_bias_bound(post_times: np.ndarray, weights: np.ndarray, reference: int = -1) -> float:
    """``max |l' delta_post|`` per unit of ``Mbar * m`` under relative magnitudes."""
    return float(np.sum(np.abs(weights) * (np.asarray(post_times) - reference)))


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class HonestResult(Result):
    """Robust intervals for ``theta`` over a grid of ``Mbar`` and the breakdown values.

    Attributes
    ----------
    table
        One row per ``Mbar``: ``mbar``, ``id_low``, ``id_high`` (identified set at the
        estimated pre-period slope), ``conf_low``, ``conf_high`` (robust interval).
    estimate, std_error
        ``l' beta_post`` and its standard error.
    max_pre_change, max_pre_change_upper
        ``m`` estimated and its upper confidence bound.
    breakdown, breakdown_identified
        Largest ``Mbar`` whose robust interval (identified set) excludes zero.
    conf_level
        Confidence level of the robust intervals.
    scale
        ``"identity"`` or ``"log"`` (rate ratios in ``tidy``).
    """

    table: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    estimate: float = np.nan
    std_error: float = np.nan
    max_pre_change: float = np.nan
    max_pre_change_upper: float = np.nan
    breakdown: float = np.nan
    breakdown_identified: float = np.nan
    conf_level: float = 0.95
    scale: str = "identity"
    target: str = ""

    @property
    def alpha(self) -> float:
        """Deprecated: ``1 - conf_level`` (removed in the next release)."""
        warnings.warn(
            "HonestResult.alpha is deprecated and will be removed in the next release; "
            "use HonestResult.conf_level (alpha = 1 - conf_level)",
            SocdataDeprecationWarning,
            stacklevel=2,
        )
        return 1.0 - self.conf_level

    def tidy(self) -> pd.DataFrame:
        """One row per ``Mbar`` (``term`` = ``Mbar=<value>``)."""
        t = self.table
        out = pd.DataFrame(
            {
                "term": [f"Mbar={m:g}" for m in t["mbar"]],
                "estimate": self.estimate,
                "std_error": self.std_error,
                "conf_low": t["conf_low"],
                "conf_high": t["conf_high"],
                "ci_type": "relative-magnitudes robust (Bonferroni)",
                "mbar": t["mbar"],
                "id_low": t["id_low"],
                "id_high": t["id_high"],
                "breakdown": self.breakdown,
            }
        )
        if self.scale == "log":
            for c in ("conf_low", "conf_high"):
                out[f"rate_ratio_{c}"] = np.exp(out[c])
        return order_tidy(out)

    def _summary_body(self) -> str:
        return "\n".join(
            [
                "Sensitivity to violations of parallel trends, relative magnitudes "
                "(Rambachan and Roth 2023)",
                f"Target: {self.target}; estimate {self.estimate:.4g} (s.e. {self.std_error:.4g})",
                f"Largest pre-period month-to-month change m = {self.max_pre_change:.4g} "
                f"(upper confidence bound {self.max_pre_change_upper:.4g})",
                self.table.to_string(index=False, float_format=lambda v: f"{v:.4g}"),
                f"Breakdown value: Mbar = {self.breakdown:.3g} (robust interval excludes 0 "
                f"up to this); identified set excludes 0 up to Mbar = "
                f"{self.breakdown_identified:.3g}.",
                "Intervals are conservative (Bonferroni over the pre-period changes), so the "
                "breakdown value is a lower bound on HonestDiD's.",
            ]
        )


@renamed_keywords(alpha=Renamed("conf_level", lambda a: 1 - a))
def honest_sensitivity(
    result,
    *,
    mbar: Sequence[float] = DEFAULT_MBAR,
    post: Sequence[int] | None = None,
    conf_level: float = 0.95,
) -> HonestResult:
    """Relative-magnitudes sensitivity analysis of an event-time result.

    Parameters
    ----------
    result
        A result with ``event_times``, ``event_coef``, ``event_vcov`` and ``reference``
        (e.g. :func:`socdata.did.stacked_did`).
    mbar
        Grid of ``Mbar`` values.
    post
        Post-period event times averaged in the target (default: every event time ``>= 0``
        not excluded from the result's overall estimate).
    conf_level
        Confidence level of the robust intervals (``alpha = 1 - conf_level``; the keyword
        ``alpha=`` is a deprecated alias for one release).

    Returns
    -------
    HonestResult
    """
    check_conf_level(conf_level, function="honest_sensitivity", error=EstimationError)
    alpha = 1.0 - conf_level
    times = np.asarray(result.event_times)
    ref = int(result.reference)
    beta = np.asarray(result.event_coef, dtype=float)
    vcov = np.asarray(result.event_vcov, dtype=float)
    if times.size == 0:
        raise EstimationError("honest_sensitivity needs event-time estimates (by_event_time=True)")
    excl = set(getattr(result, "exclude", ()))
    post_t = [int(t) for t in times if t >= 0 and t not in excl] if post is None else list(post)
    if not post_t or any(t not in set(times.tolist()) for t in post_t):
        raise EstimationError(f"honest_sensitivity: post event times {post_t} not estimated")
    pre_t = sorted([int(t) for t in times if t < ref] + [ref])
    if len(pre_t) < 2:
        raise EstimationError("honest_sensitivity needs at least one pre-period coefficient")
    pos = {int(t): j for j, t in enumerate(times)}
    # contrasts: target l' beta_post, and the pre-period changes delta_s - delta_{s-1}
    lvec = np.zeros(times.size)
    for t in post_t:
        lvec[pos[t]] += 1.0 / len(post_t)
    est = float(lvec @ beta)
    se = float(np.sqrt(lvec @ vcov @ lvec))
    diffs = []
    for a, b in itertools.pairwise(pre_t):
        c = np.zeros(times.size)
        if b != ref:
            c[pos[b]] += 1.0
        c[pos[a]] -= 1.0
        diffs.append(c)
    dmat = np.asarray(diffs)
    d_est = dmat @ beta
    d_se = np.sqrt(np.einsum("ij,jk,ik->i", dmat, vcov, dmat))
    k = len(diffs)
    z_m = stats.norm.ppf(1 - alpha / (2 * k))
    m_hat = float(np.max(np.abs(d_est)))
    m_up = float(np.max(np.abs(d_est) + z_m * d_se))
    z_t = stats.norm.ppf(1 - alpha / 4)
    c_bias = rm_bias_bound(np.asarray(post_t), np.full(len(post_t), 1 / len(post_t)), ref)
    rows = []
    for mb in mbar:
        rows.append(
            {
                "mbar": float(mb),
                "id_low": est - mb * m_hat * c_bias,
                "id_high": est + mb * m_hat * c_bias,
                "conf_low": est - z_t * se - mb * m_up * c_bias,
                "conf_high": est + z_t * se + mb * m_up * c_bias,
            }
        )
    brk = max(0.0, (abs(est) - z_t * se) / (m_up * c_bias)) if m_up > 0 else np.inf
    brk_id = abs(est) / (m_hat * c_bias) if m_hat > 0 else np.inf
    prov = Provenance.build(
        "socdata.did.honest_sensitivity",
        parameters={"mbar": tuple(mbar), "post": tuple(post_t), "conf_level": conf_level},
    )
    return HonestResult(
        provenance=prov,
        table=pd.DataFrame(rows),
        estimate=est,
        std_error=se,
        max_pre_change=m_hat,
        max_pre_change_upper=m_up,
        breakdown=float(brk),
        breakdown_identified=float(brk_id),
        conf_level=conf_level,
        scale=getattr(result, "scale", "identity"),
        target=f"average effect over event times {post_t[0]}..{post_t[-1]}",
    )
