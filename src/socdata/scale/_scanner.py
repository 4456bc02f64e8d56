"""Reducing a stream of Arrow batches, rows unit by unit, to cohort moments.

The in-process half of :func:`socdata.scale.sources.cohort_moments` on DuckDB, Parquet,
Arrow and pandas sources: each batch's whole units become per-cohort counts, means and
scatter matrices (:func:`socdata.scale.moments.moments_from_wide`), combined exactly with
the running totals; a unit cut by a batch boundary is carried to the next batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from socdata._lazy import lazy_module
from socdata.did._encode import duplicate_rows_message, mask_id
from socdata.errors import AttGtInputError
from socdata.scale.moments import CohortMoments, combine, moments_from_wide

pd = lazy_module("pandas")

__all__ = ["Scanner", "Unsorted", "with_example"]


class Unsorted(Exception):
    """The scan is not unit by unit with periods in order (restart sorted)."""


class Scanner:
    """Reduce a stream of Arrow batches (rows unit by unit) to cohort moments."""

    def __init__(self, time_labels: np.ndarray, kind: str, with_cluster: bool, source: str):
        self.labels = time_labels
        self.kind = kind
        self.n_t = len(time_labels)
        self.with_cluster = with_cluster
        self.source = source
        self.parts: list[CohortMoments] = []
        self.carry: dict[str, np.ndarray] | None = None
        self.last_unit: Any = None
        self.example: str | None = None
        self.n_rows = 0
        self.period_rows = np.zeros(self.n_t, dtype=np.int64)
        lab = np.asarray(time_labels)
        consecutive = kind == "numeric" and np.array_equal(lab, lab[0] + np.arange(len(lab)))
        self.step = int(lab[0]) if consecutive else None

    def _columns(self, batch: Any) -> dict[str, np.ndarray]:
        cols = {}
        for name in batch.schema.names:
            arr = batch.column(name)
            cols[name] = arr.to_numpy(zero_copy_only=False)
        cols["y"] = cols["y"].astype(np.float64, copy=False)
        if self.kind == "datetime":
            t = cols["t"].astype("datetime64[ns]", copy=False)
            cols["g"] = cols["g"].astype("datetime64[ns]", copy=False)
        else:  # the cohort keeps its type (compared within unit; one value per unit is cast)
            t = cols["t"]
        if self.step is not None and t.dtype.kind in "iu":  # consecutive whole numbers
            cols["k"] = t - self.step
        elif self.step is not None:
            cols["k"] = t.astype(np.int64) - self.step
        else:
            cols["k"] = np.searchsorted(self.labels, t.astype(self.labels.dtype, copy=False))
        return cols

    def add(self, batch: Any, final: bool = False) -> None:
        cols = self._columns(batch) if batch is not None else None
        if self.carry is not None:
            if cols is None:
                cols, self.carry = self.carry, None
            else:  # the carried unit's rows continue at the start of this batch
                u = cols["u"]
                head = int(np.argmax(u != self.carry["u"][0])) if len(u) else 0
                if len(u) and u[head] == self.carry["u"][0]:
                    head = len(u)
                joined = {k: np.concatenate([self.carry[k], v[:head]]) for k, v in cols.items()}
                self.carry = None
                if head == len(u):
                    self.carry = joined
                    if not final:
                        return
                    cols = joined
                else:
                    self._reduce(joined, np.zeros(1, dtype=np.int64))
                    cols = {k: v[head:] for k, v in cols.items()}
        if cols is None or len(cols["u"]) == 0:
            return
        u = cols["u"]
        new = np.flatnonzero(u[1:] != u[:-1]) + 1
        starts = np.concatenate([[0], new])
        if not final:  # the last unit may continue in the next batch
            tail = starts[-1]
            self.carry = {k: v[tail:].copy() for k, v in cols.items()}
            if tail == 0:
                return
            cols = {k: v[:tail] for k, v in cols.items()}
            starts = starts[:-1]
        self._reduce(cols, starts)

    def _check_constant_regular(self, cols: dict[str, np.ndarray], n_t: int) -> None:
        for col in ("g", "c"):
            if col not in cols:
                continue
            v = cols[col].reshape(-1, n_t)
            same = v == v[:, :1]
            if same.all():  # the common case: no missing value to compare
                continue
            if v.dtype.kind in "fM":
                same |= pd.isna(v) & pd.isna(v[:, :1])
            elif v.dtype.kind == "O":
                same |= np.asarray(pd.isna(v)) & np.asarray(pd.isna(v[:, :1]))
            if not same.all():
                self._check_general(cols, np.arange(0, len(cols["u"]), n_t), len(cols["u"]))

    def _check_general(self, cols: dict[str, np.ndarray], starts: np.ndarray, m: int) -> None:
        """Periods in order and not repeated within unit; cohort and cluster constant."""
        u, k = cols["u"], cols["k"]
        block = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, m)))
        step = np.diff(k)
        within = block[1:] == block[:-1]
        if np.any(step[within] < 0):
            raise Unsorted
        if np.any(step[within] == 0):
            r = int(np.flatnonzero(within & (step == 0))[0])
            raise AttGtInputError(duplicate_rows_message(u[r], self.labels[k[r]]))
        for col, rule in (
            ("g", "the cohort (first treated period) is fixed for each unit"),
            ("c", "units are nested in clusters"),
        ):
            if col not in cols:
                continue
            v = cols[col]
            rep = v[starts][block]
            same = (v == rep) | (pd.isna(v) & pd.isna(rep))
            if not np.all(same):
                r = int(np.flatnonzero(~same)[0])
                raise AttGtInputError(
                    f"a column changes within unit {mask_id(u[r])} ({'cohort' if col == 'g' else 'cluster'}); "
                    f"rule: {rule}. Use the unit's first value on every row."
                )

    def _reduce(self, cols: dict[str, np.ndarray], starts: np.ndarray) -> None:
        u, k = cols["u"], cols["k"]
        m = len(u)
        self.n_rows += m
        firsts = u[starts]
        if len(firsts) > 1 and not np.all(firsts[1:] > firsts[:-1]):
            raise Unsorted
        if self.last_unit is not None and not firsts[0] > self.last_unit:
            raise Unsorted
        self.last_unit = firsts[-1]
        n_t = self.n_t
        regular = (
            m == len(starts) * n_t
            and np.array_equal(starts, np.arange(0, m, n_t))
            and bool((k.reshape(-1, n_t) == np.arange(n_t)).all())
        )
        if regular:  # every unit has every period, in order: checks on (units, T) views
            self._check_constant_regular(cols, n_t)
            self.period_rows += len(starts)
        else:
            self._check_general(cols, starts, m)
            self.period_rows += np.bincount(k, minlength=n_t)
        lengths = np.diff(np.append(starts, m))
        # a missing or infinite outcome makes the unit incomplete (as in memory)
        if regular:  # (units, T) view: no per-row work
            complete = np.isfinite(cols["y"].reshape(-1, n_t)).all(axis=1)
        else:
            bad_rows = ~np.isfinite(cols["y"])
            n_bad = np.add.reduceat(bad_rows.astype(np.int64), starts) if m else np.zeros(0)
            complete = (lengths == self.n_t) & (n_bad == 0)
        gkeys = cols["g"][starts]
        if self.kind != "datetime" and gkeys.dtype.kind != "f":
            gkeys = gkeys.astype(np.float64)
        if complete.all():
            y = cols["y"].reshape(-1, self.n_t)
        else:
            rows = np.flatnonzero(np.repeat(complete, lengths))
            y = cols["y"][rows].reshape(-1, self.n_t)
            if self.example is None:
                self.example = mask_id(firsts[np.flatnonzero(~complete)[0]])
        cl = cols["c"][starts][complete] if "c" in cols else None
        if cl is not None and pd.isna(cl).any():
            raise AttGtInputError(
                "the cluster column is missing for some units; every unit needs a cluster."
            )
        self.parts.append(
            moments_from_wide(
                y,
                gkeys[complete],
                time_labels=self.labels,
                time_kind=self.kind,
                cluster=cl,
                incomplete=gkeys[~complete],
                n_rows=m,
                source=self.source,
            )
        )
        if len(self.parts) > 8:
            self.parts = [combine(self.parts)]

    def result(self) -> CohortMoments:
        self.add(None, final=True)
        if not self.parts:
            raise AttGtInputError("the table has no rows.")
        out = combine(self.parts)
        return with_example(out, self.example)


def with_example(m: CohortMoments, example: str | None) -> CohortMoments:
    """``m`` with the masked example of an incomplete unit (for the estimator's message)."""
    import dataclasses

    return dataclasses.replace(m, example_incomplete=example)
