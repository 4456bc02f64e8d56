"""The frame fingerprint (``provenance.hash_frame``) identifies every value of a column.

Long columns with long runs (a unit id over its months, a cohort) or a short period (the
months cycling within each unit) are hashed from a tagged encoding (``_compact``); the
tests decode every encoding back to the column (so equal digests still mean equal values),
check that short columns keep the plain digest of earlier versions (sha256 of the header
and the raw buffers, computed here independently), and that changing one value, or moving
one run boundary without changing the values, changes the digest.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from socdata.provenance import COMPACT_MIN_ROWS, _compact, hash_frame

N = COMPACT_MIN_ROWS
T = 48


def _decode(enc: bytes, dtype: np.dtype, n: int) -> np.ndarray:
    """The column an encoding stands for (a brute-force inverse of ``_compact``)."""
    bits = np.dtype(f"u{dtype.itemsize}")
    tag, body = enc[:4], enc[4:]
    if tag == b"rle\x00":
        runs = int(np.frombuffer(body[:8], np.int64)[0])
        vals = np.frombuffer(body[8 : 8 + runs * bits.itemsize], bits)
        lengths = np.frombuffer(body[8 + runs * bits.itemsize :], np.int64)
        assert len(lengths) == runs and lengths.sum() == n
        return np.repeat(vals, lengths).view(dtype)
    assert tag == b"per\x00"
    period, reps = np.frombuffer(body[:16], np.int64)
    block = np.frombuffer(body[16:], bits)
    assert len(block) == period and period * reps == n
    return np.tile(block, int(reps)).view(dtype)


def _panel(n_units: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cohort = np.where(rng.random(n_units) < 0.5, rng.integers(12, 37, n_units), 0)
    return pd.DataFrame(
        {
            "person_id": np.repeat(np.arange(n_units, dtype=np.int64) * 7 + 3, T),
            "period": np.tile(np.arange(1, T + 1), n_units),
            "month": np.tile(pd.date_range("2019-01-01", periods=T, freq="MS").to_numpy(), n_units),
            "cohort": np.repeat(cohort.astype(float), T),
            "y": rng.normal(size=n_units * T),
        }
    )


@pytest.fixture(scope="module")
def long_panel() -> pd.DataFrame:
    return _panel(N // T + 1)


def test_every_encoding_decodes_to_the_column(long_panel):
    kinds = {}
    for col in long_panel:
        arr = long_panel[col].to_numpy()
        enc = _compact(arr)
        if enc is None:
            kinds[col] = "raw"
            continue
        kinds[col] = enc[:3].decode()
        back = _decode(enc, arr.dtype, len(arr))
        bits = f"u{arr.dtype.itemsize}"
        np.testing.assert_array_equal(back.view(bits), arr.view(bits))
    assert kinds == {"person_id": "rle", "period": "per", "month": "per", "cohort": "rle", "y": "raw"}


def test_nan_runs_are_encoded_by_their_bits():
    a = np.repeat(np.array([np.nan, 1.0, np.nan, 0.0]), N // 4)
    enc = _compact(a)
    assert enc is not None and enc[:3] == b"rle"
    np.testing.assert_array_equal(_decode(enc, a.dtype, len(a)), a)


def test_short_columns_keep_the_plain_digest():
    frame = _panel(200)  # 9,600 rows: below COMPACT_MIN_ROWS
    h = hashlib.sha256()
    cols = list(frame.columns)
    h.update(repr((len(frame), cols)).encode())
    for c in cols:
        h.update(c.encode() + b"\x00" + str(frame[c].dtype).encode())
        h.update(np.ascontiguousarray(frame[c].to_numpy()).view(np.uint8).tobytes())
    h.update(b"\x00index\x00")
    h.update(np.ascontiguousarray(frame.index.to_numpy()).view(np.uint8).tobytes())
    assert hash_frame(frame) == f"sha256:{h.hexdigest()}"


@pytest.mark.parametrize(
    "change",
    ["one cohort value", "a run boundary moved", "one period", "one person id", "one outcome"],
)
def test_any_change_changes_the_digest(long_panel, change):
    cols = ["person_id", "period", "cohort", "y"]
    before = hash_frame(long_panel, columns=cols)
    assert hash_frame(long_panel.copy(), columns=cols) == before
    other = long_panel.copy()
    i = len(other) // 2 + 5
    if change == "one cohort value":
        other.loc[i, "cohort"] += 1
    elif change == "a run boundary moved":  # same values in the same order, one run longer
        start = (i // T) * T
        other.loc[start, "person_id"] = other.loc[start - 1, "person_id"]
    elif change == "one period":
        other.loc[i, "period"] = 99
    elif change == "one person id":
        other.loc[i, "person_id"] += 1
    else:
        other.loc[i, "y"] = np.nextafter(other.loc[i, "y"], np.inf)
    assert hash_frame(other, columns=cols) != before


def test_an_encoded_and_a_raw_column_cannot_collide():
    # a column whose raw bytes equal another column's encoding still hashes differently:
    # the header names the dtype and length and the encoding carries its tag and lengths
    a = np.repeat(np.arange(N // 64, dtype=np.int64), 64)
    enc = _compact(a)
    raw = np.frombuffer(enc[: len(enc) // 8 * 8], np.int64)
    fa = pd.DataFrame({"x": a})
    fb = pd.DataFrame({"x": raw})
    assert hash_frame(fa) != hash_frame(fb)


@pytest.mark.parametrize("estimator", ["att_gt", "event_study", "twfe"])
def test_the_frame_route_records_the_fingerprint_of_the_columns_it_read(estimator):
    import socdata.did as did
    from socdata.scale.sources import frame_moments
    from tests.scale.panels import staggered_panel

    data = staggered_panel(300, 8, seed=5)
    kw = dict(outcome="y", unit="id", time="t", cohort="g")
    started = []
    assert frame_moments(data, **kw, on_layout=lambda: started.append(1)) is not None
    assert started == [1]
    shuffled = data.sample(frac=1.0, random_state=1)
    assert frame_moments(shuffled, **kw, on_layout=lambda: started.append(2)) is None
    assert started == [1]  # not started for a frame the route does not take
    res = getattr(did, estimator)(data, **kw)
    order = ["id", "t", "g", "y"] if estimator == "att_gt" else ["y", "id", "t", "g"]
    assert res.provenance.inputs["data"] == hash_frame(data, columns=order)
