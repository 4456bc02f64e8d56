"""The bundled extracts saved with other bytes (as real suppliers send them) read the same.

CRLF line ends, a UTF-8 byte-order mark, Windows-1252, UTF-16 and semicolons change the
bytes (so socdata treats the folder as real data) but never a value or a count.
"""

from __future__ import annotations

import pandas as pd
import pytest

from socdata.paths import synthetic_dir
from socdata.report.synthetic import data_kind
from socdata.validate import validate_extract

VARIANTS = {
    "crlf": lambda t: t.replace("\n", "\r\n").encode("utf-8"),
    "bom": lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"),
    "cp1252": lambda t: t.encode("cp1252"),
    "utf16": lambda t: t.encode("utf-16"),
    "semicolon": lambda t: t.replace(",", ";").encode("utf-8"),
}


CASES = [("service", v) for v in VARIANTS] + [("participants", "crlf"), ("plans", "utf16")]


@pytest.mark.parametrize(("kind", "variant"), CASES)
def test_same_values_and_counts_in_other_bytes(tmp_path, kind, variant):
    original = synthetic_dir() / f"{kind}.csv"
    text = original.read_text(encoding="utf-8")
    if variant == "semicolon" and ";" in text:  # pragma: no cover - not in the bundled data
        pytest.skip("the extract holds semicolons")
    path = tmp_path / f"{kind}.csv"
    path.write_bytes(VARIANTS[variant](text))
    if path.read_bytes() != original.read_bytes():
        assert not data_kind(tmp_path).synthetic  # other bytes: treated as real data
    want = validate_extract(original, kind, run_date="2025-01-01")
    got = validate_extract(path, kind, run_date="2025-01-01")
    assert (got.n_input, got.n_valid, got.n_rejected, got.n_unparseable) == (
        want.n_input,
        want.n_valid,
        want.n_rejected,
        0,
    )
    pd.testing.assert_frame_equal(got.valid, want.valid)
