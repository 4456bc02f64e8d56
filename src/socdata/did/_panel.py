"""Preparing a long panel for the fixed-effects estimators (private).

Turns a user's frame into arrays once: checks columns, counts and drops rows with missing
values, encodes the unit and time identifiers as integer codes, detects the common layout
"sorted by unit then time, balanced" (in which case no codes are materialised and every
group sum is a reshape), counting every exclusion in a
:class:`socdata.provenance.FlowLog`.  Observations that carry no information for the fixed
effects are dropped afterwards by :func:`socdata.did._prune.drop_uninformative`.

Nothing here keeps a reference to the user's frame, and no person identifier leaves this
module: results only see codes and counts.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from socdata.did._encode import (
    GRID_SLACK,
    Rows,
    check_columns,
    compose_masks,
    encode_identifiers,
    missing_rows,
    numeric_column,
    weight_column,
)
from socdata.errors import EstimationError, ExcludedRowsWarning
from socdata.provenance import FlowLog

__all__ = [
    "Panel",
    "build_panel",
    "check_columns",
    "numeric_column",
    "weight_column",
]


@dataclasses.dataclass
class Panel:
    """Arrays of a panel ready for two-way fixed effects (mutable while being prepared).

    Attributes
    ----------
    y
        Outcome, float64, length n.
    X
        Regressors, float64 array (n, k), Fortran order.
    names
        Regressor names.
    n_units, n_times
        Number of unit and period levels used.
    time_levels
        Sorted period values (numpy array), position = time code.
    unit_codes, time_codes
        Integer codes (length n), or ``None`` for a sorted balanced panel whose row r is
        unit ``r // n_times`` and period ``r % n_times``.
    cluster_codes
        Cluster codes per row (None = clusters are the units), and ``n_clusters``.
    offset
        Optional offset (log exposure) for Poisson, length n.
    weights
        Optional positive observation weights (analytic/matching weights), length n;
        ``None`` when unweighted.
    flow
        Flow log so far.
    """

    y: np.ndarray
    X: np.ndarray
    names: tuple[str, ...]
    n_units: int
    n_times: int
    time_levels: np.ndarray
    unit_codes: np.ndarray | None
    time_codes: np.ndarray | None
    cluster_codes: np.ndarray | None
    n_clusters: int
    offset: np.ndarray | None
    flow: FlowLog
    n_in: int
    extra: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    _cells: np.ndarray | None = None
    weights: np.ndarray | None = None

    @property
    def n(self) -> int:
        """Number of observations used."""
        return int(self.y.size)

    @property
    def sorted_balanced(self) -> bool:
        """Rows are unit-major, period-minor, and every unit has every period."""
        return self.unit_codes is None

    def units(self) -> np.ndarray:
        """Unit codes per row (materialised on demand)."""
        if self.unit_codes is None:
            return np.repeat(np.arange(self.n_units, dtype=np.int64), self.n_times)
        return self.unit_codes

    def times(self) -> np.ndarray:
        """Period codes per row (materialised on demand)."""
        if self.time_codes is None:
            return np.tile(np.arange(self.n_times, dtype=np.int64), self.n_units)
        return self.time_codes

    def unit_sums(self, v: np.ndarray | None = None) -> np.ndarray:
        """Sum of ``v`` (default: 1, i.e. counts) within each unit."""
        if self.sorted_balanced:
            if v is None:
                return np.full(self.n_units, float(self.n_times))
            return v.reshape(self.n_units, self.n_times).sum(axis=1)
        return np.bincount(self.unit_codes, weights=v, minlength=self.n_units)

    def time_sums(self, v: np.ndarray | None = None) -> np.ndarray:
        """Sum of ``v`` (default: 1, i.e. counts) within each period."""
        if self.sorted_balanced:
            if v is None:
                return np.full(self.n_times, float(self.n_units))
            return v.reshape(self.n_units, self.n_times).sum(axis=0)
        return np.bincount(self.time_codes, weights=v, minlength=self.n_times)

    def unit_rows(self, flag: np.ndarray) -> np.ndarray:
        """Row mask from a per-unit boolean."""
        if self.sorted_balanced:
            return np.repeat(flag, self.n_times)
        return flag[self.unit_codes]

    def time_rows(self, flag: np.ndarray) -> np.ndarray:
        """Row mask from a per-period boolean."""
        if self.sorted_balanced:
            return np.tile(flag, self.n_units)
        return flag[self.time_codes]

    def balanced(self) -> bool:
        """Every unit observed in every period (in any row order)."""
        return self.sorted_balanced or self.n == self.n_units * self.n_times

    def cells(self) -> np.ndarray | None:
        """Position of each row in the flattened (unit, period) grid (None = identity)."""
        if self.sorted_balanced:
            return None
        if self._cells is None:
            self._cells = self.unit_codes * self.n_times + self.time_codes
        return self._cells

    def use_grid(self) -> bool:
        """Whether a dense (units x periods) grid is small enough to use."""
        return self.n_units * self.n_times <= GRID_SLACK * self.n + 1_000_000

    def unit_cluster_nested(self) -> bool:
        """Whether each unit lies in a single cluster (always true when clusters are units)."""
        if self.cluster_codes is None:
            return True
        u = self.units()
        first = np.full(self.n_units, -1, dtype=np.int64)
        first[u[::-1]] = self.cluster_codes[::-1]
        return bool(np.all(first[u] == self.cluster_codes))

    def time_cluster_nested(self) -> bool:
        """Whether each period lies in a single cluster."""
        if self.cluster_codes is None and self.sorted_balanced:
            return self.n_units == 1
        t = self.times()
        c = self.cluster_codes if self.cluster_codes is not None else self.units()
        first = np.full(self.n_times, -1, dtype=np.int64)
        first[t[::-1]] = c[::-1]
        return bool(np.all(first[t] == c))

    def subset(self, keep: np.ndarray) -> None:
        """Keep the rows flagged in ``keep`` (re-encoding the codes), in place.

        Dropping whole units from a sorted balanced panel keeps it sorted and balanced (no
        codes are materialised then)."""
        if self.sorted_balanced:
            kg = keep.reshape(self.n_units, self.n_times)
            rows = kg.any(axis=1)
            if bool(kg[rows].all()):
                self.n_units = int(rows.sum())
                self._take(keep)
                if self.cluster_codes is None:
                    self.n_clusters = self.n_units
                return
        u = self.units()[keep]
        t = self.times()[keep]
        self._cells = None
        ukeep = np.bincount(u, minlength=self.n_units) > 0
        tkeep = np.bincount(t, minlength=self.n_times) > 0
        umap = np.cumsum(ukeep) - 1
        tmap = np.cumsum(tkeep) - 1
        self.unit_codes = umap[u]
        self.time_codes = tmap[t]
        self.n_units = int(ukeep.sum())
        self.n_times = int(tkeep.sum())
        self.time_levels = self.time_levels[tkeep]
        self._take(keep)
        if self.cluster_codes is None:
            self.n_clusters = self.n_units

    def _take(self, keep: np.ndarray) -> None:
        self.y = self.y[keep]
        self.X = np.asfortranarray(self.X[keep])
        if self.offset is not None:
            self.offset = self.offset[keep]
        if self.weights is not None:
            self.weights = self.weights[keep]
        self.extra = {k: v[keep] for k, v in self.extra.items()}
        if self.cluster_codes is not None:
            c = self.cluster_codes[keep]
            ckeep = np.bincount(c) > 0
            self.cluster_codes = (np.cumsum(ckeep) - 1)[c]
            self.n_clusters = int(ckeep.sum())


def _check_roles(
    data: pd.DataFrame,
    function: str,
    *,
    outcome: str,
    unit: str,
    time: str,
    regressors: Sequence[str],
    cluster: str | None,
    offset_column: str | None,
    weights: str | None,
    array_names: tuple[str, ...],
) -> tuple[str, ...]:
    """Every named column present, rows present, regressor names distinct; the names."""
    roles: dict[str, str | None] = {"outcome": outcome, "unit": unit, "time": time}
    roles.update({f"regressor {i + 1}": r for i, r in enumerate(regressors)})
    roles["cluster"] = cluster
    roles["exposure"] = offset_column
    roles["weights"] = weights
    check_columns(data, roles, function)
    if len(data) == 0:
        raise EstimationError(f"{function}: the data has no rows.")
    names = tuple(regressors) + array_names
    if len(set(names)) != len(names):
        raise EstimationError(f"{function}: regressor names repeat: {names}.")
    if outcome in names:
        raise EstimationError(
            f"{function}: the outcome {outcome!r} is also a regressor; choose different columns."
        )
    return names


def _drop_rows(
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
            stacklevel=5,
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
            stacklevel=5,
        )
        keep = ~zero if keep is None else compose_masks(keep, ~zero)
        rows = rows.take(~zero)
    return rows, keep, flow


def build_panel(
    data: pd.DataFrame,
    *,
    function: str,
    outcome: str,
    unit: str,
    time: str,
    regressors: Sequence[str],
    cluster: str | None = None,
    offset_column: str | None = None,
    extra_numeric: Sequence[str] = (),
    regressor_arrays: dict[str, np.ndarray] | None = None,
    weights: str | None = None,
) -> Panel:
    """Validate and encode a long panel (see module docstring).

    Parameters
    ----------
    data
        One row per unit and period.
    function
        Public function name for messages.
    outcome, unit, time, regressors, cluster
        Column names.
    offset_column
        Column whose log is the offset (exposure); must be positive.
    extra_numeric
        Further numeric columns carried along (e.g. the cohort for event studies).
    regressor_arrays
        Extra regressors computed by the caller (already aligned with ``data`` rows).
    weights
        Column of non-negative observation weights (see :func:`weight_column`); rows with
        weight 0 are dropped and counted in the flow log.

    Returns
    -------
    Panel
        Arrays with missing rows removed and counted in ``flow``.
    """
    names = _check_roles(
        data,
        function,
        outcome=outcome,
        unit=unit,
        time=time,
        regressors=regressors,
        cluster=cluster,
        offset_column=offset_column,
        weights=weights,
        array_names=tuple((regressor_arrays or {}).keys()),
    )
    n_in = len(data)
    y = numeric_column(data, outcome, "outcome", function)
    cols = [numeric_column(data, r, "regressor", function) for r in regressors]
    cols += [np.asarray(v, dtype=np.float64) for v in (regressor_arrays or {}).values()]
    off = None
    if offset_column is not None:
        off = numeric_column(data, offset_column, "exposure", function)
    extra = {c: numeric_column(data, c, c, function) for c in extra_numeric}
    wts = weight_column(data, weights, function) if weights is not None else None

    # ---- missing values: count by column, drop once --------------------------------------
    bad, missing = missing_rows(
        data,
        y,
        dict(zip(names, cols, strict=True)),
        off,
        outcome=outcome,
        unit=unit,
        time=time,
        cluster=cluster,
        offset_column=offset_column,
    )
    rows = Rows(
        data[unit],
        data[time],
        data[cluster] if cluster is not None else None,
        y,
        cols,
        off,
        wts,
        extra,
    )
    rows, keep, flow = _drop_rows(rows, bad, missing, function=function, weights=weights)
    return _encode_panel(
        data,
        rows,
        keep,
        flow,
        names,
        n_in,
        unit=unit,
        time=time,
        cluster=cluster,
        function=function,
    )


def _encode_panel(
    data: pd.DataFrame,
    rows: Rows,
    keep: np.ndarray,
    flow: FlowLog,
    names: tuple[str, ...],
    n_in: int,
    *,
    unit: str,
    time: str,
    cluster: str | None,
    function: str,
) -> Panel:
    """The :class:`Panel` of the kept ``rows``: identifiers encoded, regressors stacked."""
    frame_u, frame_t, frame_c = rows.frame_u, rows.frame_t, rows.frame_c
    y, cols, off, wts, extra = rows.y, rows.cols, rows.off, rows.wts, rows.extra
    n = y.size
    if n == 0:
        raise EstimationError(
            f"{function}: no rows left after dropping missing values"
            + (" and zero weights." if wts is not None else ".")
        )

    ids = encode_identifiers(
        data,
        frame_u,
        frame_t,
        frame_c,
        keep,
        unit=unit,
        time=time,
        cluster=cluster,
        function=function,
    )
    n_units, n_times, time_levels, unit_codes, time_codes, cluster_codes, n_clusters, cell = ids
    sorted_balanced = unit_codes is None
    X = np.empty((n, len(names)), dtype=np.float64, order="F")
    for j, v in enumerate(cols):
        X[:, j] = v
    panel = Panel(
        y=y,
        X=X,
        names=names,
        n_units=n_units,
        n_times=n_times,
        time_levels=np.asarray(time_levels),
        unit_codes=unit_codes,
        time_codes=time_codes,
        cluster_codes=cluster_codes,
        n_clusters=n_clusters,
        offset=None if off is None else np.log(off),
        flow=flow,
        n_in=n_in,
        extra=extra,
        weights=wts,
    )
    if not sorted_balanced:
        panel._cells = cell
    return panel
