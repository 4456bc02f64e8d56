"""Power and minimum detectable effect of the matched-comparator study.

Two routes that cross-check each other:

* :func:`simulate_power`: the calibrated generator (:func:`socdata.datasets.police.generate`)
  with no built-in effect, matched and stacked as the design says; the effect is then
  imposed by thinning the engagers' counts after the index month (each event kept with
  probability equal to the rate ratio: a Poisson process with its rate multiplied by
  the ratio), the stacked DiD rate ratio (Mantel-Haenszel) is fitted, and power is the
  share of replications rejecting at ``alpha``.  Smaller studies are subsamples of the matched sets.
* :func:`analytic_power`: the normal approximation from the standard error of the log rate
  ratio at the null, ``power = Phi(|log RR| / se_RR - z) + Phi(-|log RR| / se_RR - z)``,
  ``se_RR = se_0 * sqrt(3/4 + 1/(4 RR))`` (the engagers' post-referral counts, about a
  quarter of the information in a 1:1 design, shrink by ``RR``) and ``se_0`` scaling as
  ``1/sqrt(n)``.  :func:`minimum_detectable_effect` inverts it.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from socdata import distributions as stats
from socdata._lazy import lazy_module
from socdata.did.design import ComparatorDesign
from socdata.did.stacked import stack_matched_sets, stacked_did
from socdata.provenance import Provenance
from socdata.results import Result, order_tidy

optimize = lazy_module("scipy.optimize")

__all__ = [
    "PowerResult",
    "analytic_power",
    "minimum_detectable_effect",
    "simulate_power",
]

POWER_COLUMNS = ("outcome", "n_engagers", "rate_ratio", "power")


def analytic_power(rate_ratio: float, se0: float, alpha: float = 0.05) -> float:
    """Power of the two-sided test of ``log RR = 0`` given the null standard error ``se0``.

    An array of rate ratios gives an array of powers (one call instead of a loop)."""
    b = np.abs(np.log(rate_ratio))
    se = se0 * np.sqrt(0.75 + 0.25 / np.asarray(rate_ratio, dtype=float))
    z = stats.norm.ppf(1 - alpha / 2)
    p = stats.norm.cdf(b / se - z) + stats.norm.cdf(-b / se - z)
    return float(p) if np.ndim(p) == 0 else p


def minimum_detectable_effect(se0: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Rate ratio below 1 detected with probability ``power`` (analytic)."""
    if not np.isfinite(se0) or se0 <= 0:
        return np.nan
    grid = np.linspace(0.02, 0.9999, 500)
    ok = np.asarray(analytic_power(grid, se0, alpha)) >= power  # type: ignore[arg-type]
    if not ok.any():
        return np.nan
    j = int(np.flatnonzero(ok)[-1])  # the largest rate ratio on the grid with enough power
    if j == len(grid) - 1:
        return float(grid[-1])
    return float(
        optimize.brentq(lambda rr: analytic_power(rr, se0, alpha) - power, grid[j], grid[j + 1])
    )


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class PowerResult(Result):
    """Simulated and analytic power by outcome, study size and rate ratio.

    Attributes
    ----------
    table
        ``outcome, n_engagers, rate_ratio, power`` (simulated), then ``mc_se``,
        ``power_analytic``, ``se0`` and ``reps``.
    alpha, target_power
        Test level and the power of the minimum detectable effect.
    """

    table: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    alpha: float = 0.05
    target_power: float = 0.8

    def mde(self) -> pd.DataFrame:
        """Minimum detectable rate ratio at ``target_power`` per outcome and size.

        ``mde_simulated`` interpolates the simulated power curve (linear in ``log RR``;
        NaN when the grid never reaches the target), ``mde_analytic`` inverts
        :func:`analytic_power` at the simulated null standard error.
        """
        rows = []
        for (o, n), g in self.table.groupby(["outcome", "n_engagers"], sort=False):
            g = g.sort_values("rate_ratio")
            se0 = float(g["se0"].iloc[0])
            sim = np.nan
            pw, rr = g["power"].to_numpy(), g["rate_ratio"].to_numpy()
            for j in range(len(g) - 1, 0, -1):  # from RR = 1 downwards
                if pw[j - 1] >= self.target_power > pw[j]:
                    x = (self.target_power - pw[j]) / (pw[j - 1] - pw[j])
                    sim = float(np.exp(np.log(rr[j]) + x * (np.log(rr[j - 1]) - np.log(rr[j]))))
                    break
            rows.append(
                {
                    "outcome": o,
                    "n_engagers": n,
                    "mde_simulated": sim,
                    "mde_analytic": minimum_detectable_effect(se0, self.alpha, self.target_power),
                }
            )
        return pd.DataFrame(rows)

    def tidy(self) -> pd.DataFrame:
        """One row per outcome, size and rate ratio; ``estimate`` is the simulated power."""
        t = self.table
        out = t.assign(
            term=t["outcome"]
            + ", n="
            + t["n_engagers"].astype(str)
            + ", RR="
            + t["rate_ratio"].map(lambda v: f"{v:g}"),
            estimate=t["power"],
            std_error=t["mc_se"],
            ci_type="Monte Carlo",
            n=t["reps"],
        )
        return order_tidy(out)

    def _summary_body(self) -> str:
        return "\n".join(
            [
                f"Power of the stacked DiD rate ratio (Mantel-Haenszel) at alpha = {self.alpha} "
                "(simulated from "
                "the calibrated generator; analytic cross-check)",
                self.table.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
                "",
                f"Minimum detectable rate ratio at {self.target_power:.0%} power:",
                self.mde().to_string(index=False, float_format=lambda v: f"{v:.3f}"),
            ]
        )


