"""Self-contained HTML report of a ``socdata reproduce`` run, written for the reviewer.

One file, no external resources and no scripts: CSS inline, figures embedded as base64
PNG with alt text, long tables folded in ``<details>`` (failures first), a print
stylesheet.  The first screen (:mod:`socdata.report.html_summary`) says what was run on
what data, what reproduced and what did not, what the audit found in the printed
figures, and the headline estimates.  The report only shows what the run wrote under
``out_dir`` (tables already passed output control) and aggregates passed in (validation
counts, comparison, audit findings); it never reads extracts.
"""

from __future__ import annotations

import base64
import dataclasses
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from socdata.report.disclosure import RuleSet
from socdata.report.html_format import (
    SUPPRESSED,
    frame_html,
    pivot_for_display,
    table_footnotes,
)
from socdata.report.html_sections import (
    audit_section,
    comparison_section,
    details,
    not_reproduced_section,
    notebook_section,
    validation_section,
)
from socdata.report.html_style import CSS
from socdata.report.html_summary import summary_section
from socdata.report.validation import ValidationSummary
from socdata.soceis.tables import TABLE_IDS

__all__ = [
    "MAIN_TABLE_IDS",
    "SUPPRESSED",
    "ReportInputs",
    "build_report",
    "pivot_for_display",
]

#: Table ids of the June 2023 report, shown first and in this order.
MAIN_TABLE_IDS: tuple[str, ...] = TABLE_IDS

#: Titles shown for the tables (others are shown by their id).
TITLES: dict[str, str] = {
    "table1": "Table 1. Young people and caregivers interviewed",
    "table2": "Table 2. Managers, partners, practitioners and peer mentors interviewed",
    "table3": "Table 3. Young people referred: age, gender, ethnicity",
    "table4_referral_source": "Table 4. Referral source",
    "table4_case_status": "Table 4. Case status",
    "table4_closure_reason": "Table 4. Closure reason",
    "table5": "Table 5. Topics in the plans",
    "outcomes_5_1_closed": "Section 5.1. Outcomes of closed cases",
    "outcomes_5_1_open": "Section 5.1. Outcomes of open cases",
    "flow_referral_to_closure": "Flow of referral episodes from referral to closure",
    "police_statements": "Statements of the March 2024 summary, regenerated",
    "did_estimates": "Difference-in-differences estimates",
    "did_event_study": "Event study",
    "did_att_gt_dynamic": "ATT(g,t), by months since referral",
    "matching_balance": "Balance of the matched comparison",
    "matching_flow": "Flow of the matching",
    "matching_propensity": "Propensity model",
    "police_before_after": "Police contact before and after referral (engagers)",
    "police_flow": "Flow of the police data",
    "police_panel_summary": "Person-month panel",
    "duration_by_area": "Engagement duration by area",
    "duration_km_median": "Kaplan-Meier median engagement duration",
}

#: Alt text of the figures the notebooks draw (others get a generic description).
FIGURE_ALT: dict[str, str] = {
    "duration_km": "Kaplan-Meier curves: share of young people still engaged by months "
    "since the start of the intervention, one line per area.",
    "police_before_after": "Bar charts of arrests, offences and missing episodes per "
    "person-month, 12 months before and after referral, by area.",
    "matching_love_plot": "Love plot: standardised mean difference of each covariate "
    "before and after matching; dots near zero mean the groups are balanced.",
    "did_event_study": "Event-study plot: estimated difference in arrests per person-month "
    "between referred young people and their matched comparisons, by month relative "
    "to referral, with 95% confidence intervals.",
}

_SECTION_TABLES = {"validation_summary", "validation_rules", "flow_referral_to_closure"}
_POLICE = "police_statements"
_MODEL_PREFIXES = ("did", "matching", "event_study", "balance", "att")


@dataclasses.dataclass(frozen=True)
class ReportInputs:
    """Everything the report shows besides the files under ``out_dir``.

    Attributes
    ----------
    synthetic
        Whether the data are the bundled synthetic extracts.
    data_reason
        Why the data were classed synthetic or real.
    rules
        Disclosure rule set applied to every table.
    validation
        Validation counts (``None`` when not run).
    notebooks
        One mapping per notebook: ``name``, ``status``, ``seconds``, ``error``, ``warnings``.
    comparison
        Regenerated vs printed figures (``None`` when unavailable).
    audit
        Findings about the published figures (``None`` when unavailable).
    notes
        Notes shown under the header.
    parameters
        Parameters of the run.
    started, version
        UTC start time and socdata version (shown in the header and footer).
    """

    synthetic: bool
    data_reason: str
    rules: RuleSet
    validation: ValidationSummary | None = None
    notebooks: Sequence[dict[str, Any]] = ()
    comparison: pd.DataFrame | None = None
    audit: pd.DataFrame | None = None
    notes: Sequence[str] = ()
    parameters: dict[str, Any] = dataclasses.field(default_factory=dict)
    started: str = ""
    version: str = ""


