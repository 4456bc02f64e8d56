"""Numbers and tables formatted for publication in the HTML report.

Each measure has its own number of decimals and unit (counts whole, percentages whole with
a ``%`` sign, rates per person-month to three decimals, ratios to two); intervals follow
in brackets with the same decimals; suppressed cells show ``[c]``.  A tidy table whose
cells are counts and percentages of one base is laid out as the report prints it, one
cell ``n (pct%)``.  Internal columns (``disclosure``, ``disclosure_status``, ``exact``)
are never shown; they become footnotes.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from socdata.report.rule_sets import is_margin

__all__ = [
    "MEASURES",
    "SUPPRESSED",
    "format_interval",
    "format_number",
    "frame_html",
    "pivot_for_display",
    "table_footnotes",
]

#: How a suppressed cell is shown (the ONS convention for "confidential").
SUPPRESSED = "[c]"

#: measure -> (label shown to the reader, decimals; None = as few as the value needs, at
#: most 2).  Measures not listed are shown with up to 3 significant decimals.
MEASURES: dict[str, tuple[str, int | None]] = {
    "n": ("n", 0),
    "pct": ("%", 0),
    "mean": ("mean", 1),
    "median": ("median", None),
    "q1": ("lower quartile", None),
    "q3": ("upper quartile", None),
    "min": ("minimum", None),
    "max": ("maximum", None),
    "rate_per_person_month": ("rate per person-month", 3),
    "rate_ratio": ("rate ratio", 2),
    "smd": ("standardised mean difference", 2),
    "variance_ratio": ("variance ratio", 2),
    "estimate": ("estimate", 3),
    "seconds": ("seconds", 1),
}

#: Columns of a written table that are bookkeeping, not results.
INTERNAL_COLUMNS = frozenset({"disclosure", "disclosure_status", "exact", "step", "step_kind"})

#: Headers shown for the columns of tidy and comparison tables.
HEADERS: dict[str, str] = {
    "table_id": "table",
    "row_label": "row",
    "column_label": "column",
}


def _as_text(v: Any, measure: str | None) -> str:
    if isinstance(v, str):
        try:
            x = float(v.replace(",", ""))
        except ValueError:
            return v
        return format_number(x, measure) if math.isfinite(x) else v
    return format_number(v, measure)


def _missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return v.strip() == "" or v.strip().lower() == "nan"
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def format_number(v: Any, measure: str | None = None) -> str:
    """``v`` with the decimals its measure is published with (``""`` when missing)."""
    if _missing(v):
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    decimals = MEASURES.get(str(measure), ("", -1))[1]
    if decimals is None:
        decimals = 0 if x == round(x) else (1 if abs(x * 10 - round(x * 10)) < 1e-9 else 2)
    elif decimals == -1:  # unknown measure: whole numbers stay whole, else 3 decimals
        decimals = 0 if x == round(x) and abs(x) >= 1 else 3
    text = f"{x:,.{decimals}f}"
    if text.startswith("-"):
        text = "−" + text[1:]  # a true minus sign
    if text in ("−0", "−0.0", "−0.00", "−0.000"):
        text = text[1:]
    return text


def format_interval(lo: Any, hi: Any, measure: str | None = None) -> str:
    """``"(lo to hi)"`` with the measure's decimals, or ``""`` when either end is missing."""
    if _missing(lo) or _missing(hi):
        return ""
    return f"({format_number(lo, measure)} to {format_number(hi, measure)})"


def _suppressed(rec: dict[str, Any]) -> bool:
    return str(rec.get("disclosure_status", "") or "").startswith("suppressed")


#: Shown for a cell that exists but has no value (e.g. a topic not on the form).
NOT_AVAILABLE = "–"


def _cell(rec: dict[str, Any], *, inner: bool = False) -> str:
    """One cell's text; ``inner`` for a percentage shown inside a count's brackets."""
    if _suppressed(rec):
        return SUPPRESSED
    m = str(rec["measure"])
    text = format_number(rec["value"], m)
    if not text:
        return NOT_AVAILABLE
    if m == "pct":
        text += "%"
    interval = format_interval(rec.get("conf_low"), rec.get("conf_high"), m)
    if interval:
        text += f"; {interval[1:-1]}" if inner else " " + interval
    return text


