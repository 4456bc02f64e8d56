"""A small cohort's released statistics give away its units' outcome paths; the
minimum-cohort-size rule stops their release.

The attack uses only what a site hands over (units, period means and the within-cohort
scatter matrix of a cohort) and recovers the paths exactly: with one unit the means are
its path; with two, the scatter is ``d d' / 2`` for ``d = y_1 - y_2``.  With ``3 <= n <= T``
the scatter's column space pins ``T - n + 1`` exact linear relations on every path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import socdata.did as did
from socdata.errors import DisclosureError
from socdata.federated import min_cohort_size, pool_sites, read_site_statistics, site_statistics
from socdata.report.disclosure import get_rule_set
from socdata.scale.moments import moments_from_wide
from tests.scale.panels import assert_same_att, staggered_panel

pytest.importorskip("duckdb")

KW = dict(outcome="y", unit="id", time="t", cohort="g")
T = 8


def _released(paths: np.ndarray):
    m = moments_from_wide(
        paths.astype(float),
        np.full(len(paths), 5.0),
        time_labels=np.arange(1, paths.shape[1] + 1),
        time_kind="numeric",
    )
    return int(m.n[0]), m.mean[0], m.scatter[0]


def _recover_pair(mean: np.ndarray, scatter: np.ndarray) -> set[tuple]:
    """Both paths of a two-unit cohort from its means and scatter (the attack)."""
    d = np.sqrt(2.0 * np.clip(np.diag(scatter), 0.0, None))
    t0 = int(np.argmax(d > 1e-9))
    d = d * np.where(np.arange(len(d)) == t0, 1.0, np.sign(scatter[t0]))
    return {tuple(np.round(mean + s * d / 2, 9)) for s in (1.0, -1.0)}


@pytest.mark.parametrize("seed", range(5))
def test_attack_recovers_paths_of_one_or_two_units(seed):
    rng = np.random.default_rng(seed)
    one = rng.integers(0, 2, size=(1, T))
    n, mean, _ = _released(one)
    assert n == 1 and np.array_equal(mean, one[0])  # the means are the path
    two = rng.integers(0, 2, size=(2, T))
    two[0, 0], two[1, 0] = 1, 0  # the paths differ somewhere
    n, mean, scatter = _released(two)
    assert _recover_pair(mean, scatter) == {tuple(map(float, r)) for r in two}
    counts = rng.poisson(1.5, size=(2, T))  # counts and real values alike
    counts[0, 0], counts[1, 0] = 3, 0
    assert _recover_pair(*_released(counts)[1:]) == {tuple(map(float, r)) for r in counts}


def test_small_cohort_scatter_reveals_linear_relations():
    rng = np.random.default_rng(1)
    paths = rng.normal(size=(4, T))  # n = 4 <= T: rank n - 1 = 3
    _, mean, scatter = _released(paths)
    w, v = np.linalg.eigh(scatter)
    null = v[:, w < 1e-9 * w.max()]  # T - n + 1 = 5 directions every path satisfies
    assert null.shape[1] == T - 4 + 1
    np.testing.assert_allclose((paths - mean) @ null, 0.0, atol=1e-9)


def test_minimum_cohort_size_rule():
    rules = get_rule_set("soceis-default-v1")
    assert min_cohort_size(48, rules) == 49
    assert min_cohort_size(T, rules) == 10  # threshold and min_base dominate
    assert min_cohort_size(30, rules) == 31
    assert min_cohort_size(48, get_rule_set("none")) == 0
    for t in range(1, 60):  # the rule leaves more unknowns than equations, by safe_dof
        n = min_cohort_size(t, rules)
        assert n >= t + 1 and (n - 1) * t - t * (t + 1) / 2 >= rules.safe_dof_threshold


def _site_with_small_cohort(n_small: int) -> pd.DataFrame:
    df = staggered_panel(n=200, n_t=T, cohorts=(0, 3, 6))
    rng = np.random.default_rng(7)
    extra = pd.DataFrame(
        {
            "id": np.repeat(np.arange(1000, 1000 + n_small), T),
            "t": np.tile(np.arange(1, T + 1), n_small),
            "g": 5,
            "y": rng.integers(0, 2, size=n_small * T).astype(float),
            "area": 0,
        }
    )
    return pd.concat([df, extra], ignore_index=True)


@pytest.mark.parametrize("n_small", [1, 2, 9])
def test_rule_stops_release_of_small_cohort(n_small, tmp_path):
    s = site_statistics(_site_with_small_cohort(n_small), site="north", **KW)
    assert s.status == "fail"
    assert "dof" in s.record["summary"]
    assert any("cohort 5:" in c and "minimum cohort size 10" in c for c in s.record["comments"])
    folder = s.write(tmp_path / "north")
    with pytest.raises(DisclosureError, match="failed the output check"):
        read_site_statistics(folder)
    with pytest.raises(DisclosureError, match="cannot be pooled"):
        pool_sites([s])


def test_hub_checks_again_under_its_own_rules():
    s = site_statistics(_site_with_small_cohort(2), site="lax", **KW, rules="none")
    assert s.status == "pass"  # the site checked under no rules at all
    with pytest.raises(DisclosureError, match=r"fail the hub's rule set.*cohort 5: 2 units"):
        pool_sites([s], rules="soceis-default-v1")


def test_constant_period_fails_unless_zero():
    df = staggered_panel(n=300, n_t=T, cohorts=(0, 3, 6))
    ones = df.assign(y=np.where((df["g"] == 3) & (df["t"] == 1), 1.0, df["y"]))
    s = site_statistics(ones, site="a", **KW)
    assert s.status == "fail" and "all-values-are-same" in s.record["summary"]
    assert any("cohort 3, period 1" in c for c in s.record["comments"])
    zeros = df.assign(y=np.where((df["g"] == 3) & (df["t"] == 1), 0.0, df["y"]))
    assert site_statistics(zeros, site="a", **KW).status == "pass"


def test_sites_that_pass_pool_exactly(tmp_path):
    df = staggered_panel(n=900, n_t=T, cohorts=(0, 3, 5, 9))
    folders = []
    for k, name in enumerate(("north", "south", "west")):
        part = df[df["id"] % 3 == k].reset_index(drop=True)
        s = site_statistics(part, site=name, **KW)  # default rules: every cohort >= 10
        assert s.status == "pass", s.record["summary"]
        folders.append(s.write(tmp_path / name))
    pooled = pool_sites([read_site_statistics(f) for f in folders], rules="soceis-default-v1")
    assert_same_att(did.att_gt(df, **KW), did.att_gt(pooled, **KW))
