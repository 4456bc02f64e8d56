"""One declaration of a matched-comparator study: matching, windows, outcomes, estimators.

A :class:`ComparatorDesign` is declared once (the SOCEIS evaluation's in
:mod:`socdata.soceis.design`) and read by the notebooks, the simulation script and the
power analysis, so that the matching specification, the event-time window and the
estimators reported can only differ where a caller says so (``dataclasses.replace``).

The defaults of :func:`socdata.did.stacked_did` (window, excluded event times, reference
period) are those of :class:`ComparatorDesign`; a test checks that they agree.
"""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["ComparatorDesign", "EstimatorSpec", "MatchingSpec"]


@dataclasses.dataclass(frozen=True)
class MatchingSpec:
    """Arguments of :func:`socdata.matching.risk_set_match` for a design.

    Attributes mirror the function's keywords (see its docstring) and default to the
    function's own (neutral) defaults, which a test keeps equal; a study declares its own
    values once (the SOCEIS evaluation's: :data:`socdata.soceis.design.SOCEIS_DESIGN`).
    """

    exact: tuple[str, ...] = ("gender",)
    covariates: tuple[str, ...] = (
        "age",
        "deprivation_decile",
        "arrests_history",
        "missing_history",
    )
    history_months: int = 12
    recent_months: int = 3
    exact_any: tuple[str, ...] = ()
    distance: str = "logit"
    caliper: float | None = None
    ratio: int = 1
    replace: bool = False

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``risk_set_match``."""
        out = dataclasses.asdict(self)
        for k in ("exact", "covariates", "exact_any"):
            out[k] = list(out[k])
        return out


@dataclasses.dataclass(frozen=True)
class EstimatorSpec:
    """One estimator of the design and whether it is valid for it.

    Attributes
    ----------
    key
        Short key (used in the simulation results and ``did_estimates.csv``).
    label
        Name printed in tables.
    scale
        ``"rate ratio"`` or the outcome's unit.
    valid
        Whether the estimator recovers the effect in this design (from the simulation in
        ``docs/explanation/simulation.md``); invalid ones are reported only on request,
        flagged, with their measured bias.
    why
        One sentence: why it is (not) valid.
    """

    key: str
    label: str
    scale: str
    valid: bool
    why: str


#: Every estimator socdata can run on a matched-comparator design, with its validity for
#: the risk-set-matched design (measured by scripts/simulate_did.py).
ESTIMATORS: tuple[EstimatorSpec, ...] = (
    EstimatorSpec(
        "stacked_linear",
        "Stacked DiD (least squares), matched sets on event time",
        "per person-month",
        True,
        "compares each engager with their own comparators on the event clock",
    ),
    EstimatorSpec(
        "stacked_poisson",
        "Stacked DiD (Poisson), matched sets on event time",
        "rate ratio",
        True,
        "compares each engager with their own comparators on the event clock",
    ),
    EstimatorSpec(
        "stacked_poisson_pml",
        "Stacked DiD (Poisson ML with set effects), matched sets on event time",
        "rate ratio",
        False,
        "one engager-comparator contrast per small set is an incidental parameter: "
        "maximum likelihood overstates the effect",
    ),
    EstimatorSpec(
        "naive",
        "Naive before/after (engagers only)",
        "per person-month",
        False,
        "mixes the effect with regression to the mean and ageing",
    ),
    EstimatorSpec(
        "did2x2",
        "2x2 DiD, person-level rates",
        "per person-month",
        True,
        "pooled 2x2 on the matched clock; valid but ignores the matched sets",
    ),
    EstimatorSpec(
        "twfe_cal",
        "TWFE, person + calendar month",
        "per person-month",
        False,
        "calendar-month effects ignore the index month the sets were matched at",
    ),
    EstimatorSpec(
        "twfe_event",
        "TWFE, person + event month",
        "per person-month",
        True,
        "pooled event-clock TWFE; valid, the stacked estimator's unstacked cousin",
    ),
    EstimatorSpec(
        "pois_cal",
        "Poisson FE, person + calendar month",
        "rate ratio",
        False,
        "calendar-month effects ignore the index month the sets were matched at",
    ),
    EstimatorSpec(
        "pois_event",
        "Poisson FE, person + event month",
        "rate ratio",
        True,
        "pooled event-clock Poisson FE",
    ),
    EstimatorSpec(
        "attgt",
        "ATT(g,t), matched comparators as never-treated (simple)",
        "per person-month",
        False,
        "its base period is the month the selection acts on, and its unpaired "
        "variance ignores the matching",
    ),
)


@dataclasses.dataclass(frozen=True)
class ComparatorDesign:
    """A matched-comparator study declared once.

    Attributes
    ----------
    name
        Name of the study.
    matching
        The matching specification.
    window
        Event months analysed around the index month, e.g. ``(-12, 12)``.
    exclude
        Event months left out of the overall estimate (the index month, part before and
        part after referral).
    reference
        Reference event month of the event-time estimates.
    outcomes
        Outcome columns of the person-month panel analysed.
    estimators
        Keys of the estimators reported by default (the valid ones).
    by
        Person-level column the analysis is repeated by (``None``: pooled only).
    alpha, power
        Test level and target power of the power analysis.
    """

    name: str = "matched-comparator study"
    matching: MatchingSpec = MatchingSpec()
    window: tuple[int, int] = (-12, 12)
    exclude: tuple[int, ...] = (0,)
    reference: int = -1
    outcomes: tuple[str, ...] = ("arrests", "offences", "missing_episodes")
    estimators: tuple[str, ...] = ("stacked_poisson", "stacked_linear")
    by: str | None = "area"
    alpha: float = 0.05
    power: float = 0.8

    def estimator(self, key: str) -> EstimatorSpec:
        """The :class:`EstimatorSpec` of ``key``."""
        for spec in ESTIMATORS:
            if spec.key == key:
                return spec
        raise KeyError(f"unknown estimator {key!r}; known: {[s.key for s in ESTIMATORS]}")

    def stacked_kwargs(self) -> dict[str, Any]:
        """Window, excluded months and reference for :func:`socdata.did.stacked_did`."""
        return {"window": self.window, "exclude": self.exclude, "reference": self.reference}
