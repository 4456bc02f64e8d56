"""Before/after summaries, against hand computation and statsmodels (the statements built
on them are tested in tests/soceis/test_police_statements.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from socdata.derive.police import DAYS_PER_MONTH, referral_windows
from socdata.describe.police import before_after
from socdata.errors import ExcludedRowsWarning
from socdata.results import TABLE_COLUMNS, TIDY_COLUMNS

NAT = pd.NaT


def _toy():
    persons = pd.DataFrame(
        {
            "person_id": ["E1", "E2", "E3", "C1"],
            "group": ["Engager", "Engager", "Engager", "Comparator"],
            "police_force": ["South Wales Police"] * 4,
            "area": ["Cardiff", "Cardiff", "Cardiff", "Cardiff"],
            "gender": ["Male", "Female", "Male", "Male"],
            "referral_date": pd.to_datetime(["2021-03-15", "2021-06-01", "2021-11-20", NAT]),
            "extract_date": pd.Timestamp("2021-12-31"),
        }
    )
    rows = [
        ("E1", "2021-01-15", "Arrest", "Theft", NAT),  # first day of the before window
        ("E1", "2021-03-14", "Arrest", "Theft", NAT),
        ("E1", "2021-03-15", "Arrest", "Drug offences", NAT),  # referral day: after
        ("E1", "2021-05-15", "Arrest", "Theft", NAT),  # first day after the window: out
        ("E1", "2021-04-01", "Custody", "Not applicable", "2021-04-11"),  # 10 days
        ("E2", "2021-06-02", "Arrest", "Drug offences", NAT),
        ("E2", "2021-06-03", "Arrest", "Theft", NAT),
        ("E2", "2021-07-31", "Arrest", "Theft", NAT),
        ("E2", "2021-07-31", "Offence", "Theft", NAT),
        ("E3", "2021-10-01", "Arrest", "Theft", NAT),
        ("C1", "2021-01-01", "Arrest", "Theft", NAT),
    ]
    events = pd.DataFrame(
        rows,
        columns=["person_id", "event_date", "event_type", "offence_category", "custody_end_date"],
    ).assign(
        event_date=lambda d: pd.to_datetime(d.event_date),
        custody_end_date=lambda d: pd.to_datetime(d.custody_end_date),
    )
    missing = pd.DataFrame(
        {
            "person_id": ["E2", "E2", "E1"],
            "reported_datetime": pd.to_datetime(
                ["2021-04-10 03:00", "2021-05-31 23:59", "2020-01-01 00:00"]
            ),
        }
    )
    return persons, events, missing


def test_windows_match_hand_computation():
    p, e, m = _toy()
    w = referral_windows(p, e, m, window_months=2).set_index(["person_id", "window"])
    # E1: before 15 Jan - 14 Mar = 17 + 28 + 14 = 59 days; after 15 Mar - 14 May = 61 - 10
    assert w.loc[("E1", "before"), "observed_days"] == 59
    assert w.loc[("E1", "after"), "observed_days"] == 51
    assert w.loc[("E1", "after"), "custody_days"] == 10
    assert w.loc[("E1", "before"), "arrests"] == 2
    assert w.loc[("E1", "after"), "arrests"] == 1
    assert w.loc[("E1", "after"), "drug_arrests"] == 1
    assert w.loc[("E2", "before"), "observed_days"] == 61
    assert w.loc[("E2", "after"), "arrests"] == 3
    assert w.loc[("E2", "before"), "missing_episodes"] == 2
    # E3: after window 20 Nov - 19 Jan is cut at the extract date (42 days observed)
    assert w.loc[("E3", "after"), "observed_days"] == 42
    assert not w.loc[("E3", "after"), "full"]
    assert "C1" not in w.index.get_level_values(0)


def test_before_after_rates_match_hand_computation():
    p, e, m = _toy()
    with pytest.warns(ExcludedRowsWarning, match="1 of 3 engagers not analysed"):
        res = before_after(p, e, m, window_months=2)
    t = res.table.set_index(["area", "measure"])
    row = t.loc[("Cardiff", "arrests")]
    before_pm = (59 + 61) / DAYS_PER_MONTH
    after_pm = (51 + 61) / DAYS_PER_MONTH
    assert (row.before, row.after) == (2, 4)
    np.testing.assert_allclose(row.before_person_months, before_pm, rtol=1e-12)
    np.testing.assert_allclose(row.after_rate, 4 / after_pm, rtol=1e-12)
    np.testing.assert_allclose(row.rate_ratio, (4 / after_pm) / (2 / before_pm), rtol=1e-12)
    assert t.loc[("Cardiff", "people arrested"), "before"] == 1
    assert t.loc[("Cardiff", "people arrested"), "after"] == 2
    assert t.loc[("Cardiff", "missing_episodes"), "before"] == 2
    flow = res.provenance.flow.steps[-1]
    assert (flow.n_in, flow.n_out) == (3, 2)
    assert dict(flow.excluded) == {"after window ends after the extract date": 1}
    # partial windows allowed: E3 comes in with its 42 observed days after
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        part = before_after(p, e, m, window_months=2, full_windows=False)
    r2 = part.table.set_index(["area", "measure"]).loc[("Cardiff", "arrests")]
    assert (r2.before, r2.after, r2.n_people) == (3, 4, 3)
    np.testing.assert_allclose(r2.after_person_months, (51 + 61 + 42) / DAYS_PER_MONTH, rtol=1e-12)


def test_rate_ratio_se_equals_clustered_poisson_glm():
    import statsmodels.api as sm  # a test dependency: missing it must fail, not skip

    from socdata.datasets.police import generate

    d = generate(11, scale=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        res = before_after(d["police_persons"], d["police_events"], d["police_missing"])
    w = referral_windows(d["police_persons"], d["police_events"], d["police_missing"])
    keep = w.groupby("person_id")["full"].transform("all") & (w.area == "Cardiff")
    w = w[keep]
    x = sm.add_constant((w["window"] == "after").astype(float).to_numpy())
    fit = sm.GLM(
        w["arrests"].to_numpy(),
        x,
        family=sm.families.Poisson(),
        offset=np.log(w["observed_days"].to_numpy() / DAYS_PER_MONTH),
    ).fit(
        cov_type="cluster",
        cov_kwds={"groups": pd.factorize(w["person_id"])[0], "use_correction": False},
    )
    n = w["person_id"].nunique()
    row = res.table.set_index(["area", "measure"]).loc[("Cardiff", "arrests")]
    np.testing.assert_allclose(np.log(row.rate_ratio), fit.params[1], rtol=1e-8)
    np.testing.assert_allclose(row.log_rr_se, fit.bse[1] * np.sqrt(n / (n - 1)), rtol=1e-6)
    tidy = res.tidy()
    assert list(tidy.columns[:9]) == list(TIDY_COLUMNS)


def test_result_holds_no_person_rows():
    import pickle

    from socdata.datasets.police import generate

    d = generate(5, scale=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        res = before_after(
            d["police_persons"], d["police_events"], d["police_missing"], referred=d["referred"]
        )
    blob = pickle.dumps(res)
    assert b"SYN-P-" not in blob
    assert "person_id" not in res.table.columns
    assert "SocdataError" not in res.summary()


def test_inputs_not_modified_and_duplicates_refused():
    from socdata.errors import SocdataError

    p, e, m = _toy()
    copies = [x.copy() for x in (p, e, m)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        before_after(p, e, m, window_months=2)
    for a, b in zip(copies, (p, e, m), strict=True):
        pd.testing.assert_frame_equal(a, b)
    with pytest.raises(SocdataError, match="duplicated person_id"):
        before_after(pd.concat([p, p.iloc[[0]]]), e, m)


def test_report_tables_of_the_result():
    p, e, m = _toy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        res = before_after(p, e, m, window_months=2)
    t = res.to_table()
    assert list(t.columns[:9]) == list(TABLE_COLUMNS) and t.columns[-1] == "n_people"
    assert set(t["table_id"]) == {"police_before_after"}
    cell = t.set_index(["row_label", "column_label", "measure"])
    rate = cell.loc[("Cardiff", "arrests: after", "rate_per_person_month")]
    assert (rate.numerator, rate.n_people) == (4, 2)
    np.testing.assert_allclose(rate.denominator, (51 + 61) / DAYS_PER_MONTH, rtol=1e-12)
    np.testing.assert_allclose(rate.value, 4 / rate.denominator, rtol=1e-12)
    assert cell.loc[("Cardiff", "people arrested: before", "n"), "value"] == 1
    assert ("Cardiff", "people arrested: after/before", "rate_ratio") not in cell.index
    f = res.flow_table().set_index(["row_label", "column_label"])
    assert f.loc[("analysed", "Cardiff"), "value"] == 2
    assert f.loc[("analysed: excluded (after window ends after the extract date)", "Cardiff"),
                 "value"] == 1  # fmt: skip