def pivot_for_display(table: pd.DataFrame) -> pd.DataFrame:
    """Lay a tidy table out as printed: one row per ``row_label``, one column per
    ``column_label``.

    A table of counts and percentages shows one cell ``n (pct%)`` per row and column, as
    the report prints it.  Other tables with several measures get one column per
    ``column_label`` and measure (``"Cardiff: median"``).  Suppressed cells show ``[c]``;
    intervals follow in brackets.  Margins (``Overall``, ``Total``) come last.
    """
    recs = table.to_dict(orient="records")
    measures = list(dict.fromkeys(str(r["measure"]) for r in recs))
    combined = set(measures) == {"n", "pct"}
    multi = len(measures) > 1 and not combined
    rows = list(dict.fromkeys(str(r["row_label"]) for r in recs))
    cols: list[str] = []
    cells: dict[tuple[str, str, str], str] = {}
    for rec in recs:
        m = str(rec["measure"])
        label = str(rec["column_label"])
        col = f"{label}: {MEASURES.get(m, (m, 0))[0]}" if multi else label
        if col not in cols:
            cols.append(col)
        cells[(str(rec["row_label"]), col, m)] = _cell(rec, inner=combined)
    cols = sorted(cols, key=lambda c: is_margin(c.split(": ", 1)[0] if multi else c))
    data = []
    for r in rows:
        line = [r]
        for c in cols:
            if combined:
                n, pct = cells.get((r, c, "n"), ""), cells.get((r, c, "pct"), "")
                shown = n and pct and NOT_AVAILABLE not in (n, pct) and pct != SUPPRESSED
                line.append(f"{n} ({pct})" if shown else n or pct)
            else:
                line.append(next((v for (rr, cc, _), v in cells.items() if (rr, cc) == (r, c)), ""))
        data.append(line)
    return pd.DataFrame(data, columns=["", *cols])


def table_footnotes(table: pd.DataFrame, rules_text: str) -> list[str]:
    """Footnotes of one written table: suppression, bases, intervals, the builder's notes."""
    notes: list[str] = []
    status = table.get("disclosure_status", pd.Series(dtype=object)).astype(str)
    n_supp = int(status.str.startswith("suppressed").sum())
    if n_supp:
        reasons = sorted(set(status[status.str.startswith("suppressed")].str[12:-1]))
        notes.append(
            f"{SUPPRESSED} suppressed by output control ({n_supp} cell(s): "
            f"{'; '.join(r for r in reasons if r)}). {rules_text}"
        )
    if int((status == "rounded").sum()):
        notes.append("Counts are rounded as the output-control rule set requires.")
    measures = set(table.get("measure", pd.Series(dtype=object)).astype(str))
    if "pct" in measures:
        base = (
            " Bases are the counts in the column's total row."
            if "denominator" not in table
            else " Each percentage's base is in the table's CSV file (column denominator)."
        )
        notes.append("Percentages are whole numbers, rounded half up as printed." + base)
    if {"conf_low", "conf_high"} <= set(table.columns) and table["conf_low"].notna().any():
        notes.append("After the value or the percentage: 95% confidence interval.")
    if "value" in table and table["value"].isna().any() and not n_supp:
        notes.append(f"{NOT_AVAILABLE} no value (see the notes below).")
    if "note" in table:
        texts = list(dict.fromkeys(str(x) for x in table["note"].dropna() if str(x).strip()))
        if texts:
            notes.append("Notes on cells: " + "; ".join(texts) + ".")
    return notes


def _esc(x: Any) -> str:
    return html.escape("" if x is None else str(x))


def _is_numeric_text(text: str) -> bool:
    t = text.replace(",", "").replace("−", "-").replace("%", "").strip()
    t = t.split(" (", 1)[0]
    if t in ("", SUPPRESSED):
        return t == SUPPRESSED
    try:
        float(t)
    except ValueError:
        return False
    return True


def frame_html(
    frame: pd.DataFrame,
    *,
    caption: str | None = None,
    footnotes: Sequence[str] = (),
    measures: dict[str, str] | None = None,
    row_classes: Iterable[str] | None = None,
) -> str:
    """A frame as an accessible HTML table: text left, numbers right, a caption and
    footnotes, inside a box that scrolls sideways instead of widening the page.

    ``measures`` maps a column to the measure that sets its decimals; other numeric
    columns get :func:`format_number`'s default.  Internal columns are dropped.
    """
    if frame is None or frame.empty:
        return '<p class="note">No rows.</p>'
    shown = frame[[c for c in frame.columns if str(c) not in INTERNAL_COLUMNS]]
    measures = measures or {}
    texts = {c: [_as_text(v, measures.get(str(c))) for v in shown[c]] for c in shown.columns}
    numeric = {
        c: all(_is_numeric_text(t) or t == "" for t in texts[c]) and any(texts[c])
        for c in shown.columns
    }
    head = "".join(
        f'<th scope="col" class="{"num" if numeric[c] else "txt"}">'
        f"{_esc(HEADERS.get(str(c), c))}</th>"
        for c in shown.columns
    )
    long = {c for c in shown.columns if not numeric[c] and max(map(len, texts[c])) > 60}
    classes = list(row_classes) if row_classes is not None else [""] * len(shown)
    body = []
    for i in range(len(shown)):
        cells = []
        for j, c in enumerate(shown.columns):
            cls = "num" if numeric[c] else ("txt long" if c in long else "txt")
            tag = 'th scope="row"' if j == 0 and not numeric[c] else "td"
            cells.append(f'<{tag} class="{cls}">{_esc(texts[c][i])}</{tag.split()[0]}>')
        cls = f' class="{classes[i]}"' if classes[i] else ""
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    cap = f"<caption>{_esc(caption)}</caption>" if caption else ""
    foot = (
        '<ol class="footnotes">' + "".join(f"<li>{_esc(n)}</li>" for n in footnotes) + "</ol>"
        if footnotes
        else ""
    )
    return (
        f'<div class="scroll" tabindex="0"><table>{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>{foot}"
    )
