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
