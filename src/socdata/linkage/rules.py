"""Deterministic linkage rules on keyed hashes: exact key first, then a documented fallback.

1. **Exact rule.** A service record and a police record link when their ``key_exact`` (the
   keyed hash of the normalised unique child identifier) is equal and occurs once on each
   side. A key held by two records of one side links neither (reported as a conflict).
2. **Fallback rule.** Among the records still unlinked on both sides, a service and a police
   record link when their ``key_fallback`` (keyed hash of date of birth, gender and area) is
   equal and occurs once among the unlinked records of each side. A fallback key shared by
   two children on one side links nobody: the rule refuses to guess.

Every record is accounted for: it is linked by the exact rule, linked by the fallback rule, or
unlinked with a reason (no keys, a conflicting key, a non-unique fallback key, no partner).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from socdata.linkage.keys import LinkageError

__all__ = ["RULES", "Linkage", "link_records"]

#: The rules in the order they are applied, with their words.
RULES: dict[str, str] = {
    "exact": "equal keyed hash of the normalised unique child identifier, unique on both sides",
    "fallback": (
        "equal keyed hash of date of birth, gender and area, unique among the records "
        "still unlinked on both sides"
    ),
}


@dataclasses.dataclass(frozen=True)
class Linkage:
    """Pairs linked and the status of every record.

    Attributes
    ----------
    pairs
        ``service_id, police_id, rule`` (``exact`` or ``fallback``).
    records
        One row per input record: ``source, record_id, area, status`` (``linked exact``,
        ``linked fallback``, ``no partner``, ``conflicting identifier``, ``fallback key not
        unique``, ``no usable key``).
    """

    pairs: pd.DataFrame
    records: pd.DataFrame


def _unique_pairs(left: pd.DataFrame, right: pd.DataFrame, key: str) -> pd.DataFrame:
    lk = left.dropna(subset=[key])
    rk = right.dropna(subset=[key])
    l_once = lk[~lk[key].duplicated(keep=False)]
    r_once = rk[~rk[key].duplicated(keep=False)]
    return l_once[["record_id", key]].merge(
        r_once[["record_id", key]], on=key, suffixes=("_s", "_p")
    )


def link_records(hashed: pd.DataFrame) -> Linkage:
    """Link the service and police records of a hashed identifier table.

    Parameters
    ----------
    hashed
        Output of :func:`socdata.linkage.hash_identifiers` (both sources in one frame).

    Raises
    ------
    LinkageError
        Columns missing, a source other than Service / Police, or a record id repeated
        within a source.
    """
    need = ("source", "record_id", "area", "key_exact", "key_fallback")
    missing = [c for c in need if c not in hashed]
    if missing:
        raise LinkageError(f"hashed identifiers lack columns: {', '.join(missing)}")
    bad = sorted(set(hashed["source"].astype(str)) - {"Service", "Police"})
    if bad:
        raise LinkageError(f"source must be Service or Police, found {bad}")
    dup = hashed.duplicated(["source", "record_id"])
    if dup.any():
        raise LinkageError(f"{int(dup.sum())} record ids are repeated within a source")
    svc = hashed[hashed["source"] == "Service"].reset_index(drop=True)
    pol = hashed[hashed["source"] == "Police"].reset_index(drop=True)
    exact = _unique_pairs(svc, pol, "key_exact").assign(rule="exact")
    done_s, done_p = set(exact["record_id_s"]), set(exact["record_id_p"])
    rest_s = svc[~svc["record_id"].isin(done_s)]
    rest_p = pol[~pol["record_id"].isin(done_p)]
    fallback = _unique_pairs(rest_s, rest_p, "key_fallback").assign(rule="fallback")
    pairs = pd.concat([exact, fallback], ignore_index=True).rename(
        columns={"record_id_s": "service_id", "record_id_p": "police_id"}
    )[["service_id", "police_id", "rule"]]
    ambiguous = set()
    for rest in (rest_s, rest_p):
        keys = rest["key_fallback"].dropna()
        ambiguous |= set(keys[keys.duplicated(keep=False)])
    records = pd.concat(
        [
            _status(svc, pairs.set_index("service_id")["rule"], ambiguous),
            _status(pol, pairs.set_index("police_id")["rule"], ambiguous),
        ],
        ignore_index=True,
    )
    return Linkage(pairs=pairs.sort_values("service_id").reset_index(drop=True), records=records)


def _status(side: pd.DataFrame, rule: pd.Series, ambiguous: set[str]) -> pd.DataFrame:
    exact_dup = (side["key_exact"].notna() & side["key_exact"].duplicated(keep=False)).to_numpy()
    linked = side["record_id"].map(rule)
    no_key = (side["key_exact"].isna() & side["key_fallback"].isna()).to_numpy()
    ambig = side["key_fallback"].isin(ambiguous).to_numpy()
    status = np.select(
        [linked.notna().to_numpy(), no_key, ambig, exact_dup],
        [
            "linked " + linked.fillna("").astype(str),
            "no usable key",
            "fallback key not unique",
            "conflicting identifier",
        ],
        default="no partner",
    )
    return pd.DataFrame(
        {
            "source": side["source"].to_numpy(),
            "record_id": side["record_id"].to_numpy(),
            "area": side["area"].to_numpy(),
            "status": status,
        }
    )
