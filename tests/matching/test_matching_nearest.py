"""Tests of socdata.matching.match against independent references.

References: a brute-force greedy matcher written here (MatchIt's documented rules), the
propensity model against statsmodels' unpenalised Logit, balance statistics against the
hand formulas of MatchIt's summary.matchit, MatchIt's documented weight formula, and a
toy matched set computed by hand.
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from socdata.errors import ExcludedRowsWarning, MatchingError
from socdata.matching import MatchResult, match
from socdata.matching._greedy import greedy_match_1d, left_counts, sort_controls
from socdata.matching.propensity import fit_logit
from socdata.matching.weights import matchit_weights
from socdata.results import TIDY_COLUMNS

RTOL = 1e-8


# --------------------------------------------------------------------------- oracle
def brute_greedy(score, treated, *, ratio=1, replace=False, caliper=np.inf, order="largest"):
    """O(n^2) greedy matcher with MatchIt's rules, written independently of the kernel.

    All units sorted stably by ascending score; for a treated unit the candidates are the
    available controls within the caliper; the best is the smallest |difference|, then the
    left side (sorted before the treated unit) over the right side, then the one closest in
    sorted position.  Matching proceeds in `ratio` rounds over treated units in `order`.
    """
    score = np.asarray(score, float)
    n = score.size
    pos = np.empty(n, int)
    pos[np.argsort(score, kind="stable")] = np.arange(n)
    tr = np.flatnonzero(treated)
    co = np.flatnonzero(~np.asarray(treated))
    if order == "largest":
        seq = tr[np.argsort(-score[tr], kind="stable")]
    else:
        seq = tr
    used = set()
    mm = {i: [] for i in tr}
    for r in range(ratio):
        for i in seq:
            if len(mm[i]) < r:
                continue
            best = None
            for j in co:
                if (not replace and j in used) or j in mm[i]:
                    continue
                d = abs(score[j] - score[i])
                if d > caliper:
                    continue
                left = pos[j] < pos[i]
                key = (d, 0 if left else 1, -pos[j] if left else pos[j])
                if best is None or key < best[0]:
                    best = (key, j)
            if best is not None:
                mm[i].append(best[1])
                used.add(best[1])
    return mm


def kernel_pairs(score, treated, *, ratio=1, replace=False, caliper=None, order="largest"):
    score = np.asarray(score, float)
    tr = np.flatnonzero(treated)
    co = np.flatnonzero(~np.asarray(treated))
    perm = sort_controls(score[co], co)
    cs = co[perm]
    lc = left_counts(score[cs], cs, score[tr], tr)
    seq = np.argsort(-score[tr], kind="stable") if order == "largest" else np.arange(tr.size)
    mm, _ = greedy_match_1d(
        score[cs], score[tr], lc, seq, ratio=ratio, replace=replace, caliper=caliper
    )
    return {i: [int(cs[k]) for k in mm[row] if k >= 0] for row, i in enumerate(tr)}


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    "ratio,replace,caliper",
    [
        (1, False, None),
        (2, False, None),
        (3, False, 0.05),
        (1, True, None),
        (3, True, 0.02),
        (1, False, 0.01),
    ],
)
def test_kernel_agrees_with_brute_force_including_ties(seed, ratio, replace, caliper):
    rng = np.random.default_rng(seed)
    n = 120
    # coarse scores give many exact ties between and within groups
    score = np.round(rng.beta(2, 5, n), 2)
    treated = rng.random(n) < 0.3
    expected = brute_greedy(
        score,
        treated,
        ratio=ratio,
        replace=replace,
        caliper=np.inf if caliper is None else caliper,
    )
    got = kernel_pairs(score, treated, ratio=ratio, replace=replace, caliper=caliper)
    assert got == {int(k): [int(x) for x in v] for k, v in expected.items()}


@pytest.mark.parametrize("seed", range(3))
def test_match_end_to_end_equals_oracle_on_fitted_propensity(seed):
    rng = np.random.default_rng(100 + seed)
    n = 300
    df = pd.DataFrame(
        {
            "age": rng.integers(11, 18, n),
            "decile": rng.integers(1, 11, n),
            "prior": rng.poisson(1.0, n),
        }
    )
    lin = -2 + 0.3 * (df.age - 14) - 0.1 * df.decile + 0.5 * df.prior
    df["engaged"] = (rng.random(n) < 1 / (1 + np.exp(-lin))).astype(int)
    df.index = [f"P{i:04d}" for i in range(n)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)  # unmatched counts tested elsewhere
        res = match(df, treatment="engaged", covariates=["age", "decile", "prior"], caliper=0.1)
    X = sm.add_constant(df[["age", "decile", "prior"]].astype(float))
    ps = sm.Logit(df["engaged"], X).fit(disp=0).predict(X).to_numpy()
    cal = 0.1 * np.std(ps, ddof=1)
    oracle = brute_greedy(ps, df["engaged"].to_numpy() == 1, caliper=cal)
    exp_pairs = sorted((df.index[i], df.index[v[0]]) for i, v in oracle.items() if v)
    got_pairs = sorted(zip(res.pairs.treated_id, res.pairs.control_id, strict=True))
    assert got_pairs == exp_pairs
    assert res.caliper_width == pytest.approx(cal, rel=1e-7)


def test_propensity_matches_statsmodels_logit():
    rng = np.random.default_rng(7)
    n = 2000
    X = np.column_stack([rng.normal(size=n), rng.integers(0, 2, n), rng.poisson(2, n)])
    y = (rng.random(n) < 1 / (1 + np.exp(-(-1 + X @ [0.8, -0.5, 0.3])))).astype(float)
    fit = fit_logit(X, y)
    ref = sm.Logit(y, sm.add_constant(X)).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(fit.coef, ref.params, rtol=RTOL, atol=1e-10)
    np.testing.assert_allclose(fit.predict(X), ref.predict(sm.add_constant(X)), rtol=1e-9)
    assert fit.loglik == pytest.approx(ref.llf, rel=1e-10)


def test_weighted_logit_equals_replicated_rows():
    rng = np.random.default_rng(8)
    n = 500
    X = rng.normal(size=(n, 2))
    y = (rng.random(n) < 0.3).astype(float)
    w = rng.integers(1, 4, n)
    fw = fit_logit(X, y, weights=w)
    rep = np.repeat(np.arange(n), w)
    fr = fit_logit(X[rep], y[rep])
    np.testing.assert_allclose(fw.coef, fr.coef, rtol=1e-9)
    # and against a second implementation: statsmodels' binomial GLM with frequency weights
    ref = sm.GLM(y, sm.add_constant(X), family=sm.families.Binomial(), freq_weights=w).fit(
        tol=1e-12
    )
    np.testing.assert_allclose(fw.coef, ref.params, rtol=RTOL, atol=1e-10)


def test_weights_follow_matchit_formula():
    # treated 0 matched to controls {0, 1, 2}; treated 1 to {0, 3}; treated 2 unmatched
    mm = np.array([[0, 1, 2], [0, 3, -1], [-1, -1, -1]])
    wt, wc = matchit_weights(mm, 5, normalize=False)
    np.testing.assert_allclose(wt, [1, 1, 0])
    np.testing.assert_allclose(wc, [1 / 3 + 1 / 2, 1 / 3, 1 / 3, 1 / 2, 0])
    _, wcn = matchit_weights(mm, 5)
    # normalised: nonzero control weights sum to the number of matched controls (4)
    assert wcn.sum() == pytest.approx(4, rel=1e-12)
    np.testing.assert_allclose(wcn[:4] / wcn[0], wc[:4] / wc[0], rtol=1e-12)


def test_hand_computed_toy_matched_set_mahalanobis():
    # one covariate: Mahalanobis distance = |dx| / pooled SD, so nearest in x; data order
    df = pd.DataFrame(
        {"t": [1, 1, 1, 0, 0, 0, 0, 0], "x": [1.0, 2.0, 10.0, 1.1, 1.9, 2.05, 8.0, 20.0]},
        index=list("ABCDEFGH"),
    )
    res = match(df, treatment="t", covariates=["x"], distance="mahalanobis")
    pairs = dict(zip(res.pairs.treated_id, res.pairs.control_id, strict=True))
    assert pairs == {"A": "D", "B": "F", "C": "G"}
    # hand balance: treated mean 13/3, treated SD (n-1) of [1, 2, 10]
    sd_t = np.std([1, 2, 10], ddof=1)
    mc_before = np.mean([1.1, 1.9, 2.05, 8.0, 20.0])
    mc_after = np.mean([1.1, 2.05, 8.0])
    b = res.balance().set_index("covariate")
    assert b.loc["x", "smd_before"] == pytest.approx((13 / 3 - mc_before) / sd_t, rel=1e-12)
    assert b.loc["x", "smd_after"] == pytest.approx((13 / 3 - mc_after) / sd_t, rel=1e-12)
    vr_after = np.var([1, 2, 10], ddof=1) / np.var([1.1, 2.05, 8.0], ddof=1)
    assert b.loc["x", "var_ratio_after"] == pytest.approx(vr_after, rel=1e-12)
    assert list(res.balance().columns[:5]) == [
        "covariate",
        "smd_before",
        "smd_after",
        "var_ratio_before",
        "var_ratio_after",
    ]


def test_balance_after_uses_matching_weights_with_replacement():
    df = pd.DataFrame(
        {"t": [1, 1, 1, 0, 0, 0], "x": [1.0, 1.2, 5.0, 1.1, 4.0, 9.0], "b": [1, 0, 1, 1, 0, 0]},
        index=list("ABCDEF"),
    )
    res = match(df, treatment="t", covariates=["x"], distance="mahalanobis", replace=True)
    pairs = dict(zip(res.pairs.treated_id, res.pairs.control_id, strict=True))
    assert pairs == {"A": "D", "B": "D", "C": "E"}
    w = res.weights().set_index("unit_id")["weight"]
    # raw weights D=2, E=1; normalised to sum to 2 matched controls: D=4/3, E=2/3
    assert w["D"] == pytest.approx(4 / 3) and w["E"] == pytest.approx(2 / 3)
    b = res.balance().set_index("covariate")
    wc = np.array([4 / 3, 2 / 3])
    xc = np.array([1.1, 4.0])
    mc = np.sum(wc * xc) / wc.sum()
    v = wc / wc.sum()
    var_c = np.sum(v * (xc - mc) ** 2) / (1 - np.sum(v**2))
    assert b.loc["x", "smd_after"] == pytest.approx(
        (np.mean([1, 1.2, 5]) - mc) / np.std([1, 1.2, 5], ddof=1), rel=1e-12
    )
    assert b.loc["x", "var_ratio_after"] == pytest.approx(
        np.var([1, 1.2, 5], ddof=1) / var_c, rel=1e-12
    )


def test_binary_covariate_uses_p_one_minus_p():
    rng = np.random.default_rng(3)
    n = 200
    df = pd.DataFrame({"x": rng.normal(size=n), "b": rng.integers(0, 2, n)})
    df["t"] = (rng.random(n) < 0.3).astype(int)
    res = match(df, treatment="t", covariates=["x", "b"])
    b = res.balance().set_index("covariate")
    p1 = df.loc[df.t == 1, "b"].mean()
    p0 = df.loc[df.t == 0, "b"].mean()
    assert b.loc["b", "smd_before"] == pytest.approx((p1 - p0) / np.sqrt(p1 * (1 - p1)), rel=1e-12)
    assert np.isnan(b.loc["b", "var_ratio_before"])


def test_exact_matching_stays_within_cells_and_counts_empty_cells():
    rng = np.random.default_rng(4)
    n = 200
    df = pd.DataFrame({"x": rng.normal(size=n), "gender": rng.choice(["Male", "Female"], n)})
    df["t"] = (rng.random(n) < 0.3).astype(int)
    df.loc[(df.gender == "Female") & (df.t == 0), "gender"] = "Male"  # no female controls
    n_f = int(((df.gender == "Female") & (df.t == 1)).sum())
    with pytest.warns(ExcludedRowsWarning, match="no comparator in the exact cell"):
        res = match(df, treatment="t", covariates=["x"], exact=["gender"])
    g = df["gender"]
    assert (g[res.pairs.treated_id].to_numpy() == g[res.pairs.control_id].to_numpy()).all()
    um = res.unmatched_counts().set_index("reason")["n"]
    assert um["no comparator in the exact cell"] == n_f
    assert res.n_unmatched == n_f


def test_pool_exhausted_without_replacement_and_error_when_nothing_matches():
    df = pd.DataFrame({"t": [1, 1, 1, 0], "x": [0.0, 1.0, 2.0, 1.5]})
    with pytest.warns(ExcludedRowsWarning, match="pool exhausted"):
        res = match(df, treatment="t", covariates=["x"], distance="mahalanobis")
    assert res.unmatched_counts().set_index("reason")["n"].iloc[0] == 2
    with pytest.raises(MatchingError, match="pool exhausted"):
        match(df, treatment="t", covariates=["x"], distance="mahalanobis", on_unmatched="raise")
    with pytest.raises(MatchingError, match="widen or drop the caliper"):
        match(df, treatment="t", covariates=["x"], distance="mahalanobis", caliper=1e-6)


def test_bad_input_errors_name_the_problem():
    df = pd.DataFrame({"t": [1, 0, 0, 1], "x": [1.0, np.nan, 2.0, 3.0]})
    with pytest.raises(MatchingError, match="'x' has 1 missing"):
        match(df, treatment="t", covariates=["x"])
    with pytest.raises(MatchingError, match="not in the data"):
        match(df, treatment="t", covariates=["nope"])
    with pytest.raises(MatchingError, match=r"distance='probit' is not allowed; use one of 'logit'"):
        match(df, treatment="t", covariates=["x"], distance="probit")
    with pytest.raises(MatchingError, match="must be 0/1"):
        match(df.assign(t=["a", "b", "a", "b"]), treatment="t", covariates=["x"])


def test_no_mutation_frozen_and_small_pickle():
    rng = np.random.default_rng(5)
    n = 3000
    df = pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n)})
    df["t"] = (rng.random(n) < 0.2).astype(int)
    before = df.copy()
    res = match(df, treatment="t", covariates=["x", "z"], ratio=2)
    pd.testing.assert_frame_equal(df, before)
    assert isinstance(res, MatchResult)
    with pytest.raises(AttributeError):
        res.ratio = 3  # type: ignore[misc]
    # ids and aggregates only: 20 more covariates add balance rows, not person rows
    wide = df.assign(**{f"n{j}": rng.normal(size=n) for j in range(20)})
    res_wide = match(
        wide, treatment="t", covariates=["x", "z", *[f"n{j}" for j in range(20)]], ratio=2
    )
    added = len(pickle.dumps(res_wide)) - len(pickle.dumps(res))
    assert added < 0.1 * (len(pickle.dumps(wide)) - len(pickle.dumps(df)))
    assert "x" not in res.pairs.columns and "x" not in res.unit_weights.columns
    tidy = res.tidy()
    assert list(tidy.columns[:9]) == list(TIDY_COLUMNS)
    assert "Balance" in res.summary()


def test_ratio_two_weights_and_counts():
    rng = np.random.default_rng(6)
    n = 400
    df = pd.DataFrame({"x": rng.normal(size=n)})
    df["t"] = (rng.random(n) < 0.2).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = match(df, treatment="t", covariates=["x"], ratio=2)
    w = res.weights()
    assert (w.loc[w.treated == 1, "weight"] == 1).all()
    ctrl = w[w.treated == 0]
    assert ctrl["weight"].sum() == pytest.approx(len(ctrl), rel=1e-12)
    assert (res.pairs.groupby("treated_id").size() == 2).all()


def test_love_plot_draws_one_point_per_covariate_and_sample():
    from matplotlib.figure import Figure

    from socdata.errors import SocdataError
    from socdata.plots.love import love_plot

    rng = np.random.default_rng(9)
    n = 300
    df = pd.DataFrame(
        {"x": rng.normal(size=n), "z": rng.normal(size=n), "b": rng.integers(0, 2, n)}
    )
    df["t"] = (rng.random(n) < 1 / (1 + np.exp(-df.x))).astype(int)
    res = match(df, treatment="t", covariates=["x", "z", "b"])
    fig = love_plot(res)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    offsets = [c.get_offsets() for c in ax.collections]
    assert [len(o) for o in offsets] == [4, 4]  # propensity_score, x, z, b
    bal = res.balance().set_index("covariate")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    np.testing.assert_allclose(
        offsets[1][:, 0], bal.loc[labels, "smd_after"].abs().to_numpy(), rtol=1e-12
    )
    assert len(fig.axes) == 2  # variance-ratio panel
    with pytest.raises(SocdataError, match="order must be"):
        love_plot(res, order="sideways")


def test_stable_argsort_equals_numpy_stable_sort():
    from socdata.matching._greedy import stable_argsort

    rng = np.random.default_rng(10)
    for _ in range(100):
        x = rng.integers(0, rng.integers(1, 40), rng.integers(0, 400)).astype(float)
        np.testing.assert_array_equal(stable_argsort(x), np.argsort(x, kind="stable"))


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(
    "ratio,replace,caliper", [(1, False, None), (2, False, 1.0), (2, True, None)]
)
def test_mahalanobis_matching_equals_brute_force(seed, ratio, replace, caliper):
    rng = np.random.default_rng(200 + seed)
    n = 150
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.gamma(2.0, size=n)})
    df["t"] = (rng.random(n) < 0.3).astype(int)
    X = df[["a", "b"]].to_numpy()
    t = df["t"].to_numpy() == 1
    # pooled within-group covariance, written out here
    S = sum((X[g] - X[g].mean(0)).T @ (X[g] - X[g].mean(0)) for g in (t, ~t)) / (n - 2)
    Si = np.linalg.inv(S)
    tr, co = np.flatnonzero(t), np.flatnonzero(~t)
    used, expected = set(), {}
    for r in range(ratio):
        for i in tr:  # data order
            if r > 0 and len(expected.get(i, [])) < r:
                continue
            best = None
            for j in co:
                if (not replace and j in used) or j in expected.get(i, []):
                    continue
                dx = X[i] - X[j]
                d = float(np.sqrt(dx @ Si @ dx))
                if caliper is not None and d > caliper:
                    continue
                if best is None or d < best[0] - 1e-12:
                    best = (d, j)
            if best is not None:
                expected.setdefault(i, []).append(best[1])
                used.add(best[1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        res = match(
            df,
            treatment="t",
            covariates=["a", "b"],
            distance="mahalanobis",
            ratio=ratio,
            replace=replace,
            caliper=caliper,
        )
    got = res.pairs.groupby("treated_id")["control_id"].apply(list).to_dict()
    assert got == {int(k): [int(x) for x in v] for k, v in expected.items()}
