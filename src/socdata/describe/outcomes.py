"""Outcome percentages with confidence intervals (report section 5.1).

Each outcome indicator is ``Yes``, ``No`` or ``Not recorded`` (missing values count as
``Not recorded``). The numerator is the number of ``Yes``; the denominator rule is
explicit:

* ``denominator="recorded"``: cases with the outcome recorded (``Yes`` or ``No``);
* ``denominator="all"``: all cases in the group, an unrecorded outcome counting as not
  achieved.

Percentages are rounded half-up to whole numbers, as the report prints them
(62.5% -> 63%, not banker's 62%). A fraction word ("two-thirds") is given only when it is
true of the numbers under :mod:`socdata.words`: 20/30 is two-thirds, 19/30 is not.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from socdata import distributions as stats
from socdata.errors import ExcludedRowsWarning, SocdataDeprecationWarning, SocdataError
from socdata.options import check_choice, check_conf_level, renamed_keywords
from socdata.provenance import FlowLog, Provenance
from socdata.results import Result, order_tidy
from socdata.rounding import round_half_up
from socdata.words import fraction_word_for

__all__ = [
    "OUTCOME_LABELS",
    "OutcomeResult",
    "exact_interval",
    "fraction_word",
    "outcome_percentages",
    "round_half_up",
    "wilson_interval",
]

#: Printed labels of the five section 5.1 outcome indicators.
OUTCOME_LABELS: dict[str, str] = {
    "outcome_reduced_offending": "Reduced offending",
    "outcome_reduced_exploitation": "Reduced exploitation",
    "outcome_decision_making": "Improved decision-making about risk",
    "outcome_ete_engagement": "Improved engagement with education, employment or training",
    "outcome_family_relationships": "Improved relationships with family",
    "outcome_positive_any": "Achieved positive outcomes",
}

_VALUES = ("Yes", "No", "Not recorded")
DENOMINATORS = ("recorded", "all")
CI_METHODS = ("wilson", "exact")


def fraction_word(numerator: int, denominator: int) -> str | None:
    """A fraction word that is true of ``numerator / denominator``, else ``None``.

    Uses the package's one vocabulary and rule, :func:`socdata.words.fraction_word_for`
    (a bare fraction is true within 2.5 percentage points), so the words socdata produces
    are the words :mod:`socdata.review` accepts.

    >>> fraction_word(20, 30)
    'two-thirds'
    >>> fraction_word(19, 30) is None
    True
    """
    if denominator <= 0:
        return None
    return fraction_word_for(int(numerator), int(denominator))


@renamed_keywords(level="conf_level")
def wilson_interval(k: int | np.ndarray, n: int | np.ndarray, conf_level: float = 0.95):
    """Wilson score interval for a binomial proportion.

    ``(p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)``; ``(nan, nan)`` when
    ``n == 0``.
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
        lo = np.clip(centre - half, 0, 1)
        hi = np.clip(centre + half, 0, 1)
    lo = np.where(n > 0, lo, np.nan)
    hi = np.where(n > 0, hi, np.nan)
    return lo, hi


