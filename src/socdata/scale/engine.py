"""One SQL text, two engines: a table source queried by DuckDB or by Spark.

The table-source paths that are aggregations (the stacked matched-set sums of
:mod:`socdata.scale.stacked`, the before/after rates of :mod:`socdata.scale.police`) write
each query once, in the SQL both engines read: ``GROUP BY``, window functions, common
table expressions, ``JOIN ... USING``, ``count(*) FILTER (WHERE ...)``, ``count(DISTINCT
CASE WHEN ... END)``, ``bool_and``, ``first``, ``NULLIF``, ``CAST(x AS STRING)`` (DuckDB
reads ``STRING`` as ``VARCHAR``).  :func:`open_table` gives a :class:`Table` that runs
them where the data are (DuckDB: ``relation.query``; Spark: a temporary view and
``spark.sql``, the table named ``src`` in both) and supplies the few pieces the dialects
spell differently: identifier quoting (DuckDB double quotes, Spark backticks), the finite test
(DuckDB ``isfinite``; Spark has none) and each column's type in one vocabulary.

Rules the queries keep so that both engines compute the same numbers:

* no decimal literal in arithmetic: Spark reads ``1.0`` as ``DECIMAL(2, 1)`` and rounds
  its quotients to 6 places; write ``CAST(1 AS DOUBLE)``;
* no division that can meet a zero: Spark 4 (ANSI mode, its default) raises where DuckDB
  returns infinity; write ``x / NULLIF(y, 0)``;
* string values as integer codes where possible (string literal escapes differ);
* one ``DISTINCT`` aggregate per grouping (Spark plans several as an ``Expand`` that
  copies every row once per distinct aggregate).

Only aggregates reach Python.  A query the engine cannot run (a check missed a type) is
a :class:`~socdata.errors.SocdataError` naming the function, the engine, its error class
and the column types, not the engine's stack trace nor its message (which may quote a
value of the table).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

import pandas as pd

from socdata.errors import SocdataError
from socdata.scale._sql import ansi_quote, backtick_quote, duckdb_kind

__all__ = ["Table", "is_spark", "open_table"]

#: The types of the columns in one vocabulary (:attr:`Table.kinds`), in words.
_KIND_WORDS = {
    "integer": "whole-number",
    "float": "floating-point",
    "decimal": "decimal",
    "bool": "true/false",
    "date": "date",
    "timestamp": "timestamp",
    "string": "text",
    "other": "non-scalar or other",
}


def is_spark(data: object) -> bool:
    """Whether ``data`` is a Spark DataFrame (classic or Spark Connect)."""
    return type(data).__module__.startswith("pyspark")


def _spark_kind(dtype: Any) -> str:
    from pyspark.sql import types as T

    for kind, classes in (
        ("integer", (T.ByteType, T.ShortType, T.IntegerType, T.LongType)),
        ("float", (T.FloatType, T.DoubleType)),
        ("decimal", (T.DecimalType,)),
        ("bool", (T.BooleanType,)),
        ("date", (T.DateType,)),
        ("timestamp", (T.TimestampType, T.TimestampNTZType)),
        ("string", (T.StringType, T.VarcharType, T.CharType)),
    ):
        if isinstance(dtype, classes):
            return kind
    return "other"


class Table:
    """A table source the queries run on (see module docstring); the table is ``src``."""

    engine = ""

    def __init__(self, types: dict[str, str], kinds: dict[str, str], desc: str, fn: str):
        self.types, self.kinds, self.desc, self.fn = types, kinds, desc, fn

    @property
    def columns(self) -> list[str]:
        """The column names, in the table's order."""
        return list(self.types)

    def q(self, name: str) -> str:
        """``name`` as a quoted identifier."""
        return ansi_quote(name)

    def finite(self, x: str) -> str:
        """SQL that is true where the double ``x`` is finite (null where ``x`` is null)."""
        return f"isfinite({x})"

    def require(
        self, column: str, kinds: tuple[str, ...], rule: str, error: type[Exception]
    ) -> None:
        """Raise ``error`` unless ``column``'s type is one of ``kinds``; ``rule`` says what
        the column must hold."""
        kind = self.kinds[column]
        if kind not in kinds:
            raise error(
                f"{self.fn}: column {column!r} holds {_KIND_WORDS[kind]} values ({self.engine} "
                f"type {self.types[column]}); {rule}. Cast it before passing the table."
            )

    def one(self, sql: str) -> tuple:
        """The single row of ``sql`` (an aggregate)."""
        return tuple(self._guard(self._rows, sql)[0])

    def frame(self, sql: str) -> pd.DataFrame:
        """The result of ``sql`` (aggregates) as a pandas frame."""
        return self._guard(self._frame, sql)

    def project(self, select: str) -> Table:
        """A table over ``SELECT {select} FROM src`` (computed lazily by the engine)."""
        raise NotImplementedError

    def _guard(self, run: Any, sql: str) -> Any:
        try:
            return run(sql)
        except SocdataError:
            raise
        except Exception as exc:  # the engine's own error, shortened
            if not type(exc).__module__.startswith(("duckdb", "_duckdb", "pyspark", "py4j")):
                raise
            # the engine's message may quote a value of the table: only its error class
            cond = getattr(exc, "getCondition", getattr(exc, "getErrorClass", lambda: None))()
            raise SocdataError(
                f"{self.fn}: {self.engine} could not compute the statistics "
                f"({type(exc).__name__}{f' {cond}' if cond else ''}); check the columns' "
                f"types ({self.types})."
            ) from None

    def _rows(self, sql: str) -> list:
        raise NotImplementedError

    def _frame(self, sql: str) -> pd.DataFrame:
        raise NotImplementedError


