"""Tables 1-2 and the interview counts of sections 2.1.1-2.1.3 (participants extract)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from socdata.soceis.tables._common import (
    _TABLE1_ROLES,
    _TABLE2_ROLES,
    OVERALL,
    PARTICIPANT_AREA_ORDER,
    _areas,
    _frame,
    _require,
    _row,
)


def _participants_table(participants, table_id, roles, phase):
    _require(participants, ("participant_id", "area", "role", "phase"), "participants", table_id)
    df = participants
    if phase is not None:
        df = df[pd.to_numeric(df["phase"], errors="coerce") == phase]
    df = df[df["role"].isin(roles)]
    areas = _areas(participants["area"], PARTICIPANT_AREA_ORDER)
    rows = []
    for col in [*areas, OVERALL]:
        g = df if col == OVERALL else df[df["area"] == col]
        # people, not rows: a participant appears at most once per phase
        per_role = g.drop_duplicates(["participant_id", "phase"])["role"].value_counts()
        for role in roles:
            k = int(per_role.get(role, 0))
            rows.append(_row(table_id, role, col, "n", k, k, np.nan, k))
        tot = int(per_role.sum())
        rows.append(_row(table_id, "Total", col, "n", tot, tot, np.nan, tot))
    return _frame(rows)


def table1(participants: pd.DataFrame, *, phase: int | None = 3) -> pd.DataFrame:
    """Table 1: young people and caregivers interviewed, by role and area.

    Parameters
    ----------
    participants
        Validated ``participants`` extract.
    phase
        Evaluation phase whose interviews are counted (3 in the report: April-June 2022);
        ``None`` counts every phase.

    Returns
    -------
    pandas.DataFrame
        Tidy table ``table1``: rows Young people, Parents, Foster carers, Kinship carers,
        Total; columns the areas (report order Cardiff, Dundee, Edinburgh, Newcastle) and
        Overall; measure ``n``.
    """
    return _participants_table(participants, "table1", _TABLE1_ROLES, phase)


def table2(participants: pd.DataFrame, *, phase: int | None = 3) -> pd.DataFrame:
    """Table 2: managers, partners, practitioners and peer mentors interviewed in a phase.

    Phase 3 by default (July 2022 - February 2023, the "further cohort" of the report);
    the phase 1 manager and phase 2 staff interviews are not in Table 2.
    See :func:`table1` for the layout.
    """
    return _participants_table(participants, "table2", _TABLE2_ROLES, phase)


def interview_text(participants: pd.DataFrame) -> pd.DataFrame:
    """Interview counts of sections 2.1.1-2.1.3 (``text_2_1_1_managers``,
    ``text_2_1_2_interviews``, ``text_2_1_2_partners``, ``text_2_1_3_interviews``).

    Managers interviewed in phase 1; practitioners, peer mentors and partners in phase 2;
    young people and caregivers (parents, foster and kinship carers) in phase 3.
    """
    _require(participants, ("participant_id", "role", "phase"), "participants", "interview_text")
    p = participants.drop_duplicates(["participant_id", "phase"])
    phase = pd.to_numeric(p["phase"], errors="coerce")

    def count(ph, roles):
        return int((phase.eq(ph) & p["role"].isin(roles)).sum())

    spec = [
        ("text_2_1_1_managers", "SOCEIS managers interviewed (phase one)", 1, ["Managers"]),
        ("text_2_1_2_interviews", "Practitioners interviewed", 2, ["Practitioners"]),
        ("text_2_1_2_interviews", "Peer mentors interviewed", 2, ["Peer mentors"]),
        ("text_2_1_2_partners", "Partners interviewed", 2, ["Partner organisations"]),
        ("text_2_1_3_interviews", "Young people interviewed", 3, ["Young people"]),
        (
            "text_2_1_3_interviews",
            "Caregivers interviewed",
            3,
            ["Parents", "Foster carers", "Kinship carers"],
        ),
    ]
    rows = []
    for tid, label, ph, roles in spec:
        k = count(ph, roles)
        rows.append(_row(tid, label, OVERALL, "n", k, k, np.nan, k, f"phase {ph}"))
    return _frame(rows)
