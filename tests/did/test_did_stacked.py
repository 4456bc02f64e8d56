"""Stacked DiD for matched sets, against pyfixest, a dummy-variable brute force and
statsmodels."""

import numpy as np
import pandas as pd
import pytest

from socdata.did import stacked_did
from socdata.errors import EstimationError
from tests.did.stacked_data import stacked_frame

pf = pytest.importorskip("pyfixest")

KW = dict(
    outcome="y",
    unit="person",
    time="month",
    index_time="index",
    matched_set="set",
    treated="treated",
    window=(-6, 6),
)


def _with_post(df: pd.DataFrame) -> pd.DataFrame:
    out = df.assign(event_time=df["month"] - df["index"])
    out = out[out["event_time"] != 0].copy()
    out["tp"] = out["treated"] * (out["event_time"] >= 0)
    return out


def _auto_weights(df: pd.DataFrame) -> np.ndarray:
    n_c = df[df["treated"] == 0].groupby("set")["person"].nunique()
    return np.where(df["treated"] == 1, 1.0, 1.0 / df["set"].map(n_c).to_numpy())


def test_linear_equals_pyfixest_feols():
    df = stacked_frame(80, seed=1)
    r = stacked_did(df, **KW)
    s = _with_post(df)
    f = pf.feols(
        "y ~ tp | person^set + set^event_time", data=s, vcov={"CRV1": "set"}, fixef_rm="none"
    )
    assert r.coef == pytest.approx(float(f.coef().iloc[0]), abs=1e-8)
    assert r.se == pytest.approx(float(f.se().iloc[0]), rel=1e-6)
    assert r.n_obs == f._N


def test_linear_weighted_1_to_k_equals_pyfixest():
    df = stacked_frame(70, seed=2, max_controls=3)
    r = stacked_did(df, **KW)
    s = _with_post(df)
    s["w"] = _auto_weights(s)
    f = pf.feols(
        "y ~ tp | person^set + set^event_time",
        data=s,
        vcov={"CRV1": "set"},
        fixef_rm="none",
        weights="w",
    )
    assert r.coef == pytest.approx(float(f.coef().iloc[0]), abs=1e-8)
    assert r.se == pytest.approx(float(f.se().iloc[0]), rel=1e-6)


def test_linear_equals_dummy_variable_brute_force():
    """OLS with an explicit dummy for every unit-by-set and set-by-event-time level, and
    the CRV1 sandwich written out, on 1:k sets with a comparator reused across sets."""
    df = stacked_frame(15, seed=3, max_controls=2, reuse=True)
    r = stacked_did(df, **KW)
    s = _with_post(df).reset_index(drop=True)
    w = _auto_weights(s)
    ua = pd.get_dummies(s["person"] + "|" + s["set"], dtype=float)
    se_ = pd.get_dummies(s["set"] + "|" + s["event_time"].astype(str), dtype=float)
    x = np.column_stack([s["tp"].to_numpy(float), ua.to_numpy(), se_.to_numpy()[:, 1:]])
    sw = np.sqrt(w)
    beta, *_ = np.linalg.lstsq(x * sw[:, None], s["y"].to_numpy() * sw, rcond=None)
    assert r.coef == pytest.approx(beta[0], abs=1e-10)
    # CRV1 for the slope: Frisch-Waugh residualised regressor
    z = x[:, 1:]
    g_, *_ = np.linalg.lstsq(z * sw[:, None], x[:, 0] * sw, rcond=None)
    xt = x[:, 0] - z @ g_
    e = s["y"].to_numpy() - x @ beta
    sums = pd.Series(w * xt * e).groupby(s["set"].to_numpy()).sum().to_numpy()
    g, n = len(sums), len(s)
    v = (g / (g - 1)) * ((n - 1) / (n - 2)) * (sums**2).sum() / (w * xt**2).sum() ** 2
    assert r.se == pytest.approx(np.sqrt(v), rel=1e-8)


def test_event_time_coefficients_equal_pyfixest():
    df = stacked_frame(80, seed=4)
    r = stacked_did(df, **KW)
    s = df.assign(event_time=df["month"] - df["index"])
    ks = [k for k in range(-6, 7) if k != -1]
    for k in ks:
        s[f"d{k + 10}"] = s["treated"] * (s["event_time"] == k)
    rhs = " + ".join(f"d{k + 10}" for k in ks)
    f = pf.feols(
        f"y ~ {rhs} | person^set + set^event_time", data=s, vcov={"CRV1": "set"}, fixef_rm="none"
    )
    assert list(r.event_times) == ks
    np.testing.assert_allclose(r.event_coef, f.coef().to_numpy(), atol=1e-8)
    np.testing.assert_allclose(np.sqrt(np.diag(r.event_vcov)), f.se().to_numpy(), rtol=1e-6)
    tid = r.tidy()
    assert tid.loc[tid["kind"] == "reference", "estimate"].item() == 0.0


