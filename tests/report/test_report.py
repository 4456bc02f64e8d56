"""Report output: tables, frames, figures, synthetic-vs-real decision, HTML report, manifest."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import warnings

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from socdata.errors import DisclosureError, SocdataError
from socdata.provenance import hash_file
from socdata.report import (
    DEFAULT_RULE_SET,
    DisclosureOffWarning,
    UncontrolledColumnWarning,
    data_kind,
    get_rule_set,
    resolve_disclosure,
    save_figure,
    write_frame,
    write_table,
)
from socdata.report.html import ReportInputs, build_report, pivot_for_display
from socdata.report.manifest import write_manifest
from socdata.report.validation import validation_summary


def status_table() -> pd.DataFrame:
    """Case status by area with margins: Open 20/4, Closed 57/30."""
    counts = {"Open": {"Cardiff": 20, "Dundee": 4}, "Closed": {"Cardiff": 57, "Dundee": 30}}
    rows = []
    for status, by_area in counts.items():
        rows += [(status, a, "n", v) for a, v in by_area.items()]
        rows.append((status, "Overall", "n", sum(by_area.values())))
    for area in ("Cardiff", "Dundee"):
        rows.append(("Total", area, "n", sum(c[area] for c in counts.values())))
    rows.append(("Total", "Overall", "n", 111))
    frame = pd.DataFrame(rows, columns=["row_label", "column_label", "measure", "value"])
    return frame.assign(table_id="table4_case_status")


# ------------------------------------------------------------------------------ write_table


def test_write_table_default_rules_and_columns(tmp_path):
    t = status_table()
    path = write_table(t, tmp_path, table_id="table4_case_status")
    assert path == tmp_path / "tables" / "table4_case_status.csv"
    out = pd.read_csv(path)
    assert list(out.columns[:5]) == ["table_id", "row_label", "column_label", "measure", "value"]
    assert list(out.columns[-2:]) == ["disclosure", "disclosure_status"]
    assert (out["disclosure"] == "soceis-default-v1").all()  # nothing set: safe default
    cell = out.set_index(["row_label", "column_label"])
    assert pd.isna(cell.loc[("Open", "Dundee"), "value"])
    assert cell.loc[("Open", "Dundee"), "disclosure_status"] == "suppressed (count 1-9)"
    assert "table_id" in t and len(t) == 9  # input untouched


def test_write_table_none_keeps_values(tmp_path):
    t = status_table()
    out = pd.read_csv(write_table(t, tmp_path, disclosure="none"))
    assert out["value"].tolist() == t["value"].tolist()
    assert (out["disclosure_status"] == "not applied").all()


def test_write_table_table_id_rules(tmp_path):
    t = status_table().drop(columns="table_id")
    with pytest.raises(DisclosureError, match="table_id"):
        write_table(t, tmp_path)
    with pytest.raises(DisclosureError, match="holds"):
        write_table(status_table(), tmp_path, table_id="other")
    with pytest.raises(SocdataError, match="safe file name"):
        write_table(t, tmp_path, table_id="../escape")
    with pytest.raises(DisclosureError, match="identifier"):
        write_table(status_table().assign(person_id="x"), tmp_path)
    with pytest.raises(DisclosureError, match="lacks column"):
        write_table(status_table().drop(columns="measure"), tmp_path)


def test_auto_resolution(tmp_path, monkeypatch):
    assert resolve_disclosure("auto") is DEFAULT_RULE_SET
    assert resolve_disclosure("none").name == "none"
    # no environment variable is read: "auto" without a data folder is the safe default
    monkeypatch.setenv("SOCDATA_DISCLOSURE", "none")
    assert resolve_disclosure("auto") is DEFAULT_RULE_SET
    assert resolve_disclosure("soceis-strict-v1").name == "soceis-strict-v1"
    out = pd.read_csv(write_table(status_table(), tmp_path, disclosure="soceis-strict-v1"))
    assert (out["disclosure"] == "soceis-strict-v1").all()
    # a folder that is not the bundled synthetic data resolves to the default
    (tmp_path / "service.csv").write_text("a\n1\n")
    assert resolve_disclosure("auto", data_dir=tmp_path) is DEFAULT_RULE_SET


def test_disclosure_off_on_real_data_warns_once_in_the_run_context(tmp_path):
    from socdata.pipeline import RunContext

    (tmp_path / "service.csv").write_text("a\n1\n")
    with pytest.warns(DisclosureOffWarning, match="DISCLOSURE CONTROL IS OFF"):
        RunContext.resolve(tmp_path, tmp_path / "out", disclosure="none")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DisclosureOffWarning)
        RunContext.resolve(None, tmp_path / "out", disclosure="none")  # synthetic: no warning


def test_write_frame(tmp_path):
    f = pd.DataFrame(
        {
            "statement": ["arrests fell", "missing episodes fell"],
            "printed": ["52%", "n=3"],
            "regenerated": [48, 3],
            "status": ["differs", "match"],
        }
    )
    path = write_frame(f, tmp_path, name="police_statements", count_columns=["regenerated"])
    out = pd.read_csv(path)
    assert path.name == "police_statements.csv"
    assert list(out.columns[:4]) == ["statement", "printed", "regenerated", "status"]
    assert out["regenerated"].iloc[0] == 50 and pd.isna(out["regenerated"].iloc[1])
    assert out["printed"].tolist() == ["52%", "n=3"]
    with pytest.raises(DisclosureError, match="identifier"):
        write_frame(f.assign(date_of_birth="2008-01-01"), tmp_path, name="x")


# ------------------------------------------------------------------------------ figures


def test_save_figure_is_reproducible(tmp_path):
    def draw():
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.plot([0, 1, 2], [2, 1, 3])
        return fig

    fig = draw()
    p1 = save_figure(fig, tmp_path / "a", name="fig2_cardiff")
    p2 = save_figure(draw(), tmp_path / "b", name="fig2_cardiff.png")
    plt.close("all")
    assert p1 == tmp_path / "a" / "figures" / "fig2_cardiff.png"
    assert p1.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert hashlib.sha256(p1.read_bytes()).digest() == hashlib.sha256(p2.read_bytes()).digest()
    with pytest.raises(SocdataError, match="safe file name"):
        save_figure(fig, tmp_path, name="a/b")


# ------------------------------------------------------------------------------ synthetic?


def _fake_bundle(tmp_path):
    ref = tmp_path / "bundled"
    ref.mkdir()
    (ref / "service.csv").write_text("person_id,area\nS1,Cardiff\n")
    (ref / "plans.csv").write_text("plan_id\nP1\n")
    files = {p.name: hash_file(p) for p in ref.glob("*.csv")}
    (ref / "manifest.json").write_text(json.dumps({"synthetic": True, "files": files}))
    return ref


def test_data_kind_by_hash(tmp_path):
    ref = _fake_bundle(tmp_path)
    assert data_kind(ref, reference=ref).synthetic
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "service.csv").write_bytes((ref / "service.csv").read_bytes())
    assert data_kind(copy, reference=ref).synthetic  # a subset copy is still synthetic
    (copy / "service.csv").write_text("person_id,area\nS1,Newcastle\n")
    kind = data_kind(copy, reference=ref)
    assert not kind.synthetic and "differs" in kind.reason
    (copy / "service.csv").write_bytes((ref / "service.csv").read_bytes())
    (copy / "police_events.csv").write_text("event_id\nE1\n")
    assert not data_kind(copy, reference=ref).synthetic
    # a manifest inside the classified folder is never trusted
    real = tmp_path / "real"
    real.mkdir()
    (real / "service.csv").write_text("person_id\nREAL\n")
    (real / "manifest.json").write_text(
        json.dumps({"synthetic": True, "files": {"service.csv": hash_file(real / "service.csv")}})
    )
    assert not data_kind(real, reference=ref).synthetic
    assert not data_kind(tmp_path / "empty", reference=ref).synthetic


# ------------------------------------------------------------------------------ html + manifest


def test_pivot_for_display():
    t = pd.DataFrame(
        {
            "row_label": ["Police", "Police", "Other"],
            "column_label": ["Cardiff", "Cardiff", "Cardiff"],
            "measure": ["n", "pct", "n"],
            "value": [12, 21.0, None],
            "disclosure_status": ["rounded", "shown", "suppressed (count 1-9)"],
        }
    )
    p = pivot_for_display(t)
    assert list(p.columns) == ["", "Cardiff"]  # counts and percentages: "n (pct%)"
    assert p.iloc[0].tolist() == ["Police", "12 (21%)"]
    assert p.iloc[1, 1] == "[c]"


def test_build_report_self_contained(tmp_path):
    write_table(status_table(), tmp_path)
    write_frame(
        pd.DataFrame(
            {"statement": ["s"], "printed": ["1"], "regenerated": [1], "status": ["match"]}
        ),
        tmp_path,
        name="police_statements",
        disclosure="none",
    )
    fig, ax = plt.subplots()
    ax.bar([1, 2], [3, 4])
    save_figure(fig, tmp_path, name="figure2_cardiff")
    plt.close(fig)
    inputs = ReportInputs(
        synthetic=False,
        data_reason="test",
        rules=get_rule_set("none"),
        validation=validation_summary(tmp_path / "tables"),
        notebooks=[
            {
                "name": "00_x.py",
                "status": "failed",
                "seconds": 1.0,
                "error": "cell 2: KeyError: 'a'",
            }
        ],
        notes=["comparison not available"],
    )
    path = build_report(tmp_path, inputs)
    text = path.read_text()
    assert "DISCLOSURE CONTROL IS SWITCHED OFF" in text
    assert "REAL DATA" in text and "FAILED" in text and "KeyError" in text
    assert "not checked by disclosure control" in text  # figures from real data
    assert "table4_case_status" in text and "police_statements" in text
    assert "<script" not in text
    m = re.search(r'src="data:image/png;base64,([^"]+)"', text)
    assert m and base64.b64decode(m.group(1))[:4] == b"\x89PNG"
    assert "http://" not in text and "https://" not in text  # no external resources
    for section in ("validation", "flow", "comparison", "audit", "figures"):
        assert f'id="{section}"' in text


def test_manifest(tmp_path):
    write_table(status_table(), tmp_path)
    path = write_manifest(
        tmp_path,
        inputs={"service.csv": "sha256:abc"},
        parameters={"out_dir": tmp_path, "disclosure": "soceis-default-v1"},
        notebooks=[{"name": "00_x.py", "status": "ok", "seconds": 1.5, "error": None}],
        started="2026-01-01T00:00:00+00:00",
        finished="2026-01-01T00:00:05+00:00",
    )
    m = json.loads(path.read_text())
    assert m["inputs"] == {"service.csv": "sha256:abc"}
    assert m["parameters"]["out_dir"] == str(tmp_path)
    assert m["notebooks"][0]["seconds"] == 1.5
    assert m["python_version"] and m["socdata_version"]
    assert m["outputs"]["tables/table4_case_status.csv"].startswith("sha256:")


def test_uncontrolled_numeric_columns_are_left_out(tmp_path):
    t = status_table().assign(
        exact=lambda f: f["value"], raw=lambda f: f["value"], note="as printed", step=1
    )
    with pytest.warns(UncontrolledColumnWarning, match="raw") as caught:
        path = write_table(t, tmp_path, keep_columns=["step"])
    # `exact` (the unrounded value the table builders keep for the comparison) is known
    # never to be released: dropped without a warning
    assert not any("exact" in str(w.message) for w in caught)
    out = pd.read_csv(path)
    assert "exact" not in out.columns and "raw" not in out.columns  # would give counts back
    assert out["step"].tolist() == [1] * len(t) and (out["note"] == "as printed").all()
    kept = pd.read_csv(write_table(t, tmp_path, disclosure="none"))
    assert kept["exact"].tolist() == t["value"].tolist()
    with pytest.raises(DisclosureError, match="keep_columns"):
        write_table(t, tmp_path, keep_columns=["nope"])


def test_validation_summary_counts_rejected_rows(tmp_path):
    from socdata.paths import synthetic_dir
    from socdata.validate import validate_extract

    service = pd.read_csv(synthetic_dir() / "service.csv", dtype=str)
    service.loc[[0, 1], "gender"] = "Unknown gender"  # not an allowed label
    service.loc[1, "nation"] = "Atlantis"  # a second problem on the same row
    service.to_csv(tmp_path / "service.csv", index=False)
    (tmp_path / "notes.txt").write_text("not an extract")
    s = validation_summary(tmp_path)
    ref = validate_extract(tmp_path / "service.csv", "service")
    row = s.extracts.set_index("kind").loc["service"]
    assert (row["rows"], row["valid"], row["rejected"]) == (len(service), len(service) - 2, 2)
    assert row["rejected"] == ref.n_rejected and row["status"] == "rows rejected"
    assert s.extracts.set_index("kind").loc["plans", "status"] == "absent"
    assert s.rules["problems"].sum() >= 3 and set(s.rules["kind"]) == {"service"}
    assert s.unknown_files == ("notes.txt",)
    assert not s.ok


def test_bundled_synthetic_data_resolve_to_none():
    assert data_kind(None).synthetic  # the bundled files match their manifest
    assert resolve_disclosure("auto", data_dir=None).name == "none"
    assert resolve_disclosure("soceis-default-v1", data_dir=None) is DEFAULT_RULE_SET
