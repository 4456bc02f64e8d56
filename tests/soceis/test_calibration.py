"""The synthetic extracts take their printed counts from data/published, not from code."""

from __future__ import annotations

import pandas as pd

from socdata.paths import published_dir
from socdata.soceis.calibration import JUNE2023_FILE, june2023_counts
from socdata.soceis.synthetic import generate


def test_counts_are_the_transcribed_cells():
    c = june2023_counts()
    # a few cells read by eye from the report (Table 4 line 814, Table 5 line 954)
    assert c.referral_source["Cardiff"]["Children's Services"] == 42
    assert c.case_status["Newcastle"] == {
        "Open": 27,
        "Closed": 40,
        "Not allocated": 0,
        "Not started": 4,
        "Unknown": 0,
    }
    assert c.domains["domain_offending"] == {
        "Cardiff": None,  # the footnote *: not on Cardiff's form, printed 0
        "Edinburgh": 8,
        "Newcastle": 0,
        "Dundee": 2,
    }
    assert sum(c.referral_reasons.values()) == 223  # printed "222": the counts are kept
    # every n cell of the four areas in Table 4 is used, none is made up
    pub = pd.read_csv(published_dir() / JUNE2023_FILE, dtype=str, keep_default_na=False)
    t4 = pub[(pub["table_id"] == "table4_case_status") & (pub["measure"] == "n")]
    t4 = t4[t4["column_label"] != "Overall"]
    assert {(r.column_label, r.row_label): int(r.value) for r in t4.itertuples()} == {
        (a, s): n for a, d in c.case_status.items() for s, n in d.items()
    }


def test_generated_extracts_hold_the_counts():
    c = june2023_counts()
    data = generate()
    s, p = data["service"], data["plans"]
    got = pd.crosstab(s["area"], s["referral_source"])
    for area, cats in c.referral_source.items():
        for cat, n in cats.items():
            assert (got.at[area, cat] if cat in got.columns else 0) == n, (area, cat)
    for dom, areas in c.domains.items():
        for area, n in areas.items():
            v = p.loc[p["area"] == area, dom]
            if n is None:
                assert (v == "Not on form").all()
            else:
                assert int((v == "Yes").sum()) == n