def test_poisson_equals_pyfixest_fepois():
    df = stacked_frame(80, seed=5, max_controls=2)
    r = stacked_did(df, **KW, family="poisson", method="pml", weights=None)
    s = _with_post(df)
    f = pf.fepois(
        "y ~ tp | person^set + set^event_time", data=s, vcov={"CRV1": "set"}, fixef_rm="none"
    )
    assert r.coef == pytest.approx(float(f.coef().iloc[0]), abs=1e-7)
    assert r.se == pytest.approx(float(f.se().iloc[0]), rel=1e-5)
    assert r.n_obs == f._N
    tid = r.tidy()
    assert tid["rate_ratio"].iloc[0] == pytest.approx(np.exp(r.coef))


def test_poisson_equals_newton_on_dummy_variables():
    df = stacked_frame(15, seed=11, max_controls=2, base=1.0, drop_share=0.0)
    r = stacked_did(df, **KW, family="poisson", method="pml", weights=None)
    s = _with_post(df).reset_index(drop=True)
    ua = s["person"] + "|" + s["set"]
    se_ = s["set"] + "|" + s["event_time"].astype(str)
    keep = np.ones(len(s), dtype=bool)
    for _ in range(10):  # drop fixed-effect groups whose outcome is zero throughout
        for key in (ua, se_):
            keep &= (s["y"].where(keep, 0).groupby(key).transform("sum") > 0).to_numpy()
    x = np.column_stack(
        [s["tp"], pd.get_dummies(ua, dtype=float), pd.get_dummies(se_, dtype=float).iloc[:, 1:]]
    )[keep]
    x = x[:, np.abs(x).sum(axis=0) > 0]
    y = s["y"].to_numpy()[keep]
    beta = np.linalg.lstsq(x, np.log(y + 0.5), rcond=None)[0]
    for _ in range(100):
        mu = np.exp(x @ beta)
        step = np.linalg.lstsq(x * np.sqrt(mu)[:, None], (y - mu) / np.sqrt(mu), rcond=None)[0]
        beta += step
        if np.max(np.abs(step)) < 1e-13:
            break
    assert r.n_obs == int(keep.sum())
    assert r.coef == pytest.approx(beta[0], abs=1e-9)


def test_poisson_weighted_equals_pyfixest():
    df = stacked_frame(60, seed=6, max_controls=3)
    r = stacked_did(df, **KW, family="poisson", method="pml")
    s = _with_post(df)
    s["w"] = _auto_weights(s)
    f = pf.fepois(
        "y ~ tp | person^set + set^event_time",
        data=s,
        vcov={"CRV1": "set"},
        fixef_rm="none",
        weights="w",
    )
    assert r.coef == pytest.approx(float(f.coef().iloc[0]), abs=1e-7)
    assert r.se == pytest.approx(float(f.se().iloc[0]), rel=1e-5)


def test_one_to_one_auto_weights_are_unweighted():
    df = stacked_frame(40, seed=7)
    a = stacked_did(df, **KW)
    b = stacked_did(df, **KW, weights=None)
    assert a.coef == pytest.approx(b.coef, abs=1e-12)


def test_dates_give_the_same_event_clock_as_whole_numbers():
    df = stacked_frame(30, seed=8)
    base = pd.Timestamp("2015-01-01")
    dd = df.assign(
        month=[base + pd.DateOffset(months=int(m)) for m in df["month"]],
        index=[base + pd.DateOffset(months=int(m)) for m in df["index"]],
    )
    assert stacked_did(dd, **KW).coef == pytest.approx(stacked_did(df, **KW).coef, abs=1e-12)


def test_result_is_frozen_with_summary_and_provenance():
    r = stacked_did(stacked_frame(40, seed=9), **KW)
    with pytest.raises(AttributeError):
        r.coef = 0.0  # type: ignore[misc]
    text = r.summary()
    assert "Hotelling" in text and "Caveat" in text
    assert r.provenance.function == "socdata.did.stacked_did"
    assert r.tidy().columns[:9].tolist() == [
        "term",
        "estimate",
        "std_error",
        "statistic",
        "p_value",
        "conf_low",
        "conf_high",
        "ci_type",
        "n",
    ]


