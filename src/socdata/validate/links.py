"""Rules across extracts: the ``links:`` of the schema files (:func:`validate_links`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from socdata.errors import SchemaError
from socdata.schemas import load_spec
from socdata.schemas.checks import Formatter
from socdata.validate.result import ValidationResult, empty_problems

__all__ = ["validate_links"]


def _frame_and_rows(item: pd.DataFrame | ValidationResult) -> tuple[pd.DataFrame, np.ndarray]:
    """A frame to check and the source row number of each of its rows."""
    if isinstance(item, ValidationResult):
        return item.valid, np.asarray(item.valid_rows)
    if isinstance(item, pd.DataFrame):
        return item.reset_index(drop=True), np.arange(2, len(item) + 2)
    raise TypeError(
        f"validate_links takes DataFrames or ValidationResults, got {type(item).__name__}"
    )


def validate_links(
    extracts: Mapping[str, pd.DataFrame | ValidationResult],
    *,
    show_identifiers: bool = False,
) -> pd.DataFrame:
    """Check the rules across extracts (the ``links:`` of the schema files).

    For example, every police event's person is in the police persons extract
    (``police_events.L01``) and no event is after the follow-up end of that person's force
    (``police_events.L02``).  A link is checked only when both extracts are given.

    Parameters
    ----------
    extracts
        ``{kind: frame}``: canonical, typed frames (e.g. ``read_extract`` output, row ``k``
        reported as ``k + 2``) or :class:`ValidationResult` objects (their valid rows, with
        the source row numbers).
    show_identifiers
        Show identifier values in messages (masked by default).

    Returns
    -------
    pandas.DataFrame
        One row per problem: ``kind`` then :data:`PROBLEM_COLUMNS`.

    Examples
    --------
    >>> from socdata.datasets import random_extract
    >>> persons = random_extract("police_persons", n=5, seed=1)
    >>> events = random_extract("police_events", n=5, seed=1)
    >>> events.loc[0, "person_id"] = "N999999"
    >>> validate_links({"police_persons": persons, "police_events": events})["rule"].tolist()
    ['police_events.L01']
    """
    frames = {k: _frame_and_rows(v) for k, v in extracts.items()}
    out: list[pd.DataFrame] = []
    for kind, (frame, rows) in frames.items():
        spec = load_spec(kind)
        fmt = Formatter(frozenset(spec.sensitive_names), show_identifiers)
        for link in spec.links:
            p = link.params
            other = p["other"]
            if other not in frames:
                continue
            if p["other_column"] not in load_spec(other).names:
                raise SchemaError(f"{link.id}: {other} has no column {p['other_column']!r}")
            check = _exists_in if link.check == "exists_in" else _not_after_other
            pos, msgs = check(frame, frames[other][0], p, fmt)
            if len(pos):
                col = p["column"]
                out.append(
                    pd.DataFrame(
                        {
                            "kind": kind,
                            "row": rows[pos].astype("int64"),
                            "column": col,
                            "rule": link.id,
                            "value": [fmt.plain(col, frame[col].iat[i]) for i in pos],
                            "message": msgs,
                            "severity": link.severity,
                        }
                    )
                )
    if not out:
        empty = empty_problems()
        empty.insert(0, "kind", pd.Series(dtype=object))
        return empty
    return pd.concat(out, ignore_index=True)


def _exists_in(
    frame: pd.DataFrame, other_frame: pd.DataFrame, p: Mapping[str, Any], fmt: Formatter
) -> tuple[np.ndarray, list[str]]:
    """Link check ``exists_in``: the value is a value of the other extract's column."""
    col, other = p["column"], p["other"]
    known = set(other_frame[p["other_column"]].dropna())
    vals = frame[col]
    pos = np.flatnonzero((vals.notna() & ~vals.isin(known)).to_numpy(dtype=bool))
    msgs = [
        f"{col} {fmt(col, vals.iat[i])} is not in the {other} extract "
        f"({p['other_column']}); check the id or send the {other} extract that "
        "holds it"
        for i in pos
    ]
    return pos, msgs


def _not_after_other(
    frame: pd.DataFrame, other_frame: pd.DataFrame, p: Mapping[str, Any], fmt: Formatter
) -> tuple[np.ndarray, list[str]]:
    """Link check ``not_after_other``: not after the other extract's date for the same key."""
    col, other, key, ocol = p["column"], p["other"], p["key"], p["other_column"]
    ref = other_frame.drop_duplicates(key).set_index(key)[ocol]
    limit = shown_limit = frame[key].map(ref)
    if (
        pd.api.types.is_datetime64_any_dtype(limit)
        and (frame[col].dt.normalize() != frame[col]).any()
    ):
        limit = limit + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    vals = frame[col]
    pos = np.flatnonzero((vals.notna() & limit.notna() & (vals > limit)).to_numpy(dtype=bool))
    msgs = [
        f"{col} {fmt(col, vals.iat[i])} is after {ocol} "
        f"{fmt(ocol, shown_limit.iat[i])}"
        f" of {key} {fmt(key, frame[key].iat[i])} in the {other} extract; correct "
        "the date or the follow-up end"
        for i in pos
    ]
    return pos, msgs
