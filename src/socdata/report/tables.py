"""Writing tidy tables and other frames, with disclosure control applied on the way out.

Every notebook writes its tables with :func:`write_table` (tidy, one cell per row) or, for
outputs that are not cross-tabulations, :func:`write_frame`.  Both resolve the disclosure
rule set (:func:`resolve_disclosure`), apply it, and record it in the file.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from socdata.errors import DisclosureError, SocdataWarning
from socdata.report.control import (
    Registry,
    control_count_column,
    control_model_frame,
    control_text,
    model_count_columns,
)
from socdata.report.disclosure import (
    DEFAULT_RULE_SET,
    IDENTIFIER_COLUMNS,
    RuleSet,
    apply_to_frame,
    apply_to_table,
    get_rule_set,
)
from socdata.report.figures import _check_name
from socdata.safe_output import write_csv

__all__ = [
    "TABLE_COLUMNS",
    "UncontrolledColumnWarning",
    "resolve_disclosure",
    "write_frame",
    "write_table",
]

#: Columns every tidy table starts with.
TABLE_COLUMNS: tuple[str, ...] = ("table_id", "row_label", "column_label", "measure", "value")
_OPTIONAL_COLUMNS: tuple[str, ...] = ("numerator", "denominator", "n", "conf_low", "conf_high")

#: Columns that hold the unrounded value of a cell (kept for the comparison with the
#: printed figures on synthetic data): never released under disclosure control, dropped
#: without a warning.
UNRELEASED_COLUMNS: tuple[str, ...] = ("exact",)

_UNSET = object()
#: Columns that label cells (never rewritten by the text control).
_LABELS = frozenset(
    {"table_id", "row_label", "column_label", "measure", "disclosure", "disclosure_status"}
)


def resolve_disclosure(disclosure: str | RuleSet = "auto", *, data_dir=_UNSET) -> RuleSet:
    """Turn ``"auto"`` (or a name) into the :class:`~socdata.report.disclosure.RuleSet` to apply.

    ``"auto"`` resolves, when ``data_dir`` is given (``None`` meaning the bundled synthetic
    extracts), to ``none`` if the folder holds the unmodified bundled synthetic extracts
    (:func:`socdata.report.synthetic.data_kind`) and to the default rule set otherwise;
    without ``data_dir``, to the default rule set ``soceis-default-v1`` (safe by default).
    No environment variable is read: notebooks run by ``socdata reproduce`` receive the
    rule set already resolved in the run context (``socdata.pipeline.RunContext``).

    Raises
    ------
    DisclosureError
        When the name is not a known rule set.
    """
    if isinstance(disclosure, RuleSet):
        return disclosure
    name = "auto" if disclosure is None else str(disclosure).strip()
    if name != "auto":
        return get_rule_set(name)
    if data_dir is not _UNSET:
        from socdata.report.synthetic import data_kind

        return get_rule_set("none") if data_kind(data_dir).synthetic else DEFAULT_RULE_SET
    return DEFAULT_RULE_SET


class UncontrolledColumnWarning(SocdataWarning):
    """A numeric column that disclosure control does not cover was left out of a table."""


def _holds_numbers(col: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(col):
        return False
    if pd.api.types.is_numeric_dtype(col):
        return bool(col.notna().any())
    return bool(pd.to_numeric(col, errors="coerce").notna().any())


def _check_no_identifiers(frame: pd.DataFrame, what: str) -> None:
    ident = sorted(IDENTIFIER_COLUMNS & {str(c) for c in frame.columns})
    if ident:
        raise DisclosureError(
            f"{what} has identifier column(s) {ident}: reports publish aggregates, never person "
            "rows; aggregate first, or drop those columns"
        )


def write_table(
    table: pd.DataFrame,
    out_dir: str | Path,
    *,
    table_id: str | None = None,
    disclosure: str | RuleSet = "auto",
    keep_columns: Iterable[str] = (),
    population: str | None = None,
) -> Path:
    """Apply disclosure control to a tidy table and write ``out_dir/tables/<table_id>.csv``.

    Parameters
    ----------
    table
        Tidy table: ``table_id`` (optional when ``table_id`` is passed), ``row_label``,
        ``column_label``, ``measure`` (``n``, ``pct``, ``mean``, ``min``, ``max``, ...),
        ``value``, and optionally ``numerator``, ``denominator`` (the base of a percentage,
        mean, min or max: give it, or the cell is suppressed on real data), ``n`` (people
        behind an estimate; its base when there is no ``denominator``), ``conf_low``,
        ``conf_high`` and any other columns.  ``numerator``, ``denominator`` and ``n`` are
        counts of people and are controlled like ``n`` cells.  ``Total``/``Overall`` rows and columns are
        margins.  Not modified.
    out_dir
        Output folder of the run (``tables/`` is created inside it).
    table_id
        File name and ``table_id`` value, e.g. ``"table4_case_status"``.  Defaults to the
        table's single ``table_id`` value.
    disclosure
        Rule set name, a :class:`~socdata.report.disclosure.RuleSet`, ``"none"``, or
        ``"auto"`` (see :func:`resolve_disclosure`).
    keep_columns
        Extra numeric columns that say nothing about people (an ordering key, a year) and
        may be published as they are.  Under any rule set but ``none``, every *other*
        extra numeric column (say an ``exact`` copy of the unrounded value) is left out of
        the file with an :class:`UncontrolledColumnWarning`, because disclosure control
        cannot know what it holds.  Counts in text columns (``note``) pass
        :func:`~socdata.report.control.control_text` (rounded, or masked when 1-9);
        labels (``row_label``, ``column_label``) are published as they are.
    population
        The people the table's counts are about (e.g. ``"service referrals"``).  Tables
        of the run that declare the same population share one registry of protected
        cells (:class:`~socdata.report.control.Registry`): a count cell suppressed in one
        is suppressed in the others.

    Returns
    -------
    pathlib.Path
        The CSV written: ``table_id, row_label, column_label, measure, value``, the optional
        columns present, other columns, then ``disclosure`` (rule set) and
        ``disclosure_status`` (per cell).

    Raises
    ------
    DisclosureError
        Missing columns, conflicting or absent table id, repeated cells, identifier columns.
    """
    if not isinstance(table, pd.DataFrame):
        raise DisclosureError(f"write_table expects a pandas DataFrame, got {type(table).__name__}")
    frame = table.copy()
    table_id = _table_id(frame, table_id)
    frame["table_id"] = table_id
    missing = [c for c in TABLE_COLUMNS if c not in frame.columns]
    if missing:
        raise DisclosureError(
            f"table {table_id!r} lacks column(s) {missing}; tidy tables have "
            f"{', '.join(TABLE_COLUMNS)} (columns found: {list(frame.columns)[:20]})"
        )
    _check_no_identifiers(frame, f"table {table_id!r}")
    rules = resolve_disclosure(disclosure)
    keep = set(keep_columns)
    unknown_keep = keep - set(frame.columns)
    if unknown_keep:
        raise DisclosureError(
            f"keep_columns {sorted(unknown_keep)} are not columns of table {table_id!r}"
        )
    if rules.enabled:
        frame = _control_extra_columns(frame, rules, keep, table_id)
    registry = Registry(out_dir) if population and rules.enabled else None
    protect = registry.protected(population) if registry else set()
    out = apply_to_table(frame, rules, protect=protect)
    if rules.enabled:  # counts in free-text columns (a note's "27 of 40 plans") pass control
        for c in out.columns:
            if c in _LABELS or pd.api.types.is_numeric_dtype(out[c]):
                continue
            out[c] = out[c].map(lambda v: control_text(v, rules) if isinstance(v, str) else v)
    if registry:
        hidden = out["disclosure_status"].astype(str).str.startswith("suppressed") & (
            out["measure"].astype(str).str.lower() == "n"
        )
        cells = zip(out.loc[hidden, "row_label"], out.loc[hidden, "column_label"], strict=True)
        registry.register(population, table_id, cells)
    first = [*TABLE_COLUMNS, *(c for c in _OPTIONAL_COLUMNS if c in out)]
    tail = ["disclosure", "disclosure_status"]
    rest = [c for c in out.columns if c not in first and c not in tail]
    return _write(out[first + rest + tail], out_dir, table_id)


def _table_id(frame: pd.DataFrame, table_id: str | None) -> str:
    """The one table id: the argument, else the table's single ``table_id`` value."""
    if table_id is None:
        ids = frame["table_id"].dropna().astype(str).unique() if "table_id" in frame else []
        if len(ids) != 1:
            raise DisclosureError(
                "write_table needs one table id: pass table_id=... or give the table a "
                f"table_id column with a single value (found {list(ids)[:5]})"
            )
        table_id = ids[0]
    table_id = _check_name(table_id, "table_id")
    if "table_id" in frame:
        other = set(frame["table_id"].dropna().astype(str)) - {table_id}
        if other:
            raise DisclosureError(
                f"table_id={table_id!r} but the table's table_id column holds {sorted(other)}; "
                "write one table per file"
            )
    return table_id


