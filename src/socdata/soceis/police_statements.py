"""The police statements of the March 2024 summary (and Action for Children's), regenerated.

:func:`police_statements` regenerates every quantitative or directional claim of the police
section of the March 2024 executive summary ("Rates of offending and missing episodes"),
plus the Action for Children Cardiff missing-incident figures, and says whether police
extracts reproduce each one.

The printed figures are not written in code: each claim
(:data:`socdata.soceis.police_claims.CLAIMS`) points at its row of
``data/published/soceis_march2024.csv`` or ``aff_submission_2024.csv``, and its printed
value, denominator and wording come from there. Fraction words ("most", "around half",
"three quarters", "over 70%") are read with :func:`socdata.words.word_interval`, the one
vocabulary :mod:`socdata.review` also checks printed words with. How each claim is
regenerated is in :mod:`socdata.soceis._police_regenerate`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import pandas as pd

from socdata.describe.police import BeforeAfterResult, before_after
from socdata.errors import SocdataDeprecationWarning, SocdataError
from socdata.soceis._police_regenerate import (
    REGENERATE,
    age_at_referral,
    count_formatter,
    engager_data,
)
from socdata.soceis.police_claims import CLAIMS, Claim, Printed, printed_figure

__all__ = [
    "CLAIMS",
    "STATEMENT_COLUMNS",
    "Claim",
    "Printed",
    "age_at_referral",
    "police_statements",
    "printed_figure",
]

#: Columns of the statements table, in order.
STATEMENT_COLUMNS: tuple[str, ...] = (
    "statement_id",
    "statement",
    "source",
    "printed",
    "regenerated",
    "status",
    "rule",
    "note",
)


# --------------------------------------------------------------------------------------
# the table
# --------------------------------------------------------------------------------------


def _check_referred(referred: pd.DataFrame | None) -> None:
    if referred is None:
        return
    missing = [c for c in ("person_id", "area") if c not in referred.columns]
    if missing:
        raise SocdataError(
            f"police_statements(): referred has no column(s) {missing}; pass the service "
            "extract or a frame with person_id and area of every referred young person."
        )


def police_statements(
    persons: pd.DataFrame,
    events: pd.DataFrame,
    missing: pd.DataFrame,
    *,
    referred: pd.DataFrame | None = None,
    window_months: int = 12,
    full_windows: bool = True,
    arrest_lookback_days: int = 90,
    start: str | pd.Timestamp | None = None,
    result: BeforeAfterResult | None = None,
    small_count: int | None = None,
    count_format: Callable[[float], str] | None = None,
) -> pd.DataFrame:
    """Regenerate the police statements of the March 2024 summary from police extracts.

    Parameters
    ----------
    persons, events, missing
        Police extracts (contract columns). Not modified.
    referred
        The list of referred young people (``person_id``, ``area``): needed for "77%
        (190/248) identified in police data" and the Cardiff count of 119; without it those
        rows are ``not reproducible``.
    window_months, full_windows, start
        Passed to :func:`socdata.describe.police.before_after` (the summary does not state
        its windows; 12 months of equal length is this package's reading).
    arrest_lookback_days
        "Referred following arrest" means an arrest in this many days before the referral
        date (default 90).
    result
        A :func:`~socdata.describe.police.before_after` result to reuse (else computed).
    small_count
        Deprecated (warns; removed in the next release): use ``count_format=``. Counts from
        1 to ``small_count - 1`` in ``regenerated`` are written ``"<small_count"`` and
        shares on such a base are not shown.
    count_format
        How counts are written in ``regenerated`` (overrides ``small_count``): on real
        data pass :func:`socdata.report.control.count_formatter` of the run's rule set, so
        that counts are rounded and masked as in the tables and shares are computed from
        the released counts.

    Returns
    -------
    pandas.DataFrame
        Statuses are computed on the exact values whatever the count format. One row per
        claim (:data:`CLAIMS`), columns :data:`STATEMENT_COLUMNS`:
        ``statement_id``, ``statement``, ``source``, ``printed``, ``regenerated``,
        ``status`` (``match``, ``differs`` or ``not reproducible``), ``rule`` (how the claim
        is read and compared), ``note``.

    Notes
    -----
    Printed figures come from ``data/published`` (:func:`printed_figure`). Fraction words
    are read as the intervals of :func:`socdata.words.word_interval` ("most": over 50%;
    "around half": 45-55%; "three quarters": 72.5-77.5%; "over 70%": above 70%) and the
    ``rule`` column states each one. Counts and bases ("77% (190/248)", "three of the four
    areas") match when they equal the printed ones. Personal characteristics are computed
    on engagers found in police data, since the summary's figures come from police data;
    ages are completed years at referral (:func:`age_at_referral`).
    """
    _check_referred(referred)
    if small_count is not None:
        warnings.warn(
            "police_statements: keyword small_count= is deprecated and will be removed in the "
            "next release; use count_format= (socdata.report.control.count_formatter of the "
            "run's rule set rounds counts and masks small ones as the tables do).",
            SocdataDeprecationWarning,
            stacklevel=2,
        )
    fc = count_format or count_formatter(small_count)
    res = result or before_after(
        persons,
        events,
        missing,
        window_months=window_months,
        full_windows=full_windows,
        referred=referred,
        start=start,
    )
    d = engager_data(persons, events, missing, res, referred, fc, arrest_lookback_days)
    rows = []
    for claim in CLAIMS:
        regenerated, status, rule, note = REGENERATE[claim.kind](d, claim)
        rows.append(
            (claim.statement_id, claim.text(), claim.source, claim.printed_text(),
             regenerated, status, rule, note)
        )  # fmt: skip
    return pd.DataFrame(rows, columns=list(STATEMENT_COLUMNS))
