"""Deprivation deciles carried with their national index.

Each UK nation has its own index of multiple deprivation, built from different domains,
indicators and small areas: IMD (England), WIMD (Wales), SIMD (Scotland), NIMDM (Northern
Ireland). A decile is a rank *within* its nation, so "decile 1" of WIMD and "decile 1" of
SIMD are not the same level of deprivation. Tables here keep the index beside every decile
and refuse to pool across indices unless the caller says so, in which case every row of
the table says so too.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from socdata.errors import SocdataError

__all__ = [
    "CROSS_INDEX_NOTE",
    "DEPRIVATION_INDEX",
    "CrossIndexComparisonError",
    "deprivation_table",
]

#: The index of each nation.
DEPRIVATION_INDEX: Mapping[str, str] = {
    "England": "IMD",
    "Wales": "WIMD",
    "Scotland": "SIMD",
    "Northern Ireland": "NIMDM",
}

#: Words carried by a table that pools deciles of different indices.
CROSS_INDEX_NOTE = (
    "deciles of different national indices pooled: each is a rank within its own nation "
    "(IMD, WIMD, SIMD, NIMDM) and they are not comparable levels of deprivation"
)


class CrossIndexComparisonError(SocdataError):
    """Deciles of different national indices would be compared without saying so."""


def _prepare(frame: pd.DataFrame, keys: list[str], decile: str, index: str) -> pd.DataFrame:
    cols = [*keys, decile, index]
    for col in cols:
        if col not in frame:
            raise SocdataError(f"deprivation tables need column {col!r}")
    df = frame[list(dict.fromkeys(cols))].copy()
    df = df[df[decile].notna()]
    df[index] = df[index].astype(object).where(df[index].notna(), "not stated")
    return df


def deprivation_table(
    frame: pd.DataFrame,
    *,
    by: str | None = None,
    decile: str = "deprivation_decile",
    index: str = "deprivation_index",
    pool_across_indices: bool = False,
) -> pd.DataFrame:
    """Counts of children by deprivation decile, one block per national index.

    Parameters
    ----------
    frame
        Rows with a decile column and its index column.
    by
        Optional grouping column (e.g. ``"area"``).
    decile, index
        Column names.
    pool_across_indices
        Count deciles of different indices together. The result then has an ``index`` of
        ``"pooled: IMD+WIMD..."`` and a ``note`` saying they are not comparable.

    Returns
    -------
    pandas.DataFrame
        ``[by,] index, decile, n, note``; deciles without an index are counted under index
        ``"not stated"`` (never pooled silently).
    """
    keys = [by] if by else []
    df = _prepare(frame, keys, decile, index)
    if not pool_across_indices:
        out = df.groupby([*keys, index, decile]).size().rename("n").reset_index()
        out["note"] = ""
    else:
        label = "pooled: " + "+".join(sorted(df[index].unique()))
        out = df.groupby([*keys, decile]).size().rename("n").reset_index()
        out.insert(len(keys), index, label)
        out["note"] = CROSS_INDEX_NOTE if df[index].nunique() > 1 else ""
    out = out.rename(columns={index: "index", decile: "decile"})
    out["decile"] = out["decile"].astype(int)
    return out.reset_index(drop=True)


def decile_summary(
    frame: pd.DataFrame,
    by: str,
    *,
    decile: str = "deprivation_decile",
    index: str = "deprivation_index",
    pool_across_indices: bool = False,
) -> pd.DataFrame:
    """Median decile and share in deciles 1-2 per group: a comparison between groups.

    Comparing groups whose deciles are on different national indices compares ranks within
    different nations; it is refused unless ``pool_across_indices=True``, and then every row
    carries :data:`CROSS_INDEX_NOTE`.

    Returns
    -------
    pandas.DataFrame
        ``by, index, n, median_decile, n_most_deprived_20pct, note``.

    Raises
    ------
    CrossIndexComparisonError
        The groups' deciles are on more than one index and ``pool_across_indices`` is false.
    """
    df = _prepare(frame, [by], decile, index)
    indices = sorted(df[index].unique())
    if len(indices) > 1 and not pool_across_indices:
        raise CrossIndexComparisonError(
            f"the groups of {by!r} hold deciles of {', '.join(indices)}: comparing them compares "
            "ranks within different nations; compare groups within one index, or pass "
            "pool_across_indices=True to compare them with a note saying so"
        )
    rows = []
    for g, sub in df.groupby(by, sort=True):
        rows.append(
            {
                by: g,
                "index": "+".join(sorted(sub[index].unique())),
                "n": len(sub),
                "median_decile": float(sub[decile].astype(float).median()),
                "n_most_deprived_20pct": int((sub[decile] <= 2).sum()),
                "note": CROSS_INDEX_NOTE if len(indices) > 1 else "",
            }
        )
    return pd.DataFrame(rows)