@renamed_keywords(level="conf_level")
def exact_interval(k: int | np.ndarray, n: int | np.ndarray, conf_level: float = 0.95):
    """Clopper-Pearson (exact) interval from beta quantiles; 0 and 1 at the edges."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    a = 1 - conf_level
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.where(k > 0, stats.beta.ppf(a / 2, k, n - k + 1), 0.0)
        hi = np.where(k < n, stats.beta.ppf(1 - a / 2, k + 1, n - k), 1.0)
    lo = np.where(n > 0, lo, np.nan)
    hi = np.where(n > 0, hi, np.nan)
    return lo, hi


@dataclasses.dataclass(frozen=True)
class OutcomeResult(Result):
    """Outcome percentages by group.

    Attributes
    ----------
    table
        One row per group x outcome: ``group``, ``outcome`` (column name), ``label``
        (printed label), ``numerator``, ``denominator``, ``n_cases``, ``n_not_recorded``,
        ``proportion``, ``pct`` (whole number, half-up), ``conf_low``, ``conf_high``
        (proportions), ``fraction_word``.
    denominator
        ``"recorded"`` or ``"all"``.
    inference
        How the intervals are computed: ``"wilson"`` or ``"exact"`` (old attribute ``ci``).
    conf_level
        Confidence level (old attribute ``level``).
    """

    table: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    denominator: str = "recorded"
    inference: str = "wilson"
    conf_level: float = 0.95

    @property
    def ci(self) -> str:
        """Deprecated name of :attr:`inference` (removed in the next release)."""
        _warn_attribute("ci", "inference")
        return self.inference

    @property
    def level(self) -> float:
        """Deprecated name of :attr:`conf_level` (removed in the next release)."""
        _warn_attribute("level", "conf_level")
        return self.conf_level

    def tidy(self) -> pd.DataFrame:
        t = self.table
        out = pd.DataFrame(
            {
                "term": t["group"].astype(str) + ": " + t["outcome"],
                "estimate": t["proportion"],
                "conf_low": t["conf_low"],
                "conf_high": t["conf_high"],
                "ci_type": f"{'Wilson' if self.inference == 'wilson' else 'Clopper-Pearson'} "
                f"{self.conf_level:.0%}",
                "n": t["denominator"],
            }
        )
        extra = t.drop(columns=[c for c in t.columns if c in out.columns]).reset_index(drop=True)
        return order_tidy(pd.concat([out, extra], axis=1))

    def _summary_body(self) -> str:
        cols = [
            "group",
            "label",
            "numerator",
            "denominator",
            "pct",
            "conf_low",
            "conf_high",
            "fraction_word",
        ]
        t = self.table[cols].copy()
        t["conf_low"] = (100 * t["conf_low"]).round(1)
        t["conf_high"] = (100 * t["conf_high"]).round(1)
        return (
            f"Denominator: {'cases with the outcome recorded' if self.denominator == 'recorded' else 'all cases'}; "
            f"{self.conf_level:.0%} "
            f"{'Wilson score' if self.inference == 'wilson' else 'Clopper-Pearson exact'} "
            "intervals (in %).\n" + t.to_string(index=False)
        )


def _warn_attribute(old: str, new: str) -> None:
    warnings.warn(
        f"OutcomeResult.{old} is deprecated and will be removed in the next release; "
        f"use OutcomeResult.{new}",
        SocdataDeprecationWarning,
        stacklevel=3,
    )


def _check_choice(name: str, value: str, allowed: Sequence[str]) -> None:
    check_choice(name, value, allowed, function="outcome_percentages")


@renamed_keywords(level="conf_level", outcomes="outcome", ci="inference")
def outcome_percentages(
    data: pd.DataFrame,
    *,
    outcome: str | Sequence[str],
    by: str | Sequence[str] | None = None,
    denominator: Literal["recorded", "all"] = "recorded",
    inference: Literal["wilson", "exact"] = "wilson",
    conf_level: float = 0.95,
) -> OutcomeResult:
    """Percentage of cases achieving each outcome, with a confidence interval, by group.

    Parameters
    ----------
    data
        Service extract (or any subset of it, e.g. Cardiff closed cases where the young
        person engaged). Not modified.
    outcome
        Outcome column or columns (old keyword ``outcomes``, deprecated), each ``Yes`` / ``No`` / ``Not recorded`` (missing = not recorded).
    by
        Grouping column(s); ``None`` for one group labelled ``"All"``.
    denominator
        ``"recorded"``: cases with the outcome recorded; ``"all"``: all cases.
    inference
        How the intervals are computed: ``"wilson"`` (score interval, default) or
        ``"exact"`` (Clopper-Pearson). Old keyword ``ci``, deprecated.
    conf_level
        Confidence level (old keyword ``level``, deprecated).

    Returns
    -------
    OutcomeResult

    Raises
    ------
    SocdataError
        Unknown option, missing column, a value other than Yes/No/Not recorded.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"outcome_reduced_offending": ["Yes"] * 23 + ["No"] * 7})
    >>> r = outcome_percentages(df, outcome="outcome_reduced_offending")
    >>> int(r.table["pct"].iloc[0])
    77
    """
    _check_choice("denominator", denominator, DENOMINATORS)
    _check_choice("inference", inference, CI_METHODS)
    level = check_conf_level(conf_level, function="outcome_percentages")
    outcomes = [outcome] if isinstance(outcome, str) else list(outcome)
    if not outcomes:
        raise SocdataError("outcome_percentages: give at least one outcome column")
    by_cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    _check_columns(data, outcomes, by_cols)
    n_in = len(data)
    grouped, flow = _groups(data, by_cols)
    table = _add_intervals(_counts(grouped, outcomes, denominator), inference, level)
    if denominator == "recorded":
        n_nr = int(table["n_not_recorded"].sum())
        notes = [
            f"Denominator: cases with the outcome recorded; {n_nr} outcome value(s) "
            "'Not recorded' are outside the denominators (see n_not_recorded)."
        ]
    else:
        notes = ["Denominator: all cases; an unrecorded outcome counts as not achieved."]
    notes.append("Percentages rounded half-up to whole numbers, as printed in the report.")
    prov = Provenance.build(
        "socdata.describe.outcomes.outcome_percentages",
        parameters={
            "outcome": list(outcomes),
            "by": by,
            "denominator": denominator,
            "inference": inference,
            "level": level,
        },
        frames={"data": data},
        n_in=n_in,
        n_out=sum(len(g) for _, g in grouped),
        flow=flow,
        notes=notes,
    )
    return OutcomeResult(
        provenance=prov,
        table=table,
        denominator=denominator,
        inference=inference,
        conf_level=level,
    )


def _check_columns(data: pd.DataFrame, outcomes, by_cols) -> None:
    missing = [c for c in [*outcomes, *by_cols] if c not in data.columns]
    if missing:
        raise SocdataError(
            f"outcome_percentages: column(s) {missing} not in data; columns "
            f"present: {list(data.columns)[:25]}"
        )
    for col in outcomes:
        vals = data[col].astype("string")
        bad = vals.notna() & ~vals.isin(_VALUES)
        if bad.any():
            i = bad[bad].index[0]
            raise SocdataError(
                f"outcome_percentages: column {col!r} row {i} has value {vals[i]!r}; rule: "
                f"outcome indicators are one of {list(_VALUES)} ({int(bad.sum())} rows break "
                "it). Map the supplier's codes with socdata.read_extract first."
            )


def _groups(data: pd.DataFrame, by_cols):
    """(group key, rows) pairs, and the flow with rows left out for a missing group."""
    flow = FlowLog()
    if not by_cols:
        return [("All", data)], flow
    na_group = data[by_cols].isna().any(axis=1)
    if na_group.any():
        warnings.warn(
            f"outcome_percentages: {int(na_group.sum())} row(s) have a missing "
            f"{by_cols} and are excluded",
            ExcludedRowsWarning,
            stacklevel=4,  # user -> keyword wrapper -> outcome_percentages -> here
        )
    flow = flow.add(
        "cases -> cases with a group",
        len(data),
        int((~na_group).sum()),
        {f"missing {', '.join(by_cols)}": int(na_group.sum())},
        unit="cases",
    )
    work = data.loc[~na_group]
    grouped = [
        (k if len(by_cols) > 1 else (k[0] if isinstance(k, tuple) else k), g)
        for k, g in work.groupby(by_cols, sort=True)
    ]
    return grouped, flow


def _counts(grouped, outcomes, denominator: str) -> pd.DataFrame:
    """Numerator, denominator and cases per group and outcome."""
    rows = []
    for key, g in grouped:
        for col in outcomes:
            v = g[col].astype("string").fillna("Not recorded")
            k = int((v == "Yes").sum())
            rec = int(v.isin(["Yes", "No"]).sum())
            den = rec if denominator == "recorded" else len(g)
            rows.append(
                {
                    "group": key if not isinstance(key, tuple) else " / ".join(map(str, key)),
                    "outcome": col,
                    "label": OUTCOME_LABELS.get(col, col),
                    "numerator": k,
                    "denominator": den,
                    "n_cases": len(g),
                    "n_not_recorded": len(g) - rec,
                }
            )
    return pd.DataFrame(rows)


def _add_intervals(table: pd.DataFrame, ci: str, level: float) -> pd.DataFrame:
    """Proportion, rounded percentage, interval and fraction word of each row."""
    table = table.copy()
    k = table["numerator"].to_numpy()
    n = table["denominator"].to_numpy()
    lo, hi = (wilson_interval if ci == "wilson" else exact_interval)(k, n, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        prop = np.where(n > 0, k / np.where(n > 0, n, 1), np.nan)
    table["proportion"] = prop
    table["pct"] = pd.array(
        [None if n_ == 0 else round_half_up(100 * k_ / n_) for k_, n_ in zip(k, n, strict=True)],
        dtype="Int64",
    )
    table["conf_low"] = lo
    table["conf_high"] = hi
    table["fraction_word"] = [fraction_word(k_, n_) for k_, n_ in zip(k, n, strict=True)]
    return table
