"""Coded criminal-exploitation indicator and exploitation types (Jay Review, 2024).

The Jay Review proposes a statutory definition (seed file line 1706): "The criminal
exploitation of children occurs where an individual or group takes advantage of an imbalance
of power to coerce, control, manipulate or deceive a child into criminal activity. The victim
may have been criminally exploited even if the activity appears consensual."  A case file can
record its two elements: an exploiter (an individual or group exercising that power) and
criminal activity by the child.  Apparent consent is deliberately not an input.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from socdata.errors import SocdataError

__all__ = [
    "CCE_LEVELS",
    "EXPLOITATION_TYPES",
    "PROFILE_ITEMS",
    "code_cce_indicator",
    "code_exploitation_type",
]

#: Levels of the coded indicator, in order.
CCE_LEVELS: tuple[str, ...] = ("Yes", "Suspected", "No", "Not assessed")

#: Exploitation types of the minimum dataset, with the NRM referral types each comes from.
EXPLOITATION_TYPES: Mapping[str, tuple[str, ...]] = {
    "County lines": ("County lines",),
    "Other drug supply": ("Criminal",),
    "Acquisitive crime": ("Criminal",),
    "Violence or weapons": ("Criminal",),
    "Sexual": ("Sexual",),
    "Financial": ("Criminal", "Other"),
    "Other criminal": ("Criminal", "Labour", "Domestic servitude", "Other"),
    "None recorded": ("Not specified",),
}

#: The Action for Children Flintshire profile (seed lines 63-73): printed label -> column and
#: the value counted ("Yes", or a level of ``education_status``).
PROFILE_ITEMS: Mapping[str, tuple[str, str]] = {
    "Relationship difficulties": ("relationship_difficulties", "Yes"),
    "Missing episodes": ("missing_episodes", "Yes"),
    "School exclusion": ("school_exclusion", "Yes"),
    "Aggression": ("aggression", "Yes"),
    "Poor engagement with services": ("poor_engagement_with_services", "Yes"),
    "Care experienced": ("care_experienced", "Yes"),
    "Witnessed domestic violence": ("witnessed_domestic_violence", "Yes"),
    "Carry weapons": ("carries_weapons", "Yes"),
    "Found in possession of unexplained money or drugs": ("unexplained_money_or_drugs", "Yes"),
    "Not in education, employment or training (NEET)": ("education_status", "NEET"),
    "Registered in alternative education": ("education_status", "Alternative education"),
    "Registered in mainstream school": ("education_status", "Mainstream school"),
    "Parent in prison": ("parent_in_prison", "Yes"),
}

_YNK = ("Yes", "No", "Not known")


def code_cce_indicator(exploiter: pd.Series, criminal_activity: pd.Series) -> pd.Series:
    """Code the criminal-exploitation indicator from the definition's two elements.

    Parameters
    ----------
    exploiter, criminal_activity
        ``Yes`` / ``No`` / ``Not known`` (missing counts as ``Not known``): the case file
        records an exploiter; it records criminal activity by the child.

    Returns
    -------
    pandas.Series
        ``Yes`` when both are recorded; ``No`` when either is recorded as absent;
        ``Suspected`` when one is recorded and the other not known; ``Not assessed`` when
        neither is known.

    Raises
    ------
    SocdataError
        A value other than Yes / No / Not known.

    Examples
    --------
    >>> import pandas as pd
    >>> code_cce_indicator(pd.Series(["Yes", "Yes", "No", "Not known"]),
    ...                    pd.Series(["Yes", "Not known", "Yes", None])).tolist()
    ['Yes', 'Suspected', 'No', 'Not assessed']
    """
    e = exploiter.astype(object).where(exploiter.notna(), "Not known")
    c = criminal_activity.astype(object).where(criminal_activity.notna(), "Not known")
    for name, s in (("exploiter", e), ("criminal_activity", c)):
        bad = sorted(set(s.astype(str)) - set(_YNK))
        if bad:
            raise SocdataError(f"{name}: values {bad} are not one of {', '.join(_YNK)}")
    yes_e, yes_c = (e == "Yes").to_numpy(), (c == "Yes").to_numpy()
    no_any = ((e == "No") | (c == "No")).to_numpy()
    out = np.select(
        [yes_e & yes_c, no_any, yes_e | yes_c],
        ["Yes", "No", "Suspected"],
        default="Not assessed",
    )
    return pd.Series(out, index=exploiter.index, name="cce_indicator", dtype=object)


def code_exploitation_type(nrm_type: pd.Series) -> pd.Series:
    """The minimum dataset's broad types that an NRM exploitation type can code to.

    Returns, for each NRM type, the ``" / "``-joined list of :data:`EXPLOITATION_TYPES` that
    it may code to (an NRM "Criminal" referral needs the case file to say which).
    """
    lookup: dict[str, list[str]] = {}
    for mds, nrm_types in EXPLOITATION_TYPES.items():
        for t in nrm_types:
            lookup.setdefault(t, []).append(mds)
    unknown = sorted(set(nrm_type.dropna().astype(str)) - set(lookup))
    if unknown:
        raise SocdataError(
            f"NRM exploitation types {unknown} are not known; use one of {', '.join(lookup)}"
        )
    return nrm_type.map(lambda t: " / ".join(lookup[t]) if isinstance(t, str) else None)
