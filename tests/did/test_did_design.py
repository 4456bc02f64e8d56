"""One design object: library defaults agree with it, the notebooks and the simulation use
it, and the default outputs hold only design-valid estimators (others flagged)."""

import inspect
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from socdata.did import stacked_did
from socdata.did.design import ESTIMATORS, ComparatorDesign
from socdata.soceis.design import SOCEIS_DESIGN

REPO = Path(__file__).resolve().parents[2]


def test_stacked_did_defaults_are_the_design_defaults():
    sig = inspect.signature(stacked_did).parameters
    d = ComparatorDesign()
    assert sig["window"].default == d.window
    assert tuple(sig["exclude"].default) == d.exclude
    assert sig["reference"].default == d.reference
    assert SOCEIS_DESIGN.window == d.window


def test_matching_spec_defaults_are_the_library_defaults():
    """A generic MatchingSpec() is risk_set_match's own defaults; the SOCEIS values are
    declared once, in SOCEIS_DESIGN, and differ from them."""
    from socdata.did.design import MatchingSpec
    from socdata.matching import risk_set_match

    sig = inspect.signature(risk_set_match).parameters
    spec = MatchingSpec().kwargs()
    for key, value in spec.items():
        default = sig[key].default
        default = list(default) if isinstance(default, tuple) else default
        assert value == default, key
    soceis = SOCEIS_DESIGN.matching.kwargs()
    assert soceis["exact"] == ["gender", "area"] and soceis["caliper"] == 0.2
    assert soceis["recent_months"] == 1 and soceis["exact_any"] == ["arrests_recent"]
    assert len(soceis["covariates"]) == 8


def test_default_estimators_are_the_valid_ones():
    valid = {s.key for s in ESTIMATORS if s.valid}
    assert set(SOCEIS_DESIGN.estimators) <= valid
    assert {"twfe_cal", "pois_cal", "attgt", "naive"}.isdisjoint(valid)


@pytest.mark.parametrize(
    "path", ["notebooks/30_matching.py", "notebooks/40_did.py", "scripts/simulate_did.py"]
)
def test_design_is_declared_once(path):
    text = (REPO / path).read_text()
    assert "SOCEIS_DESIGN" in text
    for literal in ("caliper = 0.2", "caliper=0.2", '"arrests_last_3m"', "window = 12"):
        assert literal not in text, f"{path} re-declares the design ({literal})"


@pytest.fixture(scope="module")
def study_data():
    from socdata.datasets.police import generate
    from socdata.derive.panel import person_month_panel
    from socdata.soceis import comparator as study

    d = generate(3, scale=0.5)
    panel = person_month_panel(d["police_persons"], d["police_events"], d["police_missing"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = study.match_design(panel, d["police_persons"], on_unmatched="ignore")
    st = study.stacked_sample(panel, d["police_persons"], m)
    return panel, m, st


def test_estimate_table_defaults_and_flags(study_data, tmp_path):
    from socdata.report import write_table
    from socdata.soceis import comparator as study

    panel, m, st = study_data
    design = SOCEIS_DESIGN
    est = study.estimate_table(st, design=design)
    assert set(est["estimator"]) == set(design.estimators)
    assert (est["valid"] == "yes").all()
    # a valid estimator is flagged only when its simulated coverage was not nominal
    sim = study.simulation_summary().set_index("estimator")
    for key, g in est.groupby("estimator"):
        nominal = 0.935 <= sim.loc[key, "coverage"] <= 0.965
        assert (g["flag"] == "").all() if nominal else g["flag"].str.contains("covered").all()
    areas = set(st["area"])
    assert set(est["area"]) == {study.POOLED, *areas}
    assert set(est["outcome"]) == {"arrests", "offences", "missing_episodes"}
    # an estimator the simulation found invalid: flagged with its measured bias
    one = ComparatorDesign(outcomes=("arrests",), by=None)
    bad = study.estimate_table(
        st, design=one, estimators=["stacked_poisson", "twfe_cal"], panel=panel, matched=m
    )
    row = bad[bad["estimator"] == "twfe_cal"].iloc[0]
    sim = study.simulation_summary().set_index("estimator")
    assert row["valid"] == "no" and "NOT VALID" in row["flag"]
    assert row["measured_relative_bias"] == pytest.approx(sim.loc["twfe_cal", "relative_bias"])
    assert np.isfinite(row["value"])
    # real mode: disclosure control on, the people counts rounded, nothing uncontrolled
    path = write_table(
        bad,
        tmp_path,
        table_id="did_estimates",
        disclosure="soceis-default-v1",
        keep_columns=["measured_relative_bias", "measured_coverage"],
    )
    out = pd.read_csv(path)
    assert (out["n"].dropna() % 5 == 0).all()
    assert "flag" in out and out["flag"].fillna("").str.contains("NOT VALID").any()


def test_pretrend_and_power_tables(study_data):
    from socdata.soceis import comparator as study

    _, _, st = study_data
    one = ComparatorDesign(outcomes=("arrests",), by=None)
    _, fits = study.event_time_table(st, design=one)
    pre = study.pretrend_table(fits, design=one)
    assert set(pre["measure"]) == {"p_value", "log rate ratio", "Mbar"}
    pw = study.power_table(st, design=one)
    assert {"outcome", "n_engagers", "rate_ratio", "power"} <= set(pw.columns)
    assert pw["power"].between(0, 1).all()


def test_generator_referral_hazard_is_checked():
    """The simulation's valid scenario (selection only on what the design matches exactly)
    is a generator option; bad values are named."""
    from socdata.datasets.police import generate
    from socdata.errors import SocdataError

    with pytest.raises(SocdataError, match="referral_hazard"):
        generate(1, referral_hazard=(0.0, 3.0, 0.0, 0.0))
    with pytest.raises(SocdataError, match="referral_hazard"):
        generate(1, referral_hazard=(0.12, 3.0))
