"""The scan's fast paths give the row-level numbers: integer periods taken as ``min..max``
(checked, with a rescan when a whole number is never observed) and batches read ahead in a
thread (errors and early stops handed back to the caller)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import socdata.did as did
from socdata.errors import AttGtInputError
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


@pytest.mark.parametrize("cohort_type", ["BIGINT", "INTEGER", "DOUBLE", "DECIMAL(6,0)", "nullable"])
def test_cohort_column_types_give_the_same_moments(cohort_type):
    # the scan compares the cohort within unit in its own type and casts one value per unit
    data = staggered_panel(200, 6, cohorts=(0, 3, 4, 6), seed=2)
    ref = cohort_moments(data, **KW)
    # the reference itself, by brute force: each cohort's counts, means and scatter
    wide = data.pivot(index="id", columns="t", values="y")
    g = data.groupby("id")["g"].first()
    for j, c in enumerate(sorted(g.unique())):
        rows = wide[g == c].to_numpy()
        dev = rows - rows.mean(axis=0)
        assert ref.n[j] == len(rows)
        np.testing.assert_allclose(ref.scatter[j], dev.T @ dev, rtol=1e-12, atol=1e-12)
    con = duckdb.connect()
    rel = con.from_df(data)
    if cohort_type == "nullable":  # never treated as NULL, not 0
        rel = rel.project("id, t, y, CASE WHEN g = 0 THEN NULL ELSE g END AS g")
    else:
        rel = rel.project(f"id, t, y, CAST(g AS {cohort_type}) AS g")
    m = cohort_moments(rel, **KW)
    assert m.cohorts == ref.cohorts
    np.testing.assert_array_equal(m.n, ref.n)
    np.testing.assert_allclose(m.scatter, ref.scatter, rtol=1e-12, atol=1e-12)
    bad = con.from_df(data.assign(g=np.where(data.index == 13, 5, data["g"])))
    with pytest.raises(AttGtInputError, match="changes within unit"):
        cohort_moments(bad.project("id, t, y, CAST(g AS BIGINT) AS g"), **KW)
