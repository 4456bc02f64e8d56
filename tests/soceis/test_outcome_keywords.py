"""Section 5.1 tables take the estimators' keywords; ci= and level= warn for one release."""

from __future__ import annotations

import pandas as pd
import pytest

import socdata
from socdata.errors import SocdataDeprecationWarning
from socdata.paths import synthetic_dir
from socdata.soceis.service_outcomes import outcomes_5_1_by_area
from socdata.soceis.tables.outcomes import outcomes_5_1


@pytest.fixture(scope="module")
def service():
    return socdata.read_extract(synthetic_dir() / "service.csv", "service")


def test_inference_keyword_and_its_old_name(service):
    new = outcomes_5_1(service, inference="exact")
    with pytest.warns(SocdataDeprecationWarning, match=r"ci= is deprecated.*use inference="):
        old = outcomes_5_1(service, ci="exact")
    for tid in new:
        pd.testing.assert_frame_equal(new[tid], old[tid])
    wilson = outcomes_5_1(service)["outcomes_5_1_closed"]
    assert not new["outcomes_5_1_closed"]["conf_low"].equals(wilson["conf_low"])
    by_area = outcomes_5_1_by_area(service, inference="exact", conf_level=0.9)
    assert set(by_area) == {"outcomes_5_1_closed_by_area", "outcomes_5_1_open_by_area"}
