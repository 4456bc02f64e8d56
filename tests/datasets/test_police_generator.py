"""Properties of the synthetic police generator: contract, calibration, and its known truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from socdata.datasets.police import generate
from socdata.derive.panel import person_month_panel
from socdata.errors import SocdataError


@pytest.fixture(scope="module")
def data():
    return generate()


def test_contract_columns_and_ids(data):
    persons, events, missing = (
        data[k] for k in ("police_persons", "police_events", "police_missing")
    )
    for col in (
        "person_id",
        "group",
        "police_force",
        "area",
        "gender",
        "referral_date",
        "extract_date",
    ):
        assert col in persons
    assert persons["person_id"].is_unique
    assert persons["person_id"].str.startswith("SYN-P").all()
    assert set(persons["group"]) == {"Engager", "Comparator"}
    assert persons.loc[persons.group == "Comparator", "referral_date"].isna().all()
    assert persons.loc[persons.group == "Engager", "referral_date"].notna().all()
    assert set(events["event_type"]) == {"Arrest", "Offence", "Custody"}
    assert events["event_id"].is_unique and missing["episode_id"].is_unique
    assert set(events["person_id"]) <= set(persons["person_id"])
    ext = persons.set_index("person_id")["extract_date"]
    assert (events["event_date"] <= ext.reindex(events.person_id).to_numpy()).all()
    assert (events["event_date"] >= pd.Timestamp("2018-01-01")).all()
    c = events[events.event_type == "Custody"].dropna(subset=["custody_end_date"])
    assert (c["custody_end_date"] > c["event_date"]).all()
    f = missing.dropna(subset=["found_datetime"])
    assert (f["found_datetime"] >= f["reported_datetime"]).all()
    forces = persons.groupby("area")["police_force"].first().to_dict()
    assert forces == {
        "Cardiff": "South Wales Police",
        "Newcastle": "Northumbria Police",
        "Edinburgh": "Police Scotland",
        "Dundee": "Police Scotland",
    }


def test_referred_list_and_found_in_police_data(data):
    ref = data["referred"]
    eng = data["police_persons"].query("group == 'Engager'")
    assert len(ref) == 248 and ref["found_in_police_data"].sum() == 190
    assert set(eng["person_id"]) <= set(ref["person_id"])
    assert set(eng["person_id"]) == set(ref.loc[ref.found_in_police_data, "person_id"])
    assert ref.loc[~ref.found_in_police_data, "reason_not_found"].notna().all()
    assert ref["referral_date"].between("2020-07-01", "2023-01-31").all()


def test_validates_against_the_extract_schemas(data, tmp_path):
    # both are part of socdata itself: a broken import must fail here, not skip the test
    from socdata.datasets import to_csv
    from socdata.validate import validate_extract as validate

    for kind in ("police_persons", "police_events", "police_missing"):
        path = to_csv(data[kind], tmp_path / f"{kind}.csv", kind)
        res = validate(path, kind)
        assert res.n_rejected == 0, res.describe()
        assert res.n_input == res.n_valid == len(data[kind]) > 0


def test_seeded_and_scalable():
    a, b = generate(4, scale=0.3), generate(4, scale=0.3)
    for k in ("police_persons", "police_events", "police_missing"):
        pd.testing.assert_frame_equal(a[k], b[k])
    big = generate(4, scale=2)
    assert (big["police_persons"].group == "Engager").sum() == 2 * 190
    with pytest.raises(SocdataError, match="true_effect"):
        generate(1, true_effect=0)
    with pytest.raises(SocdataError, match="unknown area"):
        generate(1, referrals={"Glasgow": 10})


def _window_sums(panel):
    """Per-person arrays of arrests and exposure by calendar month (dense, zero-padded)."""
    ids, pidx = np.unique(panel["person_id"].to_numpy(), return_inverse=True)
    months = panel["month"].to_numpy()
    m0 = months.min()
    midx = (
        (pd.DatetimeIndex(months).year - pd.Timestamp(m0).year) * 12
        + pd.DatetimeIndex(months).month
        - pd.Timestamp(m0).month
    ).to_numpy()
    T = midx.max() + 1
    y = np.zeros((ids.size, T))
    e = np.zeros((ids.size, T))
    miss = np.zeros((ids.size, T))
    y[pidx, midx] = panel["arrests"].to_numpy()
    e[pidx, midx] = panel["exposure_days"].to_numpy()
    miss[pidx, midx] = panel["missing_episodes"].to_numpy()
    return ids, y, e, miss, pd.Timestamp(m0)


def _naive_and_matched_did(d, window=12):
    panel = person_month_panel(
        d["police_persons"], d["police_events"], d["police_missing"], start="2018-01-01"
    )
    ids, y, e, miss, m0 = _window_sums(panel)
    persons = d["police_persons"].set_index("person_id").loc[ids]
    T = y.shape[1]
    pad = np.zeros((ids.size, window))
    cy = np.concatenate([pad, y, pad], axis=1).cumsum(axis=1)
    ce = np.concatenate([pad, e, pad], axis=1).cumsum(axis=1)

    def wsum(c, rows, t, lo, hi):  # sum over months [t+lo, t+hi)
        return c[rows, t + window + hi - 1] - c[rows, t + window + lo - 1]

    # features at month t: arrests in t-1, t-2, missing in t-1, arrests t-12..t-1, age
    birth = pd.to_datetime(persons["birth_month"] + "-15")
    eng = np.flatnonzero(persons["group"].to_numpy() == "Engager")
    ref = pd.to_datetime(persons["referral_date"].to_numpy()[eng])
    t_ref = ((ref.year - m0.year) * 12 + ref.month - m0.month).to_numpy()
    ok = (t_ref >= window) & (t_ref + window <= T)
    eng, t_ref = eng[ok], t_ref[ok]

    def features(rows, t):
        age = (m0 + pd.to_timedelta(0, "D")).to_numpy() - birth.to_numpy()[rows]
        age_y = np.floor((age / np.timedelta64(1, "D") + t * 30.44) / 365.25)
        return pd.DataFrame(
            {
                "area": persons["area"].to_numpy()[rows],
                "a1": y[rows, t - 1] > 0,
                "a2": y[rows, t - 2] > 0,
                "m1": miss[rows, t - 1] > 0,
                "hist": np.minimum(wsum(cy, rows, t, -window, 0), 3),
                "age": age_y,
                "t": t,
            }
        )

    fe = features(eng, t_ref).assign(row=eng)
    comp = np.flatnonzero(persons["group"].to_numpy() == "Comparator")
    pool = []
    for t in np.unique(t_ref):
        pool.append(features(comp, np.full(comp.size, t)).assign(row=comp))
    pool = pd.concat(pool, ignore_index=True)
    keys = ["area", "a1", "a2", "m1", "hist", "age", "t"]
    pairs = fe.merge(pool, on=keys, suffixes=("_e", "_c"))
    pairs["w"] = 1 / pairs.groupby("row_e")["row_c"].transform("size")
    matched = np.unique(pairs["row_e"])
    t_m = pd.Series(t_ref, index=eng).loc[matched].to_numpy()

    def rr(rows, t, w):
        yb = (w * wsum(cy, rows, t, -window, 0)).sum()
        ya = (w * wsum(cy, rows, t, 0, window)).sum()
        eb = (w * wsum(ce, rows, t, -window, 0)).sum()
        ea = (w * wsum(ce, rows, t, 0, window)).sum()
        return (ya / ea) / (yb / eb)

    naive = rr(eng, t_ref, np.ones(eng.size))
    rr_e = rr(matched, t_m, np.ones(matched.size))
    rr_c = rr(pairs["row_c"].to_numpy(), pairs["t"].to_numpy(), pairs["w"].to_numpy())
    return naive, rr_e / rr_c, matched.size / eng.size


@pytest.mark.slow
def test_naive_overstates_and_matched_comparator_did_recovers_truth():
    truth = 0.75
    d = generate(
        2024, scale=6, true_effect=truth, comparators_per_engager=8, area_trends={"Dundee": 0.0}
    )
    assert d["truth"].set_index("outcome").loc["arrests", "rate_ratio"] == truth
    naive, did, share = _naive_and_matched_did(d)
    assert share > 0.8
    # regression to the mean: the before/after ratio is well below the true rate ratio
    assert naive < truth - 0.08, naive
    # the comparator design recovers the truth (loose: one draw, coarse matching)
    assert abs(np.log(did) - np.log(truth)) < 0.12, did


@pytest.mark.slow
def test_no_effect_means_no_did_effect_but_a_naive_drop():
    d = generate(
        7, scale=6, true_effect=1.0, comparators_per_engager=8, area_trends={"Dundee": 0.0}
    )
    naive, did, _ = _naive_and_matched_did(d)
    assert naive < 0.92, naive
    assert abs(np.log(did)) < 0.12, did
