"""The linked cohort's analyses in a few calls (notebook 50): the linkage secret, the
linkage of service and police records, police outcomes by engagement, the case files'
tables and the four-nation minimum dataset's tables.

Each function returns results or tidy tables; writing them (with output control) is the
caller's (``socdata.report.write_table``).
"""

from __future__ import annotations

import os
import secrets
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from socdata.errors import SocdataWarning
from socdata.linkage import Linkage, LinkageReport, Secret, link_service_police, read_secret

__all__ = [
    "LINKED_COHORT_KINDS",
    "case_file_results",
    "link_cohort",
    "linkage_secret",
    "linked_cohort_results",
    "minimum_dataset_tables",
    "police_outcome_results",
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


def link_cohort(
    frames: Mapping[str, pd.DataFrame],
    secret: Secret | None,
    *,
    truth: pd.DataFrame | None = None,
    secret_env: str | None = "SOCDATA_LINKAGE_SECRET",
) -> tuple[Linkage | None, LinkageReport | None]:
    """Link the cohort's service and police records, when the extract and a secret allow.

    Parameters
    ----------
    frames
        Validated extracts by kind (absent kinds left out); the linkage reads
        ``linkage_identifiers``.
    secret
        :func:`linkage_secret`; ``None`` skips the linkage with a
        :class:`~socdata.errors.SocdataWarning` saying how to give one.
    truth
        ``service_id, police_id`` of the true pairs (the bundled synthetic cohort's,
        ``socdata.datasets.linked.bundled_truth``): false matches are then counted.
    secret_env
        The environment variable named in the warning.

    Returns
    -------
    linkage : Linkage or None
        Record-level pairs (stay in the secure environment); ``None`` when skipped.
    report : LinkageReport or None
        Match rates by area and field, for release under output control
        (``report.to_tables()``); ``None`` when skipped.

    Examples
    --------
    >>> link_cohort({}, None)  # no linkage_identifiers extract: nothing to link
    (None, None)
    """
    identifiers = frames.get("linkage_identifiers")
    if identifiers is None:
        return None, None
    if secret is None:
        warnings.warn(
            "linkage skipped: no linkage secret (pass secret_file, or set the environment "
            f"variable {secret_env}); the analyses of linked records are not produced",
            SocdataWarning,
            stacklevel=2,
        )
        return None, None
    return link_service_police(identifiers, secret, truth=truth)


def police_outcome_results(
    frames: Mapping[str, pd.DataFrame], linkage: Linkage | None, *, window_months: int = 12
) -> list[Any]:
    """Police outcomes of the linked cohort: engaged vs declined vs comparators, and
    dose-response (June 2023, 3.2; descriptive, not effects).

    Parameters
    ----------
    frames
        Validated extracts by kind; needs ``service`` and ``arrest_outcomes``.
    linkage
        :func:`link_cohort`'s linkage; ``None`` (not linked) gives no results.
    window_months
        Months before and after the index date.

    Returns
    -------
    list
        :func:`socdata.describe.engagement_outcomes.police_outcomes_by_engagement` and
        :func:`~socdata.describe.engagement_outcomes.dose_response`, each with
        ``summary()`` and ``to_table()`` (tidy, with its ``table_id``); empty when an
        input is missing.

    Examples
    --------
    >>> police_outcome_results({}, None)
    []
    """
    from socdata.describe.engagement_outcomes import dose_response, police_outcomes_by_engagement

    service, arrests = frames.get("service"), frames.get("arrest_outcomes")
    if linkage is None or service is None or arrests is None:
        return []
    return [
        police_outcomes_by_engagement(service, arrests, linkage, window_months=window_months),
        dose_response(service, arrests, linkage, window_months=window_months),
    ]


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


def linked_cohort_results(
    frames: Mapping[str, pd.DataFrame], linkage: Linkage | None, *, window_months: int = 12
) -> list[Any]:
    """Every analysis of the linked cohort that the extracts present allow, in the report's
    order: :func:`police_outcome_results` (needs the linkage), :func:`case_file_results`,
    then the change in repeated outcome assessments (Justice Star; ``assessments``).

    Parameters
    ----------
    frames
        Validated extracts by kind (absent kinds left out).
    linkage
        :func:`link_cohort`'s linkage, or ``None`` (the police outcomes are then left out).
    window_months
        Months before and after the index date of the police outcomes.

    Returns
    -------
    list
        Results, each with ``summary()`` and ``to_table()`` (a tidy table with its
        ``table_id``).

    Examples
    --------
    >>> linked_cohort_results({}, None)
    []
    """
    from socdata.describe.case_files import assessment_change

    out = police_outcome_results(frames, linkage, window_months=window_months)
    out += case_file_results(frames)
    if frames.get("assessments") is not None:
        out.append(assessment_change(frames["assessments"]))
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