def _control_extra_columns(
    frame: pd.DataFrame, rules: RuleSet, keep: set[str], table_id: str
) -> pd.DataFrame:
    """Columns beyond the tidy ones: counts controlled, other numbers left out with a warning."""
    frame = frame.drop(columns=[c for c in UNRELEASED_COLUMNS if c in frame and c not in keep])
    known = {*TABLE_COLUMNS, *_OPTIONAL_COLUMNS, "disclosure", "disclosure_status"}
    # extra columns named as counts (n_people, n_*) are controlled like counts
    extra_counts = [c for c in model_count_columns(frame) if c not in known and c not in keep]
    for c in extra_counts:
        frame[c] = control_count_column(frame[c], rules)
    known |= set(extra_counts)
    uncontrolled = [
        c for c in frame.columns if c not in known and c not in keep and _holds_numbers(frame[c])
    ]
    if uncontrolled:
        warnings.warn(
            f"table {table_id!r}: numeric column(s) {uncontrolled} are not covered by "
            f"disclosure control ({rules.name}) and were left out of the file; pass "
            "keep_columns=[...] for columns that say nothing about people",
            UncontrolledColumnWarning,
            stacklevel=3,
        )
        frame = frame.drop(columns=uncontrolled)
    return frame


def _write(out: pd.DataFrame, out_dir: str | Path, name: str) -> Path:
    """Write ``out_dir/tables/<name>.csv`` (formula cells neutralised)."""
    folder = Path(out_dir) / "tables"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.csv"
    write_csv(out, path, float_format="%.12g")
    return path