def _esc(x: Any) -> str:
    return html.escape("" if x is None else str(x))


def _read_tables(out_dir: Path) -> dict[str, pd.DataFrame]:
    return {p.stem: pd.read_csv(p) for p in sorted((out_dir / "tables").glob("*.csv"))}


def _is_tidy(frame: pd.DataFrame) -> bool:
    return {"row_label", "column_label", "measure", "value"} <= set(frame.columns)


def _table_block(table_id: str, frame: pd.DataFrame, rules: RuleSet) -> str:
    title = TITLES.get(table_id, table_id.replace("_", " "))
    rules_text = f"Rule set {rules.name}: {rules.describe()}"
    if _is_tidy(frame):
        body = frame_html(pivot_for_display(frame), footnotes=table_footnotes(frame, rules_text))
        n = f"{frame['row_label'].nunique()} rows"
    else:
        body = frame_html(frame, footnotes=table_footnotes(frame, rules_text))
        n = f"{len(frame)} rows"
    body += f'<p class="small">File: <code>tables/{_esc(table_id)}.csv</code></p>'
    summary = f"{_esc(title)} <small>({n}; <code>{_esc(table_id)}</code>)</small>"
    return details(summary, body, id_=f"t-{table_id}")


def _header(inp: ReportInputs) -> str:
    failed = [nb for nb in inp.notebooks if nb.get("status") != "ok"]
    badge = (
        '<span class="badge failed">RUN FAILED</span>'
        if failed
        else '<span class="badge ok">RUN OK</span>'
    )
    parts = [
        "<header><h1>SOCEIS evaluation: reproduced tables and figures</h1>",
        f'<p class="meta">{badge} socdata {_esc(_version(inp))} · run started '
        f"{_esc(inp.started)} UTC · <code>socdata reproduce</code> · input hashes and "
        "parameters in <code>manifest.json</code></p>",
    ]
    if inp.synthetic:
        parts.append(
            '<p class="banner synthetic">SYNTHETIC DATA: the bundled synthetic extracts, '
            "generated by code and calibrated to the published report; no real person is "
            "described.</p>"
        )
    else:
        parts.append(
            '<p class="banner real">REAL DATA: these outputs come from extracts that are '
            "not the bundled synthetic data. Handle under the data-sharing agreement.</p>"
        )
    if not inp.rules.enabled and not inp.synthetic:
        parts.append(
            '<p class="banner danger">DISCLOSURE CONTROL IS SWITCHED OFF on data that are not '
            "the bundled synthetic extracts. Tables and figures may identify young people. "
            "Do not publish or share this report outside the secure environment; rerun with "
            "<code>--disclosure soceis-default-v1</code> for outputs that can leave it.</p>"
        )
    if failed:
        detail = "; ".join(f"{nb.get('name')}: {nb.get('error') or 'failed'}" for nb in failed)
        parts.append(
            f'<p class="banner danger">The run FAILED: {_esc(detail)}. Outputs below are '
            'incomplete (<a href="#notebooks">notebooks</a>).</p>'
        )
    notes = [n for n in inp.notes if n]
    if notes:
        parts.append('<ul class="note">' + "".join(f"<li>{_esc(n)}</li>" for n in notes) + "</ul>")
    return "\n".join(parts) + "</header>"


_NAV = (
    ("summary", "Summary"),
    ("not-reproduced", "What did not reproduce"),
    ("tables", "Tables of the June 2023 report"),
    ("police", "Police statements (March 2024)"),
    ("models", "Matching and difference-in-differences"),
    ("other", "Other tables"),
    ("figures", "Figures"),
    ("flow", "Flow of cases"),
    ("comparison", "Comparison with the published figures"),
    ("audit", "Audit of the published figures"),
    ("validation", "Validation"),
    ("notebooks", "Notebooks run"),
)


def _nav() -> str:
    items = "".join(f'<li><a href="#{a}">{t}</a></li>' for a, t in _NAV)
    return f'<nav class="toc" aria-label="Contents"><ol>{items}</ol></nav>'


def _flow_section(tables: dict[str, pd.DataFrame], rules: RuleSet) -> str:
    head = '<h2 id="flow">Flow of cases from referral to closure</h2>'
    flow = tables.get("flow_referral_to_closure")
    if flow is None:
        return head + (
            '<p class="note">No flow table was written (notebook 00 did not produce '
            "<code>tables/flow_referral_to_closure.csv</code>).</p>"
        )
    if "step" in flow:
        flow = flow.sort_values("step", kind="stable")
    return (
        head
        + (
            "<p>Referral episodes (a young person can be referred more than once), by area. "
            "Rows starting <i>Excluded</i> are the episodes that stop at that step.</p>"
        )
        + _table_block("flow_referral_to_closure", flow, rules)
    )


