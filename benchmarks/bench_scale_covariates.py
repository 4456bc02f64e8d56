"""Benchmark: estimates with covariates from Parquet on disk, streamed in passes of units.

Where no exact cohort-level reduction exists (covariates), socdata reads the table in
passes of whole units with bounded memory (``socdata.scale.fe_stream`` for TWFE and the
event study, ``socdata.scale.covariates`` for ATT(g,t)).  The panel of
``bench_scale.write_panel`` gets two time-varying covariates (``x1`` independent noise,
``x2`` a person level plus noise; the outcome loads on both).  Each case runs in a fresh
subprocess (peak memory of the whole case) and times:

* ``floor``: one DuckDB ``GROUP BY cohort, period`` of ``y``, ``x1``, ``x2`` over the file;
* ``socdata twfe (streamed)``: ``did.twfe(path, ..., cohort=, covariates=["x1", "x2"])``;
* ``socdata event_study (streamed)``: ``did.event_study(path, ..., covariates=[...])``;
* ``socdata att_gt dr (streamed)``: ``did.att_gt(path, ..., covariates=[...])`` + simple;
* ``socdata att_gt`` and ``socdata twfe`` (frame in memory): the same on the file read
  into pandas;
* ``pyfixest feols``: ``y ~ treated + x1 + x2 | person_id + period``, CRV1 by person, on the
  frame (its read time apart), the named peer.

Run from the repository root::

    python -m benchmarks.bench_scale_covariates --sizes 200000 1000000
"""

from __future__ import annotations

import argparse
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

from benchmarks import bench_scale
from benchmarks._common import format_table, machine_description, run_case, timed
from benchmarks.bench_scale import KW, N_MONTHS, write_panel

COVARIATES = ["x1", "x2"]


def write_covariate_panel(path: str, n_people: int) -> None:
    """``write_panel``'s panel with two covariates added (the outcome loads on both)."""
    import duckdb

    base = str(Path(path).with_suffix(".base.parquet"))
    write_panel(base, n_people)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(
        f"COPY (SELECT person_id, period, cohort, x1, x2, y + 0.3 * x1 - 0.2 * x2 AS y FROM "
        f"(SELECT *, sin(hash(person_id, period) % 1000) AS x1, "
        f"(hash(person_id) % 1000) / 500.0 - 1 + 0.5 * cos(hash(period, person_id) % 997) AS x2 "
        f"FROM read_parquet('{base}') ORDER BY person_id, period)) "
        f"TO '{path}' (FORMAT PARQUET, ROW_GROUP_SIZE 1048576)"
    )
    os.remove(base)


def _quiet(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


def _coef(res, term: str = "treated") -> dict:
    row = res.tidy().set_index("term").loc[term]
    return {"estimate": float(row["estimate"]), "std_error": float(row["std_error"])}


def case_floor(path: str) -> dict:
    """``bench_scale``'s floor, summing the outcome and both covariates."""
    return bench_scale.case_floor(path, columns=("y", *COVARIATES))


def case_twfe_streamed(path: str) -> dict:
    import socdata.did as did

    res, seconds = timed(lambda: _quiet(lambda: did.twfe(path, **KW, covariates=COVARIATES)))
    return {"seconds": seconds, **_coef(res)}


def case_event_study_streamed(path: str) -> dict:
    import socdata.did as did

    res, seconds = timed(
        lambda: _quiet(lambda: did.event_study(path, **KW, covariates=COVARIATES, window=(-6, 6)))
    )
    row = res.tidy().set_index("event_time").loc[0]
    return {
        "seconds": seconds,
        "estimate": float(row["estimate"]),
        "std_error": float(row["std_error"]),
    }


def _att_gt_simple(data) -> dict:
    """``att_gt`` (doubly robust, covariates) and its simple aggregation on ``data``."""
    import socdata.did as did

    def run():
        return _quiet(lambda: did.att_gt(data, **KW, covariates=COVARIATES).aggregate("simple"))

    agg, seconds = timed(run)
    row = agg.tidy().iloc[0]
    return {
        "seconds": seconds,
        "estimate": float(row["estimate"]),
        "std_error": float(row["std_error"]),
    }


def case_att_gt_streamed(path: str) -> dict:
    return _att_gt_simple(path)


def case_att_gt_frame(path: str) -> dict:
    import pandas as pd

    return _att_gt_simple(pd.read_parquet(path))


def case_twfe_frame(path: str) -> dict:
    import pandas as pd

    import socdata.did as did

    frame = pd.read_parquet(path)
    res, seconds = timed(lambda: _quiet(lambda: did.twfe(frame, **KW, covariates=COVARIATES)))
    return {"seconds": seconds, **_coef(res)}


def case_pyfixest(path: str) -> dict:
    import pandas as pd
    import pyfixest as pf

    frame, read_s = timed(lambda: pd.read_parquet(path))
    frame["treated"] = ((frame["cohort"] > 0) & (frame["period"] >= frame["cohort"])).astype(
        np.int8
    )
    formula = "y ~ treated + x1 + x2 | person_id + period"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit, seconds = timed(lambda: pf.feols(formula, data=frame, vcov={"CRV1": "person_id"}))
    return {
        "seconds": seconds,
        "read_seconds": read_s,
        "estimate": float(fit.coef()["treated"]),
        "std_error": float(fit.se()["treated"]),
    }


CASES = {
    "floor (DuckDB GROUP BY, y x1 x2)": "case_floor",
    "socdata twfe + covariates (streamed from Parquet)": "case_twfe_streamed",
    "socdata event_study + covariates (streamed from Parquet)": "case_event_study_streamed",
    "socdata att_gt dr + covariates (streamed from Parquet)": "case_att_gt_streamed",
    "socdata att_gt dr + covariates (pandas frame in memory)": "case_att_gt_frame",
    "socdata twfe + covariates (pandas frame in memory)": "case_twfe_frame",
    "pyfixest feols + covariates (pandas frame in memory)": "case_pyfixest",
}


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[200_000])
    ap.add_argument("--dir", default=None, help="folder for the Parquet files (default: tmp)")
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--only", nargs="+", default=None, help="cases whose name contains these")
    args = ap.parse_args(argv)
    print(machine_description())
    records = []
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for n in args.sizes:
            path = str(Path(tmp) / f"panel_cov_{n}.parquet")
            _, wsec = timed(lambda path=path, n=n: write_covariate_panel(path, n))
            print(f"wrote {n:,} people x {N_MONTHS} months with covariates in {wsec:.0f} s")
            floor = None
            for label, fn in CASES.items():
                if args.only and not any(o in fn for o in args.only):
                    continue
                load = os.getloadavg()[0]
                rec = run_case(
                    f"benchmarks.bench_scale_covariates:{fn}", timeout=args.timeout, path=path
                )
                rec.update(implementation=label, n_people=n, load_before=round(load, 1))
                if fn == "case_floor":
                    floor = rec.get("seconds")
                if rec.get("ok") and floor and fn != "case_floor":
                    rec["ratio_to_floor"] = rec["seconds"] / floor
                records.append(rec)
                print(label, {k: rec.get(k) for k in ("seconds", "peak_gb", "ok", "error")})
    print(
        format_table(
            records,
            [
                "n_people",
                "implementation",
                "seconds",
                "peak_gb",
                "ratio_to_floor",
                "estimate",
                "std_error",
                "read_seconds",
                "load_before",
            ],
        )
    )
    return records


if __name__ == "__main__":
    main()
