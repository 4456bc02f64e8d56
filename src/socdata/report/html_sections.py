"""Folded sections of the HTML report: what did not reproduce, the full comparison and
audit (failures first), validation counts, and the notebooks with their warnings."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from socdata.report.control import control_text
from socdata.report.disclosure import RuleSet, apply_to_frame
from socdata.report.html_format import frame_html

__all__ = [
    "audit_section",
    "comparison_section",
    "details",
    "not_reproduced_section",
    "notebook_section",
    "validation_section",
]

_STATUS_ORDER = {
    "printed figure inconsistent": 0,
    "differs": 1,
    "base differs": 2,
    "not reproducible from these extracts": 2,
    "rounding": 3,
    "match": 9,
}
_VERDICT_ORDER = {"inconsistent": 0, "rounding": 1, "cannot check": 2, "ok": 9}


def _esc(x: Any) -> str:
    return html.escape("" if x is None else str(x))


def details(summary: str, body: str, *, open_: bool = False, id_: str | None = None) -> str:
    """A folded block: ``summary`` always shown, ``body`` on request (works without scripts)."""
    attr = (" open" if open_ else "") + (f' id="{_esc(id_)}"' if id_ else "")
    return f"<details{attr}><summary>{summary}</summary>{body}</details>"


def _comparison_frame(comp: pd.DataFrame, rules: RuleSet) -> pd.DataFrame:
    order = comp["status"].map(_STATUS_ORDER).fillna(5)
    out = comp.assign(_o=order).sort_values(["_o", "table_id"], kind="stable").drop(columns="_o")
    if "explanation" in out and rules.enabled:
        out = out.assign(
            explanation=out["explanation"].astype(str).map(lambda t: control_text(t, rules))
        )
    return out


def not_reproduced_section(inp: Any) -> str:
    head = '<h2 id="not-reproduced">What did not reproduce, and why</h2>'
    comp = inp.comparison
    if comp is None or comp.empty or "status" not in comp:
        return head + '<p class="note">No comparison with the published figures.</p>'
    bad = _comparison_frame(comp[comp["status"] != "match"], inp.rules)
    if bad.empty:
        return head + "<p>Every printed figure was regenerated exactly.</p>"
    groups = []
    for status, part in bad.groupby("status", sort=False):
        body = frame_html(
            part[
                [
                    c
                    for c in (
                        "table_id",
                        "row_label",
                        "column_label",
                        "measure",
                        "printed",
                        "regenerated",
                        "explanation",
                    )
                    if c in part
                ]
            ],
        )
        groups.append(details(f"{_esc(status)} <small>({len(part)} figures)</small>", body))
    return (
        head + "<p>Printed figures that were not regenerated exactly, grouped by "
        'reason; the full comparison is <a href="#comparison">below</a>.</p>' + "".join(groups)
    )


def comparison_section(inp: Any) -> str:
    head = '<h2 id="comparison">Comparison with the published figures</h2>'
    comp = inp.comparison
    if comp is None:
        return head + '<p class="note">No comparison in this run.</p>'
    frame = _comparison_frame(comp, inp.rules)
    classes = ["st-" + str(s).replace(" ", "-") for s in frame.get("status", [])]
    body = frame_html(frame, row_classes=classes) + (
        '<p class="small">File: <code>comparison.csv</code></p>'
    )
    return head + details(
        f"All {len(frame)} printed figures, failures first <small>(folded)</small>", body
    )


def audit_section(inp: Any) -> str:
    head = '<h2 id="audit">Audit of the published figures</h2>'
    audit = inp.audit
    if audit is None:
        return head + '<p class="note">No audit in this run.</p>'
    order = audit["verdict"].map(_VERDICT_ORDER).fillna(5)
    frame = audit.assign(_o=order).sort_values("_o", kind="stable").drop(columns="_o")
    cols = [
        c
        for c in (
            "source",
            "table_id",
            "row_label",
            "column_label",
            "printed",
            "check",
            "verdict",
            "explanation",
        )
        if c in frame
    ]
    intro = (
        "<p>Checks of the printed figures against their own arithmetic (percentages "
        "against counts, sums against totals, words against numbers), independent of any "
        "extract. File: <code>audit.csv</code> (with the rule and the source line).</p>"
    )
    classes = ["v-" + str(v).replace(" ", "-") for v in frame["verdict"]]
    bad = frame["verdict"] != "ok"
    return (
        head
        + intro
        + details(
            f"{int(bad.sum())} findings that are not plainly consistent",
            frame_html(
                frame.loc[bad, cols],
                row_classes=[c for c, b in zip(classes, bad, strict=True) if b],
            ),
        )
        + details(
            f"All {len(frame)} checks <small>(folded)</small>",
            frame_html(frame[cols], row_classes=classes),
        )
    )


def validation_section(inp: Any) -> str:
    head = '<h2 id="validation">Validation of each extract</h2>'
    v = inp.validation
    if v is None:
        return head + '<p class="note">Validation was not run.</p>'
    parts = [head] + [f'<p class="note">{_esc(n)}</p>' for n in v.notes]
    counts = [
        c for c in ("rows", "valid", "rejected", "unparseable", "warnings") if c in v.extracts
    ]
    extracts = apply_to_frame(v.extracts, inp.rules, count_columns=counts)
    parts.append(frame_html(extracts, measures={c: "n" for c in counts}))
    if len(v.rules):
        rules = apply_to_frame(v.rules, inp.rules, count_columns=["rows", "problems"])
        parts.append(details("Rejections by rule", frame_html(rules)))
    parts.append(
        '<p class="small">Counts only. To see rejected rows, run <code>socdata validate KIND '
        "PATH --report rejected.csv</code> inside the secure environment.</p>"
    )
    return "\n".join(parts)


def notebook_section(inp: Any) -> str:
    frame = pd.DataFrame(
        [
            {
                "notebook": nb.get("name"),
                "status": nb.get("status"),
                "seconds": round(float(nb.get("seconds") or 0), 1),
                "error": nb.get("error") or "",
            }
            for nb in inp.notebooks
        ]
    )
    body = (
        frame_html(frame, measures={"seconds": "seconds"})
        if len(frame)
        else '<p class="note">No notebook ran.</p>'
    )
    warned: dict[str, list[str]] = {}
    for nb in inp.notebooks:
        for w in nb.get("warnings") or ():
            warned.setdefault(str(w).split(":", 1)[0], []).append(f"{nb.get('name')}: {w}")
    for category, lines in sorted(warned.items()):
        items = "".join(f"<li>{_esc(x)}</li>" for x in lines)
        body += details(f"{_esc(category)} <small>({len(lines)})</small>", f"<ul>{items}</ul>")
    return (
        '<h2 id="notebooks">Notebooks run</h2>'
        + body
        + '<p class="small">Executed copies with outputs (for internal checking only): '
        "<code>notebooks/</code>.</p>"
    )
