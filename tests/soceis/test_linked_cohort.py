"""The linked cohort's helpers (socdata.soceis.linked_cohort)."""

from __future__ import annotations

import pytest

import socdata
from socdata.describe.case_files import missing_episode_duration
from socdata.linkage import LinkageError
from socdata.paths import synthetic_dir
from socdata.soceis.linked_cohort import (
    case_file_results,
    linkage_secret,
    minimum_dataset_tables,
)


def test_secret_file_then_environment_then_random_on_synthetic_only(tmp_path, monkeypatch):
    key = tmp_path / "key"
    key.write_bytes(b"k" * 40 + b"\n")
    monkeypatch.setenv("SOCDATA_TEST_SECRET", "e" * 40)
    assert linkage_secret(key, "SOCDATA_TEST_SECRET").origin == f"file:{key.name}"
    assert linkage_secret(None, "SOCDATA_TEST_SECRET").origin == "env:SOCDATA_TEST_SECRET"
    monkeypatch.delenv("SOCDATA_TEST_SECRET")
    assert linkage_secret(None, "SOCDATA_TEST_SECRET") is None  # real data: no linkage
    a = linkage_secret(None, "SOCDATA_TEST_SECRET", synthetic=True)
    assert a is not None and a.origin.startswith("random")
    with pytest.raises(LinkageError, match="does not exist"):
        linkage_secret(tmp_path / "absent")


def test_case_file_results_follow_the_extracts_present():
    vul = socdata.read_extract(synthetic_dir(), "vulnerability")
    missing = socdata.read_extract(synthetic_dir(), "missing_detail")
    both = case_file_results({"vulnerability": vul, "missing_detail": missing})
    ids = [r.to_table()["table_id"].iloc[0] for r in both]
    assert len(ids) == 3 and len(set(ids)) == 3
    only_missing = case_file_results({"missing_detail": missing})
    assert len(only_missing) == 1
    assert only_missing[0].table.equals(missing_episode_duration(missing).table)
    no_flintshire = case_file_results({"vulnerability": vul[vul["area"] != "Flintshire"]})
    assert no_flintshire == []  # no Flintshire rows, no missing_detail: nothing to do
    assert set(minimum_dataset_tables(vul)) == {"mds_cce_indicator", "mds_deprivation_by_index"}
