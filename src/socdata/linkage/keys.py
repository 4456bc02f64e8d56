"""Keyed hashes of identifiers: HMAC-SHA256 with a secret held by the data owner.

Only the data owner holds the secret. It is read from a file or an environment variable that
the caller names; it is kept in a :class:`Secret`, whose ``repr`` and ``str`` never show it,
and it is never written to outputs, logs, results or provenance (provenance records only
*where* the secret came from, e.g. ``"env:SOCDATA_LINKAGE_SECRET"``).

Identifiers are normalised before hashing, so that formatting differences do not break a link:

* unique child identifier: upper case, letters and digits only (``"u 123-456"`` ->
  ``"U123456"``);
* date of birth: ISO ``yyyy-mm-dd``; gender: the schema's label; area: case-folded, single
  spaces.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from pathlib import Path

import pandas as pd

from socdata.errors import SocdataError

__all__ = [
    "MIN_SECRET_BYTES",
    "LinkageError",
    "Secret",
    "hash_identifiers",
    "keyed_hash",
    "normalise_identifier",
    "read_secret",
]

#: Shortest secret accepted (HMAC-SHA256 keys should carry at least 128 bits).
MIN_SECRET_BYTES = 16
_KEY_SEP = "\x1f"  # unit separator: cannot occur in a normalised field


class LinkageError(SocdataError):
    """A linkage input or secret is unusable."""


class Secret:
    """The data owner's linkage secret; shown nowhere.

    Parameters
    ----------
    value
        The secret's bytes (at least :data:`MIN_SECRET_BYTES`).
    origin
        Where it was read from, e.g. ``"file:/secure/key"`` or ``"env:NAME"``: the only thing
        about the secret that provenance records.
    """

    __slots__ = ("_value", "origin")

    def __init__(self, value: bytes, origin: str = "given") -> None:
        if not isinstance(value, bytes):
            raise LinkageError("the linkage secret must be bytes")
        if len(value) < MIN_SECRET_BYTES:
            raise LinkageError(
                f"the linkage secret from {origin} is {len(value)} bytes; use at least "
                f'{MIN_SECRET_BYTES} random bytes (e.g. `python -c "import secrets; '
                'print(secrets.token_hex(32))"`)'
            )
        self._value = value
        self.origin = origin

    def __repr__(self) -> str:
        return f"Secret(origin={self.origin!r}, value=***)"

    __str__ = __repr__

    def __reduce__(self):  # never pickled into a result
        raise LinkageError("a linkage secret cannot be pickled or stored")

    def digest(self, message: str) -> str:
        """HMAC-SHA256 of ``message`` (UTF-8) as 64 hex digits."""
        return hmac.new(self._value, message.encode("utf-8"), hashlib.sha256).hexdigest()


def read_secret(*, path: str | Path | None = None, env: str | None = None) -> Secret:
    """Read the data owner's secret from a file or from an environment variable.

    Parameters
    ----------
    path
        File holding the secret (surrounding whitespace and a final newline are dropped).
    env
        Name of an environment variable holding it.

    Raises
    ------
    LinkageError
        Neither or both given, the file or variable is absent, or the secret is too short.
    """
    if (path is None) == (env is None):
        raise LinkageError("give exactly one of path= (a secret file) or env= (a variable name)")
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise LinkageError(f"linkage secret file {p} does not exist")
        return Secret(p.read_bytes().strip(), origin=f"file:{p.name}")
    value = os.environ.get(str(env))
    if not value:
        raise LinkageError(f"environment variable {env} is not set or empty")
    return Secret(value.strip().encode("utf-8"), origin=f"env:{env}")


def normalise_identifier(values: pd.Series) -> pd.Series:
    """Upper case, letters and digits only; empty results become missing."""
    text = values.astype(object).where(values.notna(), None)
    out = text.map(lambda v: re.sub(r"[^0-9A-Z]", "", str(v).upper()) if v is not None else None)
    return out.where(out.astype(bool), None)


def _norm_text(values: pd.Series) -> pd.Series:
    return values.map(lambda v: " ".join(str(v).casefold().split()) if pd.notna(v) else None)


def keyed_hash(values: pd.Series, secret: Secret) -> pd.Series:
    """HMAC-SHA256 (hex) of each non-missing text value; missing stays missing."""
    return values.map(lambda v: secret.digest(v) if v is not None and pd.notna(v) else None)


def hash_identifiers(identifiers: pd.DataFrame, secret: Secret) -> pd.DataFrame:
    """Turn a ``linkage_identifiers`` frame into the keyed hashes that may leave the owner.

    Parameters
    ----------
    identifiers
        Validated ``linkage_identifiers`` rows (``source, record_id, child_identifier,
        date_of_birth, gender, area``).
    secret
        The data owner's :class:`Secret`.

    Returns
    -------
    pandas.DataFrame
        ``source, record_id, area, key_exact, key_fallback``: ``key_exact`` hashes the
        normalised child identifier; ``key_fallback`` hashes date of birth, gender and area
        (missing when the date of birth is missing or gender is "Not known"). ``area`` stays
        in clear for reporting match rates by area.
    """
    need = ("source", "record_id", "child_identifier", "date_of_birth", "gender", "area")
    missing = [c for c in need if c not in identifiers]
    if missing:
        raise LinkageError(f"linkage identifiers lack columns: {', '.join(missing)}")
    uci = normalise_identifier(identifiers["child_identifier"])
    dob = pd.to_datetime(identifiers["date_of_birth"]).dt.strftime("%Y-%m-%d")
    gender = identifiers["gender"].astype(object)
    usable = dob.notna() & gender.notna() & (gender != "Not known")
    fallback = (
        dob.astype(object)
        + _KEY_SEP
        + gender.astype(str)
        + _KEY_SEP
        + _norm_text(identifiers["area"]).astype(str)
    )
    fallback = fallback.where(usable, None)
    return pd.DataFrame(
        {
            "source": identifiers["source"].to_numpy(),
            "record_id": identifiers["record_id"].to_numpy(),
            "area": identifiers["area"].to_numpy(),
            "key_exact": keyed_hash("uci" + _KEY_SEP + uci, secret).to_numpy(),
            "key_fallback": keyed_hash("dob+gender+area" + _KEY_SEP + fallback, secret)
            .where(usable, None)
            .to_numpy(),
        }
    )
