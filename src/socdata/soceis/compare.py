"""Compare regenerated tables with the figures printed in the published reports.

:func:`compare_published` lines up every printed figure (``data/published/*.csv``) with the
value the table builders regenerate from the extracts (:mod:`socdata.soceis.tables`) and
gives each a status:

``match``
    the regenerated value equals the printed one (a printed ``-`` matches a cell that
    cannot be computed; a fraction word matches when it is true of the regenerated counts);
``rounding``
    the printed figure differs only by rounding, e.g. a printed total of 101% that is the
    sum of the rounded percentages above it, or a percentage rounded half-to-even or
    truncated;
``printed figure inconsistent``
    the printed figure does not follow from the report's own numbers (its count and base,
    the column total, another table), or is printed on a base the report's other figures
    contradict; the explanation shows the arithmetic;
``not reproducible from these extracts``
    the extracts cannot give this figure (no builder for it), or they give another value
    while the printed figure is consistent with itself;
``base differs``
    the printed figure holds on the report's own base and the extracts reproduce it under
    the report's convention, but socdata's base gives another value (Table 5: the report
    counts a plan whose form has no field for a topic as "No", so Offending is 10 of all 40
    plans, 25%; socdata divides by the 27 plans whose form has the topic, 37%). The
    explanation gives both.

Printed figures are judged first against the report's own numbers by the review engine
(:func:`socdata.review.audit`, the same checks and the same loader as ``socdata audit``, so
one printed figure gets one verdict whichever tool asks); the regenerated value then
decides between ``match`` and the other statuses. Code never bends to hit a printed number:
a disagreement is reported, with its arithmetic.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from socdata.errors import SocdataError
from socdata.paths import published_dir
from socdata.provenance import Provenance
from socdata.published import PUBLISHED_COLUMNS
from socdata.results import Result, order_tidy
from socdata.review import (
    PublishedFiguresError,
    check_fraction_word,
    read_published,
)
from socdata.soceis._printed import (
    PrintedFigures,
    _audit,
    _fmt,
    _is_dash,
    _key,
    _norm,
    _num,
    _pct_text,
)
from socdata.soceis.tables import TABLE5_ON_FORM, TABLE_IDS

__all__ = [
    "ALTERNATIVE_BASES",
    "COMPARISON_COLUMNS",
    "STATUSES",
    "ComparisonResult",
    "compare_published",
    "fraction_word_is_true",
    "load_published",
    "printed_findings",
]

STATUSES: tuple[str, ...] = (
    "match",
    "rounding",
    "printed figure inconsistent",
    "not reproducible from these extracts",
    "base differs",
)
COMPARISON_COLUMNS: tuple[str, ...] = (
    "table_id",
    "row_label",
    "column_label",
    "measure",
    "printed",
    "regenerated",
    "status",
    "explanation",
)
_MATCH, _ROUND, _INCONS, _NOTREP, _BASE = STATUSES
_VERDICT_STATUS = {"inconsistent": _INCONS, "rounding": _ROUND}


# --------------------------------------------------------------------------- words


def fraction_word_is_true(word: str, numerator: int, denominator: int) -> bool | None:
    """Whether a fraction word printed in a report is true of ``numerator / denominator``.

    The verdict of :func:`socdata.review.check_fraction_word` (the package's one vocabulary,
    :mod:`socdata.words`: a bare fraction is true within 2.5 percentage points, so 20/30
    is two-thirds and 19/30 is not; "over X" strictly above; "most" over half). Returns
    ``None`` for a word it does not know.
    """
    if denominator <= 0:
        return None
    chk = check_fraction_word(str(word), int(numerator), int(denominator))
    return None if chk.verdict == "cannot check" else chk.ok


# --------------------------------------------------------------------------- loading


def load_published(paths: Iterable[str | Path] | None = None) -> pd.DataFrame:
    """Read the published figures (default: every file of ``data/published``) into one frame.

    The one loader, :func:`socdata.review.read_published`, reads and validates each file.

    Raises
    ------
    socdata.review.PublishedFiguresError
        No file found, or a file that is not in the published-figures format.
    """
    if paths is None:
        return read_published(published_dir())
    files = sorted(Path(p) for p in paths)
    if not files:
        raise PublishedFiguresError("load_published: no files given")
    return pd.concat([read_published(f) for f in files], ignore_index=True)


# --------------------------------------------------------------------------- result


@dataclasses.dataclass(frozen=True)
class ComparisonResult(Result):
    """Regenerated versus printed figures, one row per printed figure.

    Attributes
    ----------
    frame
        Columns of :data:`COMPARISON_COLUMNS`.
    """

    frame: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)

    def counts(self) -> pd.Series:
        """Number of printed figures per status."""
        return self.frame["status"].value_counts().reindex(list(STATUSES), fill_value=0)

    def tidy(self) -> pd.DataFrame:
        f = self.frame
        out = pd.DataFrame(
            {
                "term": f["table_id"]
                + " | "
                + f["row_label"]
                + " | "
                + f["column_label"]
                + " | "
                + f["measure"],
                "estimate": pd.to_numeric(f["regenerated"], errors="coerce"),
                "ci_type": "none",
            }
        )
        return order_tidy(pd.concat([out, f.reset_index(drop=True)], axis=1))

    def _summary_body(self) -> str:
        c = self.counts()
        lines = [f"{len(self.frame)} printed figures compared:"]
        lines += [f"  {s}: {int(c[s])}" for s in STATUSES]
        bad = self.frame[self.frame["status"] != _MATCH]
        if len(bad):
            lines.append("")
            lines.append("Figures that do not match:")
            for _, r in bad.iterrows():
                lines.append(
                    f"- {r['table_id']} / {r['row_label']} / {r['column_label']} / "
                    f"{r['measure']}: printed {r['printed']}, regenerated "
                    f"{r['regenerated']} -> {r['status']}: {r['explanation']}"
                )
        return "\n".join(lines)


#: Printed tables whose report convention the builders reproduce, with the table id of
#: socdata's better base for the same cells (see :func:`socdata.soceis.tables.table5`).
ALTERNATIVE_BASES: dict[str, str] = {"table5": TABLE5_ON_FORM}


# --------------------------------------------------------------------------- main


def _prepare_published(published: pd.DataFrame | None) -> pd.DataFrame:
    if published is None:
        return load_published()
    need = ("table_id", "row_label", "column_label", "measure", "value")
    miss = [c for c in need if c not in published.columns]
    if miss:
        raise SocdataError(f"compare_published: published figures lack column(s) {miss}")
    pub = published.copy()
    for c in PUBLISHED_COLUMNS:  # optional in a hand-made frame: source, locator, base, note
        if c not in pub.columns:
            pub[c] = ""
    return read_published(pub)


def printed_findings() -> pd.DataFrame:
    """The review engine's findings on every printed figure of ``data/published``.

    The same findings as :func:`socdata.review.audit_bundled` (tested), computed once per
    process and shared with :func:`compare_published`, which judges each printed figure
    by them: ``socdata reproduce`` writes them as ``audit.csv`` and compares with them.
    """
    return _audit(_prepare_published(None)).copy()


def _regenerated_index(tables: pd.DataFrame) -> dict[tuple[str, str, str, str], pd.Series]:
    regen: dict[tuple[str, str, str, str], pd.Series] = {}
    for _, r in tables.iterrows():
        regen.setdefault(
            (
                r["table_id"],
                _norm(r["row_label"]),
                _norm(r["column_label"]),
                str(r["measure"]).strip().lower(),
            ),
            r,
        )
    return regen


def compare_published(
    tables: pd.DataFrame,
    published: pd.DataFrame | None = None,
    *,
    table_ids: Iterable[str] | None = None,
) -> ComparisonResult:
    """Compare regenerated tables with the printed figures.

    Each printed figure is first judged against the report's own numbers by the review
    engine (:func:`socdata.review.audit`: one verdict per printed figure, whichever tool
    asks); the regenerated value then decides between ``match`` and the other statuses.

    Parameters
    ----------
    tables
        Regenerated tidy tables (``table_id, row_label, column_label, measure, value`` and,
        for counts and percentages, ``numerator, denominator``), e.g.
        :func:`socdata.soceis.tables.all_tables`. A table of :data:`ALTERNATIVE_BASES`
        (``table5_on_form``) gives socdata's better base beside the report's convention.
    published
        Printed figures in the format of ``data/published`` (at least ``table_id,
        row_label, column_label, measure, value``; ideally ``denominator_as_printed`` and
        ``note`` with its tags). Default: every file of ``data/published``.
    table_ids
        Printed tables to compare. Default: the report's Tables 1-5 and 5.1
        (:data:`socdata.soceis.tables.TABLE_IDS`) plus every table id in ``tables``.

    Returns
    -------
    ComparisonResult
        One row per printed figure with its status and the arithmetic behind it.
    """
    need = ("table_id", "row_label", "column_label", "measure", "value")
    miss = [c for c in need if c not in tables.columns]
    if miss:
        raise SocdataError(
            f"compare_published: tables lack column(s) {miss}; build them with "
            "socdata.soceis.tables"
        )
    pub = _prepare_published(published)
    printed = PrintedFigures(pub)
    ids = set(TABLE_IDS) | set(tables["table_id"]) if table_ids is None else set(table_ids)
    sel = pub[pub["table_id"].isin(ids)]
    regen = _regenerated_index(tables)
    rows = []
    for _, r in sel.iterrows():
        tid, row, col = r["table_id"], r["row_label"], r["column_label"]
        meas = str(r["measure"]).strip().lower()
        look = "n" if meas == "fraction" else meas
        g = regen.get((tid, _norm(row), _norm(col), look))
        alt = (
            regen.get((ALTERNATIVE_BASES[tid], _norm(row), _norm(col), look))
            if tid in ALTERNATIVE_BASES
            else None
        )
        status, expl, regenerated = _classify(r, meas, g, alt, printed)
        rows.append(
            {
                "table_id": tid,
                "row_label": row,
                "column_label": col,
                "measure": meas,
                "printed": r["value"],
                "regenerated": regenerated,
                "status": status,
                "explanation": expl,
            }
        )
    frame = pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))
    prov = Provenance.build(
        "socdata.soceis.compare.compare_published",
        parameters={"table_ids": sorted(ids)},
        frames={"tables": tables.reset_index(drop=True), "published": sel.reset_index(drop=True)},
        n_in=len(sel),
        n_out=len(frame),
        notes=[
            "Printed figures are judged against the report's own numbers by "
            "socdata.review.audit first; percentages rounded half-up (a percentage that "
            "half-to-even or truncation reproduces is a rounding difference)."
        ],
    )
    return ComparisonResult(provenance=prov, frame=frame)


def _disclosure_text(g: pd.Series) -> str:
    sdc = str(g.get("disclosure_status", "") or "")
    if not sdc.startswith(("suppressed", "rounded")):
        return ""
    rules = str(g.get("disclosure", "") or "")
    return f"the regenerated cell was {sdc} by disclosure control" + (
        f" (rule set {rules})" if rules and rules != "nan" else ""
    )


def _note(g: pd.Series | None) -> str:
    if g is None:
        return ""
    v = g.get("note", "")
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)


def _base_differs(
    r: pd.Series, meas: str, g: pd.Series, alt: pd.Series | None, arith: str
) -> tuple[str, str] | None:
    """The report's convention reproduced, and socdata's base (``alt``) gives another value."""
    if alt is None:
        return None
    a_val = _num(alt["value"])
    g_val = _num(g["value"])
    if a_val == g_val:
        return None
    num, den = _num(alt.get("numerator")), _num(alt.get("denominator"))
    if a_val is None:
        better = f"socdata's base gives no value ({_note(alt) or 'no base'})"
    elif meas == "pct" and num is not None and den:
        better = f"on socdata's base it is {_pct_text(num, den)}"
    else:
        better = f"on socdata's base it is {_fmt(a_val)}"
    why = _note(g)
    return _BASE, (
        f"the printed {_fmt(_num(r['value']))} is reproduced under the report's convention "
        f"({arith}{'; ' + why if why else ''}); {better}"
        + (f" ({_note(alt)})" if a_val is not None and _note(alt) else "")
    )


def _classify(r, meas, g, alt, printed: PrintedFigures) -> tuple[str, str, object]:
    p_val = r["value"]
    found = printed.verdict.get(_key(r))
    internal = None if found is None else (_VERDICT_STATUS[found[0]], found[1])
    inherited = printed.base_problem(r)
    if g is None:
        if internal is not None:
            return internal[0], internal[1], ""
        return _NOTREP, "no table builder regenerates this figure", ""
    g_val = _num(g["value"])
    g_note = _note(g)
    num = _num(g.get("numerator")) if "numerator" in g.index else None
    den = _num(g.get("denominator")) if "denominator" in g.index else None
    if meas == "fraction":
        return _classify_word(p_val, num, den, internal, inherited)
    if _is_dash(p_val) or _num(p_val) is None:
        if g_val is None:
            return (
                _MATCH,
                "printed '-': no value can be computed" + (f" ({g_note})" if g_note else ""),
                "",
            )
        return _NOTREP, f"printed '{p_val}' but the extracts give {_fmt(g_val)}", g_val
    p = _num(p_val)
    arith = (
        f"regenerated {_pct_text(num, den)}"
        if meas == "pct" and num is not None and den
        else f"regenerated {_fmt(g_val)}"
    )
    if g_val is None:
        return _classify_missing(p, g, g_note, internal)
    if g_val == p:
        differs = _base_differs(r, meas, g, alt, arith)
        if internal is None and differs is not None:
            return differs[0], differs[1], g_val
        if internal is not None:  # one verdict per printed figure: the review engine's
            return (
                internal[0],
                (f"{internal[1]}; the extracts give the printed value on their own base ({arith})"),
                g_val,
            )
        return _MATCH, arith, g_val
    if internal is not None:
        return internal[0], f"{internal[1]}; {arith}", g_val
    sdc_text = _disclosure_text(g)
    if sdc_text:
        return _NOTREP, f"{sdc_text}: it shows {_fmt(g_val)}, the report prints {_fmt(p)}", g_val
    if inherited:
        return (
            _INCONS,
            f"printed on a base that the report's other figures contradict ({inherited}); {arith}",
            g_val,
        )
    pbase = printed.denominator.get(_key(r))
    pk = printed.value(r["table_id"], r["row_label"], r["column_label"])
    if meas == "pct" and num is not None and den and pbase and den != pbase and pk in (None, num):
        reason = f" ({g_note})" if g_note else ""
        return (
            _BASE,
            f"the printed {_fmt(p)}% is {_fmt(num)}/{_fmt(pbase)} = {100 * num / pbase:.1f}% "
            f"on the report's base of {_fmt(pbase)}, which holds; the extracts' base is "
            f"{_fmt(den)}{reason}: {arith}",
            g_val,
        )
    return (
        _NOTREP,
        f"printed {_fmt(p)} is consistent with the report's own numbers, but the extracts "
        f"give {_fmt(g_val)} ({arith}): different data or definitions",
        g_val,
    )


def _classify_missing(p, g, g_note, internal) -> tuple[str, str, object]:
    """A printed number where the extracts give no value."""
    why = _disclosure_text(g) or g_note or "the extracts give no value for this cell"
    if internal is not None:
        return internal[0], f"{internal[1]}; {why}", ""
    if "not on form" in g_note.lower() and p == 0:
        return (
            _BASE,
            (
                "the printed 0 counts plans whose form has no field for this topic as 'No' (the "
                "report's convention, footnote *); socdata leaves them out of the base, and no "
                "plan of this area's form has the topic, so no value can be derived"
            ),
            "",
        )
    return _NOTREP, why, ""


def _classify_word(p_val, num, den, internal, inherited) -> tuple[str, str, object]:
    if num is None or not den:
        return _NOTREP, "no regenerated count and base for this fraction word", ""
    truth = fraction_word_is_true(str(p_val), int(num), int(den))
    shown = f"{_fmt(num)}/{_fmt(den)} = {100 * num / den:.1f}%"
    if truth is None:
        return _NOTREP, f"the word '{p_val}' is not one socdata can check", shown
    if internal is not None:  # one verdict per printed figure: the review engine's
        true = "true" if truth else "not true"
        return internal[0], f"{internal[1]}; '{p_val}' is {true} of the regenerated {shown}", shown
    if truth:
        return _MATCH, f"'{p_val}' is true of {shown}", shown
    if inherited:
        return (
            _INCONS,
            f"printed on a base that the report's other figures contradict ({inherited}); "
            f"regenerated {shown} is not '{p_val}'",
            shown,
        )
    return _NOTREP, f"'{p_val}' is not true of the regenerated {shown}", shown
