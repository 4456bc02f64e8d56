"""Column by column: supplier names mapped to canonical ones, values typed, column rules.

The column rules (``types``, ``allowed_values``, ``not_null``, ``ranges``) are checked while
each column is typed, so a cell's problem is found once, where its value is parsed.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from socdata.errors import ExtractReadError, SchemaError
from socdata.io import (
    RawTable,
    cell_text,
    date_problem,
    is_missing,
    normalise_labels,
    normalise_name,
    parse_dates,
    parse_integers,
    parse_strings,
)
from socdata.schemas import ColumnSpec, SchemaSpec
from socdata.validate.problems import Problems, quoted, shown_values

__all__ = ["map_columns", "type_column"]

#: What a value of each parsed type must be, for the ``types`` message.
_DATE_WORDS = "a date (use dd/mm/yyyy, yyyy-mm-dd or an Excel date)"
_DATETIME_WORDS = "a date-time (use dd/mm/yyyy hh:mm, yyyy-mm-dd hh:mm or an Excel date)"


def map_columns(
    raw: RawTable, spec: SchemaSpec, column_map: Mapping[str, str] | None
) -> tuple[dict[str, str], tuple[str, ...]]:
    """``{source column label: canonical name}`` and the source headers matching no column.

    Raises
    ------
    SchemaError
        ``column_map`` names a column the kind lacks.
    ExtractReadError
        Two source columns map to one canonical column.
    """
    table = spec.alias_table()
    for supplier, canonical in (column_map or {}).items():
        if canonical not in spec.names:
            raise SchemaError(
                f"column_map maps {supplier!r} to {canonical!r}, which is not a column of "
                f"{spec.kind}; columns: {', '.join(spec.names)}"
            )
        table[normalise_name(supplier)] = canonical
    mapped: dict[str, str] = {}
    unknown: list[str] = []
    seen: dict[str, str] = {}
    for label, header in zip(raw.frame.columns, raw.headers, strict=True):
        target = table.get(normalise_name(header))
        if target is None:
            unknown.append(header)
            continue
        if target in seen:
            raise ExtractReadError(
                f"{raw.source}: columns {seen[target]!r} and {header!r} both map to "
                f"{target!r}; keep one of them (or rename the other) and try again"
            )
        seen[target] = header
        mapped[label] = target
    return mapped, tuple(unknown)


class _Column:
    """One present column being typed: its spec, source values and where problems go."""

    def __init__(
        self,
        col: ColumnSpec,
        raw: pd.Series,
        spec: SchemaSpec,
        rows: np.ndarray,
        problems: Problems,
        show: bool,
    ) -> None:
        self.col, self.raw, self.spec, self.rows = col, raw, spec, rows
        self.problems, self.show = problems, show
        self.masked = col.name in spec.sensitive_names and not show

    def shown(self, pos: np.ndarray) -> np.ndarray:
        return shown_values(self.raw.iloc[pos], self.masked, False)

    def add(self, check: str, pos: np.ndarray, values: object, messages: object) -> None:
        rule = self.spec.rule_for(check).id
        self.problems.add(self.rows, pos, self.col.name, rule, values, messages)


def _parse(c: _Column) -> tuple[pd.Series, np.ndarray, np.ndarray, str]:
    """Typed values, cells not of the type, category labels not allowed, the type's words."""
    col, raw = c.col, c.raw
    no = np.zeros(len(raw), dtype=bool)
    if col.dtype in ("date", "datetime"):
        typed, bad = parse_dates(raw, with_time=col.dtype == "datetime")
        return typed, bad, no, _DATETIME_WORDS if col.dtype == "datetime" else _DATE_WORDS
    if col.dtype == "integer":
        typed, bad = parse_integers(raw)
        return typed, bad, no, "a whole number"
    if col.dtype == "number":
        num = pd.to_numeric(
            raw.map(lambda v: v.strip() if isinstance(v, str) else v), errors="coerce"
        )
        miss = is_missing(raw, tokens=("", "na", "n/a", "-"))
        return num.astype("float64"), ~miss & num.isna().to_numpy(), no, "a number"
    if col.dtype == "category":
        typed, unmapped = normalise_labels(raw, allowed=col.allowed, synonyms=col.synonyms)
        return typed, no, unmapped, ""
    # identifier, string
    if col.synonyms:
        typed, _ = normalise_labels(raw, allowed=None, synonyms=col.synonyms)
    else:
        typed, _ = parse_strings(raw)
    return typed, no, no, ""


