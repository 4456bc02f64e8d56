"""The SOCEIS matched-comparator study, declared once.

Engagers found in police data are matched at their referral month to comparators from the
same police force and area, of the same gender, not referred and in the police data over
the 12 months before; close on age, deprivation decile and the counts of arrests and
missing episodes in the 12, 3 and 1 months before, and exactly on whether they were
arrested in the month before (referral usually follows an arrest: without this the
comparison suffers regression to the mean); nearest neighbour on a risk-set propensity
score within 0.2 standard deviations, 1:1 without replacement.  Outcomes: arrests,
offences and missing episodes over 12 months either side of the index month (the index
month itself left out of the overall estimate), by area and pooled.  Estimators reported
by default: the stacked DiD, Poisson (rate ratio) and least squares.
"""

from __future__ import annotations

from socdata.did.design import ComparatorDesign, MatchingSpec

__all__ = ["SOCEIS_DESIGN"]

SOCEIS_DESIGN = ComparatorDesign(
    name="SOCEIS engagers vs comparators matched at the referral month",
    matching=MatchingSpec(
        exact=("gender", "area"),
        covariates=(
            "age",
            "deprivation_decile",
            "arrests_history",
            "missing_history",
            "arrests_recent",
            "missing_recent",
            "arrests_last_3m",
            "missing_last_3m",
        ),
        history_months=12,
        recent_months=1,
        exact_any=("arrests_recent",),
        distance="logit",
        caliper=0.2,
        ratio=1,
        replace=False,
    ),
    window=(-12, 12),
    exclude=(0,),
    reference=-1,
    outcomes=("arrests", "offences", "missing_episodes"),
    estimators=("stacked_poisson", "stacked_linear"),
    by="area",
)
