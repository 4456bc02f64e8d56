"""Analyses of the linked cohort against brute-force counts and scipy, and against the
Action for Children submission's printed figures where the cohort can hold them."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import socdata
from socdata.describe.case_files import (
    assessment_change,
    cardiff_missing_before_after,
    flintshire_profile,
    missing_episode_duration,
)
from socdata.describe.engagement_outcomes import dose_response, police_outcomes_by_engagement
from socdata.linkage import Secret, link_service_police
from socdata.paths import synthetic_dir


@pytest.fixture(scope="module")
def data():
    d = synthetic_dir()
    kinds = (
        "service",
        "arrest_outcomes",
        "linkage_identifiers",
        "vulnerability",
        "missing_detail",
        "assessments",
    )
    frames = {k: socdata.read_extract(d, k) for k in kinds}
    lk, _ = link_service_police(frames["linkage_identifiers"], Secret(b"k" * 32))
    frames["linkage"] = lk
    return frames


def test_engagement_groups_against_brute_force(data):
    res = police_outcomes_by_engagement(data["service"], data["arrest_outcomes"], data["linkage"])
    svc = (
        data["service"]
        .sort_values(["person_id", "referral_date"])
        .drop_duplicates("person_id")
        .set_index("person_id")
    )  # first referral
    arrests = data["arrest_outcomes"]
    ref: dict[str, list[int]] = {}
    for s_id, p_id, _ in data["linkage"].pairs.itertuples(index=False):
        if s_id not in svc.index:
            continue
        r = svc.loc[s_id]
        if r["case_status"] == "Closed":
            g = "Declined" if r["closure_reason"] == "Declined support" else "Engaged"
        elif r["case_status"] == "Open":
            g = "Open"
        else:
            continue
        idx = r["referral_date"]
        lo = idx - pd.DateOffset(months=12)
        hi = idx + pd.DateOffset(months=12)
        dates = arrests.loc[arrests["person_id"] == p_id, "arrest_date"]
        b = sum(lo <= d < idx for d in dates)
        a = sum(idx <= d < hi for d in dates)
        acc = ref.setdefault(g, [0, 0, 0])
        acc[0] += 1
        acc[1] += b
        acc[2] += a
    t = res.table.set_index("group")
    for g, (n, b, a) in ref.items():
        assert (t.loc[g, "n"], t.loc[g, "arrests_before"], t.loc[g, "arrests_after"]) == (n, b, a)
        se = math.sqrt(1 / b + 1 / a)
        assert t.loc[g, "conf_high"] / t.loc[g, "rate_ratio"] == pytest.approx(
            math.exp(1.959963984540054 * se), rel=1e-12
        )
    assert set(t.index) == {"Engaged", "Declined", "Open", "Comparators"}
    # the generator's declined children do not fall; engaged ones do
    assert t.loc["Engaged", "rate_ratio"] < 1 < t.loc["Declined", "rate_ratio"]
    table = res.to_table()
    assert {"table_id", "row_label", "column_label", "measure", "value"} <= set(table.columns)


def test_dose_response_bands_partition_the_engaged(data):
    eng = police_outcomes_by_engagement(
        data["service"], data["arrest_outcomes"], data["linkage"]
    ).table.set_index("group")
    dose = dose_response(data["service"], data["arrest_outcomes"], data["linkage"])
    flow = dose.provenance.flow.steps[-1]
    assert dose.table["n"].sum() == flow.n_out
    assert flow.n_in == eng.loc["Engaged", "n"]
    assert dose.table["arrests_before"].sum() <= eng.loc["Engaged", "arrests_before"]
    assert list(dose.tidy()["term"]) == list(dose.table["band"])


def test_flintshire_profile_is_the_nearest_count_to_each_printed_figure(data):
    res = flintshire_profile(data["vulnerability"])
    t = res.table.set_index("row_label")
    assert t.loc["Children", "value"] == 15
    for label, row in t.drop(index="Children").iterrows():
        printed = float(row["printed"].rstrip("%"))
        k = int(row["numerator"])
        best = min(abs(round(100 * j / 15 + 1e-9) - printed) for j in range(16))
        assert abs(row["value"] - printed) == best, label
        assert row["value"] == math.floor(100 * k / 15 + 0.5)
    assert (t["value"] == t["printed"].str.rstrip("%").astype(float)).sum() == 6


def test_cardiff_missing_regenerates_the_printed_counts(data):
    t = cardiff_missing_before_after(data["missing_detail"], data["vulnerability"]).table
    got = dict(zip(t["row_label"], t["value"], strict=True))
    assert got == {
        "Children supported": 119,
        "Missing concerns noted": 70,
        "Missing incidents before referral": 140,
        "Missing incidents after referral": 85,
    }
    assert list(t["printed"]) == ["119", "70%", "140", "85"]
    m = data["missing_detail"]
    assert ((m["area"] == "Cardiff") & (m["reported_datetime"] < m["referral_date"])).sum() == 140


def test_missing_duration_quartiles_against_numpy(data):
    m = data["missing_detail"]
    t = missing_episode_duration(m).table
    found = m[m["found_datetime"].notna()]
    hours = (found["found_datetime"] - found["reported_datetime"]).dt.total_seconds() / 3600
    row = t[(t["row_label"] == "Overall") & (t["column_label"] == "Hours missing, median")]
    assert row["value"].iat[0] == pytest.approx(np.percentile(hours, 50), abs=0.05)
    over = t[
        (t["row_label"] == "Overall") & (t["column_label"] == "Found after more than 24 hours")
    ]
    assert over["numerator"].iat[0] == int((hours > 24).sum())


def test_assessment_change_matches_scipy_paired_t(data):
    a = data["assessments"]
    res = assessment_change(a)
    dom = "A crime-free life"
    sub = a[a["domain"] == dom].sort_values("reading_number")
    g = sub.groupby("person_id")
    keep = g["reading_number"].nunique() >= 2
    first = g["score"].first()[keep].astype(float)
    last = g["score"].last()[keep].astype(float)
    ref = stats.ttest_rel(last, first)
    row = res.table.set_index("domain").loc[dom]
    assert row["statistic"] == pytest.approx(ref.statistic, rel=1e-10)
    assert row["p_value"] == pytest.approx(ref.pvalue, rel=1e-8)
    ci = ref.confidence_interval(0.95)
    assert (row["conf_low"], row["conf_high"]) == pytest.approx((ci.low, ci.high), rel=1e-10)