def _not_allowed(c: _Column, unmapped: np.ndarray) -> tuple[str, ...]:
    """Rule ``allowed_values``: category labels that match no allowed value or synonym."""
    if not unmapped.any():
        return ()
    pos = np.flatnonzero(unmapped)
    shown = c.shown(pos)
    allowed = ", ".join(c.col.allowed or ())
    name = c.col.name
    c.add(
        "allowed_values",
        pos,
        shown,
        [
            f"{name} {quoted(v)} is not an allowed value; allowed: {allowed}; "
            f"correct it or declare a synonym in the {c.spec.kind} schema"
            for v in shown
        ],
    )
    return tuple(sorted({str(v).strip() for v in c.raw.iloc[pos].map(cell_text)}))


def _not_of_type(c: _Column, bad: np.ndarray, what: str) -> None:
    """Rule ``types``: cells that are not of the column's type (a date says why)."""
    if not bad.any():
        return
    pos = np.flatnonzero(bad)
    shown = c.shown(pos)
    if c.col.dtype in ("date", "datetime") and not c.masked:
        why = [f": {date_problem(v)}" for v in c.raw.iloc[pos]]
    else:
        why = [""] * len(pos)
    name = c.col.name
    c.add(
        "types",
        pos,
        shown,
        [f"{name} {quoted(v)} is not {what}{w}" for v, w in zip(shown, why, strict=True)],
    )


def _empty(c: _Column, typed: pd.Series, bad: np.ndarray) -> None:
    """Rule ``not_null``: empty cells of a column that may not be empty."""
    if c.col.nullable:
        return
    empty = typed.isna().to_numpy() & ~bad
    if c.col.dtype == "category":
        empty &= is_missing(c.raw)
    if empty.any():
        name = c.col.name
        c.add("not_null", np.flatnonzero(empty), "", f"{name} is empty; every row needs a {name}")


def _out_of_range(c: _Column, typed: pd.Series) -> None:
    """Rule ``ranges``: numbers outside ``min``-``max`` and text not matching ``pattern``."""
    col = c.col
    if col.min is not None or col.max is not None:
        lo = -np.inf if col.min is None else col.min
        hi = np.inf if col.max is None else col.max
        vals = typed.astype("Float64")
        out = (vals.notna() & ((vals < lo) | (vals > hi))).fillna(False).to_numpy(dtype=bool)
        if out.any():
            pos = np.flatnonzero(out)
            shown = [cell_text(typed.iat[p]) for p in pos]
            bounds = (
                f"{col.min if col.min is not None else '-inf'}-"
                f"{col.max if col.max is not None else 'inf'}"
            )
            c.add("ranges", pos, shown, [f"{col.name} {v} is outside {bounds}" for v in shown])
    if col.pattern:
        text = typed.astype(object)
        ok = text.isna() | text.astype(str).str.fullmatch(col.pattern)
        if (~ok).any():
            pos = np.flatnonzero(~ok.to_numpy(dtype=bool))
            shown = c.shown(pos)
            c.add(
                "ranges",
                pos,
                shown,
                [f"{col.name} {quoted(v)} does not match the form {col.pattern}" for v in shown],
            )


def type_column(
    col: ColumnSpec,
    raw: pd.Series,
    spec: SchemaSpec,
    rows: np.ndarray,
    problems: Problems,
    show: bool,
) -> tuple[pd.Series, tuple[str, ...], np.ndarray]:
    """Parse one present column; record types / allowed / not-null / range problems.

    Returns the typed column, the unmapped labels and the mask of cells that could not be
    typed (unparseable or unmapped), which are missing in the typed column.
    """
    c = _Column(col, raw, spec, rows, problems, show)
    typed, bad, unmapped, what = _parse(c)
    labels = _not_allowed(c, unmapped)
    _not_of_type(c, bad, what)
    _empty(c, typed, bad)
    _out_of_range(c, typed)
    return typed, labels, bad | unmapped
