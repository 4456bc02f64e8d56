"""Schema files: structure, discovery, and agreement with the pandera models rule for rule."""

from __future__ import annotations

import shutil
import warnings

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest
import yaml

from socdata.datasets import random_extract
from socdata.errors import SchemaError
from socdata.paths import schemas_dir
from socdata.schemas import CHECKS, COLUMN_CHECKS, DTYPES, KINDS, available_kinds, load_spec
from socdata.schemas.pandera_model import build_pandera_schema, pandera_schema, spec_from_pandera
from socdata.validate import validate_extract

CORE = ("service", "plans", "participants", "police_persons", "police_events", "police_missing")


def test_kinds_discovered_from_every_yaml_file(tmp_path):
    assert KINDS[: len(CORE)] == CORE
    assert set(KINDS) == {p.stem for p in schemas_dir().glob("*.yaml")}
    for p in schemas_dir().glob("*.yaml"):
        shutil.copy(p, tmp_path / p.name)
    text = (
        (schemas_dir() / "police_missing.yaml")
        .read_text()
        .replace("kind: police_missing", "kind: a_new_kind")
        .replace("police_missing.", "a_new_kind.")
    )
    (tmp_path / "a_new_kind.yaml").write_text(text)
    kinds = available_kinds(tmp_path)
    assert "a_new_kind" in kinds and kinds[: len(CORE)] == CORE
    assert load_spec("a_new_kind", folder=tmp_path).kind == "a_new_kind"


@pytest.mark.parametrize("kind", KINDS)
def test_schema_file_is_complete_for_suppliers(kind):
    spec = load_spec(kind)
    assert spec.version.count(".") == 2
    assert spec.unit and spec.source and spec.title
    for c in spec.columns:
        assert c.description, f"{kind}.{c.name} has no description"
        assert c.dtype in DTYPES
    for r in spec.rules:
        assert r.words and r.check in CHECKS


def test_contract_columns():
    svc = load_spec("service")
    assert svc.column("referral_source").allowed == (
        "Children's Services",
        "Police",
        "Youth Justice Service",
        "Third Sector Agency",
        "Probation",
        "Education",
        "Other",
        "Not known",
    )
    assert svc.column("closure_reason").allowed == (
        "Intervention completed",
        "Support from other services",
        "Other",
        "Declined support",
    )
    assert svc.column("case_status").allowed == (
        "Open",
        "Closed",
        "Not allocated",
        "Not started",
        "Unknown",
    )
    assert [c for c in svc.names if c.startswith("outcome_")] == [
        "outcome_reduced_offending",
        "outcome_reduced_exploitation",
        "outcome_decision_making",
        "outcome_ete_engagement",
        "outcome_family_relationships",
        "outcome_positive_any",
    ]
    plans = load_spec("plans")
    assert len([c for c in plans.names if c.startswith("domain_")]) == 18
    assert {t["term"] for t in svc.definitions} >= {"closed", "engaged"}
    assert "Declined support" in next(t["words"] for t in svc.definitions if t["term"] == "engaged")
    assert set(svc.sensitive_names) == {"person_id", "referral_id", "date_of_birth"}


# ----------------------------------------------------------------- YAML <-> pandera agreement


def _yaml_view(kind):
    """Read the YAML file directly (not through load_spec) into the comparison's terms."""
    raw = yaml.safe_load((schemas_dir() / f"{kind}.yaml").read_text(encoding="utf-8"))
    cols = {}
    for c in raw["columns"]:
        allowed = c.get("allowed")
        cols[c["name"]] = {
            "dtype": c["dtype"],
            "required": c.get("required", False),
            "nullable": c.get("nullable", True),
            "allowed": tuple(allowed) if allowed is not None else None,
            "min": c.get("min"),
            "max": c.get("max"),
            "pattern": c.get("pattern"),
        }
    return raw, cols


@pytest.mark.parametrize("kind", KINDS)
def test_yaml_and_pandera_agree_both_ways(kind):
    raw, cols = _yaml_view(kind)
    model = pandera_schema(kind)
    back = spec_from_pandera(model)
    assert back["kind"] == raw["kind"] and back["version"] == str(raw["version"])
    # columns: same set, same order, same properties
    assert list(back["columns"]) == list(cols)
    for name, want in cols.items():
        got = {k: back["columns"][name][k] for k in want}
        assert got == want, f"{kind}.{name}"
        # text columns are pandera's `str` (object on pandas 2, the str dtype on pandas 3)
        text = {str(DTYPES[want["dtype"]]), "str", str(pa.Column(str).dtype)}
        assert back["columns"][name]["pandas_dtype"] in text
    # rules: every YAML rule id is in the model and every model check is a YAML rule
    yaml_ids = {r["id"] for r in raw["rules"]}
    assert back["rule_ids"] == yaml_ids
    # each dataframe check of the model carries the rule's words and severity
    by_id = {r["id"]: r for r in raw["rules"]}
    for chk in model.checks:
        r = by_id[chk.name]
        assert chk.raise_warning == (r.get("severity", "error") == "warning")
        assert " ".join(str(r["words"]).split()) in chk.error


