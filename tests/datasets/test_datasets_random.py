"""Random extracts and the bundled synthetic files."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from socdata.datasets import BUNDLED_KINDS, random_extract, write_bundled
from socdata.errors import SchemaError
from socdata.paths import synthetic_dir
from socdata.provenance import hash_file
from socdata.schemas import load_spec
from socdata.validate import validate_extract


@pytest.mark.parametrize("kind", list(BUNDLED_KINDS))
def test_random_extract_is_seeded_and_canonical(kind):
    a = random_extract(kind, n=30, seed=7)
    b = random_extract(kind, n=30, seed=7)
    c = random_extract(kind, n=30, seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    spec = load_spec(kind)
    assert list(a.columns) == list(spec.names) and len(a) == 30
    for col in spec.columns:
        assert str(a[col.name].dtype) == col.pandas_dtype


def test_random_extract_edge_cases():
    assert random_extract("service", n=0).shape == (0, 27)
    with pytest.raises(SchemaError, match="no random generator for extract kind 'nope'"):
        random_extract("nope")


def test_service_random_has_rereferrals_and_every_status():
    df = random_extract("service", n=400, seed=1)
    assert df["person_id"].duplicated().any()
    assert set(df["case_status"]) == {"Open", "Closed", "Not allocated", "Not started", "Unknown"}


@pytest.mark.parametrize("kind", list(BUNDLED_KINDS))
def test_bundled_files_validate(kind):
    res = validate_extract(synthetic_dir() / f"{kind}.csv", kind)
    assert res.ok and res.n_input > 0


def test_bundled_manifest_matches_files():
    manifest = json.loads((synthetic_dir() / "manifest.json").read_text())
    assert manifest["synthetic"] is True
    assert set(manifest["files"]) == {f"{k}.csv" for k in BUNDLED_KINDS}
    for name, digest in manifest["files"].items():
        assert hash_file(synthetic_dir() / name) == digest
        # and by a second route: hashlib over the file's bytes
        raw = (synthetic_dir() / name).read_bytes()
        assert digest == "sha256:" + hashlib.sha256(raw).hexdigest(), name


@pytest.mark.slow
def test_write_bundled_reproduces_the_committed_files(tmp_path):
    paths = write_bundled(
        tmp_path, seed=json.loads((synthetic_dir() / "manifest.json").read_text())["seed"]
    )
    manifest = json.loads(paths["manifest"].read_text())
    for kind in BUNDLED_KINDS:
        assert paths[kind].exists()
        assert manifest["files"][f"{kind}.csv"] == hash_file(paths[kind])
        assert hash_file(paths[kind]) == hash_file(synthetic_dir() / f"{kind}.csv"), (
            f"data/synthetic/{kind}.csv is stale: run `socdata synthesize`"
        )
    # the schema versions recorded beside the files are the current ones too
    committed = json.loads((synthetic_dir() / "manifest.json").read_text())
    assert manifest == committed, "data/synthetic/manifest.json is stale: run `socdata synthesize`"


def test_write_bundled_refuses_invalid_generator_output(tmp_path, monkeypatch):
    import socdata.datasets as ds
    from socdata.errors import SocdataError

    def broken(seed):
        plans = random_extract("plans", n=5, seed=seed)
        plans.loc[2, "plan_id"] = plans.loc[1, "plan_id"]
        return {
            "plans": plans,
            "service": random_extract("service", n=5, seed=seed),
            "participants": random_extract("participants", n=5, seed=seed),
        }

    real = ds._generators()
    monkeypatch.setattr(
        ds, "_generators", lambda: {**real, "socdata.soceis.synthetic.generate": broken}
    )
    with pytest.raises(SocdataError, match="generated extracts do not validate:\nplans: 2 rows"):
        ds.write_bundled(tmp_path, seed=1)
    assert not (tmp_path / "manifest.json").exists()
