"""The linked cohort's analyses in a few calls (notebook 50): the linkage secret, the case
files' tables and the four-nation minimum dataset's tables.

Each function returns results or tidy tables; writing them (with output control) is the
caller's (``socdata.report.write_table``).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from socdata.linkage import Secret, read_secret

__all__ = [
    "LINKED_COHORT_KINDS",
    "case_file_results",
    "linkage_secret",
    "minimum_dataset_tables",
]

#: Extract kinds the linked-cohort analyses read (each optional: what is absent is skipped).
LINKED_COHORT_KINDS = (
    "service",
    "arrest_outcomes",
    "linkage_identifiers",
    "vulnerability",
    "missing_detail",
    "assessments",
)


def linkage_secret(
    secret_file: str | Path | None = None,
    secret_env: str | None = "SOCDATA_LINKAGE_SECRET",
    *,
    synthetic: bool = False,
) -> Secret | None:
    """The data owner's linkage secret, or ``None`` when there is none to use.

    Parameters
    ----------
    secret_file
        File holding the secret (read first when given).
    secret_env
        Else the environment variable holding it, if set and not empty.
    synthetic
        On the bundled synthetic data, with neither, a random secret for the session
        (the synthetic records are not anyone's: any secret links them).

    Returns
    -------
    Secret or None
        ``None`` on other data without a secret: the caller skips the linkage and says so.

    Raises
    ------
    LinkageError
        The file is absent, or the secret is too short.

    Examples
    --------
    >>> linkage_secret(secret_env=None, synthetic=False) is None
    True
    >>> linkage_secret(secret_env=None, synthetic=True).origin
    'random, for the synthetic data'
    """
    if secret_file is not None:
        return read_secret(path=secret_file)
    if secret_env and os.environ.get(secret_env):
        return read_secret(env=secret_env)
    if synthetic:
        return Secret(secrets.token_bytes(32), origin="random, for the synthetic data")
    return None


def case_file_results(frames: Mapping[str, pd.DataFrame]) -> list[Any]:
    """The case files' analyses that the extracts present allow, in the report's order.

    * the Flintshire cohort profile (``vulnerability`` with Flintshire rows);
    * Cardiff's missing incidents before and after referral (``missing_detail`` and
      ``vulnerability`` with Cardiff rows);
    * missing-episode duration and return interviews (``missing_detail``).

    Parameters
    ----------
    frames
        Validated extracts by kind (absent kinds left out).

    Returns
    -------
    list
        Results of :mod:`socdata.describe.case_files`, each with ``table`` and
        ``to_table()`` (a tidy table with its ``table_id``).
    """
    from socdata.describe.case_files import (
        cardiff_missing_before_after,
        flintshire_profile,
        missing_episode_duration,
    )

    out: list[Any] = []
    vul, missing = frames.get("vulnerability"), frames.get("missing_detail")
    if vul is not None:
        areas = set(vul["area"])
        if "Flintshire" in areas:
            out.append(flintshire_profile(vul))
        if missing is not None and "Cardiff" in areas:
            out.append(cardiff_missing_before_after(missing, vul))
    if missing is not None:
        out.append(missing_episode_duration(missing))
    return out


def minimum_dataset_tables(vulnerability: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The four-nation minimum dataset's tables by table id: the coded CCE indicator
    (``mds_cce_indicator``) and deprivation deciles by national index, never pooled
    across indices (``mds_deprivation_by_index``)."""
    from socdata.describe.minimum_dataset import cce_indicator_table, deprivation_by_index

    return {
        "mds_cce_indicator": cce_indicator_table(vulnerability),
        "mds_deprivation_by_index": deprivation_by_index(vulnerability),
    }
