"""The HTML report's formatting and layout (fast; the browser test is
``test_report_browser.py``)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from socdata.report import get_rule_set, write_frame, write_table
from socdata.report.html import ReportInputs, build_report
from socdata.report.html_format import format_interval, format_number, pivot_for_display


@pytest.mark.parametrize(
    ("value", "measure", "text"),
    [
        (26, "n", "26"),
        (1182.0, "n", "1,182"),
        (88.4615384615, "pct", "88"),
        (-0.114784068227, "rate_per_person_month", "−0.115"),
        (0.550487044782, "rate_ratio", "0.55"),
        (15.4, "mean", "15.4"),
        (10.0, "median", "10"),
        (7.5, "median", "7.5"),
        (-0.0001, "rate_ratio", "0.00"),  # no "−0.00"
        (None, "n", ""),
        (float("nan"), "pct", ""),
        ("Cardiff", None, "Cardiff"),
    ],
)
def test_format_number_uses_the_measures_decimals(value, measure, text):
    assert format_number(value, measure) == text


def test_interval_has_the_estimates_decimals():
    assert format_interval(71.0240967883, 95.9967553764, "pct") == "(71 to 96)"
    assert format_interval(-0.1767, -0.0528, "rate_per_person_month") == "(−0.177 to −0.053)"
    assert format_interval(None, 1, "pct") == ""


def test_pivot_lays_out_counts_percentages_intervals_and_margins():
    t = pd.DataFrame(
        {
            "row_label": ["Offending"] * 4 + ["Base"] * 2,
            "column_label": ["Overall", "Overall", "Cardiff", "Cardiff", "Overall", "Cardiff"],
            "measure": ["n", "pct", "n", "pct", "n", "n"],
            "value": [23, 88.46, None, None, 26, 13],
            "conf_low": [None, 71.02, None, None, None, None],
            "conf_high": [None, 95.99, None, None, None, None],
        }
    )
    p = pivot_for_display(t)
    assert list(p.columns) == ["", "Cardiff", "Overall"]  # margin last
    assert p.set_index("").loc["Offending", "Overall"] == "23 (88%; 71 to 96)"
    assert p.set_index("").loc["Offending", "Cardiff"] == "–"  # exists, no value


def _inputs(**kw):
    base = dict(
        synthetic=True,
        data_reason="bundled",
        rules=get_rule_set("none"),
        notebooks=[
            {
                "name": "10_x.py",
                "status": "ok",
                "seconds": 1.0,
                "error": None,
                "warnings": ["ExcludedRowsWarning: 3 of 40 rows excluded"],
            }
        ],
        comparison=pd.DataFrame(
            {
                "table_id": ["table1", "table5", "table1"],
                "row_label": ["A", "Offending", "B"],
                "column_label": ["Cardiff"] * 3,
                "measure": ["n", "pct", "n"],
                "printed": [3, 25, 4],
                "regenerated": [3.0, 37.0, 4.0],
                "status": ["match", "printed figure inconsistent", "match"],
                "explanation": [
                    "regenerated 3",
                    "printed on base 40, 4 of 27 in the extract",
                    "regenerated 4",
                ],
            }
        ),
        audit=pd.DataFrame(
            {
                "source": ["r"] * 2,
                "verdict": ["ok", "inconsistent"],
                "check": ["sum"] * 2,
                "explanation": ["fine", "63% of 15 cannot be"],
            }
        ),
        version="1.2.3",
        started="2026-01-01T00:00:00+00:00",
    )
    base.update(kw)
    return ReportInputs(**base)


def test_report_leads_with_the_summary_and_hides_internal_columns(tmp_path):
    t = pd.DataFrame(
        {
            "table_id": "table1",
            "row_label": ["Young people", "Young people"],
            "column_label": ["Cardiff", "Overall"],
            "measure": "n",
            "value": [3, 11],
        }
    )
    write_table(t, tmp_path, table_id="table1", disclosure="none")
    write_frame(
        pd.DataFrame(
            {
                "estimator": ["2x2 DiD"],
                "scale": ["arrests per person-month"],
                "estimate": [-0.1147],
                "conf_low": [-0.1767],
                "conf_high": [-0.0528],
            }
        ),
        tmp_path,
        name="did_estimates",
        disclosure="none",
    )
    text = build_report(tmp_path, _inputs()).read_text()
    body = text[text.index("<body>") :]
    assert body.index('id="summary"') < body.index('id="tables"')
    assert text.count("1.2.3") >= 2  # version in the header and the footer
    assert "2 of 3</b> printed figures regenerated exactly" in text
    assert "−0.115" in text and "(−0.177 to −0.053)" in text
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", text)
    assert not {"disclosure", "disclosure_status", "exact"} & set(headers)
    assert "not applied" not in text
    assert "<script" not in text and "http://" not in text and "https://" not in text
    # the full comparison lists failures first
    comp = text[text.index('id="comparison"') :]
    assert comp.index("printed figure inconsistent") < comp.index("regenerated 3")


def test_real_data_report_masks_small_counts_in_free_text(tmp_path):
    text = build_report(
        tmp_path, _inputs(synthetic=False, rules=get_rule_set("soceis-default-v1"))
    ).read_text()
    assert "REAL DATA" in text
    assert "4 of 27" not in text and "[c] of 25" in text  # explanation under output control
    assert "synthetic data</span>" not in text


def test_headline_reads_the_tidy_did_table_pooled_and_valid_only(tmp_path):
    """Notebook 40 writes did_estimates in the tidy layout (value, measure, area, valid):
    the first screen headlines the pooled, design-valid estimates and no other."""
    did = pd.DataFrame(
        {
            "table_id": "did_estimates",
            "row_label": ["arrests | All areas", "arrests | Cardiff", "arrests | All areas"],
            "column_label": ["Stacked DiD (Poisson)", "Stacked DiD (Poisson)", "TWFE calendar"],
            "measure": ["rate_ratio", "rate_ratio", "difference per person-month"],
            "value": [0.604081870727, 0.5, -0.2],
            "conf_low": [0.437011604281, 0.3, -0.3],
            "conf_high": [0.835023379165, 0.9, -0.1],
            "outcome": "arrests",
            "area": ["All areas", "Cardiff", "All areas"],
            "valid": ["yes", "yes", "no"],
            "truth": [0.75, 0.75, -0.1],
        }
    )
    write_frame(did, tmp_path, name="did_estimates", disclosure="none")
    text = build_report(tmp_path, _inputs()).read_text()
    summary = text[text.index('id="summary"') : text.index("</section>", text.index("Headline"))]
    assert "arrests: Stacked DiD (Poisson)" in summary
    assert format_number(0.604081870727, "rate_ratio") in summary
    assert format_interval(0.437011604281, 0.835023379165, "rate_ratio") in summary
    assert "TWFE calendar" not in summary  # not valid for the design
    assert format_number(0.5, "rate_ratio") + "<" not in summary  # one area, not pooled
    assert "No estimates were written" not in summary


def test_real_run_report_headlines_the_did_estimates(real_run):
    text = (real_run.out_dir / "report.html").read_text(encoding="utf-8")
    start = text.index("Headline")
    summary = text[start : text.index("</section>", start)]
    assert "No estimates were written" not in summary
    assert "Stacked DiD" in summary
