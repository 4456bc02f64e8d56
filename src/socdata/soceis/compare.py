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
    the column total, another table), or uses a base the data contradict; the explanation
    shows the arithmetic;
``not reproducible from these extracts``
    the extracts cannot give this figure (no builder for it, a field not on the form), or
    they give another value while the printed figure is consistent with itself.

Printed figures are checked first against the report's own numbers; the regenerated
value decides only between ``match`` and the other statuses. Codes never bend to hit a
printed number: a disagreement is reported, with its arithmetic.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

from socdata.errors import SocdataError
from socdata.paths import published_dir
from socdata.provenance import Provenance
from socdata.published import PUBLISHED_COLUMNS
from socdata.results import Result, order_tidy
from socdata.rounding import round_half_up
from socdata.soceis.tables import TABLE_IDS
from socdata.words import word_interval

__all__ = [
    "COMPARISON_COLUMNS",
    "STATUSES",
    "ComparisonResult",
    "compare_published",
    "fraction_word_is_true",
    "load_published",
]

STATUSES: tuple[str, ...] = (
    "match",
    "rounding",
    "printed figure inconsistent",
    "not reproducible from these extracts",
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
_MATCH, _ROUND, _INCONS, _NOTREP = STATUSES


# --------------------------------------------------------------------------- words


def fraction_word_is_true(word: str, numerator: int, denominator: int) -> bool | None:
    """Whether a fraction word printed in a report is true of ``numerator / denominator``.

    The rule is the package's one vocabulary, :func:`socdata.words.word_interval` (a bare
    fraction is true within 2.5 percentage points: 20/30 is two-thirds, 19/30 is not;
    "over X" strictly above; "most" over half). Returns ``None`` for a word it does not
    know.
    """
    if denominator <= 0:
        return None
    meaning = word_interval(str(word))
    if meaning is None:
        return None
    return meaning.contains(Fraction(100 * int(numerator), int(denominator)))


# --------------------------------------------------------------------------- loading


def load_published(paths: Iterable[str | Path] | None = None) -> pd.DataFrame:
    """Read the published figures (``data/published/*.csv``) into one frame.

    Raises
    ------
    SocdataError
        No file found, or a file without the published-figure columns.
    """
    files = (
        sorted(Path(p) for p in paths)
        if paths is not None
        else sorted(published_dir().glob("*.csv"))
    )
    if not files:
        raise SocdataError(
            f"no published-figure CSV files found in {published_dir()}; "
            "pass published=... explicitly"
        )
    frames = []
    for f in files:
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
        missing = [
            c
            for c in ("table_id", "row_label", "column_label", "measure", "value")
            if c not in df.columns
        ]
        if missing:
            raise SocdataError(
                f"{f}: not a published-figure file (missing columns {missing}; "
                f"expected {list(PUBLISHED_COLUMNS)})"
            )
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


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


# --------------------------------------------------------------------------- helpers


def _norm(s: object) -> str:
    t = str(s).replace("\u2019", "'").replace("\u2018", "'").strip()
    t = re.sub(r"\*+$", "", t).strip()
    return re.sub(r"\s+", " ", t).casefold()


def _num(v: object) -> float | None:
    if v is None:
        return None
    if isinstance(v, (int, float, np.integer, np.floating)):
        return None if np.isnan(float(v)) else float(v)
    s = str(v).strip().replace(",", "").rstrip("%")
    if s in ("", "-", "\u2013", "\u2014", "nan", "NaN", "NA"):
        return None
    try:
        return float(s)
    except ValueError:
        return None


def _is_dash(v: object) -> bool:
    return str(v).strip() in ("-", "\u2013", "\u2014")


def _fmt(x: float | None) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "-"
    return str(int(x)) if float(x).is_integer() else f"{x:.4g}"


def _pct_text(k: float, n: float) -> str:
    return f"{_fmt(k)}/{_fmt(n)} = {100 * k / n:.1f}% -> {_fmt(round_half_up(100 * k / n))}"


_N_ANNOT = re.compile(r"\{n=(\d+)\}")
_LE_ANNOT = re.compile(r"\{le=([^}]*)\}")


class _Printed:
    """Index of the printed figures for look-ups by (table, row, column, measure)."""

    def __init__(self, pub: pd.DataFrame) -> None:
        self.pub = pub
        self.idx: dict[tuple[str, str, str, str], pd.Series] = {}
        for _, r in pub.iterrows():
            self.idx.setdefault(
                (
                    r["table_id"],
                    _norm(r["row_label"]),
                    _norm(r["column_label"]),
                    str(r["measure"]).strip().lower(),
                ),
                r,
            )

    def value(self, table: str, row: str, col: str, measure: str = "n") -> float | None:
        r = self.idx.get((table, _norm(row), _norm(col), measure))
        return None if r is None else _num(r["value"])

    def base(self, r: pd.Series) -> float | None:
        """The base a printed percentage or word refers to."""
        den = _num(r.get("denominator_as_printed", ""))
        if den is not None:
            return den
        tid, col = r["table_id"], r["column_label"]
        if tid in ("table4_referral_source", "table4_case_status"):
            return self.value("table4_referral_source", "Total", col)
        if tid == "table4_closure_reason":
            return self.value("table4_case_status", "Closed", col)
        if tid == "table5":
            return self.value("table5", "Intervention plans", col)
        m = _N_ANNOT.search(str(r.get("note", "")))
        return float(m.group(1)) if m else None

    def ref(self, path: str) -> float | None:
        parts = [p.strip() for p in path.split("/")]
        if len(parts) != 3:
            return None
        return self.value(parts[0], parts[1], parts[2], "n")


def _eval_le(expr: str, printed: _Printed) -> tuple[float | None, str]:
    """Evaluate ``a/b/c - d/e/f + ...`` over printed n cells; return (value, arithmetic)."""
    tokens = re.split(r"\s+([+-])\s+", expr.strip())
    total, text, sign = 0.0, [], 1
    for tok in tokens:
        if tok in ("+", "-"):
            sign = 1 if tok == "+" else -1
            continue
        v = printed.ref(tok)
        if v is None:
            return None, ""
        total += sign * v
        text.append(("- " if sign < 0 else ("+ " if text else "")) + f"{_fmt(v)} ({tok})")
    return total, " ".join(text)


def _internal_check(r: pd.Series, printed: _Printed) -> tuple[str, str] | None:
    """Check a printed figure against the report's own numbers.

    Returns ``(status, explanation)`` when the printed figure is inconsistent (or a
    rounding artefact), else ``None``.
    """
    tid, row, col = r["table_id"], r["row_label"], r["column_label"]
    meas = str(r["measure"]).strip().lower()
    val = _num(r["value"])
    note = str(r.get("note", ""))
    if meas == "n" and val is not None:
        m = _LE_ANNOT.search(note)
        if m:
            bound, arith = _eval_le(m.group(1), printed)
            if bound is not None and val > bound:
                return _INCONS, (
                    f"printed {_fmt(val)} exceeds what the report's other figures "
                    f"allow: {arith} = {_fmt(bound)}"
                )
        # a total ({total} in the note) must equal the sum of its parts: the other counts of
        # the same table and column, except those marked {notpart}
        if "{total}" in note:
            pub = printed.pub
            parts = [
                _num(x["value"])
                for _, x in pub[(pub["table_id"] == tid) & (pub["measure"] == "n")].iterrows()
                if _norm(x["column_label"]) == _norm(col)
                and _norm(x["row_label"]) != _norm(row)
                and "{notpart}" not in str(x.get("note", ""))
                and "{total}" not in str(x.get("note", ""))
            ]
            parts = [p for p in parts if p is not None]
            if parts and sum(parts) != val:
                return _INCONS, (
                    f"the printed counts it totals sum to "
                    f"{' + '.join(_fmt(p) for p in parts)} = {_fmt(sum(parts))}, "
                    f"not the printed {_fmt(val)}"
                )
        return None
    if meas == "pct" and val is not None:
        if _norm(row) == "total":
            parts = [
                printed.value(tid, x["row_label"], col, "pct")
                for _, x in printed.pub[
                    (printed.pub["table_id"] == tid) & (printed.pub["measure"] == "pct")
                ].iterrows()
                if _norm(x["row_label"]) != "total" and _norm(x["column_label"]) == _norm(col)
            ]
            parts = [p for p in parts if p is not None]
            if parts and val != 100:
                s = sum(parts)
                expl = (
                    f"the percentages of a column add to 100 exactly; the printed total "
                    f"{_fmt(val)} is the sum of the rounded parts "
                    f"{' + '.join(_fmt(p) for p in parts)} = {_fmt(s)}"
                )
                return (
                    (_ROUND, expl)
                    if s == val
                    else (
                        _INCONS,
                        expl.replace("is the sum", "is not even the sum")
                        + f" (they sum to {_fmt(s)})",
                    )
                )
            return None
        k = printed.value(tid, row, col, "n")
        base = printed.base(r)
        if base is None or base <= 0:
            return None
        if k is not None:
            want = round_half_up(100 * k / base)
            if want != val:
                exact = 100 * k / base
                alt = [
                    d
                    for d in range(max(int(k), 1), int(base) + 50)
                    if round_half_up(100 * k / d) == val
                ]
                if not alt:
                    hint = f"; no base gives {_fmt(k)}/n = {_fmt(val)}% when rounded"
                elif len(alt) == 1:
                    hint = f"; only the base {alt[0]} gives {_fmt(val)}%"
                else:
                    hint = f"; bases {alt[0]} to {alt[-1]} give {_fmt(val)}%"

                if round(exact) == val or int(exact) == val:
                    return _ROUND, (
                        f"{_pct_text(k, base)} rounded half-up; the printed "
                        f"{_fmt(val)} is {exact:.2f} rounded another way"
                    )
                return _INCONS, f"printed {_fmt(val)}% but {_pct_text(k, base)}{hint}"
            return None
        # no printed count: is any count out of the base consistent with the percentage?
        ks = [j for j in range(int(base) + 1) if round_half_up(100 * j / base) == val]
        if not ks:
            lo = int(np.floor(val * base / 100))
            opts = ", ".join(
                f"{j}/{_fmt(base)} = {100 * j / base:.1f}%" for j in (lo, lo + 1) if 0 <= j <= base
            )
            return _INCONS, (f"no count out of {_fmt(base)} rounds to {_fmt(val)}% ({opts})")
        return None
    if meas == "fraction":
        k = printed.value(tid, row, col, "n")
        base = printed.base(r)
        if k is not None and base:
            ok = fraction_word_is_true(str(r["value"]), int(k), int(base))
            if ok is False:
                return _INCONS, (
                    f"'{r['value']}' is not true of {_fmt(k)}/{_fmt(base)} = {100 * k / base:.1f}%"
                )
    return None


def _base_problem(r: pd.Series, printed: _Printed, flagged: dict) -> str | None:
    """Explanation when the printed base of this figure was itself found inconsistent."""
    den = _num(r.get("denominator_as_printed", ""))
    for (tid, base_val), why in flagged.items():
        if tid == r["table_id"] and den is not None and den == base_val:
            return why
    return None


# --------------------------------------------------------------------------- main


def compare_published(
    tables: pd.DataFrame,
    published: pd.DataFrame | None = None,
    *,
    table_ids: Iterable[str] | None = None,
) -> ComparisonResult:
    """Compare regenerated tables with the printed figures.

    Parameters
    ----------
    tables
        Regenerated tidy tables (``table_id, row_label, column_label, measure, value`` and,
        for counts and percentages, ``numerator, denominator``), e.g.
        :func:`socdata.soceis.tables.all_tables`.
    published
        Printed figures (columns ``table_id, row_label, column_label, measure, value``,
        ideally ``denominator_as_printed`` and ``note``). Default: every file of
        ``data/published``.
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
    pub = load_published() if published is None else published.copy()
    miss = [c for c in need if c not in pub.columns]
    if miss:
        raise SocdataError(f"compare_published: published figures lack column(s) {miss}")
    for c in ("denominator_as_printed", "note"):
        if c not in pub.columns:
            pub[c] = ""
    pub = pub.fillna("").astype({c: str for c in need if c != "value"})
    ids = set(TABLE_IDS) | set(tables["table_id"]) if table_ids is None else set(table_ids)
    pub = pub[pub["table_id"].isin(ids)].reset_index(drop=True)
    printed = _Printed(pub)

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

    # first pass: inconsistent base rows, inherited by the figures printed on that base
    flagged: dict[tuple[str, float], str] = {}
    for _, r in pub.iterrows():
        if "{base}" in str(r["note"]):
            chk = _internal_check(r, printed)
            if chk is not None and _num(r["value"]) is not None:
                flagged[(r["table_id"], _num(r["value"]))] = chk[1]

    rows = []
    for _, r in pub.iterrows():
        tid, row, col = r["table_id"], r["row_label"], r["column_label"]
        meas = str(r["measure"]).strip().lower()
        key = (tid, _norm(row), _norm(col), meas)
        p_val = r["value"]
        g = regen.get(key)
        if meas == "fraction":
            g = regen.get((tid, _norm(row), _norm(col), "n"))
        status, expl, regenerated = _classify(r, meas, g, printed, flagged)
        rows.append(
            {
                "table_id": tid,
                "row_label": row,
                "column_label": col,
                "measure": meas,
                "printed": p_val,
                "regenerated": regenerated,
                "status": status,
                "explanation": expl,
            }
        )
    frame = pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))
    prov = Provenance.build(
        "socdata.soceis.compare.compare_published",
        parameters={"table_ids": sorted(ids)},
        frames={"tables": tables.reset_index(drop=True), "published": pub.reset_index(drop=True)},
        n_in=len(pub),
        n_out=len(frame),
        notes=[
            "Printed figures are checked against the report's own numbers first; "
            "percentages rounded half-up."
        ],
    )
    return ComparisonResult(provenance=prov, frame=frame)


def _classify(r, meas, g, printed, flagged) -> tuple[str, str, object]:
    p_val = r["value"]
    internal = _internal_check(r, printed)
    inherited = _base_problem(r, printed, flagged)
    if g is None:
        why = "no table builder regenerates this figure" if internal is None else internal[1]
        status = _NOTREP if internal is None else internal[0]
        return status, why, ""
    g_val = _num(g["value"])
    g_note = str(g.get("note", "") or "")
    if isinstance(g.get("note"), float):  # NaN read back from a CSV
        g_note = ""
    sdc = str(g.get("disclosure_status", "") or "")
    sdc_rules = str(g.get("disclosure", "") or "")
    sdc_text = (
        f"the regenerated cell was {sdc} by disclosure control"
        + (f" (rule set {sdc_rules})" if sdc_rules and sdc_rules != "nan" else "")
        if sdc.startswith(("suppressed", "rounded"))
        else ""
    )
    num = _num(g.get("numerator")) if "numerator" in g.index else None
    den = _num(g.get("denominator")) if "denominator" in g.index else None
    if meas == "fraction":
        if num is None or not den:
            return _NOTREP, "no regenerated count and base for this fraction word", ""
        truth = fraction_word_is_true(str(p_val), int(num), int(den))
        shown = f"{_fmt(num)}/{_fmt(den)} = {100 * num / den:.1f}%"
        if truth is None:
            return _NOTREP, f"the word '{p_val}' is not one socdata can check", shown
        if truth:
            return _MATCH, f"'{p_val}' is true of {shown}", shown
        if internal is not None:
            return internal[0], internal[1] + f"; regenerated {shown}", shown
        if inherited:
            return (
                _INCONS,
                (
                    f"printed on a base that the report's other figures contradict "
                    f"({inherited}); regenerated {shown} is not '{p_val}'"
                ),
                shown,
            )
        return _NOTREP, f"'{p_val}' is not true of the regenerated {shown}", shown
    # numbers
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
        why = sdc_text or g_note or "the extracts give no value for this cell"
        if "not on form" in g_note.lower():
            why = (
                "the extract records this domain as 'Not on form' for every plan of the "
                "area, so no count can be derived; the printed 0 stands for 'not on the "
                "form' (the report's footnote *), not for 'in no plan'"
            )
        if internal is not None:
            return internal[0], internal[1] + f"; {why}", ""
        return _NOTREP, why, ""
    if g_val == p:
        extra = ""
        if internal is not None:
            extra = f" (the printed base would not give it: {internal[1]})"
        return _MATCH, f"{arith}{extra}", g_val
    if internal is not None:
        return internal[0], f"{internal[1]}; {arith}", g_val
    if sdc_text:
        return _NOTREP, f"{sdc_text}: it shows {_fmt(g_val)}, the report prints {_fmt(p)}", g_val
    if inherited:
        return (
            _INCONS,
            (
                f"printed on a base that the report's other figures contradict "
                f"({inherited}); {arith}"
            ),
            g_val,
        )
    pbase = printed.base(r)
    pk = printed.value(r["table_id"], r["row_label"], r["column_label"], "n")
    if (
        meas == "pct"
        and num is not None
        and den
        and pbase
        and den != pbase
        and (pk is None or pk == num)
    ):
        reason = f" ({g_note})" if g_note else ""
        return (
            _INCONS,
            (
                f"the printed {_fmt(p)}% uses the base {_fmt(pbase)} "
                f"({_fmt(num)}/{_fmt(pbase)} = {100 * num / pbase:.1f}%), while the "
                f"extracts' base is {_fmt(den)}{reason}: {arith}"
            ),
            g_val,
        )
    return (
        _NOTREP,
        (
            f"printed {_fmt(p)} is consistent with the report's own numbers, but "
            f"the extracts give {_fmt(g_val)} ({arith}): different data or "
            "definitions"
        ),
        g_val,
    )