def test_bad_input_is_named():
    df = stacked_frame(10, seed=10)
    with pytest.raises(EstimationError, match="index_time='index' is not a column"):
        stacked_did(df.drop(columns="index"), **KW)
    with pytest.raises(EstimationError, match="outcome column 'y' must be numeric"):
        stacked_did(df.assign(y="a"), **KW)
    with pytest.raises(EstimationError, match="no treated unit"):
        stacked_did(df[df["treated"] == 0], **KW)
    with pytest.raises(EstimationError, match="family"):
        stacked_did(df, **KW, family="logit")
    bad = df.assign(y=df["y"].where(df.index != 3))
    with pytest.raises(EstimationError, match="row 3"):
        stacked_did(bad, **KW)


def _mh_tables(df: pd.DataFrame, later, base) -> pd.DataFrame:
    """Per set: engager and comparator counts in the later and baseline periods."""
    s = df.assign(e=df["month"] - df["index"])
    s = s.assign(per=np.where(later(s["e"]), "later", np.where(base(s["e"]), "base", "")))
    s = s[s["per"] != ""]
    return s.pivot_table(
        index="set", columns=["treated", "per"], values="y", aggfunc="sum", fill_value=0.0
    )


def test_mantel_haenszel_equals_statsmodels_and_a_brute_force_sandwich():
    from statsmodels.stats.contingency_tables import StratifiedTable

    df = stacked_frame(60, seed=12, max_controls=1)
    r = stacked_did(df, **KW, family="poisson", by_event_time=False)
    assert r.method == "mantel-haenszel"
    t = _mh_tables(df, lambda e: e > 0, lambda e: e < 0)
    e1, e0, c1, c0 = t[(1, "later")], t[(1, "base")], t[(0, "later")], t[(0, "base")]
    tables = [np.array([[a, b], [c, d]]) for a, b, c, d in zip(e1, c1, e0, c0, strict=True)]
    ref = StratifiedTable(tables).oddsratio_pooled  # Mantel-Haenszel common odds ratio
    assert r.coef == pytest.approx(np.log(ref), abs=1e-12)
    n = e1 + e0 + c1 + c0
    rr, ss = e1 * c0 / n, e0 * c1 / n
    psi = rr.sum() / ss.sum()
    g = len(n)
    se = np.sqrt(g / (g - 1) * ((rr - psi * ss) ** 2).sum()) / rr.sum()
    assert r.se == pytest.approx(se, rel=1e-10)
    assert r.df_t == g - 1


def test_mantel_haenszel_event_time_is_each_month_against_the_reference():
    df = stacked_frame(50, seed=13)
    r = stacked_did(df, **KW, family="poisson")
    for k in (-4, 2, 5):
        t = _mh_tables(df, lambda e, k=k: e == k, lambda e: e == -1)
        e1, e0, c1, c0 = t[(1, "later")], t[(1, "base")], t[(0, "later")], t[(0, "base")]
        n = (e1 + e0 + c1 + c0).where(lambda v: v > 0, 1)
        want = np.log((e1 * c0 / n).sum() / (e0 * c1 / n).sum())
        assert r.event_coef[list(r.event_times).index(k)] == pytest.approx(want, abs=1e-12)
    assert r.pretrend_test() is not None


def test_mantel_haenszel_has_no_incidental_parameter_bias():
    """Many small sets, a sparse outcome: Poisson ML with set effects overstates the effect
    (incidental parameters); the Mantel-Haenszel ratio does not, and its intervals cover."""
    truth = np.log(0.7)
    mh, pml, cover = [], [], []
    for s in range(20):
        df = stacked_frame(300, seed=100 + s, base=-2.0, drop_share=0.0)
        a = stacked_did(df, **KW, family="poisson", by_event_time=False)
        b = stacked_did(df, **KW, family="poisson", method="pml", by_event_time=False)
        mh.append(a.coef)
        pml.append(b.coef)
        row = a.tidy().iloc[0]
        cover.append(row["conf_low"] <= truth <= row["conf_high"])
    mc = np.std(mh, ddof=1) / np.sqrt(len(mh))
    assert abs(np.mean(mh) - truth) < 3 * mc
    assert (np.mean(pml) - truth) / truth > 0.15  # overstated by more than 15%
    assert np.mean(cover) >= 0.85


def test_mantel_haenszel_needs_clusters_of_whole_sets():
    df = stacked_frame(30, seed=14, reuse=True)
    with pytest.raises(EstimationError, match="whole matched sets"):
        stacked_did(df, **KW, family="poisson", cluster="person")
    with pytest.raises(EstimationError, match="method"):
        stacked_did(df, **KW, family="linear", method="pml")
