"""Pseudonymous linkage: keyed hashes, rules against a brute-force reference, the report
against the synthetic truth, and the secret kept out of every output."""

from __future__ import annotations

import hashlib
import hmac
import json
import pickle
from itertools import product

import pandas as pd
import pytest

from socdata.datasets.linked import bundled_truth
from socdata.linkage import (
    LinkageError,
    Secret,
    hash_identifiers,
    link_records,
    link_service_police,
    linkage_report,
    read_secret,
)
from socdata.paths import synthetic_dir
from socdata.validate import validate_extract

SECRET = b"test-secret-0123456789-abcdefXYZ"


def _ids(rows):
    cols = ["source", "record_id", "child_identifier", "date_of_birth", "gender", "area"]
    df = pd.DataFrame(rows, columns=cols)
    df["date_of_birth"] = pd.to_datetime(df["date_of_birth"])
    return df


SMALL = _ids(
    [
        ("Service", "S1", "u12-345", "2008-01-02", "Male", "Cardiff"),  # exact (formatting)
        ("Police", "P1", "U12345", "2008-01-02", "Male", "Cardiff"),
        ("Service", "S2", None, "2007-05-06", "Female", "Cardiff"),  # fallback
        ("Police", "P2", None, "2007-05-06", "Female", " cardiff "),
        ("Service", "S3", None, "2006-03-03", "Male", "Newcastle"),  # twins: ambiguous
        ("Police", "P3", None, "2006-03-03", "Male", "Newcastle"),
        ("Police", "P4", None, "2006-03-03", "Male", "Newcastle"),
        ("Service", "S5", "A1", "2009-09-09", "Male", "Dundee"),  # conflicting identifier
        ("Service", "S6", "A1", "2009-09-10", "Male", "Dundee"),
        ("Police", "P5", "A1", "2001-01-01", "Male", "Dundee"),
        ("Service", "S7", None, None, "Male", "Dundee"),  # no usable key
        ("Police", "P6", None, "2005-05-05", "Not known", "Dundee"),  # no usable key
        ("Police", "P7", "ZZ9", "2004-04-04", "Male", "Cardiff"),  # no partner
    ]
)


def _brute_force(ids: pd.DataFrame) -> set[tuple[str, str, str]]:
    """The rules on the raw normalised values, by enumerating all pairs (no hashing)."""

    def uci(v):
        return "".join(ch for ch in str(v).upper() if ch.isalnum()) or None if v else None

    def fb(r):
        if pd.isna(r.date_of_birth) or r.gender == "Not known":
            return None
        return (r.date_of_birth.date(), r.gender, " ".join(r.area.lower().split()))

    svc = [r for r in ids.itertuples() if r.source == "Service"]
    pol = [r for r in ids.itertuples() if r.source == "Police"]

    def stage(ss, pp, key):
        ks = [key(x) for x in ss]  # every key computed once; then every pair compared
        kp = [key(x) for x in pp]
        out = []
        for (s, a), (p, b) in product(zip(ss, ks, strict=True), zip(pp, kp, strict=True)):
            if a is not None and a == b and ks.count(a) == 1 and kp.count(b) == 1:
                out.append((s.record_id, p.record_id))
        return out

    exact = stage(svc, pol, lambda r: uci(r.child_identifier))
    ls, lp = {a for a, _ in exact}, {b for _, b in exact}
    fall = stage(
        [s for s in svc if s.record_id not in ls], [p for p in pol if p.record_id not in lp], fb
    )
    return {(a, b, "exact") for a, b in exact} | {(a, b, "fallback") for a, b in fall}


def test_keyed_hash_is_hmac_sha256_of_the_normalised_identifier():
    hashed = hash_identifiers(SMALL, Secret(SECRET))
    ref = hmac.new(SECRET, b"uci\x1fU12345", hashlib.sha256).hexdigest()
    assert hashed.loc[0, "key_exact"] == ref == hashed.loc[1, "key_exact"]
    ref_fb = hmac.new(
        SECRET, b"dob+gender+area\x1f2007-05-06\x1fFemale\x1fcardiff", hashlib.sha256
    ).hexdigest()
    assert hashed.loc[2, "key_fallback"] == ref_fb == hashed.loc[3, "key_fallback"]
    other = hash_identifiers(SMALL, Secret(b"another-secret-of-32-bytes-long!"))
    assert not set(other["key_exact"].dropna()) & set(hashed["key_exact"].dropna())


def test_rules_match_brute_force_and_account_for_every_record():
    lk = link_records(hash_identifiers(SMALL, Secret(SECRET)))
    got = set(lk.pairs.itertuples(index=False, name=None))
    assert got == _brute_force(SMALL) == {("S1", "P1", "exact"), ("S2", "P2", "fallback")}
    status = dict(zip(lk.records["record_id"], lk.records["status"], strict=True))
    assert status == {
        "S1": "linked exact",
        "P1": "linked exact",
        "S2": "linked fallback",
        "P2": "linked fallback",
        "S3": "fallback key not unique",
        "P3": "fallback key not unique",
        "P4": "fallback key not unique",
        "S5": "conflicting identifier",
        "S6": "conflicting identifier",
        "P5": "no partner",
        "S7": "no usable key",
        "P6": "no usable key",
        "P7": "no partner",
    }
    assert len(lk.records) == len(SMALL)


