"""SQL identifiers quoted as each engine reads them (private).

DuckDB (and ANSI SQL) quote identifiers with double quotes; Spark SQL reads double quotes
as a string literal and quotes identifiers with backticks.
"""

from __future__ import annotations

__all__ = ["ansi_quote", "backtick_quote"]


def ansi_quote(name: str) -> str:
    """An identifier quoted for DuckDB (and ANSI SQL): ``"name"``, inner quotes doubled."""
    return '"' + str(name).replace('"', '""') + '"'


def backtick_quote(name: str) -> str:
    """An identifier quoted for Spark SQL: a name between backticks, inner ones doubled."""
    return "`" + str(name).replace("`", "``") + "`"
