"""Shared pytest configuration."""

import matplotlib
import pytest

matplotlib.use("Agg")


#: Skip reasons containing this name a test that runs in CI's other (pandas 2) environment.
OTHER_CI_ENV = "runs in CI's pandas 2 environment"

_DOCTEST_SKIPS = tuple(
    f"::{m}.{f}"
    for m, f in (("socdata.did.bootstrap", "wild_cluster_bootstrap"), ("socdata.did.twfe", "twfe"))
)


def pytest_sessionfinish(session, exitstatus):
    """In CI (``CI`` set), a skipped test fails the run: the CI layout has every test
    dependency and data file, so a skip there means a check silently did not run."""
    import os

    if not os.environ.get("CI"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    # an all-+SKIP docstring is checked by tests/test_doctests.py (listed with its reason)
    skipped = [r for r in skipped if not str(getattr(r, "nodeid", "")).endswith(_DOCTEST_SKIPS)]
    # a test that needs a package of CI's other environment (acro and lifelines pin
    # pandas<3) says so in its reason; .ci/run runs it there
    skipped = [r for r in skipped if OTHER_CI_ENV not in str(getattr(r, "longrepr", ""))]
    if skipped and exitstatus == 0:
        for rep in skipped:
            reporter.write_line(f"SKIPPED IN CI (counts as a failure): {rep.nodeid} {rep.longrepr}")
        session.exitstatus = 1


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
