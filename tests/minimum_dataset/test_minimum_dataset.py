"""Four-nation minimum dataset: the CCE indicator's truth table, offence harmonisation read
within its classification (Northern Ireland included), deprivation never compared across
national indices without a note."""

from __future__ import annotations

from itertools import product

import pandas as pd
import pytest

from socdata.errors import SocdataError
from socdata.minimum_dataset import (
    DEPRIVATION_INDEX,
    OFFENCE_MAP,
    CrossIndexComparisonError,
    code_cce_indicator,
    code_exploitation_type,
    decile_summary,
    deprivation_table,
    harmonise_offence,
)
from socdata.schemas import load_spec


def _expected(e: str, c: str) -> str:
    """The coding rule written out case by case from the Jay Review's two elements."""
    if e == "Yes" and c == "Yes":
        return "Yes"
    if "No" in (e, c):
        return "No"
    if "Yes" in (e, c):
        return "Suspected"
    return "Not assessed"


def test_cce_indicator_truth_table():
    levels = ["Yes", "No", "Not known"]
    pairs = list(product(levels, levels))
    got = code_cce_indicator(pd.Series([e for e, _ in pairs]), pd.Series([c for _, c in pairs]))
    assert got.tolist() == [_expected(e, c) for e, c in pairs]
    assert code_cce_indicator(pd.Series([None]), pd.Series([None])).tolist() == ["Not assessed"]
    with pytest.raises(SocdataError, match="not one of"):
        code_cce_indicator(pd.Series(["Maybe"]), pd.Series(["Yes"]))
    allowed = load_spec("vulnerability").column("cce_indicator").allowed
    assert set(got) <= set(allowed)


def test_exploitation_types_cover_the_nrm_and_schema_labels():
    nrm = load_spec("nrm").column("exploitation_type").allowed
    coded = code_exploitation_type(pd.Series(list(nrm)))
    assert coded.notna().all()
    mds = set(load_spec("vulnerability").column("exploitation_type").allowed)
    assert {t for s in coded for t in s.split(" / ")} <= mds
    with pytest.raises(SocdataError, match="not known"):
        code_exploitation_type(pd.Series(["Piracy"]))


def test_offences_harmonise_within_their_classification():
    harmonised = set(load_spec("arrest_outcomes").column("offence_category").allowed)
    assert (
        set(load_spec("police_events").column("offence_category").allowed) - {"Not applicable"}
        == harmonised
    )
    for cls, mapping in OFFENCE_MAP.items():
        assert set(mapping.values()) <= harmonised, cls
    labels = pd.Series(
        [
            "Vehicle offences",
            "vehicle  offences",
            "Motor vehicle offences",
            "Theft offences (including burglary)",
            "Drugs",
            "Burglary",
        ]
    )
    cls = pd.Series(
        [
            "PSNI",
            "Home Office",
            "Scottish Crime Recording",
            "PSNI",
            "Scottish Crime Recording",
            "PSNI",
        ]
    )
    assert harmonise_offence(labels, cls).tolist() == [
        "Theft",
        "Theft",
        "Vehicle offences",
        "Theft",
        "Drug offences",
        "Burglary",
    ]
    with pytest.raises(SocdataError, match="row 0: offence 'Motor vehicle offences' is not a PSNI"):
        harmonise_offence(pd.Series(["Motor vehicle offences"]), "PSNI")
    with pytest.raises(SocdataError, match="classification 'Garda'"):
        harmonise_offence(pd.Series(["Robbery"]), "Garda")


def test_deprivation_keeps_the_index_and_refuses_silent_comparison():
    assert DEPRIVATION_INDEX == {
        "England": "IMD",
        "Wales": "WIMD",
        "Scotland": "SIMD",
        "Northern Ireland": "NIMDM",
    }
    df = pd.DataFrame(
        {
            "area": ["Cardiff", "Cardiff", "Belfast", "Belfast", "Newcastle"],
            "deprivation_decile": [1, 2, 1, 1, None],
            "deprivation_index": ["WIMD", "WIMD", "NIMDM", "NIMDM", "IMD"],
        }
    )
    t = deprivation_table(df)
    assert set(t["index"]) == {"WIMD", "NIMDM"} and t["n"].sum() == 4
    assert (t[(t["index"] == "NIMDM") & (t["decile"] == 1)]["n"] == 2).all()
    with pytest.raises(CrossIndexComparisonError, match="ranks within different nations"):
        decile_summary(df, "area")
    pooled = decile_summary(df, "area", pool_across_indices=True)
    assert pooled["note"].str.contains("not comparable").all()
    same = decile_summary(df[df["area"] == "Cardiff"], "area")
    assert same["median_decile"].tolist() == [1.5] and same["note"].tolist() == [""]
    p = deprivation_table(df, pool_across_indices=True)
    assert p["index"].iat[0] == "pooled: NIMDM+WIMD" and p["note"].str.contains("pooled").all()


def test_police_events_accept_the_psni_classification():
    from socdata.datasets import random_extract
    from socdata.validate import validate_extract

    events = random_extract("police_events", n=5, seed=1)
    events.loc[0, "source_classification"] = "Police Service of Northern Ireland"
    events.loc[0, "source_offence_code"] = "NI-0101"
    res = validate_extract(events, "police_events")
    assert res.ok and res.valid["source_classification"].iloc[0] == "PSNI"
