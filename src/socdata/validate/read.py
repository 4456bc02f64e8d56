"""The one-call entry point: read an extract, validate it, return its canonical columns.

Reading (:mod:`socdata.io`) sits upstream of validation; this function composes the two, so
it lives here, downstream of both.  ``socdata.read_extract`` is this function.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from socdata.errors import ExcludedRowsWarning, ExtractValidationError, caller_stacklevel
from socdata.io.options import read_options
from socdata.validate.extract import strict_message, validate_extract
from socdata.validate.result import ValidationResult

__all__ = ["read_extract", "valid_rows"]


def read_extract(
    path: str | Path,
    kind: str,
    *,
    sheet: str | None = None,
    strict: bool = True,
    show_identifiers: bool = False,
    column_map: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Read and validate an extract; return its canonical, typed columns.

    Parameters
    ----------
    path
        CSV, XLSX or Parquet file, or a folder holding ``<kind>.csv`` (or ``.xlsx``,
        ``.parquet``; see :func:`~socdata.io.find_extract`).
    kind
        Extract kind, one of :data:`socdata.schemas.KINDS` (e.g. ``"service"``).
    sheet
        XLSX sheet (default: the first).
    strict
        If true (default), raise :class:`~socdata.errors.ExtractValidationError` when any row
        breaks a rule.  If false, return the valid rows and warn with
        :class:`~socdata.errors.ExcludedRowsWarning` giving the number excluded.
    show_identifiers
        Show identifier and date-of-birth values in messages (masked by default).
    column_map
        Extra supplier column names for this file, ``{"Ref Date": "referral_date"}``, used
        on top of the aliases declared in the schema.  When neither ``column_map`` nor
        ``sheet`` is given, the options of ``socdata reproduce --column-map/--sheet`` apply
        inside the notebooks it runs (:func:`socdata.io.options.read_options`).

    Returns
    -------
    pandas.DataFrame
        Canonical columns in schema order (optional columns absent from the file are added
        empty), identifiers and labels as strings, dates as ``datetime64[ns]``, whole
        numbers as ``Int64``.

    Raises
    ------
    ExtractReadError
        The file cannot be read as a table.
    ExtractValidationError
        ``strict=True`` and some rows break the schema; ``.result`` holds the
        :class:`~socdata.validate.ValidationResult`.

    Examples
    --------
    >>> import socdata
    >>> from socdata.paths import synthetic_dir
    >>> service = socdata.read_extract(synthetic_dir() / "service.csv", "service")
    >>> service["referral_date"].dtype
    dtype('<M8[ns]')
    """
    if column_map is None and sheet is None:
        options = read_options()
        if options:
            column_map, sheet = options.column_map(kind), options.sheet(kind)
    result = validate_extract(
        path,
        kind,
        sheet=sheet,
        show_identifiers=show_identifiers,
        strict=strict,
        column_map=column_map,
    )
    return valid_rows(result, kind, strict=False)


def valid_rows(result: ValidationResult, kind: str, *, strict: bool = True) -> pd.DataFrame:
    """The valid rows of a validation, as :func:`read_extract` returns them.

    Parameters
    ----------
    result
        What :func:`~socdata.validate.validate_extract` returned for the file.
    kind
        Its extract kind (named in the warning).
    strict
        Raise :class:`~socdata.errors.ExtractValidationError` if any row was excluded;
        otherwise warn with :class:`~socdata.errors.ExcludedRowsWarning` giving how many.

    Returns
    -------
    pandas.DataFrame
        ``result.valid`` (the object itself, not a copy).
    """
    if strict and not result.ok:
        raise ExtractValidationError(strict_message(result), result)
    n_out = result.n_rejected + result.n_unparseable
    if n_out:
        unreadable = (
            f" ({result.n_unparseable} of them could not be read as records)"
            if result.n_unparseable
            else ""
        )
        warnings.warn(
            f"{result.source}: {n_out} of {result.n_input} rows excluded because "
            f"they break the {kind} schema{unreadable}; run socdata.validate_extract(...) or "
            "`socdata validate` for the row-level reasons",
            ExcludedRowsWarning,
            stacklevel=caller_stacklevel(),
        )
    return result.valid
