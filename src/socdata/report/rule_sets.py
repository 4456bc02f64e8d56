"""Disclosure rule sets: which cells of a table may be published, by name.

A :class:`RuleSet` holds the thresholds (primary suppression, rounding base, minimum base
of a statistic, extremes), :data:`RULE_SETS` the named ones (:data:`DEFAULT_RULE_SET` is
safe by default) and :func:`get_rule_set` looks one up.  The vocabulary of tidy tables that
disclosure control reads (margin labels, count and proportion measures, identifier columns)
is declared here too.  :mod:`socdata.report.disclosure` applies a rule set to a table.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pandas as pd

from socdata.errors import DisclosureError, SocdataWarning

__all__ = [
    "COUNT_MEASURES",
    "DEFAULT_RULE_SET",
    "EXTREME_MEASURES",
    "IDENTIFIER_COLUMNS",
    "MARGIN_LABELS",
    "PROPORTION_MEASURES",
    "RULE_SETS",
    "DisclosureOffWarning",
    "RuleSet",
    "get_rule_set",
    "is_margin",
    "round_to_base",
]

#: Row or column labels that mark a margin (a total over the other rows or columns).
MARGIN_LABELS: frozenset[str] = frozenset({"total", "overall", "all", "all areas"})

#: Measures that are counts of people.
COUNT_MEASURES: frozenset[str] = frozenset({"n"})
#: Measures that are proportions of a base (their count is the ``numerator``).
PROPORTION_MEASURES: frozenset[str] = frozenset({"pct", "fraction", "proportion"})
#: Measures that are the value of one individual.
EXTREME_MEASURES: frozenset[str] = frozenset({"min", "max"})

#: Columns that name people or their birth dates: never written by the report.
IDENTIFIER_COLUMNS: frozenset[str] = frozenset(
    {
        "person_id",
        "referral_id",
        "participant_id",
        "plan_id",
        "event_id",
        "episode_id",
        "date_of_birth",
        "birth_month",
    }
)


class DisclosureOffWarning(SocdataWarning):
    """Disclosure control was switched off for outputs that may come from real data."""


@dataclasses.dataclass(frozen=True)
class RuleSet:
    """A named set of disclosure-control rules.

    Attributes
    ----------
    name
        Name written into every output (``disclosure`` column, report, manifest).
    threshold
        Counts ``1 <= n < threshold`` are suppressed (primary suppression); ``0`` disables.
    rounding_base
        Published counts are rounded to the nearest multiple (``1`` = no rounding).
    secondary
        Whether to add secondary suppressions so that no suppressed count can be recovered
        from margins.
    min_base
        Percentages, means and other statistics need a base of at least this many people.
    extremes_min_base
        Minimum/maximum of individual values are published only on a base of at least this
        many people; ``None`` suppresses them always.
    pct_decimals, mean_decimals
        Decimal places of published percentages and of means and other statistics.
    safe_dof_threshold
        Models with fewer residual degrees of freedom are not released (ACRO's
        ``safe_dof_threshold``, default 10).
    safe_nk_n, safe_nk_k
        Dominance rule for magnitude tables: a cell fails when its ``safe_nk_n`` largest
        contributions make up more than ``safe_nk_k`` of its total (ACRO: 2, 0.9).
    safe_pratio_p
        p-ratio rule for magnitude tables: a cell fails when the total less the two largest
        contributions is under ``safe_pratio_p`` of the largest (ACRO: 0.1).
    survival_safe_threshold
        Every released step of a Kaplan-Meier curve, and every row of a survival table, is
        backed by at least this many people (events and people at risk; ACRO: 10).
    zeros_are_disclosive
        Whether a zero count is disclosive (ACRO's default ``True``: a zero says that
        nobody in a group has an attribute).  socdata's rule sets show zeros (they are
        mostly structural in these tables) and the output-checking request marks every
        table with zeros for review, so that the checker decides.
    description
        One line saying what the rule set does (printed in the report).
    """

    name: str
    threshold: int = 10
    rounding_base: int = 5
    secondary: bool = True
    min_base: int = 10
    extremes_min_base: int | None = None
    pct_decimals: int = 0
    mean_decimals: int = 1
    safe_dof_threshold: int = 10
    safe_nk_n: int = 2
    safe_nk_k: float = 0.9
    safe_pratio_p: float = 0.1
    survival_safe_threshold: int = 10
    zeros_are_disclosive: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        if self.threshold < 0 or self.rounding_base < 1 or self.min_base < 0:
            raise DisclosureError(
                f"rule set {self.name!r}: threshold and min_base must be >= 0 and "
                f"rounding_base >= 1 (got threshold={self.threshold}, "
                f"rounding_base={self.rounding_base}, min_base={self.min_base})"
            )

    def acro_parameters(self) -> dict[str, object]:
        """The rule set in ACRO's vocabulary (``acro/default.yaml`` names).

        >>> get_rule_set("soceis-default-v1").acro_parameters()["safe_threshold"]
        10
        """
        return {
            "safe_threshold": self.threshold,
            "safe_dof_threshold": self.safe_dof_threshold,
            "safe_nk_n": self.safe_nk_n,
            "safe_nk_k": self.safe_nk_k,
            "safe_pratio_p": self.safe_pratio_p,
            "check_missing_values": False,
            "survival_safe_threshold": self.survival_safe_threshold,
            "zeros_are_disclosive": self.zeros_are_disclosive,
            "safe_round_base": self.rounding_base,
            "secondary_suppression": self.secondary,
            "min_base_for_statistics": self.min_base,
            "extremes_min_base": self.extremes_min_base,
        }

    def is_small(self, count: float) -> bool:
        """Whether primary suppression withholds a count: 1 to ``threshold - 1`` (not 0, not NA).

        >>> get_rule_set("soceis-default-v1").is_small(9), DEFAULT_RULE_SET.is_small(0)
        (True, False)
        """
        return bool(not pd.isna(count) and 0 < count < self.threshold)

    @property
    def small_count_reason(self) -> str:
        """Why primary suppression withheld a count, as statuses say it (``count 1-9``)."""
        return f"count 1-{self.threshold - 1}"

    @property
    def enabled(self) -> bool:
        """Whether the rule set changes anything (``False`` only for ``none``)."""
        return self.name != "none"

    def describe(self) -> str:
        """One readable paragraph for the report."""
        if not self.enabled:
            return "none: disclosure control switched off; every cell is published as computed."
        parts = [f"{self.name}:"]
        if self.threshold > 1:
            parts.append(f"counts of 1-{self.threshold - 1} people suppressed;")
        if self.rounding_base > 1:
            parts.append(f"other counts rounded to the nearest {self.rounding_base};")
        if self.secondary:
            parts.append(
                "secondary suppression so that no suppressed count can be recovered from totals;"
            )
        parts.append(f"no percentage, mean or other statistic on a base under {self.min_base};")
        parts.append(
            "percentages and intervals computed from the released counts; model counts "
            f"rounded, no model with under {self.safe_dof_threshold} residual degrees of "
            "freedom, estimates at the precision of their standard errors; Kaplan-Meier "
            f"steps backed by at least {self.survival_safe_threshold} people;"
        )
        if self.extremes_min_base is None:
            parts.append("minimum and maximum of individual values always suppressed.")
        else:
            parts.append(
                f"minimum and maximum only on a base of at least {self.extremes_min_base}."
            )
        return " ".join(parts)


#: Rule set applied when nothing else is asked for (safe by default).
DEFAULT_RULE_SET = RuleSet(
    name="soceis-default-v1",
    threshold=10,
    rounding_base=5,
    secondary=True,
    min_base=10,
    extremes_min_base=None,
    description="Counts 1-9 suppressed, others rounded to 5, secondary suppression, "
    "no statistic on a base under 10, min/max suppressed.",
)

#: The rule sets selectable by name (``socdata reproduce --disclosure NAME``).
RULE_SETS: dict[str, RuleSet] = {
    DEFAULT_RULE_SET.name: DEFAULT_RULE_SET,
    "soceis-strict-v1": RuleSet(
        name="soceis-strict-v1",
        threshold=10,
        rounding_base=10,
        secondary=True,
        min_base=20,
        extremes_min_base=None,
        description="Counts 1-9 suppressed, others rounded to 10, secondary suppression, "
        "no statistic on a base under 20, min/max suppressed.",
    ),
    "soceis-internal-v1": RuleSet(
        name="soceis-internal-v1",
        threshold=10,
        rounding_base=1,
        secondary=True,
        min_base=10,
        extremes_min_base=10,
        description="For sharing inside the data controller's organisation: counts 1-9 "
        "suppressed with secondary suppression, no rounding, min/max on a base of 10 or more.",
    ),
    "none": RuleSet(
        name="none",
        threshold=0,
        rounding_base=1,
        secondary=False,
        min_base=0,
        extremes_min_base=0,
        pct_decimals=15,
        mean_decimals=15,
        safe_dof_threshold=0,
        survival_safe_threshold=0,
        description="No disclosure control (synthetic data, or explicit request).",
    ),
}


def get_rule_set(rules: str | RuleSet) -> RuleSet:
    """Return the :class:`RuleSet` named ``rules`` (or ``rules`` itself).

    Raises
    ------
    DisclosureError
        When no rule set has that name; the message lists the names that exist.
    """
    if isinstance(rules, RuleSet):
        return rules
    key = str(rules).strip()
    if key in RULE_SETS:
        return RULE_SETS[key]
    raise DisclosureError(
        f"unknown disclosure rule set {rules!r}; choose one of "
        f"{', '.join(sorted(RULE_SETS))} (or 'auto' to pick from the data)"
    )


def round_to_base(value: float, base: int) -> float:
    """Round ``value`` to the nearest multiple of ``base``, halves away from zero.

    >>> round_to_base(12, 5), round_to_base(13, 5), round_to_base(15, 10)
    (10.0, 15.0, 20.0)
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return float("nan")
    if base <= 1:
        return value
    q = abs(value) / base
    r = math.floor(q + 0.5) * base
    return math.copysign(r, value) if r else 0


def is_margin(label: Any) -> bool:
    """Whether a row or column label marks a margin (:data:`MARGIN_LABELS`)."""
    return isinstance(label, str) and label.strip().lower() in MARGIN_LABELS
