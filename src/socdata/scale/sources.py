"""Table sources: cohort moments computed where the data are (DuckDB, Arrow/Parquet, Spark).

:func:`cohort_moments` accepts a pandas frame, a DuckDB relation, a Parquet file or
directory (path), a pyarrow Table or Dataset, or a Spark DataFrame, and returns
:class:`~socdata.scale.moments.CohortMoments`.  No person row is kept:

* **DuckDB** (the embedded default, also for Parquet, Arrow and pandas input) scans the
  table once in its stored order, in Arrow batches of whole units; each batch is reduced
  to per-cohort counts, means and scatter matrices (one matrix product per cohort) and
  combined exactly with the running totals, so memory is a batch, not the table.  A table
  not stored unit by unit (period within unit) is first sorted by DuckDB (``ORDER BY``,
  which spills to disk when needed).
* **Spark** computes the same statistics with its own ``GROUP BY`` (one row per unit,
  then per cohort the counts, sums and the ``T (T + 1) / 2`` cross products), so only
  ``H x T x T`` numbers reach the driver.

Rules (the same as the in-memory estimators): one row per unit and period; the cohort
(and the cluster) constant within a unit; a unit lacking a period or an outcome is
*incomplete* (a missing or infinite outcome too; counted per cohort; the estimator
decides whether that is an error).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from socdata._lazy import lazy_module
from socdata.did._threads import single_threaded_blas
from socdata.errors import AttGtInputError, EstimationError
from socdata.scale._prefetch import prefetched
from socdata.scale._scanner import Scanner, Unsorted
from socdata.scale._sql import ansi_quote as _q
from socdata.scale._sql import duckdb_kind, is_numeric_type
from socdata.scale.moments import CohortMoments, moments_from_wide

pd = lazy_module("pandas")

__all__ = ["MOMENT_ROLES", "cohort_moments", "is_table_source", "moment_columns"]

#: Rows per Arrow batch of the DuckDB scan (whole units are carried to the next batch).
BATCH_ROWS = 1 << 21


#: The columns the cohort statistics read, by keyword (the estimators' vocabulary).
MOMENT_ROLES = ("outcome", "unit", "time", "cohort", "cluster")


def moment_columns(params: dict[str, Any]) -> dict[str, Any]:
    """The ``cohort_moments`` / ``frame_moments`` keywords from an estimator's parameters."""
    return {k: params[k] for k in MOMENT_ROLES}


def is_table_source(data: object) -> bool:
    """Whether ``data`` is a table source other than a pandas frame (or cohort moments)."""
    if isinstance(data, (str, os.PathLike, CohortMoments)):
        return True
    mod = type(data).__module__
    return mod.startswith(("duckdb", "pyarrow", "pyspark"))


def _refuse_spark(data: Any) -> None:
    """Spark is an engine for the cohort statistics only (for now): a clear error."""
    if type(data).__module__.startswith("pyspark"):
        raise EstimationError(
            "this estimator is computed by DuckDB from a table source; a Spark DataFrame is "
            "not supported here yet. Write the table to Parquet (df.write.parquet(path)) and "
            "pass the path."
        )


def _relation(data: Any, con: Any) -> tuple[Any, str]:
    """A DuckDB relation over ``data`` and a description of the input."""
    import duckdb

    if isinstance(data, duckdb.DuckDBPyRelation):
        return data, "DuckDB relation"
    if isinstance(data, (str, os.PathLike)):
        path = Path(data)
        if not path.exists():
            raise AttGtInputError(f"no such file or directory: {str(path)!r}.")
        pattern = str(path / "**" / "*.parquet") if path.is_dir() else str(path)
        st = path.stat()
        desc = f"Parquet {path.name} ({st.st_size} bytes, modified {int(st.st_mtime)})"
        return con.read_parquet(pattern), desc
    if type(data).__module__.startswith("pyarrow"):
        return con.from_arrow(data), f"Arrow {type(data).__name__}"
    if isinstance(data, pd.DataFrame):
        return con.from_df(data), "pandas DataFrame"
    raise AttGtInputError(
        f"data of type {type(data).__name__} is not supported; pass a pandas DataFrame, a "
        "DuckDB relation, a Parquet path, a pyarrow Table/Dataset or a Spark DataFrame."
    )


def _time_kind(dtype: str, name: str) -> str:
    d = dtype.upper()
    if d.startswith(("TIMESTAMP", "DATE")):
        return "datetime"
    if is_numeric_type(d):
        return "numeric"
    raise AttGtInputError(
        f"column {name!r} has type {dtype}; the period and the cohort must be numeric (e.g. a "
        "year or month number) or dates. Cast it in the query."
    )


