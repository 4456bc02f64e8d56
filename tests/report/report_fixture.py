"""A realistic ``report.html`` built quickly (no notebooks): the report's tables from the
bundled synthetic extracts, the comparison with the published figures, the audit, a
table of DiD estimates and a figure."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

import socdata
from socdata.paths import synthetic_dir
from socdata.report import get_rule_set, save_figure, write_frame, write_table
from socdata.report.html import ReportInputs, build_report
from socdata.soceis.compare import compare_published

KINDS = ("service", "plans", "participants")

#: A few audit findings (the full audit takes seconds; the report only lays them out).
AUDIT = pd.DataFrame(
    {
        "source": ["SOCEIS Evaluation report (June 2023)"] * 3 + ["AfC submission (2024)"],
        "table_id": ["table5", "table3", "table1", "aff_flintshire"],
        "row_label": ["Offending", "Age", "Young people", "Missing episodes"],
        "column_label": ["Overall", "Overall", "Cardiff", "Flintshire"],
        "printed": ["25%", "15.2", "3", "63%"],
        "check": ["granularity", "grim", "sum", "granularity"],
        "verdict": ["ok", "cannot check", "ok", "inconsistent"],
        "explanation": [
            "10/40 = 25%",
            "no base printed",
            "sums hold",
            "No whole number out of 15 gives 63%",
        ],
    }
)


def _all_tables():
    from socdata.soceis.tables import all_tables

    return all_tables


def build_realistic_report(out: Path, *, rules: str = "none", synthetic: bool = True) -> Path:
    """Write ``out/report.html`` as a run on the bundled synthetic data would."""
    rule_set = get_rule_set(rules)
    data = synthetic_dir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        extracts = {k: socdata.read_extract(data, k) for k in KINDS}
        tables = _all_tables()(extracts)
    for tid, t in tables.groupby("table_id", sort=False):
        write_table(
            t.drop(columns=["exact"], errors="ignore"), out, table_id=str(tid), disclosure=rule_set
        )
    did = pd.DataFrame(
        {
            "estimator": ["2x2 DiD", "Poisson FE (person + event month)"],
            "scale": ["arrests per person-month", "rate ratio"],
            "estimate": [-0.114784068227, 0.550487044782],
            "conf_low": [-0.176721704479, 0.412945509447],
            "conf_high": [-0.0528464319754, 0.733840130333],
            "n": [334, 6617],
        }
    )
    write_frame(did, out, name="did_estimates", disclosure=rule_set, count_columns=["n"])
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot([1, 2, 3], [3, 1, 2])
    save_figure(fig, out, name="duration_km")
    plt.close(fig)
    written = pd.concat(
        [
            pd.read_csv(p)
            for p in sorted((out / "tables").glob("*.csv"))
            if p.stem != "did_estimates"
        ],
        ignore_index=True,
    )
    inputs = ReportInputs(
        synthetic=synthetic,
        data_reason="test fixture",
        rules=rule_set,
        validation=None,
        notebooks=[
            {
                "name": "10_x.py",
                "status": "ok",
                "seconds": 1.25,
                "error": None,
                "warnings": ["UncontrolledColumnWarning: column 'exact' left out"],
            }
        ],
        comparison=compare_published(written).frame,
        audit=AUDIT,
        started="2026-01-01T00:00:00+00:00",
        version="9.8.7",
    )
    return build_report(out, inputs)
