"""Row-level validation of an extract against the schema of its kind.

:func:`validate_extract` finds every problem in one pass and returns a
:class:`ValidationResult`: the valid rows (canonical, typed), one row per problem with the
source row number, column, rule id, value and a message, and counts with
``n_valid + n_rejected + n_unparseable == n_input`` always (a line of the file that is not a
readable record is counted, with its line number, never dropped).  Identifier and
date-of-birth values are masked (``***``) unless ``show_identifiers=True``.
:func:`read_extract` reads, validates and returns the valid rows in one call;
:func:`validate_links` checks the rules across extracts.

Order of work, all vectorised over columns:

1. read the file (:func:`socdata.io.read_table`) and map supplier column names through the
   schema's aliases (and an optional ``column_map``);
2. rule ``columns_present``: required columns missing from the file;
3. rules ``types``, ``allowed_values``, ``not_null`` and ``ranges`` while typing each column;
4. every cross-field and cross-row rule of the schema (:mod:`socdata.schemas.checks`) on the
   typed frame.

Modules: :mod:`~socdata.validate.extract` (the entry point), :mod:`~socdata.validate.columns`
(names, types, column rules), :mod:`~socdata.validate.problems` (collecting and counting
problems), :mod:`~socdata.validate.result` (:class:`ValidationResult`),
:mod:`~socdata.validate.links` (across extracts), :mod:`~socdata.validate.read`
(:func:`read_extract`).

Examples
--------
>>> from socdata import validate
>>> from socdata.paths import synthetic_dir
>>> result = validate.validate_extract(synthetic_dir() / "service.csv", "service")
>>> result.ok, result.n_valid == result.n_input
(True, True)
"""

from socdata.validate.extract import validate_extract
from socdata.validate.links import validate_links
from socdata.validate.read import read_extract
from socdata.validate.result import PROBLEM_COLUMNS, ValidationResult

__all__ = [
    "PROBLEM_COLUMNS",
    "ValidationResult",
    "read_extract",
    "validate_extract",
    "validate_links",
]
