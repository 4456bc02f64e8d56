"""Benchmark: ATT(g,t) against named peers (csdid, diff-diff, moderndid) in the same run.

The panel of ``bench_scale.py`` (48 months, half ever treated, first treated month
uniform on 12-36, so 25 cohorts x 47 periods = 1,175 ATT(g,t)) is written to Parquet at
each size; every case runs in a fresh subprocess (peak memory of the whole case) and
times ATT(g,t) without covariates (never-treated controls, varying base period, analytic
standard errors, no bootstrap) plus the four aggregations where the peer has them:

* ``socdata (Parquet)``: ``did.att_gt(path, ...)`` (cohort statistics computed by DuckDB);
* ``socdata (frame)``: ``did.att_gt(frame, ...)`` on the file read into pandas;
* ``csdid`` 0.4: ``ATTgt(...).fit(est_method="dr", bstrap=False)`` + four ``aggte``;
* ``diff-diff`` 3.13: ``CallawaySantAnna(estimation_method="dr").fit(...,
  aggregate="all")`` (simple, group and event-study aggregations; no calendar);
* ``moderndid`` 0.2: ``did.att_gt(..., boot=False)`` + four ``aggte``.

Peers read the file into pandas first (not timed: ``read_seconds``).  A peer that is not
installed is skipped and says so; one that fails or exceeds ``--timeout`` is recorded as
such (its process group is killed).  For every peer the run records how far its
estimates are from socdata's on the same data: the overall (simple) ATT and its SE, and
the largest absolute difference over all ATT(g,t) and their SEs.

Run from the repository root (peers are slow: they run at ``--peer-sizes`` only)::

    nice python -m benchmarks.bench_scale_peers --sizes 10000 100000 1000000 \\
        --peer-sizes 10000 100000 --timeout 900
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

from benchmarks._common import (
    _INTERMEDIATE,
    _WORKER,
    REPO,
    format_table,
    machine_description,
    timed,
)
from benchmarks.bench_scale import KW, write_panel

KINDS = ("simple", "group", "dynamic", "calendar")

#: case function, the module it needs (``None``: socdata), and the peer's package name.
CASES = {
    "socdata (Parquet)": ("case_socdata_parquet", None),
    "socdata (frame)": ("case_socdata_frame", None),
    "csdid": ("case_csdid", "csdid"),
    "diff-diff": ("case_diff_diff", "diff_diff"),
    "moderndid": ("case_moderndid", "moderndid"),
}


def _cells(groups, times, att, se) -> dict:
    return {
        "cells": [
            [float(g), float(t), float(a), float(s)]
            for g, t, a, s in zip(groups, times, att, se, strict=True)
        ]
    }


def _version(module: str) -> str:
    from importlib.metadata import version

    return version({"diff_diff": "diff-diff"}.get(module, module))


def _socdata(data: Any) -> dict:
    import socdata.did as did

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = did.att_gt(data, **KW)
            return res, [res.aggregate(k).tidy() for k in KINDS]

    (res, aggs), seconds = timed(run)
    c = res.cells
    return {
        "seconds": seconds,
        "estimate": float(aggs[0]["estimate"].iloc[0]),
        "std_error": float(aggs[0]["std_error"].iloc[0]),
        **_cells(c["group"], c["time"], c["estimate"], c["std_error"]),
    }


def _warm(frame: bool) -> None:
    """First-call costs (imports of duckdb, scipy) on a tiny panel, not timed."""
    import pandas as pd

    import socdata.did as did

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with tempfile.TemporaryDirectory() as tmp:
            small = str(Path(tmp) / "w.parquet")
            write_panel(small, 200)
            did.att_gt(pd.read_parquet(small) if frame else small, **KW).aggregate("simple")


def case_socdata_parquet(path: str) -> dict:
    _warm(frame=False)
    return _socdata(path)


def _read(path: str):
    import pandas as pd

    return timed(lambda: pd.read_parquet(path))


def case_socdata_frame(path: str) -> dict:
    _warm(frame=True)
    frame, read_s = _read(path)
    return {**_socdata(frame), "read_seconds": read_s}


def case_csdid(path: str) -> dict:
    from csdid.att_gt import ATTgt

    frame, read_s = _read(path)

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = ATTgt(yname="y", gname="cohort", idname="person_id", tname="period", data=frame)
            m.fit(est_method="dr", bstrap=False)
            cells = m.results
            overall = []
            for k in KINDS:
                m.aggte(k, bstrap=False)
                overall.append((m.atte["overall_att"], m.atte["overall_se"]))
        return cells, overall

    (cells, overall), seconds = timed(run)
    return {
        "seconds": seconds,
        "read_seconds": read_s,
        "version": _version("csdid"),
        "estimate": float(overall[0][0]),
        "std_error": float(overall[0][1]),
        **_cells(cells["group"], cells["year"], cells["att"], cells["se"]),
    }


def case_diff_diff(path: str) -> dict:
    import diff_diff

    frame, read_s = _read(path)

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = diff_diff.CallawaySantAnna(control_group="never_treated", estimation_method="dr")
            return est.fit(
                frame,
                outcome="y",
                unit="person_id",
                time="period",
                first_treat="cohort",
                aggregate="all",
            )

    res, seconds = timed(run)
    gt = res.group_time_effects
    keys = sorted(gt)
    return {
        "seconds": seconds,
        "read_seconds": read_s,
        "version": _version("diff_diff"),
        "aggregations": "simple, group, event study (no calendar)",
        "estimate": float(res.att),
        "std_error": float(res.se),
        **_cells(
            [k[0] for k in keys],
            [k[1] for k in keys],
            [gt[k]["effect"] for k in keys],
            [gt[k]["se"] for k in keys],
        ),
    }


def case_moderndid(path: str) -> dict:
    import moderndid

    frame, read_s = _read(path)

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mr = moderndid.did.att_gt(
                frame,
                yname="y",
                tname="period",
                idname="person_id",
                gname="cohort",
                boot=False,
                est_method="dr",
            )
            aggs = [moderndid.aggte(mr, type=k) for k in KINDS]
        return mr, aggs

    (mr, aggs), seconds = timed(run)
    return {
        "seconds": seconds,
        "read_seconds": read_s,
        "version": _version("moderndid"),
        "estimate": float(aggs[0].overall_att),
        "std_error": float(aggs[0].overall_se),
        **_cells(mr.groups, mr.times, mr.att_gt, mr.se_gt),
    }


def run_isolated(target: str, timeout: float, **kwargs: Any) -> dict[str, Any]:
    """Like ``benchmarks._common.run_case`` (fresh process, peak memory), but the case
    runs in its own process group, killed whole on timeout (no orphaned worker)."""
    worker = _WORKER.format(repo=str(REPO), target=target, kwargs=json.dumps(kwargs))
    cmd = [sys.executable, "-c", _INTERMEDIATE, sys.executable, "-c", worker]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
        start_new_session=True,
    )  # fmt: skip
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return {"ok": False, "error": f"timeout after {timeout:.0f} s"}
    info = json.loads(out)
    rec: dict[str, Any] = {"peak_gb": info["peak_kb"] / 1024**2}
    lines = [ln for ln in info["stdout"].splitlines() if ln.startswith("__RESULT__")]
    if info["returncode"] != 0 or not lines:
        rec.update(ok=False, error=(info["stderr"].strip().splitlines() or ["?"])[-1])
        return rec
    rec.update(json.loads(lines[-1][len("__RESULT__") :]), ok=True)
    return rec


def agreement(peer: dict, ref: dict) -> dict:
    """Differences of a peer's estimates from socdata's (overall and every ATT(g,t))."""
    out = {
        "d_overall": abs(peer["estimate"] - ref["estimate"]),
        "d_overall_se": abs(peer["std_error"] - ref["std_error"]),
    }
    a = {(g, t): (e, s) for g, t, e, s in ref["cells"]}
    b = {(g, t): (e, s) for g, t, e, s in peer["cells"]}
    common = sorted(set(a) & set(b))
    out["cells_compared"] = f"{len(common)} of {len(a)}"
    if common:
        out["max_d_att_gt"] = max(abs(a[k][0] - b[k][0]) for k in common)
        out["max_d_att_gt_se"] = max(abs(a[k][1] - b[k][1]) for k in common)
        k = common[len(common) // 2]
        out["example"] = f"ATT({k[0]:g},{k[1]:g}) {a[k][0]:.6f} vs {b[k][0]:.6f}"
    return out


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--peer-sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--peers", nargs="+", default=["csdid", "diff-diff", "moderndid"])
    ap.add_argument("--dir", default=None, help="folder for the Parquet files (default: tmp)")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per peer case")
    args = ap.parse_args(argv)
    print(machine_description())
    records = []
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for n in sorted(set(args.sizes) | set(args.peer_sizes)):
            path = str(Path(tmp) / f"panel_{n}.parquet")
            write_panel(path, n)
            ref = None
            for label, (fn, module) in CASES.items():
                if module is not None:
                    if label not in args.peers or n not in args.peer_sizes:
                        continue
                    if importlib.util.find_spec(module) is None:
                        rec = {"ok": False, "error": f"{label} is not installed (skipped)"}
                        records.append(dict(rec, implementation=label, n_people=n))
                        print(label, rec["error"], flush=True)
                        continue
                elif n not in args.sizes:
                    continue
                load = os.getloadavg()[0]
                rec = run_isolated(f"benchmarks.bench_scale_peers:{fn}", args.timeout, path=path)
                rec.update(implementation=label, n_people=n, load_before=round(load, 1))
                if rec.get("ok") and fn == "case_socdata_parquet":
                    ref = rec
                elif rec.get("ok") and module is not None and ref is not None:
                    rec.update(agreement(rec, ref))
                    rec["ratio_to_socdata"] = rec["seconds"] / ref["seconds"]
                records.append(rec)
                shown = {k: v for k, v in rec.items() if k != "cells"}
                print(label, n, shown, flush=True)
    for r in records:
        r.pop("cells", None)
    cols = ["n_people", "implementation", "seconds", "peak_gb", "ratio_to_socdata"]
    cols += ["estimate", "std_error", "d_overall", "d_overall_se", "max_d_att_gt"]
    cols += ["max_d_att_gt_se", "cells_compared", "load_before", "error"]
    print(format_table(records, cols))
    return records


if __name__ == "__main__":
    main()
