"""Every notebook runs through ``socdata reproduce`` on the bundled synthetic data.

The run happens once per test session (it is slow); the tests then inspect its outputs.
Static checks of the notebook files (parameters cell, public API only) are fast.
"""

from __future__ import annotations

import ast
import json
import re

import jupytext
import pandas as pd
import pytest

from socdata.paths import notebooks_dir
from socdata.reproduce import list_notebooks, reproduce

#: Table ids that outside checks read (issue 3, "Interface that outside checks will call").
REQUIRED_TABLES = (
    "table1",
    "table2",
    "table3",
    "table4_referral_source",
    "table4_case_status",
    "table4_closure_reason",
    "table5",
    "outcomes_5_1_closed",
    "outcomes_5_1_open",
)
TIDY = ["table_id", "row_label", "column_label", "measure", "value"]

NOTEBOOKS = list_notebooks()


@pytest.fixture(scope="session")
def synthetic_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("reproduce-synthetic")
    run = reproduce(None, out, progress=None)
    return run


# ----------------------------------------------------------------------------- static checks


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_has_parameters_cell(path):
    nb = jupytext.read(path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{path.name} has no code cell"
    first = code[0]
    assert "parameters" in first.metadata.get("tags", []), (
        f"{path.name}: the first code cell must be tagged 'parameters'"
    )
    for name in ("data_dir", "out_dir", "disclosure"):
        assert re.search(rf"^{name}\s*=", first.source, re.M), f"{path.name}: no {name} parameter"
    assert re.search(r"^data_dir\s*=\s*None", first.source, re.M), (
        f"{path.name}: data_dir must default to None (the bundled synthetic extracts)"
    )
    assert re.search(r"^disclosure\s*=\s*[\"']auto[\"']", first.source, re.M)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_uses_public_api_only(path):
    tree = ast.parse(path.read_text())
    private = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("socdata"):
            parts = node.module.split(".")
            private += [f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
            private += [node.module] if any(p.startswith("_") for p in parts) else []
        elif isinstance(node, ast.Import):
            private += [
                a.name
                for a in node.names
                if a.name.startswith("socdata")
                and any(p.startswith("_") for p in a.name.split("."))
            ]
    assert not private, f"{path.name} uses private socdata names: {private}"
    calls = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    assert "to_csv" not in calls, f"{path.name}: write tables with socdata.report.write_table"
    assert "savefig" not in calls, f"{path.name}: save figures with socdata.report.save_figure"


def test_notebooks_folder_is_the_bundled_one():
    assert NOTEBOOKS, f"no NN_*.py notebooks in {notebooks_dir()}"
    assert NOTEBOOKS[0].name.startswith("00_")


# ----------------------------------------------------------------------------- executed run


@pytest.mark.slow
def test_every_notebook_runs(synthetic_run):
    run = synthetic_run
    assert run.ok, run.summary()
    assert [nb.name for nb in run.notebooks] == [p.name for p in NOTEBOOKS]
    assert run.synthetic and run.disclosure == "none"
    for nb in run.notebooks:
        assert nb.output is not None and nb.output.is_file()
    # executed copies never go back into the repository
    assert not list(notebooks_dir().glob("*.ipynb"))


@pytest.mark.slow
def test_run_writes_report_and_manifest(synthetic_run):
    out = synthetic_run.out_dir
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "ok" and m["data"]["synthetic"] is True
    assert set(m["inputs"]) >= {"service.csv"}
    html = (out / "report.html").read_text()
    assert "SYNTHETIC DATA" in html and 'id="flow"' in html
    flow = pd.read_csv(out / "tables" / "flow_referral_to_closure.csv")
    assert set(TIDY) <= set(flow.columns)


@pytest.mark.slow
def test_every_tidy_table_has_the_contract_columns(synthetic_run):
    for path in synthetic_run.tables:
        frame = pd.read_csv(path)
        if "row_label" in frame.columns:  # tidy tables (others are write_frame outputs)
            assert list(frame.columns[:5]) == TIDY, path.name
            assert (frame["table_id"] == path.stem).all(), path.name
        assert "disclosure" in frame.columns, path.name


@pytest.mark.slow
def test_required_table_ids_exist(synthetic_run):
    tables = {p.stem: p for p in synthetic_run.tables}
    missing = [t for t in REQUIRED_TABLES if t not in tables]
    assert not missing, f"missing tables: {missing}"
    for t in REQUIRED_TABLES:
        frame = pd.read_csv(tables[t])
        assert set(TIDY) <= set(frame.columns), t
        assert len(frame), t
        assert set(frame["measure"]) <= {"n", "pct", "mean", "min", "max", "fraction"}, t
        assert (frame["disclosure"] == "none").all(), t  # synthetic data: published as computed


def test_police_statements_contract(synthetic_run):
    """Issue 4's interface: one row per claim of the March 2024 summary's police section."""
    tables = {p.stem: p for p in synthetic_run.tables}
    assert "police_statements" in tables
    frame = pd.read_csv(tables["police_statements"])
    assert {"statement", "printed", "regenerated", "status"} <= set(frame.columns)
    assert set(frame["status"]) <= {"match", "differs", "not reproducible"}
    assert frame["statement"].str.contains("arrest", case=False).any()
    assert frame["statement"].str.contains("missing", case=False).any()


# ----------------------------------------------------------------------------- "real" data


@pytest.mark.slow
def test_real_data_outputs_pass_disclosure_control(real_run):
    run = real_run
    assert run.ok, run.summary()
    assert not run.synthetic and run.disclosure == "soceis-default-v1"
    assert not run.swimmer_plots
    assert not [p for p in run.figures if "swimmer" in p.name]
    for path in run.tables:
        frame = pd.read_csv(path)
        assert (frame["disclosure"] == "soceis-default-v1").all(), path.name
        if "measure" not in frame.columns:
            continue
        counts = frame[(frame["measure"] == "n") & frame["value"].notna()]
        assert not ((counts["value"] > 0) & (counts["value"] < 10)).any(), path.name
        assert (counts["value"] % 5 == 0).all(), path.name
        for col in ("numerator", "denominator"):
            if col in frame.columns:
                v = frame[col].dropna()
                assert not ((v > 0) & (v < 10)).any(), (path.name, col)
    html = (run.out_dir / "report.html").read_text()
    assert "REAL DATA" in html and "soceis-default-v1" in html
