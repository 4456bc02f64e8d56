"""ATT(g,t) against established implementations on R did's ``mpdta`` panel.

* ``csdid`` (a Python port of R ``did``) on the same data: every ATT(g,t) to ``rtol=1e-6``,
  analytic standard errors to ``rtol=1e-5``, all four aggregations, both comparison groups,
  both base periods, with and without covariates (dr, ipw, reg), anticipation, clustering,
  the pre-trend Wald statistic.
* The numbers printed in the R did documentation for ``mpdta`` (README / "Getting started"
  vignette: ``att_gt(yname="lemp", gname="first.treat", idname="countyreal", tname="year",
  xformla=~1, data=mpdta)``), to the 4 decimals printed.

``mpdta`` is read offline from the ``moderndid`` package data (test extra).
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import socdata.did as did

pytestmark = pytest.mark.reference

RTOL_ATT = 1e-6
RTOL_SE = 1e-5
ATOL = 1e-10

csdid_att_gt = pytest.importorskip("csdid.att_gt")


def _mpdta_path() -> Path | None:
    spec = importlib.util.find_spec("moderndid")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "core/datasets/mpdta_long.pkl.gz"
    return path if path.exists() else None


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    path = _mpdta_path()
    if path is None:
        pytest.skip("moderndid (ships R did's mpdta) is not installed")
    frame = pd.read_pickle(path)
    assert frame.shape == (2500, 6)
    frame = frame.assign(state=frame["countyreal"] // 1000)
    return frame


def _fit_csdid(
    data, control_group, base_period, covariates, est_method, anticipation=0, cluster=None
):
    kw = {"anticipation": anticipation}
    if cluster:
        kw["clustervar"] = cluster
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = csdid_att_gt.ATTgt(
            yname="lemp",
            gname="first.treat",
            idname="countyreal",
            tname="year",
            data=data.copy(),
            control_group={"never_treated": "nevertreated", "not_yet_treated": "notyettreated"}[
                control_group
            ],
            xformla="lemp ~ " + " + ".join(covariates) if covariates else None,
            **kw,
        ).fit(est_method=est_method, base_period=base_period, bstrap=False)
    return model


def _fit_socdata(
    data, control_group, base_period, covariates, est_method, anticipation=0, cluster=None
):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return did.att_gt(
            data,
            outcome="lemp",
            unit="countyreal",
            time="year",
            cohort="first.treat",
            control_group=control_group,
            base_period=base_period,
            covariates=covariates,
            est_method=est_method,
            anticipation=anticipation,
            cluster=cluster,
        )


SPECS = [
    (cg, bp, cov, em)
    for cg in ("never_treated", "not_yet_treated")
    for bp in ("varying", "universal")
    for cov, em in ((None, "dr"), (["lpop"], "dr"), (["lpop"], "ipw"), (["lpop"], "reg"))
]


def _spec_id(spec):
    cg, bp, cov, em = spec
    return f"{cg}-{bp}-{'lpop' if cov else 'nocov'}-{em}"


def _check_cells(ours, ref):
    res = ref.results
    np.testing.assert_array_equal(ours.cells["group"].to_numpy(), np.asarray(res["group"]))
    np.testing.assert_array_equal(ours.cells["time"].to_numpy(), np.asarray(res["year"]))
    np.testing.assert_allclose(
        ours.cells["estimate"].to_numpy(), np.asarray(res["att"], float), rtol=RTOL_ATT, atol=ATOL
    )
    np.testing.assert_allclose(
        ours.cells["std_error"].to_numpy(), np.asarray(res["se"], float), rtol=RTOL_SE
    )


def _check_aggregate(ours, ref, kind, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref.aggte(kind, bstrap=False, **kw)
    r = ref.atte
    t = ours.aggregate(kind, **kw).tidy()
    assert t["term"].iloc[0] == "overall"
    np.testing.assert_allclose(t["estimate"].iloc[0], r["overall_att"], rtol=RTOL_ATT, atol=ATOL)
    np.testing.assert_allclose(t["std_error"].iloc[0], r["overall_se"], rtol=RTOL_SE)
    if kind != "simple":
        np.testing.assert_allclose(
            t["estimate"].iloc[1:].to_numpy(float),
            np.asarray(r["att_egt"], float),
            rtol=RTOL_ATT,
            atol=ATOL,
        )
        np.testing.assert_allclose(
            t["std_error"].iloc[1:].to_numpy(float),
            np.asarray(r["se_egt"], float),
            rtol=RTOL_SE,
        )
        np.testing.assert_allclose(
            np.asarray(
                t[{"group": "group", "dynamic": "event_time", "calendar": "period"}[kind]]
                .iloc[1:]
                .tolist(),
                float,
            ),
            np.asarray(r["egt"], float),
        )


@pytest.mark.parametrize("spec", SPECS, ids=_spec_id)
def test_att_gt_and_aggregations_match_csdid(mpdta, spec):
    ours = _fit_socdata(mpdta, *spec)
    ref = _fit_csdid(mpdta, *spec)
    _check_cells(ours, ref)
    for kind in ("simple", "group", "dynamic", "calendar"):
        _check_aggregate(ours, ref, kind)


@pytest.mark.parametrize("spec", SPECS[:2], ids=_spec_id)
def test_pretrend_wald_statistic_matches_csdid(mpdta, spec):
    ours = _fit_socdata(mpdta, *spec).pretrend_test("chi2")
    ref = _fit_csdid(mpdta, *spec)
    assert ours.computed
    np.testing.assert_allclose(ours.statistic, ref.MP["W"], rtol=1e-6)
    # varying: (2006, 2004-2005) and (2007, 2004-2006); universal: (2006, 2003-2004) and
    # (2007, 2003-2005), the base-period cells having no variance
    assert ours.df == 5
    np.testing.assert_allclose(ours.p_value, ref.MP["Wpval"], atol=1e-5)


@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
@pytest.mark.parametrize("base_period", ["varying", "universal"])
def test_anticipation_matches_csdid(mpdta, control_group, base_period):
    spec = (control_group, base_period, None, "dr", 1)
    ours = _fit_socdata(mpdta, *spec)
    ref = _fit_csdid(mpdta, *spec)
    _check_cells(ours, ref)
    for kind in ("simple", "group", "dynamic", "calendar"):
        _check_aggregate(ours, ref, kind)


@pytest.mark.parametrize("covariates", [None, ["lpop"]])
def test_clustered_analytic_se_matches_csdid(mpdta, covariates):
    spec = ("never_treated", "varying", covariates, "dr", 0, "state")
    ours = _fit_socdata(mpdta, *spec)
    ref = _fit_csdid(mpdta, *spec)
    assert ours.settings["n_clusters"] == mpdta["state"].nunique()
    _check_cells(ours, ref)


@pytest.mark.parametrize(
    "kw", [{"balance_e": 1}, {"min_e": -2, "max_e": 2}, {"balance_e": 0, "min_e": -1}]
)
def test_dynamic_windows_match_csdid(mpdta, kw):
    spec = ("never_treated", "varying", None, "dr")
    ours = _fit_socdata(mpdta, *spec)
    ref = _fit_csdid(mpdta, *spec)
    _check_aggregate(ours, ref, "dynamic", **kw)


def test_not_yet_treated_without_never_treated_matches_csdid(mpdta):
    data = mpdta.loc[mpdta["first.treat"] > 0]
    spec = ("not_yet_treated", "varying", None, "dr")
    ours = _fit_socdata(data, *spec)
    ref = _fit_csdid(data, *spec)
    _check_cells(ours, ref)
    assert set(ours.cells["group"]) == {2004, 2006}  # 2007 serves only as comparison
    _check_aggregate(ours, ref, "simple")


# ATT(g,t) printed in the R did README / "Getting started with the did package" for mpdta
# (never-treated comparison, xformla = ~1, varying base period); 4 decimals as printed.
DID_VIGNETTE_ATT = {
    (2004, 2004): -0.0105,
    (2004, 2005): -0.0704,
    (2004, 2006): -0.1373,
    (2004, 2007): -0.1008,
    (2006, 2004): 0.0065,
    (2006, 2005): -0.0028,
    (2006, 2006): -0.0046,
    (2006, 2007): -0.0412,
    (2007, 2004): 0.0305,
    (2007, 2005): -0.0027,
    (2007, 2006): -0.0311,
    (2007, 2007): -0.0261,
}
# Overall parameters printed in the same documentation (aggte simple / group / dynamic /
# calendar).
DID_VIGNETTE_OVERALL = {
    "simple": -0.0400,
    "group": -0.0310,
    "dynamic": -0.0772,
    "calendar": -0.0417,
}


def test_matches_numbers_printed_in_did_documentation(mpdta):
    res = _fit_socdata(mpdta, "never_treated", "varying", None, "dr")
    got = {(g, t): e for g, t, e in res.cells[["group", "time", "estimate"]].itertuples(False)}
    assert set(got) == set(DID_VIGNETTE_ATT)
    for key, printed in DID_VIGNETTE_ATT.items():
        assert got[key] == pytest.approx(printed, abs=5e-5), key
    for kind, printed in DID_VIGNETTE_OVERALL.items():
        est = res.aggregate(kind).tidy()["estimate"].iloc[0]
        assert est == pytest.approx(printed, abs=5e-5), kind


@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
def test_improved_dr_matches_moderndid_with_drdid_imp_panel(mpdta, control_group):
    # csdid has no improved DR; moderndid (a port of R did + DRDID) runs its att_gt with
    # DRDID's drdid_imp_panel as a custom 2x2 estimator
    moderndid = pytest.importorskip("moderndid")
    from moderndid.drdid.estimators.drdid_imp_panel import drdid_imp_panel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = moderndid.did.att_gt(
            mpdta,
            yname="lemp",
            tname="year",
            idname="countyreal",
            gname="first.treat",
            xformla="~ lpop",
            est_method=drdid_imp_panel,
            boot=False,
            control_group={"never_treated": "nevertreated", "not_yet_treated": "notyettreated"}[
                control_group
            ],
        )
    ours = _fit_socdata(mpdta, control_group, "varying", ["lpop"], "dr_imp")
    np.testing.assert_array_equal(ours.cells["group"], np.asarray(ref.groups))
    np.testing.assert_array_equal(ours.cells["time"], np.asarray(ref.times))
    np.testing.assert_allclose(
        ours.cells["estimate"], np.asarray(ref.att_gt), rtol=RTOL_ATT, atol=ATOL
    )
    np.testing.assert_allclose(ours.cells["std_error"], np.asarray(ref.se_gt), rtol=RTOL_SE)


@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
@pytest.mark.parametrize("cluster", [None, "state"])
def test_unit_weights_match_csdid(mpdta, control_group, cluster):
    rng = np.random.default_rng(0)
    ids = mpdta["countyreal"].unique()
    data = mpdta.assign(
        w=mpdta["countyreal"].map(dict(zip(ids, rng.uniform(0.2, 3, len(ids)), strict=True)))
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = csdid_att_gt.ATTgt(
            yname="lemp",
            gname="first.treat",
            idname="countyreal",
            tname="year",
            data=data.copy(),
            weights_name="w",
            clustervar=cluster,
            control_group={"never_treated": "nevertreated", "not_yet_treated": "notyettreated"}[
                control_group
            ],
        ).fit(est_method="dr", bstrap=False)
        ours = did.att_gt(
            data,
            outcome="lemp",
            unit="countyreal",
            time="year",
            cohort="first.treat",
            control_group=control_group,
            weights="w",
            cluster=cluster,
        )
    _check_cells(ours, ref)
    for kind in ("simple", "group", "dynamic", "calendar"):
        _check_aggregate(ours, ref, kind)
