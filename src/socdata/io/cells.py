"""Cell-level helpers: column names, category labels, missing cells, text and whole numbers.

* supplier column names matched to canonical names through the schema's alias table after
  :func:`normalise_name`;
* category labels matched through :func:`label_key` (case, spacing, apostrophe style) and the
  schema's declared synonyms.  Nothing is guessed: a label that matches neither an allowed
  value nor a synonym is reported.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from collections.abc import Callable, Collection, Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "MISSING_TOKENS",
    "cell_text",
    "is_missing",
    "label_key",
    "normalise_labels",
    "normalise_name",
    "on_uniques",
    "parse_integers",
    "parse_strings",
]

#: Cell texts read as "no value" in date, date-time and integer columns (after lower-casing).
#: In text and category columns only an empty cell is missing, so that a declared synonym
#: can give meaning to e.g. "N/A" (plans: "Not on form").
MISSING_TOKENS: frozenset[str] = frozenset({"", "na", "n/a", "null", "none", "nan", "nat", "-"})

_QUOTES = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "`": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u00a0": " ",
    }
)


# --------------------------------------------------------------------------- names, labels


def normalise_name(name: object) -> str:
    """Normalise a column header for matching: case, spacing, punctuation and accents ignored.

    ``"Date of Referral"``, ``"date_of_referral"`` and ``" DATE OF REFERRAL "`` all become
    ``"date_of_referral"``.
    """
    text = unicodedata.normalize("NFKD", str(name)).translate(_QUOTES)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("'", "")
    return re.sub(r"[^0-9a-z]+", "_", text).strip("_")


def label_key(label: object) -> str:
    """Normalise a category label for matching against allowed values and synonyms.

    Case, surrounding and repeated spaces or underscores, and curly versus straight
    apostrophes are ignored; nothing else is (a missing apostrophe, as in "Childrens
    Services", needs a declared synonym).
    """
    text = unicodedata.normalize("NFKC", str(label)).translate(_QUOTES).casefold()
    return re.sub(r"[\s_]+", " ", text).strip()


def is_missing(values: pd.Series, *, tokens: Collection[str] = ("",)) -> np.ndarray:
    """Boolean mask of missing cells: None/NaN/NaT, or text whose stripped lower case is in ``tokens``."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    tokens = set(tokens)
    miss_u = np.fromiter(
        (isinstance(v, str) and v.strip().casefold() in tokens for v in uniques),
        dtype=bool,
        count=len(uniques),
    )
    missing = codes < 0
    if len(uniques):
        missing |= miss_u[np.where(missing, 0, codes)]
    return missing


def on_uniques(
    values: pd.Series, core: Callable[[pd.Series], tuple[pd.Series, np.ndarray]]
) -> tuple[pd.Series, np.ndarray]:
    """Apply a per-cell parser to the distinct values only, then spread the result back.

    Extract columns repeat values (labels, dates), so parsing the distinct values keeps
    Python-level work small; cells that are None/NaN stay missing and are never bad.
    """
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    if len(uniques) == 0 or len(uniques) == len(values):
        return core(values)
    parsed_u, bad_u = core(pd.Series(uniques, dtype=object))
    na = codes < 0
    idx = np.where(na, 0, codes)
    parsed = pd.Series(parsed_u.to_numpy()[idx], index=values.index).astype(parsed_u.dtype)
    if na.any():
        parsed = parsed.mask(na)
    return parsed, np.where(na, False, np.asarray(bad_u, dtype=bool)[idx])


def normalise_labels(
    values: pd.Series,
    *,
    allowed: Collection[str] | None,
    synonyms: Mapping[str, str] | None = None,
) -> tuple[pd.Series, np.ndarray]:
    """Map raw labels to canonical labels.

    Parameters
    ----------
    values
        Raw cells (strings, or anything convertible with ``str``).
    allowed
        Canonical labels; ``None`` means an open set (any label is kept, after synonyms).
    synonyms
        Declared synonyms ``{"YOS": "Youth Justice Service", ...}``, matched by :func:`label_key`.

    Returns
    -------
    labels, unmapped
        Canonical labels (``NaN`` where missing or unmapped) as an object Series with the
        input's index, and a boolean mask of non-missing cells that matched nothing.
    """
    return on_uniques(
        values, lambda u: _normalise_labels_core(u, allowed=allowed, synonyms=synonyms)
    )


def _normalise_labels_core(
    values: pd.Series,
    *,
    allowed: Collection[str] | None,
    synonyms: Mapping[str, str] | None,
) -> tuple[pd.Series, np.ndarray]:
    table: dict[str, str] = {}
    for target in allowed or ():
        table[label_key(target)] = target
    for syn, target in (synonyms or {}).items():
        table.setdefault(label_key(syn), target)
    missing = is_missing(values)
    out = pd.Series(np.nan, index=values.index, dtype=object)
    present = values[~missing].astype(object)
    if len(present):
        uniques = pd.unique(present.map(cell_text))
        mapping: dict[str, Any] = {}
        for u in uniques:
            key = label_key(u)
            if key in table:
                mapping[u] = table[key]
            elif allowed is None:
                mapping[u] = re.sub(r"\s+", " ", u.strip())
            else:
                mapping[u] = np.nan
        out[~missing] = present.map(cell_text).map(mapping).to_numpy(dtype=object)
    unmapped = ~missing & pd.isna(out).to_numpy()
    return out, unmapped


# --------------------------------------------------------------------------- value parsers


def cell_text(v: object) -> str:
    """Text of a cell: integral floats lose their ``.0`` (Excel stores ids as numbers)."""
    if isinstance(v, str):
        return v
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    if isinstance(v, (pd.Timestamp, _dt.datetime)):
        return v.isoformat(sep=" ")
    return str(v)


def parse_strings(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Strip text cells; empty cells become ``NaN``.  Never fails (the mask is all False)."""
    return on_uniques(values, _parse_strings_core)


def _parse_strings_core(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    missing = is_missing(values)
    out = pd.Series(np.nan, index=values.index, dtype=object)
    if (~missing).any():
        out[~missing] = values[~missing].map(lambda v: cell_text(v).strip()).to_numpy(object)
    return out, np.zeros(len(values), dtype=bool)


_INT_RE = re.compile(r"^[+-]?\d+(?:\.0*)?$")


def parse_integers(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse whole numbers (``"15"``, ``15``, ``15.0``); returns (``Int64`` Series, bad mask)."""
    return on_uniques(values, _parse_integers_core)


def _parse_integers_core(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    missing = is_missing(values, tokens=MISSING_TOKENS)
    out = np.zeros(len(values), dtype="int64")
    ok = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(values.to_numpy(dtype=object)):
        if missing[i]:
            continue
        if isinstance(v, (bool, np.bool_)):
            continue
        if isinstance(v, (int, np.integer)):
            out[i], ok[i] = int(v), True
        elif isinstance(v, (float, np.floating)):
            if np.isfinite(v) and float(v).is_integer():
                out[i], ok[i] = int(v), True
        elif isinstance(v, str) and _INT_RE.match(v.strip()):
            out[i], ok[i] = int(float(v.strip())), True
    result = pd.array(out, dtype="Int64")
    result[~ok] = pd.NA
    return pd.Series(result, index=values.index), ~missing & ~ok
