"""Self-contained HTML report of a ``socdata reproduce`` run.

One file, no external resources: CSS inline, figures embedded as base64 PNG.  It only
shows what the run wrote under ``out_dir`` (tables already passed disclosure control) and
aggregates passed in (validation counts, comparison, audit findings); it never reads
extracts.
"""

from __future__ import annotations

import base64
import dataclasses
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from socdata.report.disclosure import RuleSet, _is_margin, apply_to_frame
from socdata.report.validation import ValidationSummary
from socdata.soceis.tables import TABLE_IDS

__all__ = ["MAIN_TABLE_IDS", "ReportInputs", "build_report", "pivot_for_display"]

#: Table ids of the June 2023 report, shown first and in this order.
MAIN_TABLE_IDS: tuple[str, ...] = TABLE_IDS
_SECTION_TABLES = {"validation_summary", "validation_rules", "flow_referral_to_closure"}
_POLICE = "police_statements"
_MODEL_PREFIXES = ("did", "matching", "event_study", "balance", "att")

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#1b1b1b;line-height:1.45}
h1{font-size:1.6em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
h3{margin-top:1.5em}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.88em}
th,td{border:1px solid #ccc;padding:.25em .55em;text-align:right;vertical-align:top}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.banner{padding:.8em 1em;border-radius:6px;margin:1em 0;font-weight:600}
.synthetic{background:#e7f3ff;border:2px solid #2b6cb0}
.real{background:#fff4e5;border:2px solid #c05621}
.danger{background:#ffe5e5;border:3px solid #c53030;color:#822727;font-size:1.1em}
.note{background:#fafafa;border-left:4px solid #999;padding:.4em .8em;margin:.5em 0}
.fail{color:#c53030;font-weight:600}.ok{color:#276749}
img{max-width:100%;border:1px solid #eee}
code{background:#f3f3f3;padding:0 .2em}
nav ul{columns:2}
"""

#: How a suppressed cell is shown (the ONS convention for "confidential").
SUPPRESSED = "[c]"


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
        One mapping per notebook: ``name``, ``status``, ``seconds``, ``error``.
    comparison
        Regenerated vs printed figures (``None`` when unavailable).
    audit
        Findings about the published figures (``None`` when unavailable).
    notes
        Notes shown at the top (e.g. a module that is not available yet).
    parameters
        Parameters of the run.
    started, version
        UTC start time and socdata version.
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


def _fmt(v: Any) -> str:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return ""
    if isinstance(v, float):
        return f"{v:.12g}" if abs(v) < 1e15 else f"{v:.6g}"
    return str(v)


def _frame_html(frame: pd.DataFrame, *, max_rows: int = 400) -> str:
    if frame is None or frame.empty:
        return '<p class="note">(empty)</p>'
    shown = frame.head(max_rows)
    head = "".join(f"<th>{_esc(c)}</th>" for c in shown.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_esc(_fmt(v))}</td>" for v in row) + "</tr>"
        for row in shown.itertuples(index=False)
    )
    more = (
        f'<p class="note">{len(frame) - max_rows} more rows in the CSV file.</p>'
        if len(frame) > max_rows
        else ""
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def pivot_for_display(table: pd.DataFrame) -> pd.DataFrame:
    """Lay a tidy table out as printed: one row per ``row_label``, one column per
    ``column_label`` (and measure, when a table has several).  Suppressed cells show
    ``[c]``; percentages get a ``%`` sign; intervals follow in brackets."""
    measures = list(dict.fromkeys(table["measure"].astype(str)))
    multi = len(measures) > 1
    rows = list(dict.fromkeys(table["row_label"].astype(str)))
    cols: list[str] = []
    cells: dict[tuple[str, str], str] = {}
    for rec in table.to_dict(orient="records"):
        m = str(rec["measure"])
        col = f"{rec['column_label']} ({m})" if multi else str(rec["column_label"])
        if col not in cols:
            cols.append(col)
        status = str(rec.get("disclosure_status", "") or "")
        v = rec["value"]
        if status.startswith("suppressed"):
            text = SUPPRESSED
        else:
            text = _fmt(v)
            if text and m == "pct":
                text += "%"
            lo, hi = rec.get("conf_low"), rec.get("conf_high")
            if text and lo is not None and hi is not None and not pd.isna(lo) and not pd.isna(hi):
                text += f" ({_fmt(lo)}–{_fmt(hi)})"
        cells[(str(rec["row_label"]), col)] = text
    # margins ("Overall", "Total") last, whatever order the cells came in
    cols = sorted(cols, key=lambda c: _is_margin(c.rsplit(" (", 1)[0] if multi else c))
    data = [[r, *(cells.get((r, c), "") for c in cols)] for r in rows]
    return pd.DataFrame(data, columns=["", *cols])


def _read_tables(out_dir: Path) -> dict[str, pd.DataFrame]:
    out = {}
    for p in sorted((out_dir / "tables").glob("*.csv")):
        out[p.stem] = pd.read_csv(p, keep_default_na=True)
    return out


def _is_tidy(frame: pd.DataFrame) -> bool:
    return {"row_label", "column_label", "measure", "value"} <= set(frame.columns)


def _table_block(table_id: str, frame: pd.DataFrame) -> str:
    parts = [f'<h3 id="t-{_esc(table_id)}">{_esc(table_id)}</h3>']
    if _is_tidy(frame):
        parts.append(_frame_html(pivot_for_display(frame)))
        if "disclosure_status" in frame:
            counts = frame["disclosure_status"].astype(str)
            n_supp = int(counts.str.startswith("suppressed").sum())
            if n_supp:
                parts.append(
                    f'<p class="note">{n_supp} cell(s) suppressed ({SUPPRESSED}) by disclosure '
                    "control; reasons in the CSV's <code>disclosure_status</code> column.</p>"
                )
    else:
        parts.append(_frame_html(frame))
    parts.append(f"<p><small>File: <code>tables/{_esc(table_id)}.csv</code></small></p>")
    return "\n".join(parts)


def _banner(inp: ReportInputs) -> str:
    if inp.synthetic:
        kind = (
            '<div class="banner synthetic">SYNTHETIC DATA: the bundled synthetic extracts, '
            "generated by code and calibrated to the published report. No real person is "
            f"described here. <br><small>{_esc(inp.data_reason)}</small></div>"
        )
    else:
        kind = (
            '<div class="banner real">REAL DATA: these outputs come from extracts that are '
            "not the bundled synthetic data. Handle under the data-sharing agreement. "
            f"<br><small>{_esc(inp.data_reason)}</small></div>"
        )
    rules = f"<p><b>Disclosure control:</b> {_esc(inp.rules.describe())}</p>"
    if not inp.rules.enabled and not inp.synthetic:
        rules = (
            '<div class="banner danger">DISCLOSURE CONTROL IS SWITCHED OFF on data that are not '
            "the bundled synthetic extracts. Tables and figures may identify young people "
            "(small counts, individual ages, swimmer plots of individual cases). Do not "
            "publish or share this report outside the secure environment. Rerun with "
            "<code>--disclosure soceis-default-v1</code> for outputs that can leave it.</div>"
        ) + rules
    return kind + rules


def _validation_section(inp: ReportInputs) -> str:
    parts = ['<h2 id="validation">Validation of each extract</h2>']
    v = inp.validation
    if v is None:
        return parts[0] + '<p class="note">Validation was not run.</p>'
    for n in v.notes:
        parts.append(f'<p class="note">{_esc(n)}</p>')
    extracts = apply_to_frame(
        v.extracts, inp.rules, count_columns=["rows", "valid", "rejected", "warnings"]
    )
    parts.append(_frame_html(extracts.drop(columns=["disclosure"])))
    if len(v.rules):
        parts.append("<h3>Rejections by rule</h3>")
        rules = apply_to_frame(v.rules, inp.rules, count_columns=["rows", "problems"])
        parts.append(_frame_html(rules.drop(columns=["disclosure"])))
    parts.append(
        '<p class="note">Counts only. To see rejected rows, run <code>socdata validate KIND '
        "PATH --report rejected.csv</code> inside the secure environment.</p>"
    )
    return "\n".join(parts)


def _flow_section(tables: dict[str, pd.DataFrame]) -> str:
    head = '<h2 id="flow">Flow of cases from referral to closure</h2>'
    flow = tables.get("flow_referral_to_closure")
    if flow is None:
        return head + (
            '<p class="note">No flow table was written (notebook 00 did not produce '
            "<code>tables/flow_referral_to_closure.csv</code>; see the notebook status).</p>"
        )
    if "step" in flow:
        flow = flow.sort_values("step", kind="stable")
    return (
        head
        + (
            "<p>Referral episodes (a young person can be referred more than once), by area. "
            "Rows starting <i>Excluded</i> are the episodes that stop at that step.</p>"
        )
        + _frame_html(pivot_for_display(flow))
    )


def _notebook_section(inp: ReportInputs) -> str:
    rows = []
    for nb in inp.notebooks:
        status = nb.get("status", "")
        cls = "ok" if status == "ok" else "fail"
        rows.append(
            f"<tr><td>{_esc(nb.get('name'))}</td><td class='{cls}'>{_esc(status)}</td>"
            f"<td>{float(nb.get('seconds') or 0):.1f}</td>"
            f"<td style='text-align:left'>{_esc(nb.get('error') or '')}</td></tr>"
        )
    warned = [(nb.get("name"), w) for nb in inp.notebooks for w in nb.get("warnings") or ()]
    if warned:
        items = "".join(f"<li><b>{_esc(n)}</b>: {_esc(w)}</li>" for n, w in warned)
        warn_html = (
            "<h3>Warnings raised by the notebooks</h3><p>Rows excluded from an analysis, "
            "data-quality notes and disclosure notes, as the notebooks printed them.</p>"
            f"<ul>{items}</ul>"
        )
    else:
        warn_html = ""
    return (
        '<h2 id="notebooks">Notebooks run</h2><table><thead><tr><th>notebook</th>'
        "<th>status</th><th>seconds</th><th>error</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table><p><small>Executed copies with outputs: <code>notebooks/</code>."
        "</small></p>" + warn_html
    )


def _comparison_section(inp: ReportInputs) -> str:
    head = '<h2 id="comparison">Comparison with the published figures</h2>'
    comp = inp.comparison
    if comp is None:
        return head + (
            '<p class="note">Comparison not available: <code>socdata.soceis.compare</code> is not '
            "part of this version of socdata.</p>"
        )
    parts = [head]
    if "status" in comp and len(comp):
        counts = comp["status"].value_counts().rename_axis("status").reset_index(name="figures")
        parts.append(_frame_html(counts))
    parts.append(_frame_html(comp, max_rows=600))
    parts.append("<p><small>File: <code>comparison.csv</code></small></p>")
    return "\n".join(parts)


def _audit_section(inp: ReportInputs) -> str:
    head = '<h2 id="audit">Audit of the published figures</h2>'
    if inp.audit is None:
        return head + (
            '<p class="note">Audit not available: <code>socdata.review</code> is not part of '
            "this version of socdata.</p>"
        )
    parts = [
        head,
        "<p>Consistency checks of the printed figures themselves (percentages against their "
        "counts, sums against totals, words against numbers), independent of any extract. "
        "File: <code>audit.csv</code>.</p>",
    ]
    if "verdict" in inp.audit and len(inp.audit):
        counts = inp.audit["verdict"].value_counts().rename_axis("verdict")
        parts.append(_frame_html(counts.reset_index(name="findings")))
    parts.append(_frame_html(inp.audit, max_rows=600))
    return "\n".join(parts)


def _figure_block(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<figure id="f-{_esc(path.stem)}"><img alt="{_esc(path.stem)}" '
        f'src="data:image/png;base64,{data}"><figcaption><code>figures/{_esc(path.name)}'
        "</code></figcaption></figure>"
    )


def build_report(out_dir: str | Path, inputs: ReportInputs) -> Path:
    """Write ``out_dir/report.html`` from the run's outputs and ``inputs``.

    Sections: data banner and disclosure rule set, notes, notebooks run, validation,
    flow of cases, the report's tables, other tables, police statements, model results
    (DiD, matching), figures, comparison with the published figures, audit findings.

    Returns
    -------
    pathlib.Path
        The HTML file (self-contained).
    """
    out_dir = Path(out_dir)
    tables = _read_tables(out_dir)
    main = [t for t in MAIN_TABLE_IDS if t in tables]
    model = sorted(t for t in tables if t.startswith(_MODEL_PREFIXES))
    other = sorted(
        t
        for t in tables
        if t not in main and t not in model and t not in _SECTION_TABLES and t != _POLICE
    )
    figures = sorted((out_dir / "figures").glob("*.png"))

    body = [
        "<h1>SOCEIS evaluation: reproduced tables and figures</h1>",
        f"<p>socdata {_esc(_version(inputs))}, run started {_esc(inputs.started)} UTC. "
        "Generated by <code>socdata reproduce</code>; see <code>manifest.json</code> for input "
        "hashes and parameters.</p>",
        _banner(inputs),
    ]
    failed = [nb for nb in inputs.notebooks if nb.get("status") != "ok"]
    if failed:
        names = ", ".join(str(nb.get("name")) for nb in failed)
        body.append(
            f'<div class="banner danger">The run FAILED: notebook(s) {_esc(names)} stopped with '
            "an error. Outputs below are incomplete.</div>"
        )
    for note in inputs.notes:
        body.append(f'<p class="note">{_esc(note)}</p>')
    nav = [
        ("notebooks", "Notebooks run"),
        ("validation", "Validation"),
        ("flow", "Flow of cases"),
        ("tables", "Tables of the June 2023 report"),
        ("other", "Other tables"),
        ("police", "Police statements"),
        ("models", "Matching and difference-in-differences"),
        ("figures", "Figures"),
        ("comparison", "Comparison with the published figures"),
        ("audit", "Audit of the published figures"),
    ]
    body.append(
        "<nav><ul>" + "".join(f'<li><a href="#{a}">{t}</a></li>' for a, t in nav) + "</ul></nav>"
    )
    body.append(_notebook_section(inputs))
    body.append(_validation_section(inputs))
    body.append(_flow_section(tables))
    body.append('<h2 id="tables">Tables of the June 2023 report</h2>')
    missing = [t for t in MAIN_TABLE_IDS if t not in tables]
    if missing:
        body.append(f'<p class="note">Not produced in this run: {_esc(", ".join(missing))}.</p>')
    body.extend(_table_block(t, tables[t]) for t in main)
    body.append('<h2 id="other">Other tables</h2>')
    body.extend(_table_block(t, tables[t]) for t in other)
    if not other:
        body.append('<p class="note">None.</p>')
    body.append('<h2 id="police">Police statements (March 2024 summary)</h2>')
    if _POLICE in tables:
        body.append(_table_block(_POLICE, tables[_POLICE]))
    else:
        body.append('<p class="note">No <code>tables/police_statements.csv</code> in this run.</p>')
    body.append('<h2 id="models">Matching and difference-in-differences</h2>')
    body.extend(_table_block(t, tables[t]) for t in model)
    if not model:
        body.append('<p class="note">No matching or DiD tables in this run.</p>')
    body.append('<h2 id="figures">Figures</h2>')
    if not inputs.synthetic and figures:
        body.append(
            '<p class="note">Figures are drawn by the notebooks and are not checked by '
            "disclosure control: a survival curve steps once per young person, and a "
            "scatter or swimmer plot shows individuals. Check each figure before it leaves "
            "the secure environment.</p>"
        )
    body.extend(_figure_block(p) for p in figures)
    if not figures:
        body.append('<p class="note">No figures in this run.</p>')
    body.append(_comparison_section(inputs))
    body.append(_audit_section(inputs))

    doc = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>socdata reproduce: SOCEIS evaluation</title><style>{_CSS}</style></head>"
        "<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
    path = out_dir / "report.html"
    path.write_text(doc, encoding="utf-8")
    return path


def _version(inputs: ReportInputs) -> str:
    """Version string shown in the header."""
    if inputs.version:
        return inputs.version
    from socdata.provenance import package_version

    return package_version()
