"""Engagement duration: full months, spells, Kaplan-Meier vs lifelines/statsmodels/hand."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socdata.derive.spells import engagement_spells, full_months
from socdata.describe.duration import (
    duration_distribution,
    early_closed_range,
    kaplan_meier,
    km_median_duration,
)
from socdata.errors import ExcludedRowsWarning, SocdataError


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        ("2021-01-15", "2021-02-14", 0),
        ("2021-01-15", "2021-02-15", 1),
        ("2021-01-31", "2021-02-27", 0),
        ("2021-01-31", "2021-02-28", 1),  # clamped month end
        ("2020-01-31", "2020-02-28", 0),  # leap year: 31 Jan + 1 month = 29 Feb
        ("2020-01-31", "2020-02-29", 1),
        ("2021-01-31", "2021-03-30", 1),
        ("2021-01-31", "2021-03-31", 2),
        ("2020-02-29", "2021-02-28", 12),
        ("2021-05-05", "2021-05-05", 0),
        ("2020-06-01", "2022-10-31", 28),
        ("2020-12-31", "2021-01-01", 0),
    ],
)
def test_full_months_edges(start, end, months):
    assert full_months(start, end) == months


def test_full_months_rejects_end_before_start():
    with pytest.raises(SocdataError, match="before start"):
        full_months("2021-03-01", "2021-02-01")


@settings(max_examples=80, deadline=None)
@given(
    st.dates(
        min_value=pd.Timestamp("2015-01-01").date(), max_value=pd.Timestamp("2025-01-01").date()
    ),
    st.integers(min_value=0, max_value=1500),
)
def test_full_months_brute_force(start, days):
    s = pd.Timestamp(start)
    e = s + pd.Timedelta(days=days)
    # brute force: count how many DateOffset(months=m) steps stay <= end
    m = 0
    while s + pd.DateOffset(months=m + 1) <= e:
        m += 1
    assert full_months(s, e) == m


def _service():
    """Small hand-made extract: re-referral, open, closed, not started."""
    return pd.DataFrame(
        {
            "person_id": ["P1", "P1", "P2", "P3", "P4", "P5"],
            "referral_id": ["R1", "R2", "R3", "R4", "R5", "R6"],
            "area": ["Newcastle"] * 3 + ["Cardiff"] * 3,
            "case_status": ["Closed", "Open", "Closed", "Open", "Closed", "Not started"],
            "intervention_start_date": pd.to_datetime(
                ["2020-07-10", "2021-03-01", "2020-08-01", "2020-06-15", "2020-06-20", None]
            ),
            "intervention_end_date": pd.to_datetime(
                ["2020-12-09", None, "2021-08-01", None, "2020-09-19", None]
            ),
            "closure_reason": [
                "Intervention completed",
                None,
                "Declined support",
                None,
                "Other",
                None,
            ],
            "extract_date": pd.to_datetime(["2023-01-31"] * 3 + ["2022-10-31"] * 3),
        }
    )


def test_spells_keep_rereferral_and_count_exclusions():
    svc = _service()
    before = svc.copy()
    with pytest.warns(ExcludedRowsWarning, match="1 of 6"):
        sp = engagement_spells(svc)
    pd.testing.assert_frame_equal(svc, before)
    f = sp.frame.set_index("referral_id")
    assert len(f) == 5
    assert f.loc["R1", "months"] == 4  # 10 Jul -> 9 Dec
    assert f.loc["R2", "spell_number"] == 2 and f.loc["R2", "n_spells"] == 2
    assert f.loc["R2", "gap_months_before"] == 2  # 9 Dec 2020 -> 1 Mar 2021
    assert f.loc["R2", "censored"] and f.loc["R2", "months"] == 22  # 1 Mar 2021 -> 31 Jan 2023
    assert f.loc["R4", "months"] == 28  # 15 Jun 2020 -> 31 Oct 2022 (open)
    step = sp.flow.steps[0]
    assert (step.n_in, step.n_out) == (6, 5)
    assert dict(step.excluded) == {"no intervention start date": 1}


def test_distribution_and_early_range():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        d = duration_distribution(_service())
        r = early_closed_range(_service())
    t = d.table.set_index(["group", "status"])
    assert t.loc[("Newcastle", "Closed"), "n"] == 2
    assert t.loc[("Newcastle", "Closed"), "min"] == 4
    assert t.loc[("Newcastle", "Closed"), "max"] == 12
    assert t.loc[("Overall", "All"), "n"] == 5
    # service start Newcastle = 10 Jul 2020: both closed spells start within 6 months;
    # Cardiff start = 15 Jun 2020: R5 (20 Jun) closed after 2 months
    tr = r.table.set_index("group")
    assert tr.loc["Overall", "n"] == 3
    assert (tr.loc["Overall", "min"], tr.loc["Overall", "max"]) == (2, 12)
    assert r.statement() == "ranged from 2 to 12 months (n=3)"
    # an explicit later service start drops the early Newcastle spells
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        r2 = early_closed_range(
            _service(), service_start={"Newcastle": "2020-07-20"}, areas=["Newcastle"]
        )
    assert r2.table.set_index("group").loc["Overall", "n"] == 1
    assert set(r.tidy().columns[:9]) >= {"term", "n"}


def test_kaplan_meier_hand_computation():
    # durations 2,3(c),3,5,5(c),8: at risk 6,5,3,1 at times 2,3,5,8
    t = [2, 3, 3, 5, 5, 8]
    e = [True, False, True, True, False, True]
    km = kaplan_meier(t, e).set_index("time")
    s2 = 5 / 6
    s3 = s2 * (1 - 1 / 5)
    s5 = s3 * (1 - 1 / 3)
    assert km.loc[2, "survival"] == pytest.approx(s2, abs=1e-12)
    assert km.loc[3, "survival"] == pytest.approx(s3, abs=1e-12)
    assert km.loc[5, "survival"] == pytest.approx(s5, abs=1e-12)
    assert km.loc[8, "survival"] == pytest.approx(0.0, abs=1e-12)
    # Greenwood at t=3: S * sqrt(1/(6*5) + 1/(5*4))
    assert km.loc[3, "std_error"] == pytest.approx(s3 * np.sqrt(1 / 30 + 1 / 20), abs=1e-12)
    assert km.loc[3, "at_risk"] == 5 and km.loc[3, "censored"] == 1
    # Greenwood at t=5 (3 at risk, 1 event): adds 1/(3*2)
    assert km.loc[5, "std_error"] == pytest.approx(s5 * np.sqrt(1 / 30 + 1 / 20 + 1 / 6), abs=1e-12)
    assert km.loc[5, "at_risk"] == 3 and km.loc[8, "at_risk"] == 1


def _random_spells(seed, n=80):
    rng = np.random.default_rng(seed)
    months = rng.integers(0, 30, size=n).astype(float)
    event = rng.random(n) < 0.65
    return months, event


@pytest.mark.reference
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kaplan_meier_matches_lifelines(seed):
    # lifelines pins pandas<3: installed in CI's pandas 2.2 environment (.ci/run), not in the main
    lifelines = pytest.importorskip("lifelines", reason="lifelines pins pandas<3: runs in CI's pandas 2 environment")
    KaplanMeierFitter = lifelines.KaplanMeierFitter

    t, e = _random_spells(seed)
    km = kaplan_meier(t, e)
    kmf = KaplanMeierFitter().fit(t, e)
    ref = kmf.survival_function_.iloc[:, 0]
    np.testing.assert_allclose(
        km["survival"].to_numpy(), ref.loc[km["time"]].to_numpy(), rtol=0, atol=1e-12
    )
    df = pd.DataFrame({"area": "A", "months": t, "censored": ~e})
    df["start_date"] = pd.Timestamp("2020-01-01")
    from socdata.derive.spells import EngagementSpells
    from socdata.provenance import FlowLog

    res = km_median_duration(EngagementSpells(df, FlowLog()), by=None)
    assert res.table["median"].iloc[0] == pytest.approx(kmf.median_survival_time_, abs=1e-12)


@pytest.mark.reference
@pytest.mark.parametrize("seed", [3, 4, 5])
def test_km_median_and_ci_match_statsmodels(seed):
    from statsmodels.duration.survfunc import SurvfuncRight

    from socdata.derive.spells import EngagementSpells
    from socdata.provenance import FlowLog

    t, e = _random_spells(seed)
    sf = SurvfuncRight(t, e.astype(int))
    df = pd.DataFrame(
        {"area": "A", "months": t, "censored": ~e, "start_date": pd.Timestamp("2020-01-01")}
    )
    res = km_median_duration(EngagementSpells(df, FlowLog()), by=None)
    row = res.table.iloc[0]
    assert row["median"] == pytest.approx(sf.quantile(0.5), abs=1e-12)
    lo, hi = sf.quantile_ci(0.5, alpha=0.05, method="cloglog")
    assert row["conf_low"] == pytest.approx(lo, abs=1e-12)
    assert row["conf_high"] == pytest.approx(hi, abs=1e-12)
    km = kaplan_meier(t, e)
    ev = km[km["events"] > 0]
    np.testing.assert_allclose(ev["std_error"], sf.surv_prob_se, rtol=1e-10, atol=1e-12)


def test_km_censoring_lengthens_median_vs_naive():
    # simulation with a known truth: exponential durations, independent censoring
    rng = np.random.default_rng(7)
    n = 4000
    true = rng.exponential(10, n)
    cens = rng.uniform(0, 25, n)
    t = np.minimum(true, cens)
    e = true <= cens
    km = kaplan_meier(t, e)
    s = km.loc[km["events"] > 0]
    med = s["time"].iloc[np.flatnonzero(s["survival"] <= 0.5)[0]]
    # on these data the KM median is deterministic: lifelines must give the same number
    try:  # lifelines pins pandas<3: installed in CI's pandas 2.2 environment only
        from lifelines import KaplanMeierFitter
    except ImportError:
        pass
    else:
        assert med == pytest.approx(KaplanMeierFitter().fit(t, e).median_survival_time_, abs=1e-12)
    # and it is near the true median (sampling error only, n = 4000)
    assert med == pytest.approx(10 * np.log(2), rel=0.06)
    assert np.median(t) < 0.85 * med  # naive median is biased down


def test_median_not_reached_is_nan():
    from socdata.derive.spells import EngagementSpells
    from socdata.provenance import FlowLog

    df = pd.DataFrame(
        {
            "area": "A",
            "months": [1.0, 2, 3, 4],
            "censored": [False, True, True, True],
            "start_date": pd.Timestamp("2020-01-01"),
        }
    )
    res = km_median_duration(EngagementSpells(df, FlowLog()), by=None)
    assert np.isnan(res.table["median"].iloc[0])


def test_km_median_interval_coverage_simulation():
    # known truth: exponential durations with mean 10 (median 10 ln 2), uniform censoring
    from socdata.describe.kaplan_meier import _km_median

    rng = np.random.default_rng(11)
    truth = 10 * np.log(2)
    reps, n, hits, meds = 400, 120, 0, []
    for _ in range(reps):
        t_true = rng.exponential(10, n)
        cens = rng.uniform(0, 30, n)
        km = kaplan_meier(np.minimum(t_true, cens), t_true <= cens)
        med, lo, hi = _km_median(km, 0.95)
        meds.append(med)
        hits += lo <= truth <= hi
    assert 0.91 <= hits / reps <= 0.99
    assert np.mean(meds) == pytest.approx(truth, rel=0.05)


def test_results_hold_aggregates_only():
    import pickle

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        from socdata.soceis.synthetic import generate

        svc = generate()["service"]
        for res in (duration_distribution(svc), early_closed_range(svc), km_median_duration(svc)):
            blob = pickle.dumps(res)
            assert b"SYN-YP" not in blob
            assert len(blob) < 60_000
            assert "Rows in" in res.summary()


def test_report_tables_of_duration_results():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        d = duration_distribution(_service()).to_table()
        k = km_median_duration(_service()).to_table()
    assert {"table_id", "row_label", "column_label", "measure", "value", "denominator"} <= set(
        d.columns
    )
    cell = d[(d.row_label == "Closed spells") & (d.column_label == "Newcastle")]
    assert cell.set_index("measure").loc["max", "value"] == 12
    assert (cell["denominator"] == 2).all()
    med = k[(k.row_label == "Kaplan-Meier median (months)") & (k.column_label == "Overall")]
    assert med["measure"].iloc[0] == "median" and med["denominator"].iloc[0] == 5
    assert not d.duplicated(["row_label", "column_label", "measure"]).any()
    assert not k.duplicated(["row_label", "column_label", "measure"]).any()
