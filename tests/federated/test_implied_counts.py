"""The counts the few-values rule reads off the statistics equal (or bound) the counts
made directly from the unit rows.

Brute force: random small cohorts of 0/1, count and continuous outcomes; the reference
counts each cell of each 2 x 2 table by comparing the rows, and the failing cells of
:func:`few_value_cells` are compared with the small cells of that direct count.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from socdata.federated import check_statistics
from socdata.federated.few_values import few_value_cells
from socdata.federated.implied_counts import (
    PATTERNS,
    count_bounds,
    implied_counts,
    pair_bounds,
    triple_bounds,
)
from socdata.report.disclosure import get_rule_set
from socdata.scale.moments import combine, moments_from_wide

RULES = get_rule_set("soceis-default-v1")
NAMES = ("both", "first only", "second only", "neither")


def _moments(y: np.ndarray, cohort: np.ndarray, split: bool = False):
    kw = dict(time_labels=np.arange(1, y.shape[1] + 1), time_kind="numeric")
    if not split:
        return moments_from_wide(y, cohort, **kw)
    parts = np.array_split(np.arange(len(y)), 3)  # pooled as sites are: combine()
    return combine(moments_from_wide(y[p], cohort[p], **kw) for p in parts)


def _direct(y: np.ndarray) -> np.ndarray:
    """(T, T, 4) cells counted from the rows: both, first only, second only, neither."""
    a = y[:, :, None] > 0
    b = y[:, None, :] > 0
    return np.stack([(a & b).sum(0), (a & ~b).sum(0), (~a & b).sum(0), (~a & ~b).sum(0)], axis=-1)


def _random_panel(rng, values: str):
    n_t = int(rng.integers(2, 7))
    n_h = int(rng.integers(1, 4))
    n = rng.integers(1, 40, size=n_h)
    cohort = np.repeat(np.arange(n_h, dtype=float) * 2 + 3, n)
    if values == "binary":
        y = (rng.random((n.sum(), n_t)) < rng.random(n_t)).astype(float)
    elif values == "counts":
        y = rng.poisson(rng.uniform(0.05, 2.0, n_t), size=(n.sum(), n_t)).astype(float)
    else:
        y = rng.normal(size=(n.sum(), n_t))
    return y, cohort, n


@pytest.mark.parametrize("seed", range(40))
def test_binary_tables_equal_direct_counts(seed):
    rng = np.random.default_rng(seed)
    y, cohort, n = _random_panel(rng, "binary")
    m = _moments(y, cohort, split=seed % 2 == 1)
    c = implied_counts(m)
    assert c.binary.all()
    tables = c.pair_tables()
    starts = np.concatenate([[0], np.cumsum(n)])
    for h in range(len(n)):
        rows = y[starts[h] : starts[h + 1]]
        np.testing.assert_array_equal(np.rint(c.sums[h]), rows.sum(0))
        np.testing.assert_array_equal(tables[h], _direct(rows))
    # The failing cells are the small cells of the direct count (1-9 units).
    cells, totals, _ = few_value_cells(m, RULES)
    want = set()
    for h in range(len(n)):
        rows = y[starts[h] : starts[h + 1]]
        d = _direct(rows)
        for s, t in itertools.combinations(range(y.shape[1]), 2):
            want |= {(h, s + 1, t + 1, k) for k in NAMES if 0 < d[s, t, NAMES.index(k)] < 10}
        for t in range(y.shape[1]):
            k = int(rows[:, t].sum())
            want |= {(h, t + 1, "positive")} if 0 < k < 10 else set()
            want |= {(h, t + 1, "zero")} if 0 < len(rows) - k < 10 else set()
        for tri in itertools.combinations(range(y.shape[1]), 3):
            lo, hi = _reference_triple_bounds(rows[:, tri])
            want |= {
                (h, *(t + 1 for t in tri), "".join(map(str, q)))
                for q, a, b in zip(PATTERNS, lo, hi, strict=True)
                if a >= 1 and b < 10
            }
    got = {(c[0], *(int(v) for v in c[1:-1]), c[-1]) for c in cells["threshold"]}
    assert totals["threshold"] == len(want) and got == want


def _reference_triple_bounds(y3: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Range of each cell of the 2 x 2 x 2 table over all tables with the rows' margins.

    Generic linear algebra, no closed form: the margins (n, three 1-way and three
    2-way counts of ones) are 7 equations on the 8 cells; their solutions are a particular
    solution plus multiples of the null vector; every integer multiple that keeps the
    cells >= 0 is enumerated.
    """
    pats = np.array(PATTERNS)
    a = np.vstack(
        [np.ones(8)]
        + [pats[:, i] for i in range(3)]
        + [pats[:, i] * pats[:, j] for i, j in itertools.combinations(range(3), 2)]
    )
    truth = np.array([np.all(y3 == q, axis=1).sum() for q in pats], dtype=float)
    null = np.linalg.svd(a)[2][-1]
    null = null / null[0]  # the step that adds one unit to the all-ones cell
    x = np.arange(-len(y3) - 1, len(y3) + 2)[:, None]
    tables = np.rint(truth[None, :] + x * null[None, :])
    feasible = tables[np.all(tables >= 0, axis=1)]
    return feasible.min(axis=0), feasible.max(axis=0)


