"""Shared helpers for the socdata benchmarks: generated panels and peak-memory measurement.

Every benchmark case runs in its own subprocess so that its peak resident memory (data
included) can be read with ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` by a small
intermediate process that starts exactly one worker.  The worker builds the panel as a user
would pass it (a :class:`pandas.DataFrame`), times only the estimator call, and prints one
JSON line.

Usage from a benchmark script::

    from benchmarks._common import run_case
    rec = run_case("benchmarks.bench_twfe:case_socdata", n_people=10_000)
    # {'seconds': 0.41, 'peak_gb': 0.52, 'estimate': ..., ...}

A case function takes keyword arguments, returns a dict (``seconds`` required), and should
call :func:`make_panel` itself so the data counts in the peak memory.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent

#: Effect of treatment on the continuous outcome ``y`` in :func:`make_panel`.
TRUE_EFFECT = -0.5
#: Rate ratio of treatment on the count outcome ``arrests`` in :func:`make_panel`.
TRUE_RATE_RATIO = 0.8


def make_panel(
    n_people: int,
    n_months: int = 48,
    *,
    seed: int = 0,
    balanced: bool = True,
    share_treated: float = 0.5,
    drop_share: float = 0.1,
    n_areas: int = 4,
    shuffle: bool = False,
    columns: list[str] | None = None,
) -> pd.DataFrame:
    """Generate a person-month panel as a user would pass it.

    Parameters
    ----------
    n_people, n_months
        Panel size (``n_people * n_months`` rows when balanced).
    seed
        Seed of :func:`numpy.random.default_rng`.
    balanced
        When False, each person loses a random ``drop_share`` of their months.
    share_treated
        Share of people who are ever treated (staggered: first treated period is uniform on
        ``[n_months // 4, 3 * n_months // 4]``); the rest are never treated.
    n_areas
        Number of areas (people nested in areas).
    shuffle
        Shuffle the row order (defeats sorted-panel fast paths).
    columns
        Keep only these columns (default: all), to size the frame like a user's extract.

    Returns
    -------
    pandas.DataFrame
        Columns ``person_id`` (int64), ``area`` (str categorical), ``month``
        (datetime64[ns], month start), ``period`` (int64, 1..n_months), ``cohort`` (int64
        first treated period, 0 = never treated), ``treatment`` (int8, 1 from the cohort
        period on), ``y`` (float64, true effect :data:`TRUE_EFFECT`), ``arrests`` (int64
        Poisson counts, true rate ratio :data:`TRUE_RATE_RATIO`), ``exposure_days``
        (float64, days in the month).  Rows are sorted by person and month unless
        ``shuffle``.
    """
    rng = np.random.default_rng(seed)
    n, t = int(n_people), int(n_months)
    ever = rng.random(n) < share_treated
    first = rng.integers(t // 4, 3 * t // 4 + 1, size=n)
    cohort = np.where(ever, first, 0).astype(np.int64)
    alpha = rng.normal(0.0, 1.0, size=n)
    gamma = np.sin(np.arange(1, t + 1) / 6.0) * 0.3
    months = pd.date_range("2019-01-01", periods=t, freq="MS")
    cols: dict[str, Any] = {}
    # columns are built one at a time and handed over without copies, so the peak memory of
    # a benchmark case is dominated by the frame itself, as it would be for a user
    cols["person_id"] = np.repeat(np.arange(1, n + 1, dtype=np.int64) * 7 + 100_000, t)
    area_codes = rng.integers(0, n_areas, size=n).astype(np.int8)
    cols["area"] = pd.Categorical.from_codes(
        np.repeat(area_codes, t), categories=[f"Area {chr(65 + i)}" for i in range(n_areas)]
    )
    cols["month"] = np.tile(months.values, n)
    period = np.tile(np.arange(1, t + 1, dtype=np.int64), n)
    cols["period"] = period
    coh = np.repeat(cohort, t)
    cols["cohort"] = coh
    d = ((coh > 0) & (period >= coh)).astype(np.int8)
    cols["treatment"] = d
    eta = np.repeat(alpha, t)
    eta += np.tile(gamma, n)
    y = eta + TRUE_EFFECT * d
    y += rng.normal(0.0, 1.0, size=n * t)
    cols["y"] = y
    lam = eta  # reuse the buffer: lam = exp(-1.5 + alpha + gamma + log(RR) d), no copy
    lam += np.log(TRUE_RATE_RATIO) * d
    lam -= 1.5
    np.exp(lam, out=lam)
    cols["arrests"] = rng.poisson(lam).astype(np.int64)
    del lam, eta
    cols["exposure_days"] = np.tile(months.days_in_month.to_numpy(dtype=np.float64), n)
    if columns is not None:
        cols = {k: v for k, v in cols.items() if k in set(columns)}
    frame = pd.DataFrame(cols, copy=False)
    del cols
    if not balanced:
        keep = rng.random(n * t) >= drop_share
        frame = frame.loc[keep].reset_index(drop=True)
    if shuffle:
        frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
    return frame


def machine_description() -> str:
    """One line describing the machine and the current load."""
    try:
        load = os.getloadavg()
    except OSError:  # pragma: no cover
        load = (float("nan"),) * 3
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            total_kb = int(fh.readline().split()[1])
        mem = f", {total_kb / 1024**2:.0f} GB RAM"
    except OSError:  # pragma: no cover
        pass
    return (
        f"{platform.machine()} {os.cpu_count()} cores{mem}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, pandas {pd.__version__}; load average "
        f"{load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}"
    )


_INTERMEDIATE = r"""
import json, resource, subprocess, sys
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"returncode": proc.returncode, "stdout": proc.stdout,
                  "stderr": proc.stderr[-4000:], "peak_kb": peak_kb}))