def _check_columns(rel: Any, roles: dict[str, str | None]) -> dict[str, str]:
    types = dict(zip(rel.columns, (str(t) for t in rel.types), strict=True))
    for role, col in roles.items():
        if col is not None and col not in types:
            raise AttGtInputError(
                f"column {col!r} ({role}) is not in the table; it has "
                f"{', '.join(map(repr, list(types)[:20]))}."
            )
    return types


@single_threaded_blas
def cohort_moments(
    data: Any,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    cluster: str | None = None,
    batch_rows: int = BATCH_ROWS,
) -> CohortMoments:
    """Per-cohort counts, means and scatter matrices of a long panel held in a table.

    Parameters
    ----------
    data
        pandas DataFrame, DuckDB relation, Parquet path (file or directory), pyarrow
        Table/Dataset, or Spark DataFrame (computed by Spark), or
        :class:`~socdata.scale.moments.CohortMoments` (returned as is).
    outcome, unit, time, cohort, cluster
        Column names, as in :func:`socdata.did.att_gt`.
    batch_rows
        Rows per batch of the DuckDB scan (memory ~ ``batch_rows x 40`` bytes).

    Returns
    -------
    CohortMoments
    """
    if isinstance(data, CohortMoments):
        if cluster is None and data.clusters is not None:  # clusters = units
            import dataclasses

            return dataclasses.replace(data, clusters=None, cluster_n=None, cluster_sum=None)
        if cluster is not None and data.clusters is None:
            raise AttGtInputError(
                f"cluster={cluster!r}, but the statistics were computed without clusters; "
                "compute them with the cluster column."
            )
        return data
    if type(data).__module__.startswith("pyspark"):
        from socdata.scale.spark import spark_moments

        return spark_moments(
            data, outcome=outcome, unit=unit, time=time, cohort=cohort, cluster=cluster
        )
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        rel, desc = _relation(data, con)
        roles = {
            "outcome": outcome,
            "unit": unit,
            "time": time,
            "cohort": cohort,
            "cluster": cluster,
        }
        types = _check_columns(rel, roles)
        kind = _time_kind(types[time], time)
        if _time_kind(types[cohort], cohort) != kind:
            raise AttGtInputError(
                f"cohort column {cohort!r} ({types[cohort]}) must be on the same scale as the "
                f"period column {time!r} ({types[time]}): both numeric or both dates."
            )
        n_missing = rel.aggregate(
            f"count(*) - count({_q(unit)}), count(*) - count({_q(time)}), count(*)"
        ).fetchall()[0]
        if n_missing[2] == 0:
            raise AttGtInputError("data has no rows.")
        if n_missing[0] or n_missing[1]:
            raise AttGtInputError(
                f"{n_missing[0]} rows lack a unit and {n_missing[1]} a period; every row needs "
                "both. Filter or fill those rows first."
            )
        labels = _range_labels(rel, time, types[time])
        provisional = labels is not None  # every whole number from min to max: checked below
        if labels is None:
            labels = _distinct_labels(rel, time, kind)
        exprs = [
            f"{_q(unit)} AS u",
            f"{_q(time)} AS t",
            f"{_q(cohort)} AS g",
            f"CAST({_q(outcome)} AS DOUBLE) AS y",
        ]
        if cluster:
            exprs.append(f"{_q(cluster)} AS c")
        proj = rel.project(", ".join(exprs))
        out, seen = _scan(proj, labels, kind, bool(cluster), f"DuckDB scan of {desc}", batch_rows)
        if provisional and not seen.all():  # a whole number in the range never observed
            labels = _distinct_labels(rel, time, kind)
            out, _ = _scan(proj, labels, kind, bool(cluster), f"DuckDB scan of {desc}", batch_rows)
        return _with_labels(out, labels)
    finally:
        con.close()


def _range_labels(rel: Any, time: str, dtype: str) -> np.ndarray | None:
    """``min..max`` of an integer period column (from the file's statistics where it has
    them), or ``None`` for other types or a range over 10,000 periods."""
    if duckdb_kind(dtype) != "integer":
        return None
    lo, hi = rel.aggregate(f"min({_q(time)}), max({_q(time)})").fetchall()[0]
    if lo is None or hi - lo >= 10_000:
        return None
    return np.arange(int(lo), int(hi) + 1, dtype=np.int64)


def _distinct_labels(rel: Any, time: str, kind: str) -> np.ndarray:
    """The distinct periods of the table, sorted (one scan of the period column)."""
    times = rel.aggregate(_q(time), _q(time)).fetchnumpy()
    labels = np.sort(np.asarray(next(iter(times.values()))))
    labels = labels.astype("datetime64[ns]" if kind == "datetime" else np.float64)
    if kind == "numeric" and np.all(labels == np.round(labels)):
        labels = labels.astype(np.int64)
    return labels


