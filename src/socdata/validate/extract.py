"""One extract validated row by row: :func:`validate_extract`.

Read the source, map its column names, type each column under the column rules
(:mod:`socdata.validate.columns`), run every cross-field and cross-row rule on the typed
frame, and account for every record (:mod:`socdata.validate.problems`).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from socdata.errors import ExtractReadError, ExtractValidationError
from socdata.io import (
    RawTable,
    find_extract,
    frame_table,
    month_first_hint,
    normalise_name,
    read_table,
)
from socdata.provenance import FlowLog, Provenance
from socdata.schemas import COLUMN_CHECKS, FILE_CHECKS, SchemaSpec, load_spec
from socdata.schemas.checks import Formatter, evaluate_rule
from socdata.validate.columns import map_columns, type_column
from socdata.validate.problems import Problems, file_problems, first_rules, sorted_problems
from socdata.validate.result import ValidationResult

__all__ = ["strict_message", "validate_extract"]


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
    raw, inputs = _read(source, spec, sheet, column_map)
    mapped, unknown = map_columns(raw, spec, column_map)
    present = {canon: label for label, canon in mapped.items()}
    missing = [c for c in spec.required_names if c not in present]
    if missing and not present and len(raw.frame):
        raise ExtractReadError(
            f"{raw.source}: no column matches a {kind} column; check the extract kind, or "
            "map the supplier's column names with --column-map FILE"
        )
    problems = Problems()
    typed = _type_columns(spec, raw, present, problems, show_identifiers)
    _frame_rules(
        spec, typed.frame, raw.row_numbers, problems, typed.bad_cells, show_identifiers, today
    )
    parameters = {
        "kind": kind,
        "sheet": sheet,
        "strict": strict,
        "show_identifiers": show_identifiers,
        "column_map": dict(column_map or {}),
        "run_date": f"{today:%Y-%m-%d}",
    }
    names = {
        "source": raw.source if not isinstance(source, pd.DataFrame) else "<DataFrame>",
        "unknown_columns": unknown,
        "column_names": {
            raw.headers[list(raw.frame.columns).index(lbl)]: c for lbl, c in mapped.items()
        },
    }
    result = _result(spec, raw, typed, problems, missing, parameters, inputs, names)
    if strict and not result.ok:
        raise ExtractValidationError(strict_message(result), result)
    return result


def _read(
    source: str | Path | pd.DataFrame,
    spec: SchemaSpec,
    sheet: str | None,
    column_map: Mapping[str, str] | None,
) -> tuple[RawTable, dict[str, Any]]:
    """The raw table of a file, folder or frame, and the provenance inputs it came from."""
    if isinstance(source, pd.DataFrame):
        return frame_table(source), {"frames": {"source": source}}
    known = set(spec.alias_table()) | {normalise_name(k) for k in (column_map or {})}
    if Path(source).is_dir():
        source = find_extract(source, spec.kind)
    raw = read_table(source, sheet=sheet, known_names=known, kind=spec.kind)
    return raw, {"files": {"source": source}}


@dataclasses.dataclass(frozen=True)
class _Typed:
    """The canonical typed frame and what typing found along the way."""

    frame: pd.DataFrame
    unmapped: dict[str, tuple[str, ...]]
    bad_cells: dict[str, np.ndarray]
    notes: tuple[str, ...]


def _type_columns(
    spec: SchemaSpec,
    raw: RawTable,
    present: Mapping[str, str],
    problems: Problems,
    show_identifiers: bool,
) -> _Typed:
    """Every canonical column typed (absent optional ones empty), column rules recorded."""
    n = len(raw.frame)
    typed: dict[str, pd.Series] = {}
    unmapped: dict[str, tuple[str, ...]] = {}
    bad_cells: dict[str, np.ndarray] = {}
    notes = list(raw.notes)
    for col in spec.columns:
        if col.name not in present:
            typed[col.name] = pd.Series(np.nan, index=range(n)).astype(col.pandas_dtype)
            continue
        source = raw.frame[present[col.name]]
        series, labels, bad_cells[col.name] = type_column(
            col, source, spec, raw.row_numbers, problems, show_identifiers
        )
        typed[col.name] = series.reset_index(drop=True).astype(col.pandas_dtype)
        if labels:
            unmapped[col.name] = labels
        if col.dtype in ("date", "datetime"):
            hint = month_first_hint(source)
            if hint:
                notes.append(f"{col.name}: {hint}")
    frame = pd.DataFrame(typed, index=pd.RangeIndex(n))
    return _Typed(frame, unmapped, bad_cells, tuple(notes))


def _result(
    spec: SchemaSpec,
    raw: RawTable,
    typed: _Typed,
    problems: Problems,
    missing: list[str],
    parameters: dict[str, Any],
    inputs: dict[str, Any],
    names: dict[str, Any],
) -> ValidationResult:
    """Rows split into valid and rejected, with every record and problem accounted for."""
    n = len(typed.frame)
    all_problems, positions = problems.frame()
    is_error = (all_problems["severity"] == "error").to_numpy()
    bad_rows = np.zeros(n, dtype=bool)
    bad_rows[positions[is_error]] = True
    if missing:
        bad_rows[:] = True  # no row can be used without a required column
    order = {r.id: i for i, r in enumerate(spec.rules)}
    rejected = sorted_problems(
        pd.concat([file_problems(raw, spec, missing), all_problems[is_error]]), order
    )
    n_bad_lines = len(raw.unparseable)
    excluded = first_rules(all_problems, positions, is_error, order, n, missing, spec)
    if n_bad_lines:
        excluded[spec.rule_for("records").id] = n_bad_lines
    n_valid = int((~bad_rows).sum())
    kind, run_date = spec.kind, parameters["run_date"]
    flow = FlowLog().add(f"validate {kind}", n + n_bad_lines, n_valid, excluded=excluded)
    prov_notes = [f"schema {kind} {spec.version}", f"run date {run_date}"]
    if raw.n_blank:
        prov_notes.append(f"{raw.n_blank} blank rows below the header skipped (not data)")
    if raw.encoding:
        prov_notes.append(f"read as {raw.encoding}")
    prov = Provenance.build(
        "socdata.validate.validate_extract",
        parameters=parameters,
        n_in=n + n_bad_lines,
        n_out=n_valid,
        flow=flow,
        notes=prov_notes + list(typed.notes),
        **inputs,
    )
    return ValidationResult(
        provenance=prov,
        valid=typed.frame.loc[~bad_rows].reset_index(drop=True),
        rejected=rejected,
        warnings=sorted_problems(all_problems[~is_error], order),
        n_input=n + n_bad_lines,
        n_valid=n_valid,
        n_rejected=int(bad_rows.sum()),
        kind=kind,
        schema_version=spec.version,
        unmapped_labels=typed.unmapped,
        n_blank=raw.n_blank,
        valid_rows=np.asarray(raw.row_numbers)[~bad_rows],
        n_unparseable=n_bad_lines,
        unparseable=pd.DataFrame(
            {
                "line": pd.Series([u.line for u in raw.unparseable], dtype="int64"),
                "reason": pd.Series([u.reason for u in raw.unparseable], dtype=object),
            }
        ),
        notes=typed.notes,
        run_date=run_date,
        **names,
    )


def _frame_rules(
    spec: SchemaSpec,
    frame: pd.DataFrame,
    rows: np.ndarray,
    problems: Problems,
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


def strict_message(result: ValidationResult) -> str:
    body = result.describe(max_rules=10, examples=2)
    return (
        f"{result.source}: {result.n_rejected + result.n_unparseable} of {result.n_input} "
        f"rows break the {result.kind} schema {result.schema_version}"
        + (f" ({result.n_unparseable} unparseable)" if result.n_unparseable else "")
        + f"\n{body}\n"
        f"Run `socdata validate {result.kind} PATH --report rejected.csv` to list every "
        "problem, or pass strict=False to keep the valid rows."
    )