@pytest.mark.parametrize("seed", range(30))
def test_triple_bounds_equal_enumeration(seed):
    rng = np.random.default_rng(3000 + seed)
    y, cohort, n = _random_panel(rng, "binary")
    if seed % 3 == 0:  # structural zeros in the pair tables, where tables get pinned
        y[:, 1] = y[:, 0] * (rng.random(len(y)) < 0.7)
    m = _moments(y, cohort)
    tri, low, high = triple_bounds(implied_counts(m))
    starts = np.concatenate([[0], np.cumsum(n)])
    for h in range(len(n)):
        rows = y[starts[h] : starts[h + 1]]
        for k, t3 in enumerate(tri):
            lo, hi = _reference_triple_bounds(rows[:, t3])
            np.testing.assert_array_equal(low[h, k], lo)
            np.testing.assert_array_equal(high[h, k], hi)


@pytest.mark.parametrize("seed", range(40))
def test_count_bounds_hold_the_direct_counts(seed):
    rng = np.random.default_rng(1000 + seed)
    y, cohort, n = _random_panel(rng, "counts")
    m = _moments(y, cohort, split=seed % 2 == 1)
    c = implied_counts(m)
    low, high = count_bounds(c)
    bounds = pair_bounds(c, low, high)
    starts = np.concatenate([[0], np.cumsum(n)])
    for h in range(len(n)):
        rows = y[starts[h] : starts[h + 1]]
        is01 = np.all(rows <= 1, axis=0)
        np.testing.assert_array_equal(c.binary[h], is01)  # integers: 0/1 iff P_tt = S_t
        k = (rows > 0).sum(0)
        assert np.all((low[h] <= k) & (k <= high[h]))
        np.testing.assert_array_equal(low[h][is01], k[is01])
        np.testing.assert_array_equal(high[h][is01], k[is01])
        d = _direct(rows)
        for i, name in enumerate(NAMES):
            lo, hi = bounds[name][0][h], bounds[name][1][h]
            off = ~np.eye(len(k), dtype=bool)
            assert np.all((lo <= d[..., i]) & (d[..., i] <= hi) | ~off), name
            both01 = is01[:, None] & is01[None, :] & off
            np.testing.assert_array_equal(lo[both01], d[..., i][both01])


@pytest.mark.parametrize("seed", range(10))
def test_continuous_outcome_is_not_read_as_counts(seed):
    rng = np.random.default_rng(2000 + seed)
    y, cohort, _ = _random_panel(rng, "continuous")
    y = y * 3.7 + 1.3
    c = implied_counts(_moments(y, cohort))
    assert not c.binary.any()


def test_many_cohorts_and_periods_stay_vectorised():
    rng = np.random.default_rng(9)
    y = (rng.random((30 * 60, 48)) < 0.05).astype(float)  # nearly every cell small
    m = moments_from_wide(
        y, np.repeat(np.arange(30.0), 60), time_labels=np.arange(48), time_kind="numeric"
    )
    status, sdc, _, comments = check_statistics(m, RULES)
    assert status == "fail" and sdc["summary"]["threshold"] > 30_000
    assert len(sdc["cells"]["threshold"]) == 1000  # listed cells capped; all counted
    assert len(comments) == 30  # one per cohort
