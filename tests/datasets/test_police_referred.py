"""The referred list notebook 20 uses: a file, the data folder's copy, or the generator's."""

from __future__ import annotations

import shutil

import pandas as pd

from socdata.datasets.police import referred_list
from socdata.paths import synthetic_dir


def _persons():
    return pd.read_csv(synthetic_dir() / "police_persons.csv", dtype={"person_id": str})


def test_bundled_synthetic_list_is_regenerated_from_the_manifest_seed():
    ref = referred_list(synthetic_dir(), _persons(), synthetic=True)
    assert list(ref.columns) == ["person_id", "area"] and len(ref) == 248
    eng = set(_persons().query("group == 'Engager'")["person_id"])
    assert eng <= set(ref["person_id"]) and len(eng) == 190
    # the same folder read as real data: no regenerated list
    assert referred_list(synthetic_dir(), _persons(), synthetic=False) is None


def test_a_file_or_the_folder_copy_comes_first(tmp_path):
    given = pd.DataFrame({"person_id": ["007", "008"], "area": ["Cardiff", "Dundee"]})
    given.to_csv(tmp_path / "police_referred.csv", index=False)
    got = referred_list(tmp_path, _persons(), synthetic=True)
    assert got["person_id"].tolist() == ["007", "008"]  # ids stay text (leading zeros)
    other = tmp_path / "other.csv"
    given.iloc[:1].to_csv(other, index=False)
    assert len(referred_list(tmp_path, _persons(), referred_file=other)) == 1


def test_a_manifest_whose_list_does_not_fit_the_extract_is_not_used(tmp_path):
    shutil.copy(synthetic_dir() / "manifest.json", tmp_path / "manifest.json")
    persons = _persons()
    persons = persons[
        persons["person_id"] != persons.loc[persons["group"] == "Engager", "person_id"].iloc[0]
    ]
    assert referred_list(tmp_path, persons, synthetic=True) is None
