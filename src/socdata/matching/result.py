"""The immutable result of :func:`socdata.matching.nearest.match` and
:func:`socdata.matching.riskset.risk_set_match`."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from socdata.matching.balance import BALANCE_COLUMNS
from socdata.results import Result, order_tidy


@dataclasses.dataclass(frozen=True, repr=False)
class MatchResult(Result):
    """Matched sets, weights, balance and exclusion counts.

    Holds identifiers and aggregates only: no covariate values of any person.

    Attributes
    ----------
    method
        One-line description of the matching method.
    distance
        ``"logit"`` or ``"mahalanobis"``.
    ratio, replace
        ``k`` of 1:k matching; matching with replacement or not.
    caliper
        The caliper as given (``None`` = no caliper).
    caliper_units
        What the caliper is measured in, in words.
    caliper_width
        The caliper in distance units actually applied (``None`` = no caliper).
    pairs
        One row per (treated unit, match): ``treated_id``, ``control_id``, ``match_rank``
        (1..k), ``subclass`` (the treated unit's matched-set number), ``index_month``
        (risk-set matching; ``NaT`` otherwise), ``score_distance`` (absolute distance
        between the two, in distance units).
    unit_weights
        One row per matched unit: ``unit_id`` (``person_id`` for treated units; for
        comparators ``person_id`` without replacement, ``"<person_id>@<YYYY-MM>"`` when a
        comparator is used at several index months), ``person_id``, ``treated`` (0/1),
        ``index_month`` and ``weight`` (MatchIt's matching weights).
    balance_table
        The balance frame returned by :meth:`balance`.
    unmatched
        ``reason, n``: treated units left without (a full set of) matches, by reason.
    propensity
        ``term, estimate``: coefficients of the propensity logit (empty for Mahalanobis).
    n_treated, n_control
        Treated units and (candidate) control units considered.
    """

    method: str = ""
    distance: str = "logit"
    ratio: int = 1
    replace: bool = False
    caliper: float | None = None
    caliper_units: str = ""
    caliper_width: float | None = None
    pairs: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    unit_weights: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    balance_table: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    unmatched: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    propensity: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    n_treated: int = 0
    n_control: int = 0

    # ----------------------------------------------------------------- accessors
    @property
    def n_treated_matched(self) -> int:
        """Treated units with at least one match."""
        if self.pairs.empty:
            return 0
        return int(self.pairs["treated_id"].nunique())

    @property
    def n_control_matched(self) -> int:
        """Distinct matched control units (person x index month for risk-set matching)."""
        if self.unit_weights.empty:
            return 0
        return int((self.unit_weights["treated"] == 0).sum())

    @property
    def n_unmatched(self) -> int:
        """Treated units with no match at all."""
        return self.n_treated - self.n_treated_matched

    def balance(self) -> pd.DataFrame:
        """Balance before and after matching.

        Returns
        -------
        pandas.DataFrame
            Columns ``covariate, smd_before, smd_after, var_ratio_before,
            var_ratio_after`` and then the group means before and after and a ``binary``
            flag.  SMDs use the treated group's SD before matching (ATT convention);
            after-matching statistics are weighted by the matching weights; variance
            ratios are treated / control (empty for binary covariates).
        """
        return self.balance_table.loc[:, list(BALANCE_COLUMNS)].copy()

    def weights(self) -> pd.DataFrame:
        """Matching weights of the matched units (``unit_id, person_id, treated, index_month, weight``)."""
        return self.unit_weights.copy()

    def matched_pairs(self) -> pd.DataFrame:
        """The matched pairs as identifiers (no covariates)."""
        return self.pairs.copy()

    def unmatched_counts(self) -> pd.DataFrame:
        """Treated units without (all) matches, by reason (``reason, n``)."""
        return self.unmatched.copy()

    def index_dates(self) -> pd.Series:
        """Index month of every matched person, for the person-month panel.

        Engagers get their referral month and each comparator its engager's referral month.
        The series is indexed by ``person_id`` and named ``index_month`` (first day of the
        month), ready for
        ``socdata.derive.panel.person_month_panel(..., index_dates=...)``.

        Raises
        ------
        socdata.errors.MatchingError
            When matching was with replacement and a comparator serves engagers with
            different index months: one person then has several index dates, which a
            person-level mapping cannot hold.  Use :func:`socdata.matching.panels.matched_panel`,
            which duplicates such comparators as separate units with their weights.
        """
        from socdata.errors import MatchingError

        uw = self.unit_weights
        if uw.empty:
            return pd.Series(dtype="datetime64[ns]", name="index_month")
        dup = uw["person_id"].duplicated(keep=False)
        if dup.any():
            n = int(uw.loc[dup, "person_id"].nunique())
            raise MatchingError(
                f"{n} comparator(s) were matched at more than one index month (matching "
                "with replacement), so a person_id -> month mapping is ambiguous; use "
                "socdata.matching.matched_panel(panel, result), which adds one unit per "
                "(comparator, index month) with its weight, or match with replace=False"
            )
        return pd.Series(
            uw["index_month"].to_numpy(),
            index=pd.Index(uw["person_id"], name="person_id"),
            name="index_month",
        )

    # ----------------------------------------------------------------- Result API
    def tidy(self) -> pd.DataFrame:
        """Balance rows in the standard tidy layout.

        ``term`` is the covariate, ``estimate`` the standardised mean difference after
        matching, ``n`` the number of matched treated units; ``smd_before``,
        ``var_ratio_before`` and ``var_ratio_after`` follow as extra columns.
        """
        b = self.balance_table
        out = pd.DataFrame(
            {
                "term": b["covariate"].astype(str),
                "estimate": b["smd_after"].astype(float),
                "std_error": np.nan,
                "statistic": np.nan,
                "p_value": np.nan,
                "conf_low": np.nan,
                "conf_high": np.nan,
                "ci_type": "none",
                "n": self.n_treated_matched,
                "measure": "standardised mean difference after matching (treated SD)",
                "smd_before": b["smd_before"].astype(float),
                "var_ratio_before": b["var_ratio_before"].astype(float),
                "var_ratio_after": b["var_ratio_after"].astype(float),
            }
        )
        return order_tidy(out)

    def _summary_body(self) -> str:
        cal = (
            "none"
            if self.caliper is None
            else f"{self.caliper} ({self.caliper_units}; {self.caliper_width:.6g} in distance units)"
        )
        lines = [
            f"Method: {self.method}",
            f"Ratio 1:{self.ratio}, {'with' if self.replace else 'without'} replacement; caliper: {cal}",
            f"Treated: {self.n_treated} ({self.n_treated_matched} matched, "
            f"{self.n_unmatched} unmatched); controls considered: {self.n_control}; "
            f"matched control units: {self.n_control_matched}",
        ]
        if not self.unmatched.empty:
            lines.append("Treated units short of matches, by reason:")
            lines.extend(f"  {r.reason}: {r.n}" for r in self.unmatched.itertuples())
        lines.append("")
        lines.append(
            "Balance (SMD with the treated group's SD before matching; variance ratio T/C):"
        )
        lines.append(self.balance().round(4).to_string(index=False))
        if not self.propensity.empty:
            lines.append("")
            lines.append("Propensity model (unpenalised logit) coefficients:")
            lines.append(self.propensity.to_string(index=False))
        return "\n".join(lines)
