"""Pooled estimates from site statistics equal the estimate on the pooled rows.

Three sites hold disjoint people over the same months; each writes checked evidence
(ACRO's results.json / evidence.json layout with checksums); the hub reads it back and
pools.  The reference is att_gt / event_study / twfe on the concatenated rows.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import socdata.did as did
from socdata.errors import DisclosureError
from socdata.federated import pool_sites, read_site_statistics, site_statistics
from tests.scale.panels import assert_same_att, staggered_panel

pytest.importorskip("duckdb")

KW = dict(outcome="y", unit="id", time="t", cohort="g")


@pytest.fixture(scope="module")
def sites():
    df = staggered_panel(n=600, cohorts=(0, 3, 5, 9))
    site = np.array(["north", "south", "west"])[df["id"].to_numpy() % 3]
    return df, {s: df[site == s].reset_index(drop=True) for s in ("north", "south", "west")}


@pytest.mark.parametrize("cluster", [None, "area"])
def test_pooled_sites_equal_pooled_rows(sites, tmp_path, cluster):
    df, parts = sites
    folders = []
    for name, rows in parts.items():
        s = site_statistics(rows, site=name, **KW, cluster=cluster, rules="none")
        assert s.status == "pass"
        folders.append(s.write(tmp_path / name))
    pooled = pool_sites([read_site_statistics(f) for f in folders])
    if cluster:  # clusters are site-specific: area 3 of north is not area 3 of south
        df = df.assign(area=df["area"].astype(str) + "@" + (df["id"] % 3).astype(str))
    kw = dict(KW, cluster=cluster, control_group="not_yet_treated")
    assert_same_att(did.att_gt(df, **kw), did.att_gt(pooled, **kw))
    es_rows = did.event_study(df, **KW, cluster=cluster, window=(-3, 2))
    es_pool = did.event_study(pooled, **KW, cluster=cluster, window=(-3, 2))
    np.testing.assert_allclose(es_pool.coef, es_rows.coef, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(es_pool.vcov, es_rows.vcov, rtol=1e-10, atol=1e-14)
    tw_rows = did.twfe(df, outcome="y", unit="id", time="t", cohort="g", cluster=cluster)
    tw_pool = did.twfe(pooled, outcome="y", unit="id", time="t", cohort="g", cluster=cluster)
    np.testing.assert_allclose(tw_pool.vcov, tw_rows.vcov, rtol=1e-10)


def test_evidence_layout_and_output_checks(sites, tmp_path):
    _, parts = sites
    small = parts["north"][parts["north"]["id"] < 60]  # cohorts of fewer than 10 people
    s = site_statistics(small, site="north", **KW, rules="soceis-default-v1")
    assert s.status == "fail"
    assert s.record["sdc"]["summary"]["threshold"] > 0
    folder = s.write(tmp_path / "north")
    results = json.loads((folder / "results.json").read_text())
    rec = results["results"]["output_0"]
    assert rec["status"] == "fail" and rec["exception"] == ""
    evidence = json.loads((folder / "evidence.json").read_text())["outputs"]["output_0"]
    assert set(evidence["interim_tables"]) == {"cohorts", "means", "scatter"}
    assert sorted(p.name for p in (folder / "checksums").iterdir()) == sorted(
        f"{p.name}.txt" for p in folder.iterdir() if p.is_file()
    )
    with pytest.raises(DisclosureError, match="failed the output check"):
        read_site_statistics(folder)
    with pytest.raises(DisclosureError, match="cannot be pooled"):
        pool_sites([s])
    ok = site_statistics(parts["south"], site="south", **KW, rules="soceis-default-v1")
    assert ok.status == "pass"
    good = ok.write(tmp_path / "south")
    table = good / "output_0_means.csv"
    table.write_text(table.read_text().replace("0.", "1.", 1))
    with pytest.raises(DisclosureError, match="checksum"):
        read_site_statistics(good)
    with pytest.raises(FileExistsError):
        ok.write(good)


def test_dates_round_trip(tmp_path):
    df = staggered_panel(n=300, dates=True, cohorts=(0, 3, 5))
    half = df["id"] < 150
    folders = [
        site_statistics(df[h], site=name, **KW, rules="none").write(tmp_path / name)
        for name, h in (("a", half), ("b", ~half))
    ]
    pooled = pool_sites([read_site_statistics(f) for f in folders])
    assert_same_att(did.att_gt(df, **KW), did.att_gt(pooled, **KW))
