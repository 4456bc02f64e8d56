"""Preparing a long panel for the fixed-effects estimators (private).

Turns a user's frame into arrays once, on top of the one DiD input encoder
(:mod:`socdata.did._encode`: column checks by the shared keyword vocabulary, layout
detection, one row per unit and period): rows with missing values or zero weight are
counted and dropped (:mod:`socdata.did._rows`), the common layout "sorted by unit then
time, balanced" keeps no codes (every group sum is a reshape), and every exclusion is
counted in a :class:`socdata.provenance.FlowLog`.  Observations that carry no information
for the fixed effects are dropped afterwards by :func:`socdata.did._prune.drop_uninformative`.

Nothing here keeps a reference to the user's frame, and no person identifier leaves this
module: results only see codes and counts.  ``check_columns``, ``numeric_column`` and
``weight_column`` are re-exported from the encoder for the estimators that import them here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from socdata.did._encode import (
    GRID_SLACK,
    Columns,
    check_columns,
    check_input,
    encode_layout,
    factorize,
    numeric_column,
    weight_column,
)
from socdata.did._rows import Rows, drop_rows, missing_rows
from socdata.errors import DiDInputError
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


def build_panel(
    data: pd.DataFrame,
    *,
    function: str,
    outcome: str,
    unit: str,
    time: str,
    regressors: Sequence[str] = (),
    cluster: str | None = None,
    offset_column: str | None = None,
    extra_numeric: Sequence[str] = (),
    regressor_arrays: dict[str, np.ndarray] | None = None,
    weights: str | None = None,
    treatment: str | None = None,
    covariates: Sequence[str] = (),
) -> Panel:
    """Validate and encode a long panel (see module docstring).

    The columns are checked and the layout recognised by the one DiD input encoder
    (:func:`socdata.did._encode.check_input`, :func:`socdata.did._encode.encode_layout`);
    the steps here are the fixed-effects estimators' own: rows with missing values or
    zero weight are dropped and counted, the regressors stacked.

    Parameters
    ----------
    data
        One row per unit and period.
    function
        Public function name for messages.
    outcome, unit, time, treatment, covariates, cluster
        Column names (shared keyword vocabulary); the regressors are ``treatment``, then
        ``covariates``, then ``regressors``, then ``regressor_arrays``.
    regressors
        Further regressor columns (named ``regressors[i]`` in messages).
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
    columns = Columns(
        outcome=outcome,
        unit=unit,
        time=time,
        treatment=treatment,
        covariates=tuple(covariates),
        cluster=cluster,
        weights=weights,
        exposure=offset_column,
        regressors=tuple(regressors),
    )
    arrays = dict(regressor_arrays or {})
    numeric = check_input(data, columns, function, extra_names=tuple(arrays))
    names = (*columns.slopes, *arrays)
    n_in = len(data)
    y = numeric[outcome]
    cols = [numeric[r] for r in columns.slopes]
    cols += [np.asarray(v, dtype=np.float64) for v in arrays.values()]
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
    rows, keep, flow = drop_rows(rows, bad, missing, function=function, weights=weights)
    return _encode_panel(data, rows, keep, flow, names, n_in, columns=columns, function=function)


def _encode_panel(
    data: pd.DataFrame,
    rows: Rows,
    keep: np.ndarray | None,
    flow: FlowLog,
    names: tuple[str, ...],
    n_in: int,
    *,
    columns: Columns,
    function: str,
) -> Panel:
    """The :class:`Panel` of the kept ``rows``: layout encoded, regressors stacked."""
    y, cols, off, wts, extra = rows.y, rows.cols, rows.off, rows.wts, rows.extra
    n = y.size
    if n == 0:
        raise DiDInputError(
            f"{function}: no rows left after dropping missing values"
            + (" and zero weights." if wts is not None else ".")
        )
    layout = encode_layout(
        rows.frame_u,
        rows.frame_t,
        function=function,
        unit=columns.unit,
        time=columns.time,
        sort_units=False,
        row_labels=data.index,
        kept=keep,
    )
    if rows.frame_c is None or columns.cluster == columns.unit:
        cluster_codes, n_clusters = None, layout.n_units
    else:
        cluster_codes, c_levels = factorize(rows.frame_c, sort=False)
        n_clusters = len(c_levels)
    X = np.empty((n, len(names)), dtype=np.float64, order="F")
    for j, v in enumerate(cols):
        X[:, j] = v
    return Panel(
        y=y,
        X=X,
        names=names,
        n_units=layout.n_units,
        n_times=layout.n_times,
        time_levels=np.asarray(layout.time_levels),
        unit_codes=layout.unit_codes,
        time_codes=layout.time_codes,
        cluster_codes=cluster_codes,
        n_clusters=n_clusters,
        offset=None if off is None else np.log(off),
        flow=flow,
        n_in=n_in,
        extra=extra,
        weights=wts,
        _cells=layout.cell,
    )
