"""Attack suite: an adversary with every released output of a real-mode run.

One real-mode ``socdata reproduce`` of the bundled records (every file saved with CRLF
line endings, so socdata treats them as real data and output control is on) is shared by
all the tests of this module (~40 s).  Each test is one attack (see ``attack.py``) and
must recover nothing.
"""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from socdata.paths import synthetic_dir
from socdata.reproduce import reproduce
from tests.report import attack

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def real_out(tmp_path_factory):
    data = tmp_path_factory.mktemp("i9-real-data")
    for p in synthetic_dir().glob("*.csv"):
        raw = p.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        (data / p.name).write_bytes(raw)
    out = tmp_path_factory.mktemp("i9-real-out")
    run = reproduce(data, out, progress=None)
    assert not run.synthetic and run.disclosure == "soceis-default-v1"
    shutil.rmtree(out / "notebooks", ignore_errors=True)  # executed copies stay inside
    return out


@pytest.fixture(scope="module")
def tables(real_out):
    return {p.stem: pd.read_csv(p) for p in sorted((real_out / "tables").glob("*.csv"))}


def test_brute_force_of_percentages_and_intervals_recovers_nothing(tables):
    found = attack.recover_from_percentages(tables)
    assert found == [], "\n".join(found)


def test_no_count_1_to_9_or_off_the_rounding_base_in_tables(tables):
    bad = attack.unsafe_counts(tables)
    assert bad == [], "\n".join(bad[:40])


def test_differencing_against_totals_recovers_nothing(tables):
    found = attack.recover_by_differencing(tables)
    assert found == [], "\n".join(found)


def test_model_counts_are_controlled_like_the_flow(tables):
    bad = []
    for tid in ("did_estimates", "did_event_study", "matching_flow"):
        if tid in tables:
            bad += attack.unsafe_counts({tid: tables[tid]})
    assert bad == [], "\n".join(bad)


def test_no_counts_in_released_text(real_out):
    bad = {
        name: hits
        for name, text in attack.release_texts(real_out).items()
        if (hits := attack.counts_in_text(text))
    }
    assert bad == {}, json.dumps(bad, indent=1)[:3000]


def test_no_counts_of_the_extracts_in_the_comparison_with_published_figures(real_out):
    bad = attack.regenerated_in_comparison(real_out)
    assert bad == [], "\n".join(bad[:40])


def test_figure_data_are_written_and_controlled(real_out, tables):
    assert "figure_duration_km" in tables
    km = tables["figure_duration_km"]
    assert (km["events"] >= 10).all() and (km["at_risk"] >= 10).all()
    assert not list((real_out / "figures").glob("*swimmer*"))  # off on real data


def test_every_table_and_figure_is_in_the_output_request(real_out):
    request = real_out / "output_request"
    data = json.loads((request / "results.json").read_text(encoding="utf-8"))
    results = data["results"]
    names = {f["name"] for r in results.values() for f in r["files"]}
    released = {p.name for p in (real_out / "tables").glob("*.csv")}
    released |= {p.name for p in (real_out / "figures").glob("*.png")}
    assert released <= names
    assert {r["status"] for r in results.values()} <= {"pass", "fail", "review"}
    assert data["rules"]["safe_threshold"] == 10 and data["rules"]["safe_round_base"] == 5


def test_output_request_loads_with_acro(real_out):
    record = pytest.importorskip(
        "acro.record",
        reason="ACRO not installed: pip install 'socdata[acro]' (needs pandas<=2.3.3)",
    )
    records = record.load_records(str(real_out / "output_request"))
    assert set(records.get_keys()) == set(
        json.loads((real_out / "output_request" / "results.json").read_text())["results"]
    )
    for key in records.get_keys():
        assert records.get(key).status in {"pass", "fail", "review"}
