"""2x2 difference-in-differences of person-level rates (engagers vs comparators, before/after).

For each person ``i`` and period ``p`` (before, after) the person's rate is
``r_ip = sum(outcome) / sum(exposure)`` over their rows in that period (with no exposure
column: the mean of the outcome over their rows, e.g. arrests per month).  With
``d_i = r_i,after - r_i,before``:

``DiD = mean(d_i | engagers) - mean(d_i | comparators)``

which equals the difference of the four group-period means of the person rates.  Every
person counts once whatever their number of rows (person-level weighting), and the
standard error is the person-level two-sample (Welch) one,
``sqrt(s_T^2 / n_T + s_C^2 / n_C)`` of the changes ``d_i``, with a Welch-Satterthwaite t
interval: persons are independent, and the before/after correlation within a person is
kept by differencing.  Persons without rows (or with zero exposure) in one of the two
periods have no change and are excluded and counted in the flow log.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd

from socdata import distributions as stats
from socdata.did._panel import check_columns, numeric_column
from socdata.errors import EstimationError, ExcludedRowsWarning, caller_stacklevel
from socdata.provenance import FlowLog, Provenance, hash_frame
from socdata.results import Result, order_tidy

__all__ = ["TwoByTwoResult", "did_2x2"]


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class TwoByTwoResult(Result):
    """Group-period mean rates, within-group changes and the difference in differences.

    Attributes
    ----------
    table
        Aggregate rows (one per group-period mean, per group change, and the DiD); no
        person rows.
    outcome
        Outcome column.
    rate_unit
        Words describing the rate (e.g. ``"arrests per 365.25 exposure_days"``).
    conf_level
        Interval level.
    """

    table: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    outcome: str = ""
    rate_unit: str = ""
    conf_level: float = 0.95

    @property
    def estimate(self) -> float:
        """The difference-in-differences estimate."""
        return float(self.table.loc[self.table["term"] == "did", "estimate"].iloc[0])

    def tidy(self) -> pd.DataFrame:
        """Rows ``comparator:before``, ``comparator:after``, ``comparator:change``,
        ``engager:before``, ``engager:after``, ``engager:change``, ``did``; extra columns
        ``group``, ``period``, ``sd`` (person-level standard deviation), ``df``."""
        return order_tidy(self.table.copy())

    def _summary_body(self) -> str:
        cols = ["term", "estimate", "std_error", "conf_low", "conf_high", "p_value", "n"]
        return "\n".join(
            [
                f"2x2 difference in differences of person-level rates of {self.outcome} "
                f"({self.rate_unit})",
                self.tidy()[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"),
                "",
                "Each person's rate before and after; DiD = mean change of engagers - mean "
                "change of comparators. Standard errors: person-level (Welch two-sample for "
                "the DiD, one-sample for means and changes); t intervals "
                f"({self.conf_level:.0%}). A 2x2 comparison assumes parallel trends and is "
                "sensitive to regression to the mean when referral follows a spike in the "
                "outcome; see the event study and ATT(g,t).",
            ]
        )


def _binary(data: pd.DataFrame, col: str, role: str, fn: str) -> np.ndarray:
    v = numeric_column(data, col, role, fn)
    ok = np.isnan(v) | (v == 0) | (v == 1)
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        raise EstimationError(
            f"{fn}: {role} column {col!r} must be 0/1 (or True/False); row "
            f"{data.index[i]!r} has {v[i]!r}. Recode it, e.g. "
            f"data[{col!r}].eq('Engager').astype(int)."
        )
    return v


def _mean_row(
    term: str, group: str, period: str, x: np.ndarray, conf_level: float
) -> dict[str, object]:
    n = x.size
    m = float(x.mean()) if n else np.nan
    sd = float(x.std(ddof=1)) if n > 1 else np.nan
    se = sd / np.sqrt(n) if n > 1 else np.nan
    df = n - 1
    q = stats.t.ppf(0.5 + conf_level / 2, df) if n > 1 else np.nan
    stat = m / se if se and np.isfinite(se) and se > 0 else np.nan
    p = float(2 * stats.t.sf(abs(stat), df)) if np.isfinite(stat) else np.nan
    return {
        "term": term,
        "estimate": m,
        "std_error": se,
        "statistic": stat,
        "p_value": p,
        "conf_low": m - q * se,
        "conf_high": m + q * se,
        "ci_type": f"t({df}), person-level",
        "n": n,
        "group": group,
        "period": period,
        "sd": sd,
        "df": float(df),
    }


def _table_rows(
    fn: str, rate: np.ndarray, both: np.ndarray, group: np.ndarray, conf_level: float
) -> list[dict[str, object]]:
    """Mean rates before/after and their change per group, and the Welch DiD row."""
    grp = group  # per person 0/1
    rows: list[dict[str, object]] = []
    changes = {}
    for g, label in ((0.0, "comparator"), (1.0, "engager")):
        sel = both & (grp == g)
        if sel.sum() < 2:
            raise EstimationError(
                f"{fn}: only {int(sel.sum())} {label}s are observed both before and after; "
                "at least 2 per group are needed for a standard error. Check the post "
                "indicator and the follow-up windows."
            )
        rows.append(_mean_row(f"{label}:before", label, "before", rate[sel, 0], conf_level))
        rows.append(_mean_row(f"{label}:after", label, "after", rate[sel, 1], conf_level))
        ch = rate[sel, 1] - rate[sel, 0]
        changes[label] = ch
        rows.append(_mean_row(f"{label}:change", label, "change", ch, conf_level))
    t_ch, c_ch = changes["engager"], changes["comparator"]
    vt, vc = t_ch.var(ddof=1) / t_ch.size, c_ch.var(ddof=1) / c_ch.size
    est = float(t_ch.mean() - c_ch.mean())
    se = float(np.sqrt(vt + vc))
    df = (vt + vc) ** 2 / (vt**2 / (t_ch.size - 1) + vc**2 / (c_ch.size - 1)) if se > 0 else np.nan
    q = stats.t.ppf(0.5 + conf_level / 2, df)
    stat = est / se if se > 0 else np.nan
    rows.append(
        {
            "term": "did",
            "estimate": est,
            "std_error": se,
            "statistic": stat,
            "p_value": float(2 * stats.t.sf(abs(stat), df)) if np.isfinite(stat) else np.nan,
            "conf_low": est - q * se,
            "conf_high": est + q * se,
            "ci_type": f"Welch t({df:.1f}), person-level",
            "n": int(t_ch.size + c_ch.size),
            "group": "engager - comparator",
            "period": "change",
            "sd": np.nan,
            "df": float(df),
        }
    )
    return rows


def _valid_rows(
    data: pd.DataFrame,
    fn: str,
    outcome: str,
    unit: str,
    treated: str,
    post: str,
    exposure: str | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, FlowLog]:
    """Person codes, outcome, indicators and exposure of the valid rows, the row mask and
    the flow log (rows with missing or invalid values dropped, with a warning)."""
    n_in = len(data)
    y = numeric_column(data, outcome, "outcome", fn)
    d = _binary(data, treated, "treated", fn)
    p = _binary(data, post, "post", fn)
    ex = numeric_column(data, exposure, "exposure", fn) if exposure else np.ones(n_in)
    ids = data[unit]
    bad = ~np.isfinite(y) | np.isnan(d) | np.isnan(p) | ids.isna().to_numpy()
    bad |= ~np.isfinite(ex) | (ex < 0)
    flow = FlowLog()
    if bad.any():
        reasons = {
            f"missing or invalid {outcome}/{treated}/{post}/{unit}"
            + (f"/{exposure} (must be >= 0)" if exposure else ""): int(bad.sum())
        }
        flow = flow.add("drop rows with missing values", n_in, int((~bad).sum()), reasons)
        warnings.warn(
            f"{fn}: excluded {int(bad.sum())} of {n_in} rows with missing or invalid values.",
            ExcludedRowsWarning,
            stacklevel=caller_stacklevel(),
        )
    keep = ~bad
    codes, _ = pd.factorize(ids[keep])
    codes = codes.astype(np.int64)
    return codes, y[keep], d[keep], p[keep], ex[keep], keep, flow


def _person_sums(
    fn: str,
    treated: str,
    codes: np.ndarray,
    y: np.ndarray,
    d: np.ndarray,
    p: np.ndarray,
    ex: np.ndarray,
    flow: FlowLog,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, FlowLog]:
    """Outcome and exposure sums per person and period, who is observed in both periods,
    each person's treatment (checked constant) and the flow log."""
    n_p = int(codes.max()) + 1 if codes.size else 0
    # treatment constant within person
    dmin = np.full(n_p, np.inf)
    dmax = np.full(n_p, -np.inf)
    np.minimum.at(dmin, codes, d)
    np.maximum.at(dmax, codes, d)
    if np.any(dmin != dmax):
        raise EstimationError(
            f"{fn}: {int(np.sum(dmin != dmax))} persons have both {treated}=0 and 1 rows; the "
            "engager indicator must be constant within a person (identifier values masked)."
        )
    pi = p.astype(np.int64)
    sums = np.zeros((n_p, 2))
    expo = np.zeros((n_p, 2))
    np.add.at(sums, (codes, pi), y)
    np.add.at(expo, (codes, pi), ex)
    has = expo > 0
    both = has.all(axis=1)
    n_before_only = int(np.sum(has[:, 0] & ~has[:, 1]))
    n_after_only = int(np.sum(~has[:, 0] & has[:, 1]))
    n_none = int(np.sum(~has[:, 0] & ~has[:, 1]))
    excl = {
        "no rows (or zero exposure) after": n_before_only,
        "no rows (or zero exposure) before": n_after_only,
        "zero exposure in both periods": n_none,
    }
    flow = flow.add("persons observed before and after", n_p, int(both.sum()), excl, unit="persons")
    if n_p - int(both.sum()):
        warnings.warn(
            f"{fn}: excluded {n_p - int(both.sum())} of {n_p} persons not observed both before "
            "and after (" + "; ".join(f"{k}: {v}" for k, v in excl.items() if v) + ").",
            ExcludedRowsWarning,
            stacklevel=caller_stacklevel(),
        )
    return sums, expo, has, both, dmin, flow


