"""The linked cohort's helpers (socdata.soceis.linked_cohort)."""

from __future__ import annotations

import pandas as pd
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


@pytest.fixture(scope="module")
def cohort():
    from socdata.soceis.linked_cohort import LINKED_COHORT_KINDS

    return {k: socdata.read_extract(synthetic_dir(), k) for k in LINKED_COHORT_KINDS}


@pytest.fixture(scope="module")
def linked(cohort):
    from socdata.datasets.linked import bundled_truth
    from socdata.linkage import Secret
    from socdata.soceis.linked_cohort import link_cohort

    secret, truth = Secret(b"k" * 32), bundled_truth(synthetic_dir() / "linkage_identifiers.csv")
    return secret, truth, link_cohort(cohort, secret, truth=truth)


def test_link_cohort_links_with_a_secret_and_warns_without_one(cohort, linked):
    from socdata.datasets.linked import bundled_truth
    from socdata.errors import SocdataWarning
    from socdata.linkage import link_service_police
    from socdata.soceis.linked_cohort import link_cohort

    secret, truth, (linkage, report) = linked
    assert truth is not None and bundled_truth(None) is None
    direct, direct_report = link_service_police(cohort["linkage_identifiers"], secret, truth=truth)
    assert linkage.pairs.equals(direct.pairs)
    tables = report.to_tables()
    assert tables.keys() == direct_report.to_tables().keys()
    for tid, table in tables.items():
        pd.testing.assert_frame_equal(table, direct_report.to_tables()[tid])
    with pytest.warns(SocdataWarning, match="linkage skipped: no linkage secret .*MY_SECRET"):
        assert link_cohort(cohort, None, secret_env="MY_SECRET") == (None, None)
    no_ids = {k: v for k, v in cohort.items() if k != "linkage_identifiers"}
    assert link_cohort(no_ids, secret) == (None, None)


def test_linked_cohort_results_in_report_order(cohort, linked):
    from socdata.soceis.linked_cohort import linked_cohort_results

    linkage = linked[2][0]
    ids = [r.to_table()["table_id"].iloc[0] for r in linked_cohort_results(cohort, linkage)]
    assert ids == [
        "linked_police_by_engagement",
        "linked_dose_response",
        "linked_flintshire_profile",
        "linked_cardiff_missing_before_after",
        "linked_missing_duration",
        "linked_assessment_change",
    ]
    unlinked = [r.to_table()["table_id"].iloc[0] for r in linked_cohort_results(cohort, None)]
    assert unlinked == ids[2:]  # no linkage: no police outcomes
    no_arrests = {k: v for k, v in cohort.items() if k != "arrest_outcomes"}
    assert len(linked_cohort_results(no_arrests, linkage)) == 4
    assert linked_cohort_results({}, None) == []
