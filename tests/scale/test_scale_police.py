"""Before/after police rates from a windows table (per-area sums by the engine) equal
``describe.police.before_after`` on the extracts to 1e-10."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

from socdata.derive.police import referral_windows
from socdata.describe.police import before_after
from socdata.errors import SocdataError
from socdata.scale.police import before_after_windows

duckdb = pytest.importorskip("duckdb")


@pytest.fixture(scope="module")
def extracts():
    from socdata.datasets.police import generate

    d = generate(11, scale=0.5)
    return d["police_persons"], d["police_events"], d["police_missing"]


def _quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kw)


def assert_same_table(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    pd.testing.assert_frame_equal(
        a, b, check_dtype=False, check_exact=False, rtol=1e-10, atol=1e-12
    )


@pytest.mark.parametrize("full_windows", [True, False])
def test_windows_table_equals_extracts(extracts, full_windows, tmp_path):
    import pyarrow as pa

    ref = _quiet(before_after, *extracts, full_windows=full_windows, conf_level=0.9)
    win = referral_windows(*extracts)
    path = tmp_path / "windows.parquet"
    win.sample(frac=1.0, random_state=4).to_parquet(path)
    sources = (str(path), pa.Table.from_pandas(win)) if full_windows else (duckdb.from_df(win),)
    for src in sources:
        got = before_after_windows(src, full_windows=full_windows, conf_level=0.9)
        assert_same_table(ref.table, got.table)
        assert_same_table(ref.tidy(), got.tidy())
        a, b = ref.provenance.flow.steps[-1], got.provenance.flow.steps[-1]
        assert (a.n_in, a.n_out, a.excluded) == (b.n_in, b.n_out, b.excluded)
    analysed = got.flow_by_area.query("step == 'analysed'").drop_duplicates("area")
    ref_analysed = ref.flow_by_area.query("step == 'analysed'").drop_duplicates("area")
    assert analysed["n"].tolist() == ref_analysed["n"].tolist()
    assert b"SYN-P-" not in pickle.dumps(got)


def test_hand_sized_windows_with_empty_measures():
    # four engagers, one of whom has no event before: rate ratios of empty measures missing
    win = pd.DataFrame(
        {
            "person_id": np.repeat(["A", "B", "C", "D"], 2),
            "area": np.repeat(["X", "X", "Y", "Y"], 2),
            "window": ["before", "after"] * 4,
            "full": [True, True, True, True, True, False, True, True],
            "observed_days": [365, 300, 365, 365, 200, 365, 365, 0],
            "arrests": [2, 1, 0, 3, 1, 1, 4, 0],
            "offences": [0, 0, 0, 1, 0, 0, 0, 0],
            "drug_arrests": [1, 0, 0, 0, 0, 0, 0, 0],
            "missing_episodes": [0, 0, 0, 0, 0, 0, 0, 0],
        }
    )
    res = before_after_windows(win)
    t = res.table.set_index(["area", "measure"])
    # X: A and B analysed; C's after window is not full, D has no day observed after
    row = t.loc[("X", "arrests")]
    eb, ea = np.array([365, 365]) / (365.25 / 12), np.array([300, 365]) / (365.25 / 12)
    b, a = np.array([2.0, 0.0]), np.array([1.0, 3.0])
    rb, ra = b.sum() / eb.sum(), a.sum() / ea.sum()
    infl = (a - ra * ea) / (ra * ea.sum()) - (b - rb * eb) / (rb * eb.sum())
    assert row.rate_ratio == pytest.approx(ra / rb, rel=1e-12)
    assert row.log_rr_se == pytest.approx(np.sqrt(2 * np.sum(infl**2)), rel=1e-12)
    assert np.isnan(t.loc[("X", "offences"), "rate_ratio"])  # no offence before
    assert t.loc[("Y", "arrests"), "n_people"] == 0
    step = res.provenance.flow.steps[0]
    assert (step.n_in, step.n_out) == (4, 2)
    assert dict(step.excluded) == {
        "after window ends after the extract date": 1,
        "no day observed after referral": 1,
    }


def test_missing_columns_are_a_clear_error(extracts):
    win = referral_windows(*extracts).drop(columns=["observed_days"])
    with pytest.raises(SocdataError, match=r"no column\(s\) \['observed_days'\]"):
        before_after_windows(duckdb.from_df(win))


def _damage(win: pd.DataFrame, how: str) -> pd.DataFrame:
    w = win.copy()
    if how == "missing count":
        w["arrests"] = w["arrests"].astype(float)
        w.loc[3, "arrests"] = np.nan
    elif how == "negative count":
        w.loc[3, "offences"] = -1
    elif how == "fractional count":
        w["arrests"] = w["arrests"].astype(float)
        w.loc[3, "arrests"] = 0.5
    elif how == "infinite days":
        w["observed_days"] = w["observed_days"].astype(float)
        w.loc[3, "observed_days"] = np.inf
    elif how == "other window label":
        w.loc[3, "window"] = "during"
    elif how == "repeated window":
        w = pd.concat([w, w.iloc[[3]]], ignore_index=True)
    elif how == "after row missing":
        w = w.drop(index=w.index[w["window"] == "after"][0])
    elif how == "area changes":
        w["area"] = w["area"].astype(str)
        pid = w.loc[w["window"] == "after", "person_id"].iloc[0]
        w.loc[(w["person_id"] == pid) & (w["window"] == "after"), "area"] = "elsewhere"
    elif how == "missing person":
        w["person_id"] = w["person_id"].astype(object)
        w.loc[3, "person_id"] = None
    return w


_RULES = {
    "missing count": ("column 'arrests' is a whole count >= 0", "1 row"),
    "negative count": ("column 'offences' is a whole count >= 0", "1 row"),
    "fractional count": ("column 'arrests' is a whole count >= 0", "1 row"),
    "infinite days": ("column 'observed_days' is a number >= 0", "1 row"),
    "other window label": ("column 'window' is 'before' or 'after'", "1 row"),
    "repeated window": ("one row per person and window", "1 person"),
    "after row missing": ("every person has a 'before' and an 'after' row", "1 person"),
    "area changes": ("a person's area is the same in both windows", "1 person"),
    "missing person": ("every row has a person_id", "1 row"),
}


@pytest.mark.parametrize("how", list(_RULES))
def test_a_damaged_windows_table_is_refused_before_anything_is_summed(extracts, how, tmp_path):
    # SQL sums skip NULLs and add repeated rows: each of these tables gave rates silently
    win = _damage(referral_windows(*extracts), how)
    rule, count = _RULES[how]
    path = tmp_path / "w.parquet"
    win.to_parquet(path)
    for src in (duckdb.from_df(win), str(path)):
        with pytest.raises(SocdataError, match=r"breaks (the rule|these rules)") as err:
            before_after_windows(src)
        msg = str(err.value)
        assert f"'{rule} on every row': {count}" in msg or f"'{rule}': {count}" in msg
        assert "Nothing was summed" in msg
        assert "SYN-P-" not in msg  # person ids are masked
