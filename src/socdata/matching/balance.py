"""Covariate balance statistics in the conventions of MatchIt's ``summary.matchit`` and cobalt.

For each covariate ``x`` (binary 0/1 or continuous), treated group ``T``, control group
``C`` and weights ``w`` (all 1 before matching, the matching weights after):

* weighted mean ``m_g = sum(w x) / sum(w)`` within group ``g``;
* weighted variance (reliability weights, as R's ``cov.wt``): with ``v = w / sum(w)``,
  ``var_g = sum(v (x - m_g)^2) / (1 - sum(v^2))``; for a binary variable
  ``var_g = m_g (1 - m_g)``;
* standardised mean difference ``smd = (m_T - m_C) / s``, where ``s`` is the standard
  deviation of ``x`` in the treated group **before matching** (unweighted) -- the ATT
  convention; the same ``s`` standardises both the before and the after column, so a
  change in the SMD is a change in the mean difference only.  When ``s`` is zero the
  pooled SD ``sqrt((var_T + var_C) / 2)`` is used instead, as MatchIt does;
* variance ratio ``var_T / var_C`` (``NaN`` for binary covariates, whose variance is a
  function of the mean; MatchIt leaves it empty).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BALANCE_COLUMNS = (
    "covariate",
    "smd_before",
    "smd_after",
    "var_ratio_before",
    "var_ratio_after",
    "mean_treated_before",
    "mean_control_before",
    "mean_treated_after",
    "mean_control_after",
    "binary",
)


def weighted_mean(x: np.ndarray, w: np.ndarray) -> float:
    """Weighted mean ``sum(w x) / sum(w)``."""
    sw = float(np.sum(w))
    return float(np.sum(w * x) / sw) if sw > 0 else float("nan")


def weighted_var(x: np.ndarray, w: np.ndarray, binary: bool) -> float:
    """Weighted variance with MatchIt's ``wvar`` formula (see module docstring)."""
    sw = float(np.sum(w))
    if sw <= 0:
        return float("nan")
    v = w / sw
    mx = float(np.sum(v * x))
    if binary:
        return mx * (1 - mx)
    denom = 1.0 - float(np.sum(v * v))
    if denom <= 0:
        return float("nan")
    return float(np.sum(v * (x - mx) ** 2) / denom)


def is_binary(x: np.ndarray) -> bool:
    """Whether every value is 0 or 1."""
    return bool(np.all((x == 0) | (x == 1)))


def balance_stats(
    x: np.ndarray,
    treated: np.ndarray,
    w_after: np.ndarray,
    *,
    w_before: np.ndarray | None = None,
    binary: bool | None = None,
) -> dict[str, float]:
    """Before/after balance statistics of one covariate.

    Parameters
    ----------
    x
        Covariate values, shape ``(n,)``.
    treated
        Boolean, shape ``(n,)``.
    w_after
        Matching weights, shape ``(n,)`` (0 for unmatched units).
    w_before
        Weights before matching (default all 1).
    binary
        Treat ``x`` as binary (default: detected from the values).

    Returns
    -------
    dict
        Keys of :data:`BALANCE_COLUMNS` except ``covariate``.
    """
    x = np.asarray(x, dtype=float)
    t = np.asarray(treated, dtype=bool)
    wa = np.asarray(w_after, dtype=float)
    wb = np.ones_like(x) if w_before is None else np.asarray(w_before, dtype=float)
    b = is_binary(x) if binary is None else binary
    out: dict[str, float] = {"binary": b}
    # the standardisation factor: treated SD before matching (ATT convention)
    s = np.sqrt(weighted_var(x[t], wb[t], b))
    if not np.isfinite(s) or s < np.sqrt(np.finfo(float).eps):
        s = np.sqrt((weighted_var(x[t], wb[t], b) + weighted_var(x[~t], wb[~t], b)) / 2)
    for label, w in (("before", wb), ("after", wa)):
        mt = weighted_mean(x[t], w[t])
        mc = weighted_mean(x[~t], w[~t])
        diff = mt - mc
        if abs(diff) <= np.sqrt(np.finfo(float).eps):
            smd = 0.0 if np.isfinite(diff) else float("nan")
        else:
            smd = diff / s if s > 0 else float("nan")
        out[f"smd_{label}"] = smd
        out[f"mean_treated_{label}"] = mt
        out[f"mean_control_{label}"] = mc
        if b:
            out[f"var_ratio_{label}"] = float("nan")
        else:
            vt = weighted_var(x[t], w[t], False)
            vc = weighted_var(x[~t], w[~t], False)
            out[f"var_ratio_{label}"] = vt / vc if vc > 0 else float("nan")
    return out


def balance_frame(
    covariates: pd.DataFrame,
    treated: np.ndarray,
    w_after: np.ndarray,
    *,
    w_before: np.ndarray | None = None,
) -> pd.DataFrame:
    """Balance table: one row per column of ``covariates`` (numeric, already expanded)."""
    rows = []
    for name in covariates.columns:
        stats = balance_stats(
            covariates[name].to_numpy(dtype=float), treated, w_after, w_before=w_before
        )
        rows.append({"covariate": name, **stats})
    return pd.DataFrame(rows, columns=list(BALANCE_COLUMNS))


def balance_from_moments(
    name: str,
    treated: np.ndarray,
    control_moments: tuple[float, float, float],
    treated_after: np.ndarray,
    control_after: np.ndarray,
    control_after_w: np.ndarray,
    *,
    binary: bool,
) -> dict[str, float]:
    """Balance statistics when the unmatched control sample is summarised by its moments.

    Used by risk-set matching, whose "before" control sample (every comparator at every
    index month) is too large to hold: ``control_moments = (n, sum x, sum x^2)``, all
    with unit weights.
    """
    n0, s1, s2 = control_moments
    x1 = np.asarray(treated, dtype=float)
    ones = np.ones_like(x1)
    mt = float(np.mean(x1)) if x1.size else float("nan")
    vt = weighted_var(x1, ones, binary)
    mc = s1 / n0 if n0 > 0 else float("nan")
    if binary:
        vc = mc * (1 - mc)
    else:
        vc = (s2 - n0 * mc * mc) / (n0 - 1) if n0 > 1 else float("nan")
    s = np.sqrt(vt)
    if not np.isfinite(s) or s < np.sqrt(np.finfo(float).eps):
        s = np.sqrt((vt + vc) / 2)
    out: dict[str, float] = {"covariate": name, "binary": binary}

    def _smd(diff: float) -> float:
        if abs(diff) <= np.sqrt(np.finfo(float).eps):
            return 0.0
        return diff / s if s > 0 else float("nan")

    out["smd_before"] = _smd(mt - mc)
    out["var_ratio_before"] = float("nan") if binary else (vt / vc if vc > 0 else float("nan"))
    out["mean_treated_before"] = mt
    out["mean_control_before"] = mc
    xa1 = np.asarray(treated_after, dtype=float)
    xa0 = np.asarray(control_after, dtype=float)
    wa0 = np.asarray(control_after_w, dtype=float)
    mta = weighted_mean(xa1, np.ones_like(xa1))
    mca = weighted_mean(xa0, wa0)
    out["smd_after"] = _smd(mta - mca)
    out["mean_treated_after"] = mta
    out["mean_control_after"] = mca
    if binary:
        out["var_ratio_after"] = float("nan")
    else:
        vta = weighted_var(xa1, np.ones_like(xa1), False)
        vca = weighted_var(xa0, wa0, False)
        out["var_ratio_after"] = vta / vca if vca > 0 else float("nan")
    return out
