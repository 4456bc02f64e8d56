"""Dropping and counting rows with missing values for the fixed-effects estimators (private).

The step of :func:`socdata.did._panel.build_panel` that runs between the encoder's column
checks and its layout detection (:mod:`socdata.did._encode`): rows with a missing or
non-finite value are counted by the first column that has one and dropped once; rows of
weight 0 are counted and dropped next.  Extra columns may be missing by design (the cohort
of the never treated) and are carried along.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd

from socdata.errors import ExcludedRowsWarning, caller_stacklevel
from socdata.provenance import FlowLog

__all__ = ["Rows", "compose_masks", "drop_rows", "missing_rows"]


def compose_masks(keep: np.ndarray, sub: np.ndarray) -> np.ndarray:
    """Row mask on the original frame from ``keep`` followed by ``sub`` on the kept rows."""
    out = keep.copy()
    out[np.flatnonzero(keep)[~sub]] = False
    return out


@dataclasses.dataclass
class Rows:
    """The row-aligned columns of a panel while rows are being dropped."""

    frame_u: pd.Series
    frame_t: pd.Series
    frame_c: pd.Series | None
    y: np.ndarray
    cols: list[np.ndarray]
    off: np.ndarray | None
    wts: np.ndarray | None
    extra: dict[str, np.ndarray]

    def take(self, m: np.ndarray) -> Rows:
        return Rows(
            self.frame_u[m],
            self.frame_t[m],
            self.frame_c[m] if self.frame_c is not None else None,
            self.y[m],
            [c[m] for c in self.cols],
            self.off[m] if self.off is not None else None,
            self.wts[m] if self.wts is not None else None,
            {k: v[m] for k, v in self.extra.items()},
        )


def missing_rows(
    data: pd.DataFrame,
    y: np.ndarray,
    regressors: dict[str, np.ndarray],
    off: np.ndarray | None,
    *,
    outcome: str,
    unit: str,
    time: str,
    cluster: str | None,
    offset_column: str | None,
) -> tuple[np.ndarray, dict[str, int]]:
    """Rows with a missing or non-finite value, counted by the first column that is."""
    missing: dict[str, int] = {}
    bad = np.zeros(len(data), dtype=bool)

    def _flag(name: str, m: np.ndarray) -> None:
        nonlocal bad
        cnt = int(np.count_nonzero(m & ~bad))
        if cnt:
            missing[f"missing or non-finite {name}"] = cnt
            bad |= m

    _flag(outcome, ~np.isfinite(y))
    for name, v in regressors.items():
        _flag(name, ~np.isfinite(v))
    for col in (unit, time):
        if not (isinstance(data[col].dtype, np.dtype) and data[col].dtype.kind in "iub"):
            _flag(col, data[col].isna().to_numpy())
    if cluster is not None and cluster != unit:
        _flag(cluster, data[cluster].isna().to_numpy())
    if off is not None:
        _flag(f"{offset_column} (must be > 0)", ~(np.isfinite(off) & (off > 0)))
    # extra columns may be missing by design (e.g. the cohort of the never treated)
    return bad, missing


def drop_rows(
    rows: Rows,
    bad: np.ndarray,
    missing: dict[str, int],
    *,
    function: str,
    weights: str | None,
) -> tuple[Rows, np.ndarray | None, FlowLog]:
    """Drop rows with missing values, then rows with zero weight; count and warn both."""
    n_rows = bad.size
    flow = FlowLog()
    keep = None
    if bad.any():
        keep = ~bad
        flow = flow.add("drop rows with missing values", n_rows, int(keep.sum()), missing)
        warnings.warn(
            f"{function}: excluded {int(bad.sum())} of {n_rows} rows with missing values ("
            + "; ".join(f"{k}: {v}" for k, v in missing.items())
            + ").",
            ExcludedRowsWarning,
            stacklevel=caller_stacklevel(),
        )
        rows = rows.take(keep)
    if rows.wts is not None and (rows.wts == 0).any():
        zero = rows.wts == 0
        n_before = int(rows.y.size)
        n_zero = int(zero.sum())
        flow = flow.add(
            "drop rows with zero weight",
            n_before,
            n_before - n_zero,
            {f"weight {weights!r} equal to 0": n_zero},
        )
        warnings.warn(
            f"{function}: excluded {n_zero} of {n_before} rows with zero weight in "
            f"{weights!r} (they do not contribute to the weighted fit).",
            ExcludedRowsWarning,
            stacklevel=caller_stacklevel(),
        )
        keep = ~zero if keep is None else compose_masks(keep, ~zero)
        rows = rows.take(~zero)
    return rows, keep, flow