def _scan(
    proj: Any, labels: np.ndarray, kind: str, cluster: bool, source: str, batch_rows: int
) -> tuple[CohortMoments, np.ndarray]:
    """Moments of the projected relation (``u, t, g, y[, c]``) in its stored order, or
    sorted by unit and period when it is not stored unit by unit; and the rows per period."""
    lab = labels.astype("datetime64[ns]") if kind == "datetime" else labels.astype(float)
    for ordered in (False, True):
        scan = Scanner(lab, kind, cluster, source)
        src = proj.order("u, t") if ordered else proj
        try:
            for batch in prefetched(src.to_arrow_reader(batch_size=batch_rows)):
                scan.add(batch)
            return scan.result(), scan.period_rows
        except Unsorted:
            continue
    raise AssertionError("unreachable: the sorted scan is in order")  # pragma: no cover


def _with_labels(m: CohortMoments, labels: np.ndarray) -> CohortMoments:
    import dataclasses

    return dataclasses.replace(m, time_labels=labels)


def frame_moments(
    data: Any,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    cluster: str | None = None,
    on_layout: Callable[[], object] | None = None,
) -> CohortMoments | None:
    """Cohort moments of a pandas frame in the common layout (sorted by unit and period,
    every unit in every period, no missing outcome), read as matrices without a copy of
    the rows; ``None`` for any other frame (the caller takes the row-level path).

    ``on_layout`` is called once the frame is known to be in that layout, before the
    moments are computed (e.g. ``FrameFingerprint.start``, so that fingerprinting the
    input overlaps the computation only when this route is taken)."""
    from socdata.did._encode import per_unit_constant, sorted_balanced_shape

    cols = [outcome, unit, time, cohort] + ([cluster] if cluster else [])
    if any(c not in data.columns for c in cols):
        return None
    t = data[time]
    g = data[cohort]
    if pd.api.types.is_datetime64_any_dtype(t.dtype):
        if not pd.api.types.is_datetime64_any_dtype(g.dtype):
            return None
        kind, tv = "datetime", t.to_numpy().astype("datetime64[ns]")
        gv = g.to_numpy().astype("datetime64[ns]")
    elif pd.api.types.is_numeric_dtype(t.dtype) and pd.api.types.is_numeric_dtype(g.dtype):
        if t.isna().any():
            return None
        kind = "numeric"
        plain = (t.dtype.kind in "iuf", g.dtype.kind in "iuf")  # numpy dtypes: no copy
        tv = t.to_numpy() if plain[0] else t.to_numpy(dtype=np.float64)
        gv = g.to_numpy() if plain[1] else g.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        return None
    if not pd.api.types.is_numeric_dtype(data[outcome].dtype) or data[unit].isna().any():
        return None
    shape = sorted_balanced_shape(data[unit].to_numpy(), tv, units_increasing=False)
    if shape is None:
        return None
    n, n_t = shape
    yv = data[outcome]
    # a float64 column without a nullable dtype is read in place (no copy of the rows)
    y = (
        yv.to_numpy() if yv.dtype == np.float64 else yv.to_numpy(np.float64, na_value=np.nan)
    ).reshape(n, n_t)
    if not per_unit_constant(gv, n, n_t).all():
        return None
    cl = None
    if cluster:
        cv = data[cluster].to_numpy()
        if pd.isna(cv).any() or not per_unit_constant(cv, n, n_t).all():
            return None
        cl = cv[::n_t]
    if on_layout is not None:
        on_layout()
    labels = tv[:n_t]
    if kind == "numeric":
        labels = labels.astype(np.float64)
        if np.all(labels == np.round(labels)):
            labels = labels.astype(np.int64)
    with np.errstate(invalid="ignore", over="ignore"):  # a bad value: checked below
        m = moments_from_wide(
            y,
            gv[::n_t].astype(np.float64) if kind == "numeric" else gv[::n_t],
            time_labels=labels,
            time_kind=kind,
            cluster=cl,
            n_rows=len(data),
            source="pandas DataFrame (sorted balanced)",
        )
    # a missing or infinite outcome makes the unit incomplete (the row path says so): any
    # such value makes its cohort's means or scatter non-finite, so one check of the
    # H x T x T statistics replaces a pass over the rows (an overflow goes the row way too)
    if not (np.isfinite(m.mean).all() and np.isfinite(m.scatter).all()):
        return None
    return m