def write_frame(
    frame: pd.DataFrame,
    out_dir: str | Path,
    *,
    name: str,
    count_columns: Iterable[str] = (),
    text_columns: Iterable[str] = (),
    disclosure: str | RuleSet = "auto",
) -> Path:
    """Write a non-tidy frame to ``out_dir/tables/<name>.csv`` with disclosure control.

    For outputs that are not cross-tabulations, e.g. ``police_statements.csv`` (``statement,
    printed, regenerated, status``) or a table of model estimates.  Counts in
    ``count_columns`` are suppressed (1 to threshold-1) and rounded cell by cell; there is
    no secondary suppression, so cross-tabulations belong in :func:`write_table`.

    Parameters
    ----------
    frame
        Aggregate frame (never person rows: identifier columns are refused). Not modified.
    out_dir
        Output folder of the run.
    name
        File name without extension.
    count_columns
        Columns that hold counts of people.
    disclosure
        As for :func:`write_table`.

    Returns
    -------
    pathlib.Path
        The CSV written, with ``disclosure`` and ``disclosure_status`` columns added.
    """
    if not isinstance(frame, pd.DataFrame):
        raise DisclosureError(f"write_frame expects a pandas DataFrame, got {type(frame).__name__}")
    name = _check_name(name, "name")
    _check_no_identifiers(frame, f"frame {name!r}")
    rules = resolve_disclosure(disclosure)
    counts = list(dict.fromkeys([*count_columns, *model_count_columns(frame)]))
    controlled = control_model_frame(frame, rules, text_columns=text_columns)
    out = apply_to_frame(controlled, rules, count_columns=counts if rules.enabled else ())
    return _write(out, out_dir, name)
