"""Offence categories harmonised across the UK's three recording classifications.

* **Home Office** (England and Wales): police recorded crime offence groups and sub-groups
  (Home Office Counting Rules);
* **Scottish Crime Recording** (Scotland): the Scottish Crime Recording Standard groups 1-7
  and their principal crime types;
* **PSNI** (Northern Ireland): the Police Service of Northern Ireland's recorded crime
  groups, which follow the Home Office Counting Rules with their own labels.

The harmonised list is the one of the ``police_events`` and ``arrest_outcomes`` schemas. A
label is looked up within its own classification, because the same words mean different
things: Home Office and PSNI "Vehicle offences" are thefts of or from vehicles (harmonised to
Theft), Scottish "Motor vehicle offences" are driving offences (harmonised to Vehicle
offences).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from socdata.errors import SocdataError
from socdata.io import label_key

__all__ = ["CLASSIFICATIONS", "HARMONISED", "OFFENCE_MAP", "harmonise_offence"]

#: The harmonised categories.
HARMONISED: tuple[str, ...] = (
    "Violence against the person",
    "Sexual offences",
    "Robbery",
    "Theft",
    "Burglary",
    "Criminal damage",
    "Drug offences",
    "Possession of weapons",
    "Public order",
    "Vehicle offences",
    "Miscellaneous",
)
_SHARED_EW_NI = {
    "Violence against the person": "Violence against the person",
    "Homicide": "Violence against the person",
    "Violence with injury": "Violence against the person",
    "Violence without injury": "Violence against the person",
    "Stalking and harassment": "Violence against the person",
    "Sexual offences": "Sexual offences",
    "Robbery": "Robbery",
    "Robbery of business property": "Robbery",
    "Robbery of personal property": "Robbery",
    "Theft offences": "Theft",
    "Burglary": "Burglary",
    "Domestic burglary": "Burglary",
    "Non-domestic burglary": "Burglary",
    "Vehicle offences": "Theft",
    "Theft from the person": "Theft",
    "Bicycle theft": "Theft",
    "Shoplifting": "Theft",
    "All other theft offences": "Theft",
    "Criminal damage and arson": "Criminal damage",
    "Criminal damage": "Criminal damage",
    "Drug offences": "Drug offences",
    "Trafficking of drugs": "Drug offences",
    "Possession of drugs": "Drug offences",
    "Possession of weapons offences": "Possession of weapons",
    "Public order offences": "Public order",
    "Miscellaneous crimes against society": "Miscellaneous",
}
#: ``{classification: {source label: harmonised category}}``.
OFFENCE_MAP: Mapping[str, Mapping[str, str]] = {
    "Home Office": dict(_SHARED_EW_NI),
    "PSNI": {
        **_SHARED_EW_NI,
        "Violence against the person (NI)": "Violence against the person",
        "Theft offences (including burglary)": "Theft",
        "Miscellaneous crimes against society (NI)": "Miscellaneous",
    },
    "Scottish Crime Recording": {
        "Non-sexual crimes of violence": "Violence against the person",
        "Robbery": "Robbery",
        "Sexual crimes": "Sexual offences",
        "Crimes of dishonesty": "Theft",
        "Housebreaking": "Burglary",
        "Theft by housebreaking": "Burglary",
        "Shoplifting": "Theft",
        "Fire-raising, vandalism etc.": "Criminal damage",
        "Vandalism": "Criminal damage",
        "Other crimes": "Miscellaneous",
        "Drugs": "Drug offences",
        "Supply of drugs": "Drug offences",
        "Possession of drugs": "Drug offences",
        "Handling offensive weapons": "Possession of weapons",
        "Offensive weapons": "Possession of weapons",
        "Miscellaneous offences": "Miscellaneous",
        "Common assault": "Violence against the person",
        "Breach of the peace etc.": "Public order",
        "Motor vehicle offences": "Vehicle offences",
    },
}
#: Classifications known, by the nation that uses each.
CLASSIFICATIONS: Mapping[str, str] = {
    "England": "Home Office",
    "Wales": "Home Office",
    "Scotland": "Scottish Crime Recording",
    "Northern Ireland": "PSNI",
}


def harmonise_offence(labels: pd.Series, classification: pd.Series | str) -> pd.Series:
    """Harmonised offence category of each source label, read within its classification.

    Parameters
    ----------
    labels
        Offence group or sub-group as the force records it (case and spacing ignored).
    classification
        ``Home Office``, ``Scottish Crime Recording`` or ``PSNI``, one for all rows or one
        per row.

    Raises
    ------
    SocdataError
        A classification or label not in :data:`OFFENCE_MAP`, naming the row and the labels
        that classification knows.

    Examples
    --------
    >>> import pandas as pd
    >>> harmonise_offence(pd.Series(["Vehicle offences"]), "PSNI").tolist()
    ['Theft']
    >>> harmonise_offence(pd.Series(["Motor vehicle offences"]), "Scottish Crime Recording").tolist()
    ['Vehicle offences']
    """
    cls = (
        pd.Series(classification, index=labels.index)
        if isinstance(classification, str)
        else classification
    )
    keyed = {c: {label_key(k): v for k, v in m.items()} for c, m in OFFENCE_MAP.items()}
    out = []
    for pos, (lab, c) in enumerate(zip(labels, cls, strict=True)):
        if lab is None or (isinstance(lab, float) and pd.isna(lab)):
            out.append(None)
            continue
        if c not in keyed:
            raise SocdataError(
                f"row {pos}: classification {c!r} is not one of {', '.join(OFFENCE_MAP)}"
            )
        got = keyed[c].get(label_key(lab))
        if got is None and lab in HARMONISED:
            got = lab
        if got is None:
            raise SocdataError(
                f"row {pos}: offence {lab!r} is not a {c} label; known: "
                f"{', '.join(OFFENCE_MAP[c])} (or a harmonised category)"
            )
        out.append(got)
    return pd.Series(out, index=labels.index, name="offence_category", dtype=object)