class _DuckTable(Table):
    engine = "DuckDB"

    def __init__(self, rel: Any, desc: str, fn: str):
        types = dict(zip(rel.columns, (str(t) for t in rel.types), strict=True))
        super().__init__(types, {c: duckdb_kind(t) for c, t in types.items()}, desc, fn)
        self.rel = rel

    def project(self, select: str) -> Table:
        return _DuckTable(self.rel.project(select), self.desc, self.fn)

    def _rows(self, sql: str) -> list:
        return self.rel.query("src", sql).fetchall()

    def _frame(self, sql: str) -> pd.DataFrame:
        return self.rel.query("src", sql).fetchdf()


class _SparkTable(Table):
    engine = "Spark"

    def __init__(self, sdf: Any, desc: str, fn: str, views: list[str]):
        fields = sdf.schema.fields
        types = {f.name: f.dataType.simpleString() for f in fields}
        super().__init__(types, {f.name: _spark_kind(f.dataType) for f in fields}, desc, fn)
        self.sdf, self.views = sdf, views
        self.view = f"socdata_src_{uuid.uuid4().hex}"
        sdf.createOrReplaceTempView(self.view)
        views.append(self.view)

    def q(self, name: str) -> str:
        return backtick_quote(name)

    def finite(self, x: str) -> str:
        return f"(NOT isnan({x}) AND abs({x}) != CAST('Infinity' AS DOUBLE))"

    def _sql(self, sql: str) -> Any:
        head = f"WITH src AS (SELECT * FROM {self.view})"
        body = sql.lstrip()
        if body[:5].upper() == "WITH ":  # one WITH clause: src first
            return self.sdf.sparkSession.sql(f"{head}, {body[5:]}")
        return self.sdf.sparkSession.sql(f"{head} {body}")

    def project(self, select: str) -> Table:
        sdf = self._guard(self._sql, f"SELECT {select} FROM src")
        return _SparkTable(sdf, self.desc, self.fn, self.views)

    def _rows(self, sql: str) -> list:
        return self._sql(sql).collect()

    def _frame(self, sql: str) -> pd.DataFrame:
        return self._sql(sql).toPandas()


@contextlib.contextmanager
def open_table(data: Any, fn: str) -> Iterator[Table]:
    """A :class:`Table` over ``data`` (a Spark DataFrame, or any source DuckDB reads:
    DuckDB relation, Parquet path, pyarrow Table/Dataset, pandas frame); the engine's
    connection (DuckDB) or temporary views (Spark) are released on exit.  ``fn`` names
    the calling function in error messages."""
    if is_spark(data):
        views: list[str] = []
        try:
            yield _SparkTable(data, "Spark DataFrame", fn, views)
        finally:
            for v in views:
                data.sparkSession.catalog.dropTempView(v)
        return
    import duckdb

    from socdata.scale.sources import _relation

    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        rel, desc = _relation(data, con)
        yield _DuckTable(rel, desc, fn)
    finally:
        con.close()
