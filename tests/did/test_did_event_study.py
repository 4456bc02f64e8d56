"""Event study: pyfixest ``i(rel_year, ref=-1)`` on the staggered df_het panel, binned
endpoints against explicit dummies, the pre-trend Wald test, the plot, and errors."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import socdata.did as did
from benchmarks._common import make_panel
from socdata.errors import EstimationError, ExcludedRowsWarning, SmallClusterWarning

EST_RTOL = 1e-6
SE_RTOL = 1e-5

pf = pytest.importorskip("pyfixest")


def _df_het() -> pd.DataFrame:
    import pyfixest

    return pd.read_csv(Path(pyfixest.__file__).parent / "did" / "data" / "df_het.csv")


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@pytest.mark.reference
def test_event_study_matches_pyfixest_i_syntax_df_het() -> None:
    data = _df_het()
    res = did.event_study(
        data,
        outcome="dep_var",
        unit="unit",
        time="year",
        cohort="g",
        window=(-20, 20),
        reference=-1,
    )
    m = _quiet(
        pf.feols, "dep_var ~ i(rel_year, ref=-1.0) | unit + year", data=data, vcov={"CRV1": "unit"}
    )
    coef = m.coef()
    ref_times = [float(n.split("::")[1]) for n in coef.index]
    ref = pd.DataFrame({"event_time": ref_times, "b": coef.to_numpy(), "se": m.se().to_numpy()})
    ref = ref[np.isfinite(ref["event_time"])].astype({"event_time": int})
    t = res.tidy()
    t = t[~t["reference"]].merge(ref, on="event_time", how="outer", validate="1:1")
    assert len(t) == 40 and t["estimate"].notna().all() and t["b"].notna().all()
    np.testing.assert_allclose(t["estimate"], t["b"], rtol=EST_RTOL)
    np.testing.assert_allclose(t["std_error"], t["se"], rtol=SE_RTOL)
    # pre-trend Wald: same quadratic form as pyfixest (which reports chi2 = q F for a
    # subset of coefficients); F(q, G-1) as fixest
    leads = [i for i, n in enumerate(coef.index) if -20 <= float(n.split("::")[1]) < -1]
    r_mat = np.zeros((len(leads), len(coef)))
    r_mat[np.arange(len(leads)), leads] = 1
    w = _quiet(m.wald_test, R=r_mat, distribution="chi2")
    pre = res.pretrend
    assert pre.computed and pre.df == (19, res.n_clusters - 1)
    np.testing.assert_allclose(pre.statistic * 19, w["statistic"], rtol=SE_RTOL)
    np.testing.assert_allclose(
        pre.p_value, stats.f.sf(w["statistic"] / 19, 19, res.n_clusters - 1), rtol=1e-8
    )
    assert "no difference in trends" in pre.null


def test_binned_endpoints_match_explicit_dummies() -> None:
    f = make_panel(300, 24, balanced=False, shuffle=True, drop_share=0.2, seed=5)
    res = did.event_study(
        f, outcome="y", unit="person_id", time="period", cohort="cohort", window=(-4, 4)
    )
    et = np.where(f["cohort"] > 0, f["period"] - f["cohort"], np.nan)
    e = np.clip(et, -4, 4)
    g = f.copy()
    names = []
    for k in range(-4, 5):
        if k != -1:
            g[f"e{k + 10}"] = (e == k).astype(float)
            names.append(f"e{k + 10}")
    m = pf.feols(
        "y ~ " + "+".join(names) + " | person_id + period", data=g, vcov={"CRV1": "person_id"}
    )
    t = res.tidy()
    t = t[~t["reference"]]
    np.testing.assert_allclose(t["estimate"], m.coef().to_numpy(), rtol=EST_RTOL)
    np.testing.assert_allclose(t["std_error"], m.se().to_numpy(), rtol=SE_RTOL)
    assert t["binned"].tolist() == [True] + [False] * 6 + [True]


def test_unbinned_drops_outside_window_and_counts() -> None:
    f = make_panel(200, 24, seed=6)
    et = np.where(f["cohort"] > 0, f["period"] - f["cohort"], np.nan)
    n_out = int(np.sum((et < -3) | (et > 3)))
    with pytest.warns(ExcludedRowsWarning, match=f"excluded {n_out} treated"):
        res = did.event_study(
            f,
            outcome="y",
            unit="person_id",
            time="period",
            cohort="cohort",
            window=(-3, 3),
            bin_endpoints=False,
        )
    assert res.n_obs == len(f) - n_out
    assert res.provenance.n_in == len(f)
    assert res.provenance.flow.steps[0].n_in - res.provenance.flow.steps[0].n_out == n_out


def test_datetime_cohort_and_time_in_months() -> None:
    f = make_panel(200, 24, seed=8)
    months = pd.date_range("2019-01-01", periods=24, freq="MS")
    f["cohort_month"] = pd.Series(
        np.where(
            f["cohort"] > 0, months.values[(f["cohort"] - 1).clip(0, 23)], np.datetime64("NaT", "ns")
        )
    )
    a = did.event_study(
        f, outcome="y", unit="person_id", time="month", cohort="cohort_month", window=(-5, 5)
    )
    b = did.event_study(
        f, outcome="y", unit="person_id", time="period", cohort="cohort", window=(-5, 5)
    )
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-10)


def test_no_never_treated_drops_collinear_event_time() -> None:
    f = make_panel(200, 24, share_treated=1.0, seed=9)
    # every event time has its own indicator (no binning, window covers all): a linear
    # function of event time is spanned by the unit and period effects, so one more
    # indicator is not identified (binned endpoints would break that linearity)
    res = did.event_study(
        f,
        outcome="y",
        unit="person_id",
        time="period",
        cohort="cohort",
        window=(-20, 20),
        bin_endpoints=False,
    )
    assert len(res.dropped_event_times) == 1
    assert "dropped as collinear" in res.summary()


def test_summary_warns_about_staggered_contamination_and_plot() -> None:
    import matplotlib.figure

    from socdata.plots.event_study import event_study_plot

    f = make_panel(200, 24, seed=3)
    res = did.event_study(
        f, outcome="y", unit="person_id", time="period", cohort="cohort", window=(-6, 6)
    )
    s = res.summary()
    assert "Sun and Abraham" in s and "att_gt" in s and "pre-trend" in s
    fig = event_study_plot(res)
    assert isinstance(fig, matplotlib.figure.Figure)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("reference period (-1)" in lab for lab in labels)
    assert any(abs(line.get_ydata()[0]) == 0 for line in ax.get_lines() if len(line.get_ydata()))


def test_few_clusters_event_study_bootstraps_each_coefficient() -> None:
    f = make_panel(80, 12, seed=2)
    with pytest.warns(SmallClusterWarning):
        res = did.event_study(
            f,
            outcome="y",
            unit="person_id",
            time="period",
            cohort="cohort",
            window=(-2, 2),
            cluster="area",
        )
    t = res.tidy()
    est = t[~t["reference"]]
    assert est["ci_type"].str.contains("wild cluster bootstrap").all()
    assert res.pretrend is not None and res.pretrend.df == (1, 3)


def test_event_study_errors() -> None:
    f = make_panel(50, 12, seed=1)
    with pytest.raises(EstimationError, match="reference"):
        did.event_study(
            f,
            outcome="y",
            unit="person_id",
            time="period",
            cohort="cohort",
            window=(-3, 3),
            reference=-3,
        )
    with pytest.raises(EstimationError, match="window"):
        did.event_study(
            f, outcome="y", unit="person_id", time="period", cohort="cohort", window=(2, 5)
        )
    bad = f.copy()
    bad.loc[0, "cohort"] = bad.loc[0, "cohort"] + 1
    with pytest.raises(EstimationError, match="constant within a unit"):
        did.event_study(bad, outcome="y", unit="person_id", time="period", cohort="cohort")
    with pytest.raises(EstimationError, match="both be"):
        did.event_study(f, outcome="y", unit="person_id", time="month", cohort="cohort")
    with pytest.raises(EstimationError, match="period numbers"):
        did.event_study(
            f.assign(p=f["period"].astype(str), c=f["cohort"].astype(str)),
            outcome="y",
            unit="person_id",
            time="p",
            cohort="c",
        )
    with pytest.raises(EstimationError, match="no unit has a cohort"):
        did.event_study(
            f.assign(cohort=0), outcome="y", unit="person_id", time="period", cohort="cohort"
        )


def test_event_study_no_mutation() -> None:
    f = make_panel(60, 12, seed=1)
    before = f.copy(deep=True)
    did.event_study(
        f, outcome="y", unit="person_id", time="period", cohort="cohort", window=(-3, 3)
    )
    pd.testing.assert_frame_equal(f, before)
