"""Tests of socdata.matching.risk_set_match and matched_panel.

The reference is an independent brute-force implementation written here with pandas:
risk sets built row by row, histories summed from the panel with boolean masks, the
propensity model from statsmodels' Logit, and an O(n^2) greedy matcher.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from socdata.errors import ExcludedRowsWarning, MatchingError
from socdata.matching import matched_panel, risk_set_match
from tests.matching.test_matching_nearest import brute_greedy

MONTHS = pd.date_range("2019-01-01", periods=36, freq="MS")


def make_data(n_eng=60, n_cmp=300, seed=0, months=MONTHS):
    rng = np.random.default_rng(seed)
    n = n_eng + n_cmp
    T = len(months)
    grp = np.array(["Engager"] * n_eng + ["Comparator"] * n_cmp)
    ref_idx = rng.integers(12, T - 3, n)
    persons = pd.DataFrame(
        {
            "person_id": [f"SYN-P-{i:05d}" for i in range(n)],
            "group": grp,
            "police_force": rng.choice(["South Wales Police", "Northumbria Police"], n),
            "area": "Cardiff",
            "gender": rng.choice(["Male", "Female"], n, p=[0.75, 0.25]),
            "birth_month": pd.DatetimeIndex(
                pd.Timestamp("2005-01-01") + pd.to_timedelta(rng.integers(0, 1500, n), unit="D")
            ).strftime("%Y-%m"),
            "deprivation_decile": rng.integers(1, 11, n),
            "referral_date": pd.to_datetime(
                np.where(
                    grp == "Engager",
                    months[ref_idx].values + np.timedelta64(9, "D"),
                    np.datetime64("NaT", "ns"),
                )
            ),
        }
    )
    rate = np.exp(rng.normal(-1.5, 0.6, n)) * np.where(grp == "Engager", 1.8, 1.0)
    panel = pd.DataFrame(
        {
            "person_id": np.repeat(persons.person_id.values, T),
            "month": np.tile(months.values, n),
            "arrests": rng.poisson(np.repeat(rate, T)),
            "missing_episodes": rng.poisson(0.6 * np.repeat(rate, T)),
        }
    )
    return panel, persons


# --------------------------------------------------------------------------- oracle
def brute_risk_set(panel, persons, *, H=12, caliper_sd=None, replace=False):
    """Independent risk-set matcher: returns {(engager, index month): [comparator]}."""
    persons = persons.set_index("person_id")
    bm = pd.to_datetime(persons["birth_month"], format="%Y-%m") + pd.Timedelta(days=14)
    by_person = {p: g.set_index("month") for p, g in panel.groupby("person_id")}

    def history(p, m):
        g = by_person.get(p)
        if g is None or m not in g.index:
            return None
        sub = g[(g.index < m) & (g.index >= m - pd.DateOffset(months=H))]
        if len(sub) != H:
            return None
        age = (m - bm[p]).total_seconds() / 86400 / 365.25
        return [
            age,
            persons.at[p, "deprivation_decile"],
            sub.arrests.sum(),
            sub.missing_episodes.sum(),
        ]

    eng_rows, strata = [], {}
    for p, r in persons[persons.group == "Engager"].iterrows():
        m = r.referral_date.to_period("M").to_timestamp()
        x = history(p, m)
        if x is None:
            continue
        eng_rows.append((p, m, x))
        strata.setdefault((m, r.police_force, r.gender), []).append(len(eng_rows) - 1)
    cmp = persons[persons.group == "Comparator"]
    cand = {}
    for key in strata:
        m, force, gender = key
        pool = cmp[(cmp.police_force == force) & (cmp.gender == gender)].index
        rows = [(c, history(c, m)) for c in pool]
        cand[key] = [(c, x) for c, x in rows if x is not None]
    X = [x for _, _, x in eng_rows] + [x for key in cand for _, x in cand[key]]
    y = [1] * len(eng_rows) + [0] * (len(X) - len(eng_rows))
    Xd = sm.add_constant(np.asarray(X, float))
    fit = sm.Logit(np.asarray(y, float), Xd).fit(disp=0, tol=1e-12)
    ps = fit.predict(Xd)
    cal = np.inf if caliper_sd is None else caliper_sd * np.std(ps, ddof=1)
    used, out = set(), {}
    for key in sorted(strata):
        e_idx = strata[key]
        c_list = [(c, x) for c, x in cand[key] if replace or c not in used]
        if not c_list:
            continue
        scores = np.concatenate(
            [
                fit.predict(
                    sm.add_constant(
                        np.asarray([eng_rows[i][2] for i in e_idx], float), has_constant="add"
                    )
                ),
                fit.predict(
                    sm.add_constant(np.asarray([x for _, x in c_list], float), has_constant="add")
                ),
            ]
        )
        # stable order: engagers by their position; comparators by person order. The kernel
        # breaks score ties by person order among comparators; ties are absent here.
        treated = np.r_[np.ones(len(e_idx), bool), np.zeros(len(c_list), bool)]
        mm = brute_greedy(scores, treated, replace=replace, caliper=cal)
        for k, i in enumerate(e_idx):
            got = mm[k]
            if got:
                c = c_list[got[0] - len(e_idx)][0]
                out[(eng_rows[i][0], key[0])] = [c]
                used.add(c)
    return out, fit.params


@pytest.mark.parametrize("seed,caliper", [(0, None), (1, 0.25), (2, None)])
def test_risk_set_matching_equals_brute_force(seed, caliper):
    panel, persons = make_data(n_eng=40, n_cmp=180, seed=seed)
    expected, params = brute_risk_set(panel, persons, caliper_sd=caliper)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        res = risk_set_match(panel, persons, caliper=caliper)
    np.testing.assert_allclose(res.propensity["estimate"].to_numpy(), params, rtol=1e-7)
    got = {(r.treated_id, r.index_month): [r.control_id] for r in res.pairs.itertuples()}
    assert got == expected


def test_histories_and_age_by_hand():
    months = pd.date_range("2020-01-01", periods=15, freq="MS")
    persons = pd.DataFrame(
        {
            "person_id": ["E1", "C1", "C2"],
            "group": ["Engager", "Comparator", "Comparator"],
            "police_force": ["F"] * 3,
            "gender": ["Male"] * 3,
            "birth_month": ["2006-03", "2006-01", "2007-07"],
            "deprivation_decile": [2, 3, 9],
            "referral_date": pd.to_datetime(["2021-01-20", None, None]),
        }
    )
    arrests = {"E1": np.arange(15) % 3, "C1": np.ones(15, int), "C2": np.zeros(15, int)}
    panel = pd.DataFrame(
        {
            "person_id": np.repeat(["E1", "C1", "C2"], 15),
            "month": np.tile(months.values, 3),
            "arrests": np.concatenate([arrests[p] for p in ["E1", "C1", "C2"]]),
            "missing_episodes": np.concatenate(
                [np.zeros(15, int), np.full(15, 2), np.zeros(15, int)]
            ),
        }
    )
    # Mahalanobis: with a single engager there is no propensity model variance issue
    res = risk_set_match(
        panel,
        persons,
        distance="mahalanobis",
        covariates=["age", "arrests_history", "missing_history"],
    )
    b = res.balance().set_index("covariate")
    # E1 referral month 2021-01 (index 12); window months 0..11 of arange % 3 -> 12 arrests
    assert b.loc["arrests_history", "mean_treated_before"] == 12
    # controls before: C1 has 12 arrests and 24 missing, C2 none
    assert b.loc["arrests_history", "mean_control_before"] == 6
    assert b.loc["missing_history", "mean_control_before"] == 12
    age_e = (pd.Timestamp("2021-01-01") - pd.Timestamp("2006-03-15")).days / 365.25
    assert b.loc["age", "mean_treated_before"] == pytest.approx(age_e, rel=1e-12)
    c = res.pairs.control_id.iloc[0]
    assert res.index_dates().to_dict() == {
        "E1": pd.Timestamp("2021-01-01"),
        c: pd.Timestamp("2021-01-01"),
    }


def test_without_replacement_each_comparator_once_and_exact_strata():
    panel, persons = make_data(n_eng=80, n_cmp=200, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        res = risk_set_match(panel, persons, ratio=2)
    assert not res.pairs.control_id.duplicated().any()
    p = persons.set_index("person_id")
    for col in ("police_force", "gender"):
        assert (
            p.loc[res.pairs.treated_id, col].to_numpy()
            == p.loc[res.pairs.control_id, col].to_numpy()
        ).all()
    assert (p.loc[res.pairs.control_id, "group"] == "Comparator").all()
    # each index month equals the engager's referral month
    ref = p.loc[res.pairs.treated_id, "referral_date"].dt.to_period("M").dt.to_timestamp()
    assert (ref.to_numpy() == res.pairs.index_month.to_numpy()).all()


def test_replacement_duplicates_become_weighted_units_in_the_panel():
    panel, persons = make_data(n_eng=80, n_cmp=40, seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        res = risk_set_match(panel, persons, replace=True, ratio=2)
    w = res.weights()
    ctrl = w[w.treated == 0]
    assert ctrl.person_id.duplicated().any()  # some comparator used at several months
    assert ctrl["weight"].sum() == pytest.approx(len(ctrl), rel=1e-12)
    multi = ctrl[ctrl.person_id.duplicated(keep=False)]
    assert multi.unit_id.str.contains("@").all()
    with pytest.raises(MatchingError, match="matched_panel"):
        res.index_dates()
    mp = matched_panel(panel, res)
    assert set(mp.unit_id) == set(w.unit_id)
    # every unit carries all of its person's panel months
    assert (mp.groupby("unit_id").size() == len(MONTHS)).all()
    u = mp[mp.unit_id == multi.unit_id.iloc[0]]
    idx = multi.index_month.iloc[0]
    assert (u.cohort == idx).all()
    assert (u.post == (u.month >= idx).astype(int)).all()
    assert u.match_weight.iloc[0] == pytest.approx(multi.weight.iloc[0])
    assert (mp.loc[mp.treated == 1, "match_weight"] == 1).all()
    # raw-weight reconstruction: sum over the unit's matches of 1/k_i
    k = res.pairs.groupby("treated_id").size()
    pr = res.pairs.assign(inv=1 / res.pairs.treated_id.map(k))
    pr["unit"] = [
        c if not (ctrl.person_id == c).sum() > 1 else f"{c}@{m:%Y-%m}"
        for c, m in zip(pr.control_id, pr.index_month, strict=True)
    ]
    raw = pr.groupby("unit")["inv"].sum()
    scaled = raw / raw.mean()
    np.testing.assert_allclose(
        ctrl.set_index("unit_id").loc[scaled.index, "weight"].to_numpy(),
        scaled.to_numpy(),
        rtol=1e-12,
    )


def test_exclusions_are_counted_and_errors_say_what_to_relax():
    panel, persons = make_data(seed=5)
    # drop a history month of one engager: excluded for incomplete history
    e = persons.loc[persons.group == "Engager"].iloc[0]
    m = e.referral_date.to_period("M").to_timestamp() - pd.DateOffset(months=3)
    panel2 = panel[~((panel.person_id == e.person_id) & (panel.month == m))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        res = risk_set_match(panel2, persons)
    flow = res.provenance.flow.to_frame()
    row = flow[flow.excluded_reason.str.startswith("not observed in the referral month")]
    assert row.n_excluded.iloc[0] == 1
    assert res.n_treated == (persons.group == "Engager").sum() - 1
    # no comparators in one force: counted as "no comparator in the exact cell"
    p3 = persons.copy()
    p3.loc[(p3.group == "Comparator"), "police_force"] = "South Wales Police"
    n_nw = int(((p3.group == "Engager") & (p3.police_force == "Northumbria Police")).sum())
    with pytest.warns(ExcludedRowsWarning, match="no comparator in the exact cell"):
        res3 = risk_set_match(panel, p3)
    assert (
        res3.unmatched_counts().set_index("reason").loc["no comparator in the exact cell", "n"]
        == n_nw
    )
    with pytest.raises(MatchingError, match="widen or drop the caliper"):
        risk_set_match(panel, persons, caliper=1e-9)
    with pytest.raises(MatchingError, match="missing column"):
        risk_set_match(panel.drop(columns="arrests"), persons)
    dup = pd.concat([panel, panel.iloc[:1]])
    with pytest.raises(MatchingError, match="duplicate person-month"):
        risk_set_match(dup, persons)


def test_subsampled_model_close_to_full_fit_and_inputs_untouched():
    panel, persons = make_data(n_eng=150, n_cmp=600, seed=6)
    p0, s0 = panel.copy(), persons.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        full = risk_set_match(panel, persons)
        sub = risk_set_match(panel, persons, max_model_rows=5000)
    pd.testing.assert_frame_equal(panel, p0)
    pd.testing.assert_frame_equal(persons, s0)
    assert any("Bernoulli sample" in n for n in sub.provenance.notes)
    b_full = full.propensity.set_index("term").estimate
    b_sub = sub.propensity.set_index("term").estimate
    # slopes of a case-control-style weighted sample estimate the same coefficients
    assert np.abs(b_sub - b_full)["arrests_history"] < 0.05


def test_mahalanobis_risk_set_matching_runs_and_improves_balance():
    panel, persons = make_data(n_eng=60, n_cmp=400, seed=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        res = risk_set_match(panel, persons, distance="mahalanobis")
    b = res.balance().set_index("covariate")
    assert abs(b.loc["arrests_history", "smd_after"]) < abs(b.loc["arrests_history", "smd_before"])
    assert res.propensity.empty


def test_aligned_panel_puts_every_unit_on_its_index_clock():
    from socdata.matching import aligned_panel

    panel, persons = make_data(n_eng=40, n_cmp=200, seed=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        res = risk_set_match(panel, persons)
    al = aligned_panel(matched_panel(panel, res), window=(-6, 3))
    assert al.months_since_referral.between(-6, 3).all()
    assert (al.event_period == al.months_since_referral + 7).all()
    assert (al.loc[al.treated == 1, "event_cohort"] == 7).all()
    assert (al.loc[al.treated == 0, "event_cohort"] == 0).all()
    assert (al.treated_post == al.treated * (al.months_since_referral >= 0)).all()
    with pytest.raises(MatchingError, match="window"):
        aligned_panel(matched_panel(panel, res), window=(0, 3))


def test_exact_any_matches_arrested_last_month_with_arrested_last_month():
    panel, persons = make_data(n_eng=60, n_cmp=400, seed=9)
    cov = ["age", "deprivation_decile", "arrests_history", "arrests_recent"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        res = risk_set_match(
            panel, persons, covariates=cov, recent_months=1, exact_any=["arrests_recent"]
        )
    pm = panel.set_index(["person_id", "month"])["arrests"]
    prev = res.pairs.index_month - pd.DateOffset(months=1)
    a_t = pm.loc[list(zip(res.pairs.treated_id, prev, strict=True))].to_numpy() > 0
    a_c = pm.loc[list(zip(res.pairs.control_id, prev, strict=True))].to_numpy() > 0
    assert (a_t == a_c).all()
    assert a_t.any() and (~a_t).any()
    with pytest.raises(MatchingError, match="exact_any"):
        risk_set_match(panel, persons, covariates=cov, exact_any=["missing_recent"])


@pytest.mark.slow
def test_index_dates_plug_into_person_month_panel_on_generated_police_data():
    from socdata.datasets.police import generate
    from socdata.derive.panel import person_month_panel

    d = generate(3, scale=0.3)
    persons = d["police_persons"]
    panel = person_month_panel(persons, d["police_events"], d["police_missing"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        res = risk_set_match(panel, persons, exact=["gender", "area"], caliper=0.2)
    idx = res.index_dates()
    p2 = person_month_panel(persons, d["police_events"], d["police_missing"], index_dates=idx)
    comp = res.pairs.control_id
    got = p2[p2.person_id.isin(comp)].groupby("person_id")["cohort"].first()
    np.testing.assert_array_equal(got.loc[comp].to_numpy(), res.pairs.index_month.to_numpy())
    # matched_panel agrees with the panel built from index dates on cohort and post
    mp = matched_panel(panel, res).set_index(["person_id", "month"]).sort_index()
    ref = p2.set_index(["person_id", "month"]).loc[mp.index]
    np.testing.assert_array_equal(mp["cohort"].to_numpy(), ref["cohort"].to_numpy())
    np.testing.assert_array_equal(mp["post"].to_numpy(), ref["post"].to_numpy())
    np.testing.assert_array_equal(
        mp["months_since_referral"].to_numpy(), ref["months_since_referral"].to_numpy()
    )
