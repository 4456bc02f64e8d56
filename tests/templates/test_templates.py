"""Supplier templates: the Table Schema export round-trips every rule of the YAML, validates
with frictionless (the bundled files pass, a broken file fails), and the XLSX workbook
carries the dictionary, the rules and drop-down validation read back with openpyxl."""

from __future__ import annotations

import json
import shutil

import frictionless
import openpyxl
import pytest
import yaml

from socdata.datasets import BUNDLED_KINDS
from socdata.errors import SocdataError
from socdata.paths import schemas_dir, synthetic_dir
from socdata.schemas import KINDS
from socdata.templates import (
    DICTIONARY_COLUMNS,
    spec_from_table_schema,
    table_schema,
    validate_package,
    write_data_package,
    write_xlsx_template,
)


def _norm_words(x):
    return " ".join(str(x).split())


def _yaml(kind):
    """The schema file parsed independently, with the YAML's defaults made explicit."""
    raw = yaml.safe_load((schemas_dir() / f"{kind}.yaml").read_text(encoding="utf-8"))
    cols = []
    for c in raw["columns"]:
        c = dict(c)
        c.setdefault("required", False)
        c.setdefault("nullable", True)
        c["description"] = _norm_words(c.get("description", ""))
        c.pop("sensitive", None) if c.get("sensitive") is False else None
        cols.append(c)

    def rules(rs):
        out = []
        for r in rs or ():
            r = dict(r)
            r["words"] = _norm_words(r["words"])
            r.setdefault("severity", "error")
            out.append(r)
        return out

    return {
        "kind": raw["kind"],
        "version": str(raw["version"]),
        "primary_key": raw.get("primary_key", []),
        "columns": cols,
        "rules": rules(raw["rules"]),
        "links": rules(raw.get("links")),
        "definitions": [
            {"term": d["term"], "words": _norm_words(d["words"])}
            for d in raw.get("definitions") or ()
        ],
    }


@pytest.mark.parametrize("kind", KINDS)
def test_table_schema_round_trip_loses_no_rule(kind):
    desc = table_schema(kind)
    # through JSON and through frictionless' own model and back
    via = frictionless.Schema.from_descriptor(json.loads(json.dumps(desc))).to_descriptor()
    back = spec_from_table_schema(via)
    ref = _yaml(kind)
    for key in ("kind", "version", "primary_key", "rules", "links", "definitions"):
        assert back[key] == ref[key], key
    assert len(back["columns"]) == len(ref["columns"])
    for got, want in zip(back["columns"], ref["columns"], strict=True):
        assert {k: v for k, v in got.items()} == {k: v for k, v in want.items()}, want["name"]
    assert {r["id"] for r in back["rules"] + back["links"]} == {
        r["id"] for r in ref["rules"] + ref["links"]
    }


def test_table_schemas_are_valid_frictionless_metadata():
    for kind in KINDS:
        assert list(frictionless.Schema.metadata_validate(table_schema(kind))) == [], kind


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pkg")
    for kind in BUNDLED_KINDS:
        shutil.copy(synthetic_dir() / f"{kind}.csv", folder)
    return write_data_package(list(BUNDLED_KINDS), folder)


def test_bundled_files_validate_against_the_package(package):
    problems = validate_package(package, limit_rows=300)
    assert set(problems) == set(BUNDLED_KINDS)
    assert all(v == [] for v in problems.values()), problems


def test_broken_file_fails_frictionless_validation(package, tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    shutil.copy(package, folder)
    text = (synthetic_dir() / "nrm.csv").read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    row = text[1].split(",")
    row[header.index("first_responder")] = "Astrologer"
    text[1] = ",".join(row)
    (folder / "nrm.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    cut = ",".join(h for h in header if h != "referral_date")
    (folder / "arrest_outcomes.csv").write_text(cut + "\n", encoding="utf-8")
    problems = validate_package(folder / "datapackage.json", kinds=["nrm"])
    assert any("first_responder" in p and "constraint" in p for p in problems["nrm"])


def test_xlsx_template_has_dictionary_rules_and_dropdowns(tmp_path):
    path = write_xlsx_template("missing_detail", tmp_path / "missing_detail.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["data", "lists", "dictionary", "rules"]
    data = wb["data"]
    from socdata.schemas import load_spec

    spec = load_spec("missing_detail")
    assert [c.value for c in data[1]] == list(spec.names)
    dic = wb["dictionary"]
    assert tuple(c.value for c in dic[1]) == DICTIONARY_COLUMNS
    assert [r[0].value for r in dic.iter_rows(min_row=2)] == list(spec.names)
    rules = [r[0].value for r in wb["rules"].iter_rows(min_row=2) if r[0].value]
    assert {r.id for r in spec.rules} <= set(rules)
    lists = wb["lists"]
    dvs = data.data_validations.dataValidation
    by_col = {}
    for dv in dvs:
        for rng in dv.sqref.ranges:
            by_col[rng.min_col] = dv
    for j, c in enumerate(spec.columns, start=1):
        if c.allowed:
            dv = by_col[j]
            assert dv.type == "list"
            ref = dv.formula1.split("!")[1].replace("$", "")
            cells = [x.value for row in lists[ref] for x in row]
            assert tuple(cells) == c.allowed
    with pytest.raises(SocdataError, match="exists"):
        write_xlsx_template("missing_detail", path)


def test_filled_template_validates(tmp_path):
    from socdata.datasets import random_extract
    from socdata.validate import validate_extract

    path = write_xlsx_template("nrm", tmp_path / "nrm.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["data"]
    frame = random_extract("nrm", n=5, seed=3)
    for i, rec in enumerate(frame.itertuples(index=False), start=2):
        for j, v in enumerate(rec, start=1):
            ws.cell(
                row=i,
                column=j,
                value=None
                if v is None or v != v
                else (v.to_pydatetime() if hasattr(v, "to_pydatetime") else v),
            )
    wb.save(path)
    res = validate_extract(path, "nrm", sheet="data")
    assert res.ok and res.n_input == 5
