"""The linked synthetic cohort: consistent with both publications where they can both hold,
and with its own schema rules; the six core files are untouched by it."""

from __future__ import annotations

import pandas as pd
import pytest

from socdata.datasets import linked
from socdata.datasets.linked_case_files import flintshire_counts
from socdata.datasets.linked_police import found_count
from socdata.minimum_dataset import code_cce_indicator
from socdata.paths import synthetic_dir


@pytest.fixture(scope="module")
def cohort():
    return linked.generate()


def test_cohort_register_holds_both_publications(cohort):
    reg = cohort["register"]
    service = pd.read_csv(synthetic_dir() / "service.csv", dtype=str)
    assert set(service["person_id"]) <= set(reg["person_id"])
    assert reg["in_service_extract"].sum() == service["person_id"].nunique()
    assert (reg["area"] == "Cardiff").sum() == 119  # "out of 119 supported from 2020-2023"
    assert (reg["area"] == "Flintshire").sum() == 15  # "our current cohort (15 children)"
    truth = cohort["truth"]
    found = reg.set_index("person_id").loc[truth["service_id"], "in_service_extract"]
    assert found.sum() == found_count(221) == 170  # 221 * 190 / 248 = 169.3 would print 76%
    assert round(100 * 170 / 221) == 77 == round(100 * 190 / 248)


def test_found_count_is_half_up():
    assert [found_count(n) for n in (248, 223, 221, 50, 0)] == [190, 171, 170, 38, 0]


def test_flintshire_counts_nearest_printed():
    got = {label: k for label, (_, _, k) in flintshire_counts().items()}
    assert got["Missing episodes"] == 9 and got["Aggression"] == 13
    assert got["Registered in mainstream school"] == 3  # 17% -> 2.55 of 15 -> 3 (20%)


def test_cce_indicator_follows_its_elements(cohort):
    v = cohort["vulnerability"]
    coded = code_cce_indicator(v["exploiter_recorded"], v["criminal_activity_recorded"])
    assert (coded == v["cce_indicator"]).all()
    assert (v.loc[v["cce_indicator"] == "No", "exploitation_type"] == "None recorded").all()


def test_generate_is_seeded(cohort):
    again = linked.generate()
    for kind in linked.LINKED_KINDS:
        pd.testing.assert_frame_equal(cohort[kind], again[kind])


def test_the_truth_without_the_later_draws_is_generates_truth(cohort):
    # bundled_truth regenerates only the draws the truth depends on
    pd.testing.assert_frame_equal(linked._truth(linked.DEFAULT_SEED), cohort["truth"])
    got = linked.bundled_truth(synthetic_dir() / "linkage_identifiers.csv")
    manifest_seed = pd.read_json(synthetic_dir() / "manifest.json", typ="series")["seed"]
    pd.testing.assert_frame_equal(got, linked.generate(int(manifest_seed))["truth"])
