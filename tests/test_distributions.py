"""socdata.distributions gives scipy.stats' values (its independent reference), edges included."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st

from socdata import distributions as d

Q = np.r_[
    0,
    1e-12,
    1e-6,
    0.001,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    0.75,
    0.9,
    0.975,
    0.999,
    1,
    -0.1,
    1.1,
    np.nan,
]
X = np.r_[-40, -10, -3, -1.96, -1, 0, 0.5, 1.96, 3, 8, 40, np.inf, -np.inf, np.nan]
DF = np.r_[-1, 0, 0.5, 1, 2, 3, 5, 10, 29, 100, 1e4, np.inf, np.nan]


def same(got, expected):
    np.testing.assert_array_equal(np.asarray(got, float), np.asarray(expected, float))
    assert np.shape(got) == np.shape(expected)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_normal_and_t_equal_scipy_stats():
    same(d.norm.ppf(Q), st.norm.ppf(Q))
    same(d.norm.cdf(X), st.norm.cdf(X))
    same(d.norm.sf(X), st.norm.sf(X))
    x, df = np.meshgrid(X, DF)
    q, dq = np.meshgrid(Q, DF)
    same(d.t.sf(x, df), st.t.sf(x, df))
    same(d.t.cdf(x, df), st.t.cdf(x, df))
    same(d.t.ppf(q, dq), st.t.ppf(q, dq))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_beta_quantiles_equal_scipy_stats_for_every_clopper_pearson_limit():
    for n in (1, 2, 7, 40, 223):
        k = np.arange(n + 1)
        for alpha in (0.01, 0.05, 0.1):
            same(
                d.beta.ppf(alpha / 2, k[1:], n - k[1:] + 1),
                st.beta.ppf(alpha / 2, k[1:], n - k[1:] + 1),
            )
            same(
                d.beta.ppf(1 - alpha / 2, k[:-1] + 1, n - k[:-1]),
                st.beta.ppf(1 - alpha / 2, k[:-1] + 1, n - k[:-1]),
            )
    q, a = np.meshgrid(Q, DF)
    same(d.beta.ppf(q, a, a[::-1]), st.beta.ppf(q, a, a[::-1]))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_f_and_chi2_tails_equal_scipy_stats():
    x = np.r_[-1, 0, 0.1, 1, 2, 5, 30, np.inf, np.nan]
    xf, a, b = np.meshgrid(x, DF, [1, 3, 10, 1000, 0, -2])
    same(d.f.sf(xf, a, b), st.f.sf(xf, a, b))
    xc, dc = np.meshgrid(x, DF)
    same(d.chi2.sf(xc, dc), st.chi2.sf(xc, dc))


def test_scalars_give_numpy_scalars_like_scipy_stats():
    for got, expected in [
        (d.t.ppf(0.975, 10), st.t.ppf(0.975, 10)),
        (d.chi2.sf(3.0, 2), st.chi2.sf(3.0, 2)),
        (d.f.sf(2.0, 3, 20), st.f.sf(2.0, 3, 20)),
        (d.norm.ppf(0.975), st.norm.ppf(0.975)),
    ]:
        assert type(got) is type(expected) and got == expected


def test_importing_it_does_not_import_scipy_stats():
    import subprocess
    import sys

    code = "import sys, socdata.distributions; print('scipy.stats' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