"""

_WORKER = r"""
import importlib, json, sys
sys.path.insert(0, {repo!r})
mod_name, fn_name = {target!r}.split(":")
fn = getattr(importlib.import_module(mod_name), fn_name)
out = fn(**json.loads({kwargs!r}))
print("__RESULT__" + json.dumps(out, default=float))
"""


def run_case(target: str, timeout: float | None = None, **kwargs: Any) -> dict[str, Any]:
    """Run ``module:function(**kwargs)`` in a fresh subprocess and measure its peak memory.

    Parameters
    ----------
    target
        ``"benchmarks.bench_twfe:case_socdata"``-style path to a case function.
    timeout
        Seconds before the case is abandoned.
    **kwargs
        JSON-serialisable keyword arguments of the case function.

    Returns
    -------
    dict
        The case's own dict plus ``peak_gb`` (max RSS of the worker process, data included)
        and ``ok``; on failure ``ok`` is False and ``error`` holds the end of stderr.
    """
    worker = _WORKER.format(repo=str(REPO), target=target, kwargs=json.dumps(kwargs))
    cmd = [sys.executable, "-c", _INTERMEDIATE, sys.executable, "-c", worker]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timeout after {timeout} s", **kwargs}
    info = json.loads(proc.stdout)
    rec: dict[str, Any] = {"peak_gb": info["peak_kb"] / 1024**2, **kwargs}
    lines = [ln for ln in info["stdout"].splitlines() if ln.startswith("__RESULT__")]
    if info["returncode"] != 0 or not lines:
        rec.update(ok=False, error=info["stderr"].strip().splitlines()[-1:] or ["?"])
        return rec
    rec.update(json.loads(lines[-1][len("__RESULT__") :]))
    rec["ok"] = True
    return rec


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """Call ``fn()`` and return its value and the wall-clock seconds it took."""
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def format_table(records: list[dict[str, Any]], columns: list[str]) -> str:
    """Markdown table of benchmark records (missing values shown as ``-``)."""
    head = "| " + " | ".join(columns) + " |"
    sep = "|" + "|".join("---" for _ in columns) + "|"
    rows = []
    for rec in records:
        cells = []
        for col in columns:
            v = rec.get(col, "-")
            if isinstance(v, float):
                v = f"{v:.3g}" if abs(v) < 1e4 else f"{v:,.0f}"
            cells.append(str(v))
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join([head, sep, *rows])


def _module(target: str) -> Any:  # pragma: no cover - helper for interactive use
    return importlib.import_module(target.split(":")[0])
