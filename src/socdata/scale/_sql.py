"""SQL identifiers quoted as each engine reads them, and DuckDB column types (private).

DuckDB (and ANSI SQL) quote identifiers with double quotes; Spark SQL reads double quotes
as a string literal and quotes identifiers with backticks.
"""

from __future__ import annotations

__all__ = ["ansi_quote", "backtick_quote", "duckdb_kind", "is_numeric_type"]


def ansi_quote(name: str) -> str:
    """An identifier quoted for DuckDB (and ANSI SQL): ``"name"``, inner quotes doubled."""
    return '"' + str(name).replace('"', '""') + '"'


def backtick_quote(name: str) -> str:
    """An identifier quoted for Spark SQL: a name between backticks, inner ones doubled."""
    return "`" + str(name).replace("`", "``") + "`"


_DUCKDB_INTEGERS = {
    f"{u}{size}INT" for u in ("", "U") for size in ("TINY", "SMALL", "", "BIG", "HUGE")
} | {"INTEGER", "UINTEGER"}


def duckdb_kind(dtype: str) -> str:
    """A DuckDB column type in one vocabulary: ``integer``, ``float``, ``decimal``, ``bool``,
    ``date``, ``timestamp``, ``string`` or ``other``."""
    d = dtype.upper()
    if d.startswith("TIMESTAMP"):
        return "timestamp"
    if d == "DATE":
        return "date"
    if d.startswith("DECIMAL"):
        return "decimal"
    if d in {"FLOAT", "DOUBLE", "REAL"}:
        return "float"
    if d in _DUCKDB_INTEGERS:
        return "integer"
    if d == "BOOLEAN":
        return "bool"
    if d == "VARCHAR" or d.startswith("ENUM"):
        return "string"
    return "other"


def is_numeric_type(dtype: str) -> bool:
    """Whether a DuckDB column type is a number (integer, float or decimal)."""
    return duckdb_kind(dtype) in {"integer", "float", "decimal"}