def did_2x2(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    treated: str,
    post: str,
    exposure: str | None = None,
    per: float = 1.0,
    conf_level: float = 0.95,
) -> TwoByTwoResult:
    """2x2 DiD of person-level rates before and after, engagers vs comparators.

    Parameters
    ----------
    data
        Person-period rows (e.g. the person-month panel); not modified.
    outcome
        Count or measure column (e.g. ``"arrests"``).
    unit
        Person identifier.
    treated
        0/1 (or bool) engager indicator, constant within a person.
    post
        0/1 (or bool) indicator of the after period (after the referral / index month).
    exposure
        Optional exposure column (e.g. ``"exposure_days"``): rates are
        ``per * sum(outcome) / sum(exposure)``; without it, the mean outcome per row.
    per
        Multiplier of exposure-based rates (e.g. ``365.25`` for rates per person-year with
        ``exposure_days``).
    conf_level
        Interval level.

    Returns
    -------
    TwoByTwoResult
        ``tidy()`` rows for each group-period mean, each group's change, and ``did``.

    Raises
    ------
    socdata.errors.EstimationError
        Non-binary indicators, treatment varying within a person, a group with fewer than 2
        persons observed in both periods.
    """
    fn = "socdata.did.did_2x2"
    check_columns(
        data,
        {"outcome": outcome, "unit": unit, "treated": treated, "post": post, "exposure": exposure},
        fn,
    )
    if not 0 < conf_level < 1:
        raise EstimationError(f"{fn}: conf_level must be in (0, 1), got {conf_level!r}.")
    n_in = len(data)
    codes, y, d, p, ex, keep, flow = _valid_rows(data, fn, outcome, unit, treated, post, exposure)
    sums, expo, has, both, dmin, flow = _person_sums(fn, treated, codes, y, d, p, ex, flow)
    rate = np.divide(sums, expo, out=np.full_like(sums, np.nan), where=has)
    if exposure:
        rate *= per
    rows = _table_rows(fn, rate, both, dmin, conf_level)
    unit_words = f"{outcome} per {per:g} {exposure}" if exposure else f"mean {outcome} per row"
    prov = Provenance.build(
        fn,
        parameters=dict(
            outcome=outcome,
            unit=unit,
            treated=treated,
            post=post,
            exposure=exposure,
            per=per,
            conf_level=conf_level,
        ),
        n_in=n_in,
        n_out=int(keep.sum()),
        flow=flow,
        notes=["Person-level rates; Welch two-sample standard error of the DiD."],
    )
    prov = dataclasses.replace(
        prov, inputs={"data": hash_frame(data, columns=[outcome, unit, treated, post, exposure])}
    )
    return TwoByTwoResult(
        provenance=prov,
        table=pd.DataFrame(rows),
        outcome=outcome,
        rate_unit=unit_words,
        conf_level=conf_level,
    )
