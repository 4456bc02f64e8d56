"""Units of a table source streamed in bounded chunks (the covariate path of ``att_gt``).

Where an estimate is not an exact function of cohort statistics (ATT(g,t) with covariates:
a propensity-score logit and influence functions per unit), socdata reads the table in
passes, each a DuckDB scan read in Arrow batches; whole units are cut from the batches (a
unit split between two batches is carried over) and handed on as matrices ``(units, T)``
of outcomes and ``(units, T, p)`` of covariates.  Memory is one batch and one chunk of
units, whatever the size of the table.  A first, cheap pass reads only the unit and period
columns in stored order: when the table is stored unit by unit with periods in order (as
socdata writes panels), every pass scans it as stored; otherwise every pass is ordered by
DuckDB (``ORDER BY unit, period``, which spills to disk).

The units and periods streamed are those of the estimation panel the cohort-statistics
pass decided (:func:`socdata.scale.finish.panel_from_moments`): incomplete units and
units treated in the first period are skipped, late cohorts are never treated, dropped
periods are cut.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import numpy as np

from socdata.scale.moments import _unique_keys
from socdata.scale.sources import _q, _relation

__all__ = ["BATCH_ROWS", "OrderChanged", "UnitChunk", "UnitStream"]

#: Rows per Arrow batch of a pass (memory ~ ``BATCH_ROWS x (5 + p) x 8`` bytes per batch).
BATCH_ROWS = 1 << 18


class OrderChanged(Exception):
    """A scan taken as stored came back in another order than the first (e.g. a relation
    defined by a join): the caller restarts with ordered scans."""


@dataclasses.dataclass(frozen=True)
class UnitChunk:
    """Whole units of the estimation panel: outcomes ``y`` ``(m, T)``, covariates ``x``
    ``(m, T, p)``, cohort code ``code`` ``(m,)`` and cluster index ``cluster`` (or None)."""

    y: np.ndarray
    x: np.ndarray
    code: np.ndarray
    cluster: np.ndarray | None


@dataclasses.dataclass
class UnitStream:
    """How to read the estimation panel's units from a table source, chunk by chunk.

    Attributes
    ----------
    data
        The table source (DuckDB relation, Parquet path, pyarrow Table/Dataset, pandas).
    columns
        ``unit``, ``time``, ``cohort``, ``outcome`` and ``cluster`` (or None) column names.
    covariates
        Covariate column names.
    n_periods
        Periods in the table (a complete unit has this many rows).
    keep_t
        Periods of the table kept in the panel (boolean, length ``n_periods``).
    code_of_key
        Cohort code of each raw cohort key (``-1``: not in the panel).
    cluster_pos
        Index of each cluster label, or None (clusters are units).
    batch_rows
        Rows per Arrow batch.
    """

    data: Any
    columns: dict[str, str | None]
    covariates: list[str]
    n_periods: int
    keep_t: np.ndarray
    code_of_key: dict
    cluster_pos: dict | None
    batch_rows: int = BATCH_ROWS
    passes: int = 0
    ordered: bool | None = None  # True: the stored order is unit by unit, periods in order
    _last: Any = None

    def _query(self, con: Any) -> Any:
        rel, _ = _relation(self.data, con)
        c = self.columns
        exprs = [
            f"{_q(c['unit'])} AS u",
            f"{_q(c['time'])} AS t",
            f"{_q(c['cohort'])} AS g",
            f"CAST({_q(c['outcome'])} AS DOUBLE) AS y",
        ]
        if c["cluster"]:
            exprs.append(f"{_q(c['cluster'])} AS c")
        exprs += [f"CAST({_q(v)} AS DOUBLE) AS x{i}" for i, v in enumerate(self.covariates)]
        if self.ordered is None:
            self.ordered = self._stored_in_order(rel)
        proj = rel.project(", ".join(exprs))
        return proj if self.ordered else proj.order("u, t")

    def _stored_in_order(self, rel: Any) -> bool:
        """Whether the stored order is unit by unit (units increasing) with periods
        increasing within unit: one scan of the two columns."""
        c = self.columns
        cols = f"{_q(c['unit'])} AS u, {_q(c['time'])} AS t"
        last_u = last_t = None
        for batch in rel.project(cols).to_arrow_reader(batch_size=self.batch_rows):
            u = batch.column("u").to_numpy(zero_copy_only=False)
            t = batch.column("t").to_numpy(zero_copy_only=False)
            if len(u) == 0:
                continue
            if last_u is not None:
                u, t = np.concatenate([[last_u], u]), np.concatenate([[last_t], t])
            same = u[1:] == u[:-1]
            if np.any(~same & ~(u[1:] > u[:-1])) or np.any(same & ~(t[1:] > t[:-1])):
                return False
            last_u, last_t = u[-1], t[-1]
        return True

    def chunks(self) -> Iterator[UnitChunk]:
        """One pass over the table: the panel's units in chunks (see module docstring)."""
        import duckdb

        self.passes += 1
        self._last = None
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        try:
            carry: dict[str, np.ndarray] | None = None
            for batch in self._query(con).to_arrow_reader(batch_size=self.batch_rows):
                cols = {
                    n: batch.column(n).to_numpy(zero_copy_only=False) for n in batch.schema.names
                }
                if carry is not None:
                    cols = {k: np.concatenate([carry[k], v]) for k, v in cols.items()}
                u = cols["u"]
                if len(u) == 0:
                    continue
                change = np.flatnonzero(u[1:] != u[:-1]) + 1
                tail = int(change[-1]) if len(change) else 0
                carry = {k: v[tail:] for k, v in cols.items()}
                if tail:
                    out = self._units({k: v[:tail] for k, v in cols.items()})
                    if out is not None:
                        yield out
            if carry is not None and len(carry["u"]):
                out = self._units(carry)
                if out is not None:
                    yield out
        finally:
            con.close()

    def _check_order(self, u: np.ndarray, t: np.ndarray, starts: np.ndarray) -> None:
        """Units increasing through the pass and periods increasing within unit (else the
        stored order changed since it was checked)."""
        firsts = u[starts]
        same = u[1:] == u[:-1]
        bad = np.any(~(firsts[1:] > firsts[:-1])) or np.any(~(t[1:] > t[:-1]) & same)
        bad = bad or (self._last is not None and not firsts[0] > self._last)
        self._last = firsts[-1]
        if bad:
            if self.ordered:
                raise OrderChanged
            raise AssertionError("an ordered scan is out of order")  # pragma: no cover

    def _units(self, cols: dict[str, np.ndarray]) -> UnitChunk | None:
        """The complete panel units among whole units' rows (sorted by unit, period)."""
        u = cols["u"]
        starts = np.concatenate([[0], np.flatnonzero(u[1:] != u[:-1]) + 1])
        self._check_order(u, cols["t"], starts)
        lengths = np.diff(np.append(starts, len(u)))
        n_t, p = self.n_periods, len(self.covariates)
        vals = np.column_stack([cols["y"], *(cols[f"x{i}"] for i in range(p))])
        bad = ~np.isfinite(vals).all(axis=1)
        n_bad = np.add.reduceat(bad.astype(np.int64), starts)
        complete = (lengths == n_t) & (n_bad == 0)
        g = cols["g"][starts]
        if g.dtype.kind not in "M":
            g = g.astype(np.float64)
        keys, inv = _unique_keys(g)
        code = np.array([self.code_of_key.get(k, -1) for k in keys], dtype=np.int64)[inv]
        keep = complete & (code >= 0)
        if not keep.any():
            return None
        rows = np.repeat(keep, lengths)
        y = vals[rows, 0].reshape(-1, n_t)[:, self.keep_t]
        x = vals[rows, 1:].reshape(-1, n_t, p)[:, self.keep_t, :]
        cl = None
        if self.cluster_pos is not None:
            labels = cols["c"][starts][keep]
            cl = np.fromiter((self.cluster_pos[c] for c in labels.tolist()), np.int64, len(labels))
        return UnitChunk(y=y, x=x, code=code[keep], cluster=cl)
