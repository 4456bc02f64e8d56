"""Property-based tests: valid extracts pass; a single corruption is caught where it is."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socdata.datasets import random_extract, to_csv
from socdata.schemas import load_spec
from socdata.validate import validate_extract

CORE = ("service", "plans", "participants", "police_persons", "police_events", "police_missing")
SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(kind=st.sampled_from(CORE), n=st.integers(1, 40), seed=st.integers(0, 2**32 - 1))
def test_generated_valid_extracts_pass(kind, n, seed):
    df = random_extract(kind, n=n, seed=seed)
    res = validate_extract(df, kind)
    assert res.n_input == n == res.n_valid
    assert res.rejected.empty and res.warnings.empty
    pd.testing.assert_frame_equal(res.valid, df)


# corruptions that break exactly one cell's own column rule, by schema type
_BAD = {
    "date": "31/02/2021",
    "datetime": "2021-02-30 10:00",
    "integer": "many",
    "category": "zz-not-a-label",
}


@SETTINGS
@given(
    kind=st.sampled_from(CORE), n=st.integers(2, 30), seed=st.integers(0, 10_000), data=st.data()
)
def test_single_corruption_caught_at_right_row_and_column(tmp_path_factory, kind, n, seed, data):
    spec = load_spec(kind)
    df = random_extract(kind, n=n, seed=seed)
    candidates = [c.name for c in spec.columns if c.dtype in _BAD]
    col = data.draw(st.sampled_from(candidates), label="column")
    pos = data.draw(st.integers(0, n - 1), label="row")
    dtype = spec.column(col).dtype
    path = to_csv(df, tmp_path_factory.mktemp("c") / f"{kind}.csv", kind)
    text = pd.read_csv(path, dtype=str, keep_default_na=False)
    text.loc[pos, col] = _BAD[dtype]
    text.to_csv(path, index=False)
    res = validate_extract(path, kind)
    rule = spec.rule_for("types" if dtype != "category" else "allowed_values").id
    assert res.n_rejected == 1 and res.n_valid == n - 1
    assert res.rejected[["row", "column", "rule"]].values.tolist() == [[pos + 2, col, rule]]
    assert res.n_valid + res.n_rejected == res.n_input


@SETTINGS
@given(
    kind=st.sampled_from(CORE), n=st.integers(1, 30), seed=st.integers(0, 10_000), data=st.data()
)
def test_emptied_required_value_caught(kind, n, seed, data):
    spec = load_spec(kind)
    df = random_extract(kind, n=n, seed=seed)
    cols = [c.name for c in spec.columns if not c.nullable]
    col = data.draw(st.sampled_from(cols), label="column")
    pos = data.draw(st.integers(0, n - 1), label="row")
    bad = df.copy()
    bad[col] = bad[col].astype(object)
    bad.loc[pos, col] = None
    res = validate_extract(bad, kind)
    assert res.n_rejected == 1
    hits = res.rejected[(res.rejected["row"] == pos + 2) & (res.rejected["column"] == col)]
    assert spec.rule_for("not_null").id in set(hits["rule"])
    assert set(res.rejected["row"]) == {pos + 2}


def test_counts_always_add_up_on_random_noise():
    rng = np.random.default_rng(1)
    df = random_extract("service", n=200, seed=3).astype(object)
    mask = rng.random(df.shape) < 0.02
    df = df.mask(mask, "??")
    res = validate_extract(df, "service")
    assert res.n_valid + res.n_rejected == res.n_input == 200
    assert res.n_rejected == res.rejected["row"].nunique()
    step = res.provenance.flow.steps[0]
    assert step.n_in == 200 and step.n_out == res.n_valid
