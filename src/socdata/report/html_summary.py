"""The first screen of the HTML report: what was run on what data, what reproduced, what
did not and why, what the audit found in the printed figures, and the headline estimates.

Everything here is read from what passed output control: the written tables under
``out_dir/tables`` (headline estimates), counts of *printed figures* (comparison, audit),
and validation counts after :func:`~socdata.report.disclosure.apply_to_frame`.  No count
of people is computed here.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from socdata.report.disclosure import RuleSet, apply_to_frame
from socdata.report.html_format import SUPPRESSED, format_interval, format_number

__all__ = ["STATUS_MEANING", "summary_section"]

#: What each comparison status means, in one line for the reader.
STATUS_MEANING: dict[str, str] = {
    "match": "regenerated exactly",
    "rounding": "equal after the report's rounding",
    "printed figure inconsistent": "cannot hold with the report's own numbers",
    "not reproducible from these extracts": "the extracts lack what it needs",
    "differs": "regenerated, but different",
    "base differs": "holds on the report's own base, not on the extracts'",
}

_VERDICT_MEANING: dict[str, str] = {
    "ok": "consistent",
    "rounding": "consistent only under another rounding",
    "inconsistent": "cannot hold",
    "cannot check": "not enough printed to check",
}


def _esc(x: Any) -> str:
    return html.escape("" if x is None else str(x))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _run_card(inp: Any) -> str:
    runs: Sequence[Mapping[str, Any]] = inp.notebooks
    n_ok = sum(nb.get("status") == "ok" for nb in runs)
    kind = (
        '<span class="tag synthetic">synthetic data</span>'
        if inp.synthetic
        else '<span class="tag real">REAL DATA</span>'
    )
    items = [
        f"<li>{kind} <small>{_esc(inp.data_reason)}</small></li>",
        f"<li>Output control: <b>{_esc(inp.rules.name)}</b>. "
        f"<small>{_esc(inp.rules.describe())}</small></li>",
        f"<li>Notebooks: <b>{n_ok} of {len(runs)}</b> ran without error.</li>",
    ]
    items.append(f"<li>{_validation_line(inp.validation, inp.rules)}</li>")
    return (
        '<section class="card" aria-labelledby="s-run"><h2 id="s-run">What was run</h2>'
        f"<ul>{''.join(items)}</ul></section>"
    )


def _validation_line(validation: Any, rules: RuleSet) -> str:
    if validation is None:
        return "Validation was not run."
    ex = validation.extracts
    present = ex[ex["status"] != "absent"]
    if present.empty:
        return "No extract was found."
    counts = [c for c in ("rows", "valid", "rejected", "unparseable", "warnings") if c in present]
    controlled = apply_to_frame(present, rules, count_columns=counts)
    bad = controlled[controlled["status"] != "valid"]
    if bad.empty:
        return f"Validation: {_plural(len(present), 'extract')}, every row valid."
    parts = []
    for rec in bad.to_dict(orient="records"):
        rej = rec.get("rejected")
        shown = SUPPRESSED if pd.isna(rej) else format_number(rej, "n")
        parts.append(f"{_esc(rec['kind'])}: {_esc(rec['status'])} ({shown} rows rejected)")
    return (
        f"Validation: {_plural(len(present), 'extract')}; "
        + "; ".join(parts)
        + ' (<a href="#validation">details</a>).'
    )


def _reproduction_card(comparison: pd.DataFrame | None) -> str:
    head = '<section class="card" aria-labelledby="s-rep"><h2 id="s-rep">What reproduced</h2>'
    if comparison is None or comparison.empty or "status" not in comparison:
        return head + "<p>No comparison with the published figures in this run.</p></section>"
    counts = comparison["status"].value_counts()
    total = int(counts.sum())
    n_match = int(counts.get("match", 0))
    rows = "".join(
        f'<tr class="st-{_esc(s).replace(" ", "-")}"><td class="num">{int(n)}</td>'
        f'<th scope="row">{_esc(s)} <small>({_esc(STATUS_MEANING.get(str(s), ""))})</small>'
        "</th></tr>"
        for s, n in counts.items()
    )
    return (
        head + f"<p><b>{n_match} of {total}</b> printed figures regenerated exactly.</p>"
        f'<table class="compact"><tbody>{rows}</tbody></table>'
        '<p><a href="#not-reproduced">What did not reproduce, and why</a></p></section>'
    )


def _audit_card(audit: pd.DataFrame | None) -> str:
    head = (
        '<section class="card" aria-labelledby="s-aud"><h2 id="s-aud">'
        "Findings on the printed figures</h2>"
    )
    if audit is None or audit.empty or "verdict" not in audit:
        return head + "<p>No audit in this run.</p></section>"
    counts = audit["verdict"].value_counts()
    bad = audit[audit["verdict"] == "inconsistent"]
    by_source = bad["source"].value_counts() if "source" in bad else pd.Series(dtype=int)
    items = "".join(f"<li>{_esc(src)}: <b>{int(n)}</b></li>" for src, n in by_source.items())
    tally = ", ".join(f"{int(counts.get(v, 0))} {_esc(m)}" for v, m in _VERDICT_MEANING.items())
    return (
        head + f"<p>The reports' figures were checked against their own arithmetic "
        f"({int(counts.sum())} checks): {tally}.</p>"
        + (f"<p>Figures that cannot hold, by report:</p><ul>{items}</ul>" if items else "")
        + '<p><a href="#audit">All findings, inconsistent first</a></p></section>'
    )


def _did_headline(did: pd.DataFrame) -> pd.DataFrame:
    """The DiD estimates to headline, in one layout (``label, scale, estimate, conf_low,
    conf_high, truth, suppressed``).

    Reads both layouts a run may write: socdata's tidy table (``value``, ``measure``,
    ``column_label``; notebook 40's ``did_estimates``), where only the pooled estimates
    (area ``All areas``) of design-valid estimators are headlined, and a plain frame with
    ``estimator``, ``scale`` and ``estimate``.
    """
    cols = set(did.columns)
    if {"value", "measure"} <= cols and "estimate" not in cols:
        keep = pd.Series(True, index=did.index)
        if "area" in cols:
            keep &= did["area"].astype(str).eq("All areas")
        if "valid" in cols:
            keep &= did["valid"].astype(str).eq("yes")
        d = did[keep]
        name = next(c for c in ("column_label", "estimator", "measure") if c in cols)
        outcome = d["outcome"].astype(str) + ": " if "outcome" in cols else ""
        label = outcome + d[name].astype(str)
        out = pd.DataFrame(
            {"label": label, "scale": d["measure"].astype(str), "estimate": d["value"]}
        )
    elif {"estimator", "estimate"} <= cols:
        d = did
        out = pd.DataFrame(
            {
                "label": d["estimator"].astype(str),
                "scale": d.get("scale", pd.Series("", index=d.index)).astype(str),
                "estimate": d["estimate"],
            }
        )
    else:
        return pd.DataFrame(columns=["label", "scale", "estimate"])
    for c in ("conf_low", "conf_high", "truth"):
        out[c] = d[c] if c in cols else float("nan")
    status = d.get("disclosure_status", pd.Series("", index=d.index)).astype(str)
    out["suppressed"] = status.str.startswith("suppressed")
    return out


def _headline_rows(tables: Mapping[str, pd.DataFrame], synthetic: bool) -> list[str]:
    rows: list[str] = []
    did = tables.get("did_estimates")
    if did is not None:
        for rec in _did_headline(did).to_dict(orient="records"):
            scale = rec["scale"].replace("_", " ")
            measure = "rate_ratio" if "ratio" in scale else "rate_per_person_month"
            suppressed = bool(rec["suppressed"]) or pd.isna(rec["estimate"])
            est = SUPPRESSED if suppressed else format_number(rec["estimate"], measure)
            ci = "" if suppressed else format_interval(rec["conf_low"], rec["conf_high"], measure)
            truth = ""
            if synthetic and not pd.isna(rec["truth"]):
                truth = format_number(rec["truth"], measure)
            rows.append(
                f'<tr><th scope="row">{_esc(rec["label"])}</th>'
                f'<td class="txt">{_esc(scale)}</td><td class="num">{_esc(est)}</td>'
                f'<td class="num">{_esc(ci)}</td>'
                + (f'<td class="num">{_esc(truth)}</td>' if synthetic else "")
                + "</tr>"
            )
    km = tables.get("duration_km_median")
    if km is not None and {"row_label", "column_label", "measure"} <= set(km.columns):
        med = km[
            (km["measure"] == "median")
            & km["column_label"].astype(str).isin(["Overall", "All areas", "Total"])
        ]
        for rec in med.to_dict(orient="records"):
            suppressed = str(rec.get("disclosure_status", "")).startswith("suppressed")
            est = SUPPRESSED if suppressed else format_number(rec["value"], "median")
            ci = (
                ""
                if suppressed
                else format_interval(rec.get("conf_low"), rec.get("conf_high"), "median")
            )
            rows.append(
                f'<tr><th scope="row">{_esc(rec["row_label"])}, all areas</th>'
                f'<td class="txt">months engaged</td><td class="num">{_esc(est)}</td>'
                f'<td class="num">{_esc(ci)}</td>' + ("<td></td>" if synthetic else "") + "</tr>"
            )
    return rows


def _estimates_card(tables: Mapping[str, pd.DataFrame], synthetic: bool) -> str:
    head = (
        '<section class="card wide" aria-labelledby="s-est"><h2 id="s-est">Headline estimates</h2>'
    )
    rows = _headline_rows(tables, synthetic)
    if not rows:
        return head + "<p>No estimates were written in this run.</p></section>"
    truth = '<th scope="col" class="num">built-in truth</th>' if synthetic else ""
    note = (
        "<p class='small'>Effect of referral on police contact from the matched comparison, "
        "pooled over areas, design-valid estimators only (a difference below 0 or a rate "
        "ratio below 1: less contact). 95% confidence intervals in brackets."
        + (
            " On synthetic data the effect built into the generator is shown beside each estimate."
            if synthetic
            else ""
        )
        + ' <a href="#models">All model tables</a>.</p>'
    )
    return (
        head + '<div class="scroll" tabindex="0"><table class="compact"><thead><tr>'
        '<th scope="col" class="txt">estimate</th><th scope="col" class="txt">scale</th>'
        '<th scope="col" class="num">value</th><th scope="col" class="num">95% CI</th>'
        f"{truth}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>{note}</section>"
    )


def summary_section(inp: Any, tables: Mapping[str, pd.DataFrame]) -> str:
    """The report's first screen (``<section id="summary">``)."""
    return (
        '<section id="summary" class="summary" aria-label="Summary of the run">'
        + _run_card(inp)
        + _reproduction_card(inp.comparison)
        + _audit_card(inp.audit)
        + _estimates_card(tables, inp.synthetic)
        + "</section>"
    )
