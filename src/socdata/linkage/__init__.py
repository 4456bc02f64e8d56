"""Pseudonymous linkage of service and police records.

* :func:`read_secret` / :class:`Secret` - the data owner's HMAC key, read from a file or an
  environment variable the caller names, never shown or stored;
* :func:`hash_identifiers` - keyed hashes (HMAC-SHA256) of the normalised identifiers;
* :func:`link_records` - the deterministic rules: exact key on the unique child identifier,
  then the fallback on date of birth + gender + area (:data:`RULES`);
* :func:`linkage_report` - match rates by area and by field, every record's status, and
  false-match checks against a truth (:func:`socdata.datasets.linked.bundled_truth` for the
  synthetic cohort);
* :func:`link_service_police` - the three steps in one call.
"""

from __future__ import annotations

import pandas as pd

from socdata.linkage.keys import (
    MIN_SECRET_BYTES,
    LinkageError,
    Secret,
    hash_identifiers,
    keyed_hash,
    normalise_identifier,
    read_secret,
)
from socdata.linkage.report import LinkageReport, linkage_report
from socdata.linkage.rules import RULES, Linkage, link_records

__all__ = [
    "MIN_SECRET_BYTES",
    "RULES",
    "Linkage",
    "LinkageError",
    "LinkageReport",
    "Secret",
    "hash_identifiers",
    "keyed_hash",
    "link_records",
    "link_service_police",
    "linkage_report",
    "normalise_identifier",
    "read_secret",
]


def link_service_police(
    identifiers: pd.DataFrame, secret: Secret, *, truth: pd.DataFrame | None = None
) -> tuple[Linkage, LinkageReport]:
    """Hash, link and report in one call.

    Returns
    -------
    tuple
        The :class:`Linkage` (record-level: stays with the data owner or in the secure
        environment) and the :class:`LinkageReport` (aggregates, for release under output
        control).
    """
    hashed = hash_identifiers(identifiers, secret)
    linkage = link_records(hashed)
    return linkage, linkage_report(hashed, linkage, truth=truth, secret_origin=secret.origin)