def test_schema_without_a_column_rule_is_refused(tmp_path):
    text = (schemas_dir() / "participants.yaml").read_text()
    bad = text.replace("check: ranges", "check: unique\n    columns: [phase]")
    (tmp_path / "participants.yaml").write_text(bad)
    with pytest.raises(SchemaError, match="need a rule with check ranges"):
        load_spec("participants", folder=tmp_path)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("dtype: integer", "dtype: int", "dtype 'int' is not one of"),
        (
            "    by: [participant_id]",
            "    by: [participant_ident]",
            "names column 'participant_ident', which the schema lacks",
        ),
        ("id: participants.R06", "id: participants.R6", "must look like 'participants.R07'"),
        ("check: unique", "check: uniq", "check 'uniq' is not one of"),
        (
            "aliases: [Phase, Evaluation phase]",
            "aliases: [Phase, Role]",
            "alias 'Role' of phase also names role",
        ),
        ("Young people, Parents,", "Yes, Parents,", "quote Yes/No/True/False"),
        ("kind: participants", "kind: participant", "differs from the file name"),
    ],
)
def test_malformed_schema_files(tmp_path, old, new, message):
    text = (schemas_dir() / "participants.yaml").read_text()
    assert old in text
    (tmp_path / "participants.yaml").write_text(text.replace(old, new, 1))
    with pytest.raises(SchemaError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_spec("participants", folder=tmp_path)


def test_unknown_kind():
    with pytest.raises(
        SchemaError, match="unknown extract kind 'servic'; choose one of: service, plans"
    ):
        load_spec("servic")


# ----------------------------------------------------------------- pandera as a second check


@pytest.mark.parametrize("kind", CORE)
def test_pandera_accepts_valid_random_extracts(kind):
    df = random_extract(kind, n=60, seed=4)
    schema = pandera_schema(kind)
    # not an empty schema that accepts anything: one pandera column per spec column
    assert list(schema.columns) == [c.name for c in load_spec(kind).columns]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = schema.validate(df, lazy=True)
    pd.testing.assert_frame_equal(out, df)


def _pandera_failures(kind, frame):
    try:
        pandera_schema(kind).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        return set(zip(fc["index"].astype(int), fc["column"].fillna(""), strict=True))
    return set()


def test_pandera_builtin_checks_agree_with_validator_on_column_rules():
    """Column rules: pandera's built-in isin/in_range/str_matches flag the same cells."""
    rng = np.random.default_rng(0)
    df = random_extract("police_persons", n=80, seed=9)
    bad = df.copy()
    rows_dec = rng.choice(80, size=5, replace=False)
    bad.loc[rows_dec, "deprivation_decile"] = 12
    bad.loc[rows_dec, "deprivation_index"] = "SIMD"
    rows_g = rng.choice(80, size=4, replace=False)
    bad["gender"] = bad["gender"].astype(object)
    bad.loc[rows_g, "gender"] = "Robot"
    ours = validate_extract(bad, "police_persons").rejected
    ours_cells = {(r - 2, c) for r, c in zip(ours["row"], ours["column"], strict=True)}
    theirs = _pandera_failures("police_persons", bad)
    assert {(int(i), "deprivation_decile") for i in rows_dec} <= theirs
    assert {(int(i), "gender") for i in rows_g} <= theirs
    assert {x for x in theirs if x[1] in ("deprivation_decile", "gender")} == {
        x for x in ours_cells if x[1] in ("deprivation_decile", "gender")
    }


def test_pandera_frame_checks_flag_the_same_rows_as_validator():
    df = random_extract("service", n=50, seed=12)
    closed = np.flatnonzero((df["case_status"] == "Closed").to_numpy())[:3]
    df.loc[closed, "intervention_end_date"] = pd.NaT
    model = build_pandera_schema(load_spec("service"))
    with pytest.raises(pa.errors.SchemaErrors) as info:
        model.validate(df, lazy=True)
    fc = info.value.failure_cases
    assert set(fc["check"]) == {"service.R09: " + load_spec("service").rule("service.R09").words}
    assert sorted(fc["index"].astype(int).unique()) == sorted(closed.tolist())


def test_column_checks_list_is_complete():
    assert set(COLUMN_CHECKS) < set(CHECKS)
