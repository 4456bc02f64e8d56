"""Row-level validation of an extract against the schema of its kind.

:func:`validate_extract` finds every problem in one pass and returns a
:class:`ValidationResult`: the valid rows (canonical, typed), one row per problem with the
source row number, column, rule id, value and a message, and counts with
``n_valid + n_rejected + n_unparseable == n_input`` always (a line of the file that is not a
readable record is counted, with its line number, never dropped).  Identifier and date-of-birth values are
masked (``***``) unless ``show_identifiers=True``.

Order of work, all vectorised over columns:

1. read the file (:func:`socdata.io.read_table`) and map supplier column names through the
   schema's aliases (and an optional ``column_map``);
2. rule ``columns_present``: required columns missing from the file;
3. rules ``types``, ``allowed_values``, ``not_null`` and ``ranges`` while typing each column;
4. every cross-field and cross-row rule of the schema (:mod:`socdata.schemas.checks`) on the
   typed frame.

Examples
--------
>>> from socdata import validate
>>> from socdata.paths import synthetic_dir
>>> result = validate.validate_extract(synthetic_dir() / "service.csv", "service")
>>> result.ok, result.n_valid == result.n_input
(True, True)
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from socdata.errors import ExtractReadError, ExtractValidationError, SchemaError
from socdata.io import (
    RawTable,
    cell_text,
    date_problem,
    find_extract,
    frame_table,
    is_missing,
    month_first_hint,
    normalise_labels,
    normalise_name,
    parse_dates,
    parse_integers,
    parse_strings,
    read_table,
)
from socdata.provenance import FlowLog, Provenance
from socdata.results import Result, order_tidy
from socdata.schemas import COLUMN_CHECKS, FILE_CHECKS, ColumnSpec, SchemaSpec, load_spec
from socdata.schemas.checks import MASK, Formatter, evaluate_rule

__all__ = ["PROBLEM_COLUMNS", "ValidationResult", "validate_extract", "validate_links"]

#: Columns of :attr:`ValidationResult.rejected` and :attr:`ValidationResult.warnings`.
PROBLEM_COLUMNS: tuple[str, ...] = ("row", "column", "rule", "value", "message", "severity")

_SUMMARY_RULES = 20
_SUMMARY_EXAMPLES = 3


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def _empty_problems() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": pd.Series(dtype="int64"),
            **{c: pd.Series(dtype=object) for c in PROBLEM_COLUMNS[1:]},
        }
    )


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class ValidationResult(Result):
    """Outcome of validating one extract.

    Attributes
    ----------
    valid
        Rows that break no rule: canonical columns in schema order, typed.
    rejected
        One row per problem of severity ``"error"``: ``row`` (row number in the source file,
        header = row 1), ``column``, ``rule`` (e.g. ``"service.R07"``), ``value`` (as in the
        source, masked for identifiers and dates of birth unless asked), ``message``,
        ``severity``.  A source row can appear more than once.
    warnings
        Same columns, severity ``"warning"`` (e.g. age outside the service's 11-18); these
        rows stay valid.
    n_input, n_valid, n_rejected, n_unparseable
        Data records read below the header (blank rows excluded), valid rows, rejected rows
        (rows, not problems), and lines that could not be read as records at all (unclosed
        quote, ragged row, truncated line, undecodable bytes); ``n_input == n_valid +
        n_rejected + n_unparseable``.  Unparseable lines are also listed in ``rejected``
        (``row`` = line number, rule ``<kind>.R00``) and in :attr:`unparseable`.
    kind, schema_version, source
        Extract kind, schema version and source file name (or ``"<DataFrame>"``).
    unknown_columns
        Source columns that match no column of the kind (not used; reported).
    unmapped_labels
        ``{column: labels}`` of category values that matched no allowed value or synonym.
    column_names
        ``{source header: canonical name}`` as mapped.
    n_blank
        Entirely blank rows skipped below the header.
    valid_rows
        Source row number of each row of ``valid`` (for :func:`validate_links`).
    unparseable
        One row per unparseable line: ``line`` and ``reason`` (no cell values).
    notes
        File-level remarks: the encoding read, bytes that were not in it, dates that look
        month-first (US format), the run date the plausibility rules used.
    run_date
        The day the date plausibility rules (no date in the future) compared against.
    """

    valid: pd.DataFrame = dataclasses.field(repr=False)
    rejected: pd.DataFrame = dataclasses.field(repr=False)
    warnings: pd.DataFrame = dataclasses.field(repr=False)
    n_input: int
    n_valid: int
    n_rejected: int
    kind: str
    schema_version: str
    source: str
    unknown_columns: tuple[str, ...] = ()
    unmapped_labels: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    column_names: Mapping[str, str] = dataclasses.field(default_factory=dict)
    n_blank: int = 0
    valid_rows: np.ndarray = dataclasses.field(
        default_factory=lambda: np.zeros(0, dtype=int), repr=False, compare=False
    )
    n_unparseable: int = 0
    unparseable: pd.DataFrame = dataclasses.field(
        default_factory=lambda: pd.DataFrame(
            {"line": pd.Series(dtype="int64"), "reason": pd.Series(dtype=object)}
        ),
        repr=False,
        compare=False,
    )
    notes: tuple[str, ...] = ()
    run_date: str | None = None

    def __post_init__(self) -> None:
        total = self.n_valid + self.n_rejected + self.n_unparseable
        if total != self.n_input or len(self.valid) != self.n_valid:
            raise AssertionError(  # an internal invariant, not user input
                f"validation counts do not add up: {self.n_valid} valid + {self.n_rejected} "
                f"rejected + {self.n_unparseable} unparseable != {self.n_input} input"
            )

    @property
    def ok(self) -> bool:
        """True when every record was read and is valid."""
        return self.n_rejected == 0 and self.n_unparseable == 0

    def problems_by_rule(self) -> pd.DataFrame:
        """Rows and problems per rule (errors and warnings), in rule order."""
        both = pd.concat([self.rejected, self.warnings], ignore_index=True)
        if both.empty:
            return pd.DataFrame(columns=["rule", "severity", "rows", "problems", "words"])
        spec = load_spec(self.kind)
        words = {r.id: r.words for r in spec.rules}
        order = {r.id: i for i, r in enumerate(spec.rules)}
        g = both.groupby(["rule", "severity"], sort=False)
        out = pd.DataFrame({"rows": g["row"].nunique(), "problems": g.size()}).reset_index()
        out["words"] = out["rule"].map(words)
        out = out.sort_values("rule", key=lambda s: s.map(order)).reset_index(drop=True)
        return out

    def tidy(self) -> pd.DataFrame:
        """One row per rule that found problems: ``estimate`` = rows affected, ``n`` = rows read."""
        by_rule = self.problems_by_rule()
        frame = pd.DataFrame(
            {
                "term": by_rule["rule"],
                "estimate": by_rule["rows"].astype(float),
                "ci_type": "none",
                "n": self.n_input,
                "severity": by_rule["severity"],
                "problems": by_rule["problems"],
                "words": by_rule["words"],
            }
        )
        return order_tidy(frame)

    def _summary_body(self) -> str:
        return self.describe(max_rules=_SUMMARY_RULES, examples=_SUMMARY_EXAMPLES)

    def describe(
        self, *, max_rules: int = _SUMMARY_RULES, examples: int = _SUMMARY_EXAMPLES
    ) -> str:
        """Short human summary: counts, unknown columns, unmapped labels, problems by rule."""
        lines = [
            f"{self.kind} extract {self.source} (schema {self.kind} {self.schema_version})",
            f"  rows read: {self.n_input}; valid: {self.n_valid}; rejected: {self.n_rejected}; "
            f"unparseable: {self.n_unparseable} ({len(self.rejected)} problems); "
            f"warnings: {len(self.warnings)}",
        ]
        lines.extend(f"  note: {n}" for n in self.notes)
        if self.n_blank:
            lines.append(f"  blank rows skipped: {self.n_blank}")
        if self.unknown_columns:
            lines.append(
                "  unknown columns (not used): " + ", ".join(repr(c) for c in self.unknown_columns)
            )
        for col, labels in self.unmapped_labels.items():
            shown = ", ".join(repr(v) for v in labels[:10])
            more = f" and {len(labels) - 10} more" if len(labels) > 10 else ""
            lines.append(f"  unmapped labels in {col}: {shown}{more}")
        by_rule = self.problems_by_rule()
        if len(by_rule):
            lines.append("Problems by rule:")
        both = pd.concat([self.rejected, self.warnings], ignore_index=True)
        for i, rec in enumerate(by_rule.itertuples(index=False)):
            if i == max_rules:
                lines.append(f"  ... and {len(by_rule) - max_rules} more rules")
                break
            tag = "" if rec.severity == "error" else " [warning]"
            lines.append(f"  {rec.rule}{tag}: {rec.rows} row{_s(rec.rows)} - {rec.words}")
            sel = both[(both["rule"] == rec.rule) & (both["severity"] == rec.severity)]
            for p in sel.head(examples).itertuples(index=False):
                where = f"row {p.row}, {p.column}" if p.column else f"row {p.row}"
                lines.append(f"    {where}: {p.message}")
            if len(sel) > examples:
                lines.append(f"    ... and {len(sel) - examples} more")
        return "\n".join(lines)

    def summary(self) -> str:
        """Human-readable summary (counts and the first problems of each rule)."""
        return self.describe()

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly counts (no row values)."""
        by_rule = self.problems_by_rule()
        return {
            "kind": self.kind,
            "schema_version": self.schema_version,
            "source": self.source,
            "n_input": self.n_input,
            "n_valid": self.n_valid,
            "n_rejected": self.n_rejected,
            "n_unparseable": self.n_unparseable,
            "unparseable_lines": [int(x) for x in self.unparseable["line"]],
            "notes": list(self.notes),
            "n_problems": len(self.rejected),
            "n_warnings": len(self.warnings),
            "n_blank": self.n_blank,
            "unknown_columns": list(self.unknown_columns),
            "unmapped_labels": {k: list(v) for k, v in self.unmapped_labels.items()},
            "rules": [
                {
                    "rule": r.rule,
                    "severity": r.severity,
                    "rows": int(r.rows),
                    "problems": int(r.problems),
                }
                for r in by_rule.itertuples(index=False)
            ],
        }


# --------------------------------------------------------------------------- helpers


@dataclasses.dataclass
class _Problems:
    rows: list[np.ndarray] = dataclasses.field(default_factory=list)
    positions: list[np.ndarray] = dataclasses.field(default_factory=list)
    columns: list[np.ndarray] = dataclasses.field(default_factory=list)
    rules: list[np.ndarray] = dataclasses.field(default_factory=list)
    values: list[np.ndarray] = dataclasses.field(default_factory=list)
    messages: list[np.ndarray] = dataclasses.field(default_factory=list)
    severities: list[np.ndarray] = dataclasses.field(default_factory=list)

    def add(self, row_numbers, pos, column, rule, values, messages, severity="error"):
        pos = np.asarray(pos, dtype=int)
        if not len(pos):
            return
        k = len(pos)
        self.positions.append(pos)
        self.rows.append(row_numbers[pos])
        self.columns.append(np.full(k, column, dtype=object))
        self.rules.append(np.full(k, rule, dtype=object))
        self.values.append(
            np.asarray(values, dtype=object).reshape(-1)
            if not isinstance(values, str)
            else np.full(k, values, dtype=object)
        )
        self.messages.append(
            np.asarray(messages, dtype=object).reshape(-1)
            if not isinstance(messages, str)
            else np.full(k, messages, dtype=object)
        )
        self.severities.append(np.full(k, severity, dtype=object))

    def frame(self) -> tuple[pd.DataFrame, np.ndarray]:
        if not self.rows:
            return _empty_problems(), np.zeros(0, dtype=int)
        df = pd.DataFrame(
            {
                "row": np.concatenate(self.rows).astype("int64"),
                "column": np.concatenate(self.columns),
                "rule": np.concatenate(self.rules),
                "value": np.concatenate(self.values),
                "message": np.concatenate(self.messages),
                "severity": np.concatenate(self.severities),
            }
        )
        return df, np.concatenate(self.positions)


def _show_raw(raw: pd.Series, sensitive: bool, show: bool) -> np.ndarray:
    if sensitive and not show:
        return np.full(len(raw), MASK, dtype=object)
    return np.asarray([cell_text(v) for v in raw], dtype=object)


def _quoted(v: object) -> str:
    return MASK if v == MASK else f"'{v}'"


def _map_columns(
    raw: RawTable, spec: SchemaSpec, column_map: Mapping[str, str] | None
) -> tuple[dict[str, str], tuple[str, ...]]:
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


def _type_column(
    col: ColumnSpec,
    raw: pd.Series,
    spec: SchemaSpec,
    rows: np.ndarray,
    problems: _Problems,
    show: bool,
) -> tuple[pd.Series, tuple[str, ...], np.ndarray]:
    """Parse one present column; record types / allowed / not-null / range problems.

    Returns the typed column, the unmapped labels and the mask of cells that could not be
    typed (unparseable or unmapped), which are missing in the typed column.
    """
    sensitive = col.name in spec.sensitive_names
    unmapped_labels: tuple[str, ...] = ()
    unmapped = np.zeros(len(raw), dtype=bool)
    if col.dtype in ("date", "datetime"):
        typed, bad = parse_dates(raw, with_time=col.dtype == "datetime")
        what = (
            "a date-time (use dd/mm/yyyy hh:mm, yyyy-mm-dd hh:mm or an Excel date)"
            if col.dtype == "datetime"
            else "a date (use dd/mm/yyyy, yyyy-mm-dd or an Excel date)"
        )
    elif col.dtype == "integer":
        typed, bad = parse_integers(raw)
        what = "a whole number"
    elif col.dtype == "number":
        num = pd.to_numeric(
            raw.map(lambda v: v.strip() if isinstance(v, str) else v), errors="coerce"
        )
        miss = is_missing(raw, tokens=("", "na", "n/a", "-"))
        typed, bad = num.astype("float64"), ~miss & num.isna().to_numpy()
        what = "a number"
    elif col.dtype == "category":
        typed, unmapped = normalise_labels(raw, allowed=col.allowed, synonyms=col.synonyms)
        bad = np.zeros(len(raw), dtype=bool)
        if unmapped.any():
            pos = np.flatnonzero(unmapped)
            shown = _show_raw(raw.iloc[pos], sensitive, show)
            allowed = ", ".join(col.allowed or ())
            rule = spec.rule_for("allowed_values")
            problems.add(
                rows,
                pos,
                col.name,
                rule.id,
                shown,
                [
                    f"{col.name} {_quoted(v)} is not an allowed value; allowed: {allowed}; "
                    f"correct it or declare a synonym in the {spec.kind} schema"
                    for v in shown
                ],
            )
            unmapped_labels = tuple(sorted({str(v).strip() for v in raw.iloc[pos].map(cell_text)}))
        what = ""
    else:  # identifier, string
        if col.synonyms:
            typed, _ = normalise_labels(raw, allowed=None, synonyms=col.synonyms)
        else:
            typed, _ = parse_strings(raw)
        bad = np.zeros(len(raw), dtype=bool)
        what = ""
    if bad.any():
        pos = np.flatnonzero(bad)
        shown = _show_raw(raw.iloc[pos], sensitive, show)
        if col.dtype in ("date", "datetime") and not (sensitive and not show):
            why = [f": {date_problem(v)}" for v in raw.iloc[pos]]
        else:
            why = [""] * len(pos)
        problems.add(
            rows,
            pos,
            col.name,
            spec.rule_for("types").id,
            shown,
            [f"{col.name} {_quoted(v)} is not {what}{w}" for v, w in zip(shown, why, strict=True)],
        )
    if not col.nullable:
        empty = typed.isna().to_numpy() & ~bad
        if col.dtype == "category":
            empty &= is_missing(raw)
        if empty.any():
            pos = np.flatnonzero(empty)
            problems.add(
                rows,
                pos,
                col.name,
                spec.rule_for("not_null").id,
                "",
                f"{col.name} is empty; every row needs a {col.name}",
            )
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
            problems.add(
                rows,
                pos,
                col.name,
                spec.rule_for("ranges").id,
                shown,
                [f"{col.name} {v} is outside {bounds}" for v in shown],
            )
    if col.pattern:
        text = typed.astype(object)
        ok = text.isna() | text.astype(str).str.fullmatch(col.pattern)
        if (~ok).any():
            pos = np.flatnonzero(~ok.to_numpy(dtype=bool))
            shown = _show_raw(raw.iloc[pos], sensitive, show)
            problems.add(
                rows,
                pos,
                col.name,
                spec.rule_for("ranges").id,
                shown,
                [f"{col.name} {_quoted(v)} does not match the form {col.pattern}" for v in shown],
            )
    return typed, unmapped_labels, bad | unmapped


# --------------------------------------------------------------------------- entry point


def validate_extract(
    source: str | Path | pd.DataFrame,
    kind: str,
    *,
    sheet: str | None = None,
    show_identifiers: bool = False,
    strict: bool = False,
    column_map: Mapping[str, str] | None = None,
    run_date: str | pd.Timestamp | None = None,
) -> ValidationResult:
    """Validate an extract row by row against the schema of its kind.

    Parameters
    ----------
    source
        Path of a CSV, XLSX or Parquet file, or a DataFrame with canonical or supplier
        column names (row ``k`` of a frame is reported as source row ``k + 2``).
    kind
        Extract kind, one of :data:`socdata.schemas.KINDS`.
    sheet
        XLSX sheet (default: the first).
    show_identifiers
        Show identifier and date-of-birth values in rejections and messages (masked as
        ``***`` by default).
    strict
        Raise :class:`~socdata.errors.ExtractValidationError` if any row is rejected.
    column_map
        Extra supplier column names, ``{"Ref Date": "referral_date"}``.
    run_date
        The day the plausibility rules compare against (no date after it); default today.
        Give it to make a validation reproducible on another day.

    Returns
    -------
    ValidationResult

    Raises
    ------
    ExtractReadError
        The source cannot be read as a table, or two of its columns map to the same
        canonical column.
    ExtractValidationError
        ``strict=True`` and some rows are rejected (``.result`` holds the result).
    SchemaError
        Unknown kind, or a ``column_map`` naming a column the kind lacks.

    Examples
    --------
    >>> from socdata.validate import validate_extract
    >>> from socdata.paths import synthetic_dir
    >>> res = validate_extract(synthetic_dir() / "plans.csv", "plans")
    >>> res.n_valid + res.n_rejected + res.n_unparseable == res.n_input
    True
    """
    spec = load_spec(kind)
    today = pd.Timestamp(run_date if run_date is not None else _dt.date.today()).normalize()
    table = spec.alias_table()
    known = set(table) | {normalise_name(k) for k in (column_map or {})}
    if isinstance(source, pd.DataFrame):
        raw = frame_table(source)
        inputs: dict[str, Any] = {"frames": {"source": source}}
    else:
        if Path(source).is_dir():
            source = find_extract(source, kind)
        raw = read_table(source, sheet=sheet, known_names=known, kind=kind)
        inputs = {"files": {"source": source}}
    mapped, unknown = _map_columns(raw, spec, column_map)
    rows = raw.row_numbers
    n = len(raw.frame)
    problems = _Problems()
    present = {canon: label for label, canon in mapped.items()}
    missing_required = [c for c in spec.required_names if c not in present]
    if missing_required and not present and n:
        raise ExtractReadError(
            f"{raw.source}: no column matches a {kind} column; check the extract kind, or "
            "map the supplier's column names with --column-map FILE"
        )
    file_problems = _file_problems(raw, spec, missing_required)

    typed: dict[str, pd.Series] = {}
    unmapped: dict[str, tuple[str, ...]] = {}
    bad_cells: dict[str, np.ndarray] = {}
    notes = list(raw.notes)
    for col in spec.columns:
        if col.name in present:
            series, labels, bad_cells[col.name] = _type_column(
                col, raw.frame[present[col.name]], spec, rows, problems, show_identifiers
            )
            typed[col.name] = series.reset_index(drop=True).astype(col.pandas_dtype)
            if labels:
                unmapped[col.name] = labels
            if col.dtype in ("date", "datetime"):
                hint = month_first_hint(raw.frame[present[col.name]])
                if hint:
                    notes.append(f"{col.name}: {hint}")
        else:
            typed[col.name] = pd.Series(np.nan, index=range(n)).astype(col.pandas_dtype)
    frame = pd.DataFrame(typed, index=pd.RangeIndex(n))
    _frame_rules(spec, frame, rows, problems, bad_cells, show_identifiers, today)

    all_problems, positions = problems.frame()
    is_error = (all_problems["severity"] == "error").to_numpy()
    bad_rows = np.zeros(n, dtype=bool)
    bad_rows[positions[is_error]] = True
    if missing_required:
        bad_rows[:] = True  # no row can be used without a required column
    order = {r.id: i for i, r in enumerate(spec.rules)}
    rejected = _sorted(pd.concat([file_problems, all_problems[is_error]]), order)
    warns = _sorted(all_problems[~is_error], order)
    valid = frame.loc[~bad_rows].reset_index(drop=True)
    n_bad_lines = len(raw.unparseable)
    excluded = _first_rules(all_problems, positions, is_error, order, n, missing_required, spec)
    if n_bad_lines:
        excluded[spec.rule_for("records").id] = n_bad_lines
    n_valid = int((~bad_rows).sum())
    flow = FlowLog().add(f"validate {kind}", n + n_bad_lines, n_valid, excluded=excluded)
    prov_notes = [f"schema {kind} {spec.version}", f"run date {today:%Y-%m-%d}"]
    if raw.n_blank:
        prov_notes.append(f"{raw.n_blank} blank rows below the header skipped (not data)")
    if raw.encoding:
        prov_notes.append(f"read as {raw.encoding}")
    prov = Provenance.build(
        "socdata.validate.validate_extract",
        parameters={
            "kind": kind,
            "sheet": sheet,
            "strict": strict,
            "show_identifiers": show_identifiers,
            "column_map": dict(column_map or {}),
            "run_date": f"{today:%Y-%m-%d}",
        },
        n_in=n + n_bad_lines,
        n_out=n_valid,
        flow=flow,
        notes=prov_notes + notes,
        **inputs,
    )
    result = ValidationResult(
        provenance=prov,
        valid=valid,
        rejected=rejected,
        warnings=warns,
        n_input=n + n_bad_lines,
        n_valid=n_valid,
        n_rejected=int(bad_rows.sum()),
        kind=kind,
        schema_version=spec.version,
        source=raw.source if not isinstance(source, pd.DataFrame) else "<DataFrame>",
        unknown_columns=unknown,
        unmapped_labels=unmapped,
        column_names={
            raw.headers[list(raw.frame.columns).index(lbl)]: c for lbl, c in mapped.items()
        },
        n_blank=raw.n_blank,
        valid_rows=np.asarray(rows)[~bad_rows],
        n_unparseable=n_bad_lines,
        unparseable=pd.DataFrame(
            {
                "line": pd.Series([u.line for u in raw.unparseable], dtype="int64"),
                "reason": pd.Series([u.reason for u in raw.unparseable], dtype=object),
            }
        ),
        notes=tuple(notes),
        run_date=f"{today:%Y-%m-%d}",
    )
    if strict and not result.ok:
        raise ExtractValidationError(_strict_message(result), result)
    return result


def _file_problems(raw: RawTable, spec: SchemaSpec, missing: list[str]) -> pd.DataFrame:
    """One problem per missing required column (at the header row) and per unparseable line."""
    recs = []
    r01 = spec.rule_for("columns_present").id
    for name in missing:
        aliases = spec.column(name).aliases
        also = f" or an alias ({', '.join(aliases)})" if aliases else ""
        recs.append(
            {
                "row": int(raw.header_row),
                "column": name,
                "rule": r01,
                "value": "",
                "message": (
                    f"required column {name} is missing from the file (no column named "
                    f"{name}{also}), so none of its rows can be used; add it or map the "
                    "supplier's name with --column-map FILE (column_map= in Python)"
                ),
                "severity": "error",
            }
        )
    r00 = spec.rule_for("records").id
    for u in raw.unparseable:
        recs.append(
            {
                "row": int(u.row if u.row is not None else u.line),
                "column": "",
                "rule": r00,
                "value": "",
                "message": f"line {u.line} is not a readable record: {u.reason}",
                "severity": "error",
            }
        )
    if not recs:
        return _empty_problems()
    out = pd.DataFrame(recs)
    out["row"] = out["row"].astype("int64")
    return out


def _frame_rules(
    spec: SchemaSpec,
    frame: pd.DataFrame,
    rows: np.ndarray,
    problems: _Problems,
    bad_cells: Mapping[str, np.ndarray],
    show_identifiers: bool,
    today: pd.Timestamp,
) -> None:
    """Every cross-field and cross-row rule of the schema, on the typed frame."""
    n = len(frame)
    fmt = Formatter(frozenset(spec.sensitive_names), show_identifiers)
    for rule in spec.rules:
        if rule.check in COLUMN_CHECKS or rule.check in FILE_CHECKS:
            continue
        # a cell that could not be typed is already rejected by its own rule; do not
        # report it a second time as "missing" under a cross-field rule
        untyped = np.zeros(n, dtype=bool)
        for c in rule.columns:
            if c in bad_cells:
                untyped |= bad_cells[c]
        for f in evaluate_rule(rule, frame, spec, rows, fmt, run_date=today):
            keep = ~untyped[f.positions]
            problems.add(
                rows,
                f.positions[keep],
                f.column,
                f.rule,
                np.asarray(f.values, dtype=object)[keep],
                np.asarray(f.messages, dtype=object)[keep],
                f.severity,
            )


def _first_rules(
    all_problems: pd.DataFrame,
    positions: np.ndarray,
    is_error: np.ndarray,
    order: Mapping[str, int],
    n: int,
    missing: list[str],
    spec: SchemaSpec,
) -> dict[str, int]:
    """Flow log: each rejected row counted once, under the first rule it breaks."""
    if missing:
        return {spec.rule_for("columns_present").id: n} if n else {}
    excluded: dict[str, int] = {}
    if not is_error.any():
        return excluded
    first = (
        pd.DataFrame(
            {
                "pos": positions[is_error],
                "rank": all_problems.loc[is_error, "rule"].map(order).to_numpy(),
            }
        )
        .sort_values(["pos", "rank"])
        .drop_duplicates("pos")
    )
    ids = {i: r for r, i in order.items()}
    for rank, count in first["rank"].value_counts().sort_index().items():
        excluded[ids[int(rank)]] = int(count)
    return excluded


def _sorted(problems: pd.DataFrame, order: Mapping[str, int]) -> pd.DataFrame:
    if problems.empty:
        return _empty_problems()
    out = problems.assign(_r=problems["rule"].map(order))
    out = out.sort_values(["row", "_r", "column"], kind="stable").drop(columns="_r")
    return out.reset_index(drop=True)


def _strict_message(result: ValidationResult) -> str:
    body = result.describe(max_rules=10, examples=2)
    return (
        f"{result.source}: {result.n_rejected + result.n_unparseable} of {result.n_input} "
        f"rows break the {result.kind} schema {result.schema_version}"
        + (f" ({result.n_unparseable} unparseable)" if result.n_unparseable else "")
        + f"\n{body}\n"
        f"Run `socdata validate {result.kind} PATH --report rejected.csv` to list every "
        "problem, or pass strict=False to keep the valid rows."
    )


# --------------------------------------------------------------------------- across extracts


def _frame_and_rows(item: pd.DataFrame | ValidationResult) -> tuple[pd.DataFrame, np.ndarray]:
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
            other_frame, _ = frames[other]
            other_spec = load_spec(other)
            if p["other_column"] not in other_spec.names:
                raise SchemaError(f"{link.id}: {other} has no column {p['other_column']!r}")
            col = p["column"]
            if link.check == "exists_in":
                known = set(other_frame[p["other_column"]].dropna())
                vals = frame[col]
                bad = (vals.notna() & ~vals.isin(known)).to_numpy(dtype=bool)
                pos = np.flatnonzero(bad)
                msgs = [
                    f"{col} {fmt(col, vals.iat[i])} is not in the {other} extract "
                    f"({p['other_column']}); check the id or send the {other} extract that "
                    "holds it"
                    for i in pos
                ]
            else:  # not_after_other
                key, ocol = p["key"], p["other_column"]
                ref = other_frame.drop_duplicates(key).set_index(key)[ocol]
                limit = shown_limit = frame[key].map(ref)
                if (
                    pd.api.types.is_datetime64_any_dtype(limit)
                    and (frame[col].dt.normalize() != frame[col]).any()
                ):
                    limit = limit + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
                vals = frame[col]
                bad = (vals.notna() & limit.notna() & (vals > limit)).to_numpy(dtype=bool)
                pos = np.flatnonzero(bad)
                msgs = [
                    f"{col} {fmt(col, vals.iat[i])} is after {ocol} "
                    f"{fmt(ocol, shown_limit.iat[i])}"
                    f" of {key} {fmt(key, frame[key].iat[i])} in the {other} extract; correct "
                    "the date or the follow-up end"
                    for i in pos
                ]
            if len(pos):
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
        empty = _empty_problems()
        empty.insert(0, "kind", pd.Series(dtype=object))
        return empty
    return pd.concat(out, ignore_index=True)