def _figure_block(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    stem = path.stem
    alt = FIGURE_ALT.get(stem)
    if alt is None and "swimmer" in stem:
        area = stem.rsplit("_", 1)[-1].capitalize()
        alt = (
            f"Swimmer plot, {area}: one horizontal bar per young person from referral to "
            "closure (or the extract date if still open)."
        )
    alt = alt or f"Figure {stem.replace('_', ' ')} drawn by the notebooks."
    return (
        f'<figure id="f-{_esc(stem)}"><img alt="{_esc(alt)}" '
        f'src="data:image/png;base64,{data}"><figcaption>{_esc(alt)} '
        f"<code>figures/{_esc(path.name)}</code></figcaption></figure>"
    )


def _tables_sections(tables: dict[str, pd.DataFrame], rules: RuleSet) -> list[str]:
    main = [t for t in MAIN_TABLE_IDS if t in tables]
    model = sorted(t for t in tables if t.startswith(_MODEL_PREFIXES))
    other = sorted(
        t
        for t in tables
        if t not in main and t not in model and t not in _SECTION_TABLES and t != _POLICE
    )
    out = [
        '<h2 id="tables">Tables of the June 2023 report</h2>',
        '<p class="small">Each table is folded; open it to read it.</p>',
    ]
    missing = [t for t in MAIN_TABLE_IDS if t not in tables]
    if missing:
        out.append(f'<p class="note">Not produced in this run: {_esc(", ".join(missing))}.</p>')
    out += [_table_block(t, tables[t], rules) for t in main]
    out.append('<h2 id="police">Police statements (March 2024 summary)</h2>')
    out.append(
        _table_block(_POLICE, tables[_POLICE], rules)
        if _POLICE in tables
        else '<p class="note">No <code>tables/police_statements.csv</code> in this run.</p>'
    )
    out.append('<h2 id="models">Matching and difference-in-differences</h2>')
    out += [_table_block(t, tables[t], rules) for t in model] or [
        '<p class="note">No matching or DiD tables in this run.</p>'
    ]
    out.append('<h2 id="other">Other tables</h2>')
    out += [_table_block(t, tables[t], rules) for t in other] or ['<p class="note">None.</p>']
    return out


def build_report(out_dir: str | Path, inputs: ReportInputs) -> Path:
    """Write ``out_dir/report.html`` from the run's outputs and ``inputs``.

    Order: header (status, version, data banner), summary (first screen), contents, what
    did not reproduce, the report's tables, police statements, model results, other
    tables, figures, flow of cases, the full comparison and audit (folded, failures
    first), validation, notebooks and their warnings, footer.

    Returns
    -------
    pathlib.Path
        The HTML file (self-contained, no scripts).
    """
    out_dir = Path(out_dir)
    tables = _read_tables(out_dir)
    figures = sorted((out_dir / "figures").glob("*.png"))
    body = [
        _header(inputs),
        summary_section(inputs, tables),
        _nav(),
        not_reproduced_section(inputs),
    ]
    body += _tables_sections(tables, inputs.rules)
    body.append('<h2 id="figures">Figures</h2>')
    if not inputs.synthetic and figures:
        body.append(
            '<p class="note">Figures are drawn by the notebooks and are not checked by '
            "disclosure control: a survival curve steps once per young person, and a "
            "scatter or swimmer plot shows individuals. Check each figure before it leaves "
            "the secure environment.</p>"
        )
    body.append(
        '<div class="figures">' + "".join(_figure_block(p) for p in figures) + "</div>"
        if figures
        else '<p class="note">No figures in this run.</p>'
    )
    body += [
        _flow_section(tables, inputs.rules),
        comparison_section(inputs),
        audit_section(inputs),
        validation_section(inputs),
        notebook_section(inputs),
    ]
    body.append(
        f"<footer>socdata {_esc(_version(inputs))} · report generated by "
        "<code>socdata reproduce</code> · one self-contained file, no scripts</footer>"
    )
    doc = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="socdata {_esc(_version(inputs))}">'
        f"<title>socdata reproduce: SOCEIS evaluation</title><style>{CSS}</style></head>"
        "<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
    path = out_dir / "report.html"
    path.write_text(doc, encoding="utf-8")
    return path


def _version(inputs: ReportInputs) -> str:
    """Version string shown in the header and footer."""
    if inputs.version:
        return inputs.version
    from socdata.provenance import package_version

    return package_version()