@pytest.fixture(scope="module")
def bundled():
    path = synthetic_dir() / "linkage_identifiers.csv"
    ids = validate_extract(path, "linkage_identifiers").valid
    return ids, bundled_truth(path)


def test_bundled_linkage_matches_brute_force_and_truth_counts(bundled):
    ids, truth = bundled
    assert truth is not None and len(truth) == 208
    lk, rep = link_service_police(ids, Secret(SECRET), truth=truth)
    got = set(lk.pairs.itertuples(index=False, name=None))
    assert got == _brute_force(ids)
    true = set(zip(truth["service_id"], truth["police_id"], strict=True))
    pairs = {(s, p) for s, p, _ in got}
    q = rep.quality.set_index(["rule", "area"])
    allq = q.loc[("all", "Overall")]
    assert allq["links"] == len(pairs)
    assert allq["true_links"] == len(pairs & true)
    assert allq["false_matches"] == len(pairs - true)
    assert allq["missed"] == len(true - pairs)
    assert allq["precision"] == round(100 * len(pairs & true) / len(pairs), 1)
    assert q.loc[("exact", "Overall"), "false_matches"] == 0  # identifiers never mislead here
    # the 15 comparator "twins" of children not in police data are the fallback's trap
    assert q.loc[("fallback", "Overall"), "false_matches"] >= 15
    area = rep.by_area.set_index("area")
    svc = ids[ids["source"] == "Service"]
    assert area.loc["Overall", "service_records"] == len(svc)
    assert area.loc["Cardiff", "linked"] == sum(
        s in set(svc.loc[svc["area"] == "Cardiff", "record_id"]) for s, _ in pairs
    )


def test_truth_only_for_the_bundled_bytes(tmp_path):
    src = synthetic_dir() / "linkage_identifiers.csv"
    crlf = tmp_path / "linkage_identifiers.csv"
    crlf.write_bytes(src.read_bytes().replace(b"\n", b"\r\n"))
    assert bundled_truth(crlf) is None


def test_secret_never_reaches_outputs(tmp_path, monkeypatch, bundled):
    from socdata.report import write_table

    secret_text = "Sup3r-Secret-Linkage-Key-4242-XYZ"
    monkeypatch.setenv("SOCDATA_TEST_LINKAGE_SECRET", secret_text)
    secret = read_secret(env="SOCDATA_TEST_LINKAGE_SECRET")
    ids, truth = bundled
    _lk, rep = link_service_police(ids, secret, truth=truth)
    for tid, table in rep.to_tables().items():
        write_table(table, tmp_path, table_id=tid, disclosure="none")
    (tmp_path / "summary.txt").write_text(rep.summary() + repr(secret) + str(secret))
    (tmp_path / "prov.json").write_text(json.dumps(rep.provenance.to_dict(), default=str))
    (tmp_path / "result.pkl").write_bytes(pickle.dumps(rep))
    needles = [secret_text.encode(), secret_text.encode().hex().encode()]
    for f in tmp_path.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            assert not any(n in data for n in needles), f
    assert "env:SOCDATA_TEST_LINKAGE_SECRET" in rep.summary()
    with pytest.raises(LinkageError):
        pickle.dumps(secret)
    # and the report holds no record ids or keys
    blob = pickle.dumps(rep)
    assert b"SYN-LP-" not in blob and b"SYN-YP-" not in blob


def test_read_secret_errors(tmp_path, monkeypatch):
    with pytest.raises(LinkageError, match="exactly one"):
        read_secret()
    with pytest.raises(LinkageError, match="does not exist"):
        read_secret(path=tmp_path / "nope")
    monkeypatch.delenv("SOCDATA_NOPE", raising=False)
    with pytest.raises(LinkageError, match="not set"):
        read_secret(env="SOCDATA_NOPE")
    short = tmp_path / "short"
    short.write_text("abc\n")
    with pytest.raises(LinkageError, match="at least 16"):
        read_secret(path=short)
    good = tmp_path / "key"
    good.write_text("0123456789abcdef0123\n")
    assert (
        read_secret(path=good).digest("x")
        == hmac.new(b"0123456789abcdef0123", b"x", hashlib.sha256).hexdigest()
    )


def test_link_records_rejects_bad_input():
    hashed = hash_identifiers(SMALL, Secret(SECRET))
    with pytest.raises(LinkageError, match="Service or Police"):
        link_records(hashed.assign(source="Other"))
    with pytest.raises(LinkageError, match="repeated"):
        link_records(pd.concat([hashed, hashed.iloc[[0]]]))
    with pytest.raises(LinkageError, match="lack columns"):
        link_records(hashed.drop(columns="key_fallback"))
    lk = link_records(hashed)
    assert linkage_report(hashed, lk).quality.empty