def _thin(y: np.ndarray, mask: np.ndarray, rr: float, rng: np.random.Generator) -> np.ndarray:
    out = y.copy()
    out[mask] = rng.binomial(y[mask].astype(np.int64), rr)
    return out


def simulate_power(
    design: ComparatorDesign,
    generator: Callable[[int], dict],
    *,
    rate_ratios: Sequence[float] = (0.6, 0.7, 0.8, 0.9, 1.0),
    fractions: Sequence[float] = (0.5, 1.0),
    reps: int = 100,
    seed0: int = 1,
    outcomes: Sequence[str] | None = None,
) -> PowerResult:
    """Simulated power of the design's stacked Poisson DiD.

    Parameters
    ----------
    design
        The study design (matching, window, outcomes).
    generator
        ``generator(seed)`` returns extracts with no built-in effect, as a dict with
        ``police_persons``, ``police_events``, ``police_missing``: e.g.
        ``lambda s: socdata.datasets.police.generate(s, true_effect=1.0,
        missing_effect=1.0)`` (the calibrated generator; passed in because the generators
        sit downstream of the estimators).
    rate_ratios
        Effects imposed (each at most 1: thinning).
    fractions
        Study sizes as fractions of the matched sets of the calibrated generator.
    reps, seed0
        Replications (seeds ``seed0, seed0 + 1, ...``).
    outcomes
        Outcomes (default the design's).

    Returns
    -------
    PowerResult
    """
    if any(not 0 < rr <= 1 for rr in rate_ratios):
        raise ValueError("rate_ratios must be in (0, 1]")
    recs = []
    for seed in range(seed0, seed0 + reps):
        recs += replicate_power(
            design,
            seed,
            rate_ratios=rate_ratios,
            fractions=fractions,
            outcomes=outcomes,
        )
    return power_from_replications(pd.DataFrame(recs), alpha=design.alpha, power=design.power)


def replicate_power(
    design: ComparatorDesign,
    d: dict,
    seed: int,
    *,
    rate_ratios: Sequence[float] = (0.6, 0.7, 0.8, 0.9, 1.0),
    fractions: Sequence[float] = (0.5, 1.0),
    outcomes: Sequence[str] | None = None,
) -> list[dict]:
    """One replication of :func:`simulate_power` on the extracts ``d`` (no built-in effect):
    one record per outcome, size and ratio (``seed, outcome, n_engagers, fraction,
    rate_ratio, p_value, se``); ``seed`` also seeds the subsampling and thinning."""
    from socdata.derive.panel import person_month_panel
    from socdata.matching import risk_set_match

    outcomes = list(outcomes or design.outcomes)
    recs = []
    rng = np.random.default_rng(seed)
    panel = person_month_panel(d["police_persons"], d["police_events"], d["police_missing"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = risk_set_match(
            panel, d["police_persons"], **design.matching.kwargs(), on_unmatched="ignore"
        )
    st = stack_matched_sets(panel, m.pairs, window=design.window)
    sets = st["matched_set"].unique()
    for frac in fractions:
        keep = rng.choice(sets, size=max(2, round(frac * len(sets))), replace=False)
        sub = st[st["matched_set"].isin(keep)]
        post = ((sub["treated"] == 1) & (sub["event_time"] >= 1)).to_numpy()
        for outcome in outcomes:
            y = sub[outcome].to_numpy(dtype=float)
            for rr in rate_ratios:
                frame = sub.assign(**{outcome: _thin(y, post, rr, rng) if rr < 1 else y})
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        r = stacked_did(
                            frame,
                            outcome=outcome,
                            unit="person_id",
                            time="month",
                            index_time="index_month",
                            matched_set="matched_set",
                            treated="treated",
                            family="poisson",
                            by_event_time=False,
                            **design.stacked_kwargs(),
                        )
                    p, se = float(r.tidy()["p_value"].iloc[0]), r.se
                except Exception:
                    p, se = np.nan, np.nan
                recs.append(
                    {
                        "seed": seed,
                        "outcome": outcome,
                        "n_engagers": len(keep),
                        "fraction": frac,
                        "rate_ratio": rr,
                        "p_value": p,
                        "se": se,
                    }
                )
    return recs


def power_from_replications(
    res: pd.DataFrame, *, alpha: float = 0.05, power: float = 0.8
) -> PowerResult:
    """Summarise replication records (``seed, outcome, n_engagers, fraction, rate_ratio,
    p_value, se``) into a :class:`PowerResult`."""
    rows = []
    for (o, frac, rr), g in res.groupby(["outcome", "fraction", "rate_ratio"], sort=False):
        rej = (g["p_value"] < alpha).mean()
        null = res[(res["outcome"] == o) & (res["fraction"] == frac) & (res["rate_ratio"] == 1.0)]
        se0 = float(np.nanmedian(null["se"])) if len(null) else float(np.nanmedian(g["se"]))
        rows.append(
            {
                "outcome": o,
                "n_engagers": round(float(g["n_engagers"].mean())),
                "rate_ratio": float(rr),
                "power": float(rej),
                "mc_se": float(np.sqrt(rej * (1 - rej) / len(g))),
                "power_analytic": analytic_power(rr, se0, alpha) if rr < 1 else alpha,
                "se0": se0,
                "reps": len(g),
                "failed_fits": int(g["p_value"].isna().sum()),
            }
        )
    table = pd.DataFrame(rows).sort_values(
        ["outcome", "n_engagers", "rate_ratio"], ignore_index=True
    )
    prov = Provenance.build(
        "socdata.did.simulate_power", parameters={"alpha": alpha, "power": power}
    )
    return PowerResult(provenance=prov, table=table, alpha=alpha, target_power=power)
