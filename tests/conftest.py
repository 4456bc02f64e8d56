"""Shared pytest configuration."""

import matplotlib

matplotlib.use("Agg")


import pytest


@pytest.fixture(scope="session")
def real_run(tmp_path_factory):
    """``socdata reproduce`` in *real mode*, once per test session.

    The bundled synthetic extracts saved with other bytes (Windows line endings in every
    file): same records, so the run must treat them as real data (disclosure control on).
    Shared by the notebook tests and the attack suite (tests/report/test_attacks.py).
    """
    from socdata.paths import synthetic_dir
    from socdata.reproduce import reproduce

    data = tmp_path_factory.mktemp("real-data")
    for p in synthetic_dir().glob("*.csv"):
        raw = p.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        (data / p.name).write_bytes(raw)
    out = tmp_path_factory.mktemp("reproduce-real")
    return reproduce(data, out, progress=None)
