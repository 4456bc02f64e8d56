"""The scan's fast paths give the row-level numbers: integer periods taken as ``min..max``
(checked, with a rescan when a whole number is never observed) and batches read ahead in a
thread (errors and early stops handed back to the caller)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import socdata.did as did
from socdata.scale._prefetch import prefetched
from socdata.scale.sources import cohort_moments
from tests.scale.panels import assert_same_att, staggered_panel

duckdb = pytest.importorskip("duckdb")

KW = dict(outcome="y", unit="id", time="t", cohort="g")


def _quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kw)


@pytest.mark.parametrize("batch_rows", [7, 1 << 21])
def test_integer_periods_with_a_gap_rescan(batch_rows):
    # periods 1, 2, 4, ..., 8 (3 never observed): min..max would make every unit lack
    # period 3; the scan sees the empty period and rescans with the observed periods
    df = staggered_panel(n=120, cohorts=(0, 4, 6))
    df = df[df["t"] != 3].reset_index(drop=True)
    m = cohort_moments(duckdb.from_df(df), **KW, batch_rows=batch_rows)
    assert list(m.time_labels) == [1, 2, 4, 5, 6, 7, 8]
    assert m.n_incomplete.sum() == 0 and m.n_units == 120
    assert_same_att(_quiet(did.att_gt, df, **KW), _quiet(did.att_gt, duckdb.from_df(df), **KW))


def test_small_batches_equal_one_batch():
    df = staggered_panel(n=90)
    rel = duckdb.from_df(df)
    a, b = cohort_moments(rel, **KW, batch_rows=5), cohort_moments(rel, **KW)
    np.testing.assert_allclose(a.scatter, b.scatter, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(a.mean, b.mean, rtol=1e-13)
    assert list(a.n) == list(b.n)


def test_prefetched_order_errors_and_early_stop():
    assert list(prefetched(iter(range(50)), depth=2)) == list(range(50))

    def broken():
        yield 1
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        list(prefetched(broken()))
    it = prefetched(iter(range(10_000)), depth=1)
    assert next(it) == 0
    it.close()  # the reader thread stops (joined in close) instead of blocking on the queue
