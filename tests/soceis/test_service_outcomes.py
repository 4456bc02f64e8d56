"""Service outcome percentages for every area equal the single-area tables."""

import pandas as pd

import socdata
from socdata.paths import synthetic_dir
from socdata.soceis.service_outcomes import outcomes_5_1_by_area
from socdata.soceis.tables.outcomes import outcomes_5_1


def test_every_area_equals_its_own_table():
    service = socdata.read_extract(synthetic_dir(), "service")
    out = outcomes_5_1_by_area(service)
    closed = out["outcomes_5_1_closed_by_area"]
    assert set(closed["column_label"]) == set(service["area"])
    for area in service["area"].unique():
        one = outcomes_5_1(service, area=area)["outcomes_5_1_closed"]
        got = closed[closed["column_label"] == area].drop(columns="table_id")
        # values equal; a text column concatenated across areas may take pandas 3's str
        # dtype where a single area's stays object (all missing)
        pd.testing.assert_frame_equal(
            got.reset_index(drop=True),
            one.drop(columns="table_id").reset_index(drop=True),
            check_dtype=False,
        )
