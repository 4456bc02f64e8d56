"""Results share one to_table(): report tables with the same columns, from any result."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from socdata.provenance import Provenance
from socdata.results import TABLE_COLUMNS, Result, order_tidy


@dataclasses.dataclass(frozen=True)
class ToyEstimateResult(Result):
    est: float = 0.5

    def tidy(self) -> pd.DataFrame:
        return order_tidy(
            pd.DataFrame(
                {
                    "term": ["effect"],
                    "estimate": [self.est],
                    "conf_low": [0.2],
                    "conf_high": [0.8],
                    "ci_type": ["wald 95%"],
                    "n": [40],
                }
            )
        )


def _prov() -> Provenance:
    return Provenance.build("toy", parameters={}, n_in=1, n_out=1)


def test_default_table_from_tidy():
    t = ToyEstimateResult(provenance=_prov()).to_table()
    assert tuple(t.columns) == TABLE_COLUMNS
    r = t.iloc[0]
    assert (r.table_id, r.row_label, r.measure) == ("toy_estimate", "effect", "estimate")
    assert (r.value, r.conf_low, r.conf_high, r.denominator) == (0.5, 0.2, 0.8, 40)
    assert np.isnan(r.numerator)
    assert ToyEstimateResult(provenance=_prov()).to_table("x")["table_id"].eq("x").all()


@pytest.mark.filterwarnings("ignore::socdata.errors.ExcludedRowsWarning")
def test_duration_tables_keep_their_cells():
    from socdata.describe.duration import duration_distribution, km_median_duration
    from socdata.soceis.synthetic import generate

    service = generate()["service"]
    dist = duration_distribution(service)
    t = dist.to_table()
    assert tuple(t.columns) == TABLE_COLUMNS and set(t["table_id"]) == {"duration_by_area"}
    # every cell against the result's own table, recomputed by hand
    for _, r in dist.table.iterrows():
        cells = t[(t.column_label == r["group"]) & (t.row_label == f"{r['status']} spells")]
        got = dict(zip(cells["measure"], cells["value"], strict=True))
        for m in ("n", "mean", "median", "q1", "q3", "min", "max"):
            assert got[m] == r[m] or (np.isnan(got[m]) and pd.isna(r[m])), m
    km = km_median_duration(service).to_table()
    assert set(km["table_id"]) == {"duration_km_median"}
    med = km[km["measure"] == "median"]
    assert med["conf_low"].le(med["value"]).all()
