"""An adversary's tools against the released outputs of a ``socdata reproduce`` run.

Each function takes released files only (what leaves the secure setting) and returns
the exact counts it *recovers*: a protected count pinned to a single value.  The attack
suite (``test_attacks.py``) asserts every list is empty on a real-mode run.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from socdata.report.derived import wilson_interval

BASE = 5
THRESHOLD = 10
COUNT_COLUMNS = ("n", "numerator", "denominator", "n_clusters", "n_people", "n_persons")


def box(r: float, base: int = BASE) -> range:
    """Every exact count that rounds (half up) to ``r``."""
    r = int(r)
    if r == 0:
        return range(0, math.ceil(base / 2))
    return range(max(1, r - base // 2), r + (base - 1) // 2 + 1)


def _pct(n: int, d: int, scale: float) -> float:
    return math.floor(scale * n / d + 0.5 + 1e-9)


def pct_candidates(row: pd.Series, scale: float) -> set[tuple[int, int]]:
    """Exact (numerator, denominator) consistent with a released % (and interval) computed
    from exact counts (the naive mechanism that issue 9 attacked)."""
    rn, rd, value = row.get("numerator"), row.get("denominator"), row["value"]
    if pd.isna(rd) or pd.isna(value):
        return set()
    dens = [d for d in box(rd) if d >= THRESHOLD]
    out = set()
    for d in dens:
        nums = box(rn) if not pd.isna(rn) else range(0, d + 1)
        for n in nums:
            if n > d or (0 < n < THRESHOLD) or _pct(n, d, scale) != round(value):
                continue
            lo, hi = row.get("conf_low"), row.get("conf_high")
            if not pd.isna(lo) and not pd.isna(hi):
                wl, wh = wilson_interval(n, d)
                if (
                    abs(_pct(wl * 1e6, 1e6, scale) - lo) > 1
                    or abs(_pct(wh * 1e6, 1e6, scale) - hi) > 1
                ):
                    continue
            out.add((n, d))
    return out


def recover_from_percentages(tables: dict[str, pd.DataFrame]) -> list[str]:
    """Brute force every released proportion: a unique exact (n, d) is a recovery."""
    found = []
    for tid, t in tables.items():
        if "measure" not in t or "value" not in t or "denominator" not in t:
            continue
        for _, row in t[t["measure"].isin(["pct", "fraction", "proportion"])].iterrows():
            scale = 100.0 if row["measure"] == "pct" else 1.0
            if scale == 1.0:
                row = row.copy()
                row["value"] = row["value"] * 100
                for c in ("conf_low", "conf_high"):
                    if c in row and not pd.isna(row[c]):
                        row[c] = row[c] * 100
                scale = 100.0
            if str(row.get("disclosure_status", "")).startswith("derived from rounded"):
                # Kerckhoffs: the adversary knows the mechanism.  A % derived from the
                # rounded counts is a function of them: every exact pair in the rounding
                # boxes is consistent, unless the released % is NOT that function (a leak).
                if pd.isna(row.get("numerator")) or pd.isna(row["denominator"]):
                    continue  # implies only a rounded numerator (>= threshold)
                if row["denominator"] and _pct(
                    row["numerator"], row["denominator"], 100.0
                ) != round(row["value"]):
                    found.append(
                        f"{tid}: {row['row_label']} / {row['column_label']}: % is not "
                        "a function of the released counts"
                    )
                continue
            cands = pct_candidates(row, scale)
            if len(cands) == 1:
                found.append(f"{tid}: {row['row_label']} / {row['column_label']} -> {cands}")
    return found


def unsafe_counts(tables: dict[str, pd.DataFrame]) -> list[str]:
    """Released counts of 1-9 people, or counts off the rounding base."""
    bad = []
    for tid, t in tables.items():
        cols = [c for c in COUNT_COLUMNS if c in t]
        if "measure" in t and "value" in t:
            vals = t.loc[t["measure"].astype(str) == "n", "value"]
            bad += [f"{tid}: value {v}" for v in vals.dropna() if _unsafe(v)]
        for c in cols:
            vals = pd.to_numeric(t[c], errors="coerce").dropna()
            bad += [f"{tid}: {c} {v}" for v in vals if _unsafe(v)]
    return bad


def _unsafe(v: float) -> bool:
    return (0 < v < THRESHOLD) or (v % BASE != 0)


def recover_by_differencing(tables: dict[str, pd.DataFrame]) -> list[str]:
    """A suppressed count alone in a row or column with a released total: its range.

    With every released cell rounded to 5, the hidden cell lies in
    ``[total_low - sum(others_high), total_high - sum(others_low)]`` intersected with
    1..threshold-1; a single integer is a recovery.
    """
    found = []
    for tid, t in tables.items():
        if not {"measure", "row_label", "column_label", "disclosure_status"} <= set(t.columns):
            continue
        n = t[t["measure"].astype(str) == "n"]
        for axis, other in (("row_label", "column_label"), ("column_label", "row_label")):
            for key, g in n.groupby(axis):
                total = g[g[other].astype(str).str.lower().isin(["total", "overall", "all"])]
                inner = g.drop(total.index)
                hidden = inner["value"].isna()
                if len(total) != 1 or hidden.sum() != 1 or pd.isna(total["value"].iloc[0]):
                    continue
                tb = box(total["value"].iloc[0])
                lo = min(tb) - sum(max(box(v)) for v in inner.loc[~hidden, "value"])
                hi = max(tb) - sum(min(box(v)) for v in inner.loc[~hidden, "value"])
                cand = [x for x in range(max(lo, 1), min(hi, THRESHOLD - 1) + 1)]
                if len(cand) == 1:
                    found.append(f"{tid}: {axis}={key} -> {cand[0]}")
    return found


#: Columns that quote the published report (public already): the printed claim, its
#: wording, its source and the reading rule.
PUBLISHED_TEXT_COLUMNS = frozenset({"statement", "printed", "source", "rule"})

_FRACTION = re.compile(r"\b(\d+)\s*/\s*(\d+)\b")
_ARROW = re.compile(r"\b(\d+)\s*->\s*(\d+)\b")
_PAREN = re.compile(r"\((\d+)\)")
_OF = re.compile(r"\b(\d+) of (\d+)\b(?! areas)")
_DF = re.compile(r"\bt\((\d+)\)")


def counts_in_text(text: str) -> list[str]:
    """Counts of people printed in prose: 'a/b', 'a->b', '(n)', 'a of b', 't(df)'."""
    bad = []
    for pat in (_FRACTION, _ARROW, _OF):
        for m in pat.finditer(text):
            nums = [int(g) for g in m.groups()]
            if any(_unsafe(x) for x in nums) and not _looks_like_date(text, m):
                bad.append(m.group(0))
    for pat in (_PAREN, _DF):
        for m in pat.finditer(text):
            if _unsafe(int(m.group(1))) and int(m.group(1)) < 1900:
                bad.append(m.group(0))
    return bad


def _looks_like_date(text: str, m: re.Match[str]) -> bool:
    around = text[max(0, m.start() - 3) : m.end() + 5]
    return bool(re.search(r"\d{4}|/\d+/", around))


def release_texts(out: Path) -> dict[str, str]:
    """Free text that leaves the setting: text columns of tables, the report's words."""
    texts: dict[str, str] = {}
    for p in sorted((out / "tables").glob("*.csv")):
        t = pd.read_csv(p, dtype=str, keep_default_na=False)
        skip = {
            "table_id",
            "row_label",
            "column_label",
            "measure",
            "disclosure",
            "disclosure_status",
        }
        skip |= PUBLISHED_TEXT_COLUMNS
        cols = [c for c in t.columns if c not in skip and not _numeric(t[c])]
        if cols:
            texts[p.name] = "\n".join(t[cols].astype(str).agg(" | ".join, axis=1))
    report = out / "report.html"
    if report.exists():
        import html as _html

        page = _html.unescape(re.sub(r"<[^>]+>", "\n", report.read_text(encoding="utf-8")))
        quotes = _published_quotes(out)
        lines = [ln.strip() for ln in page.splitlines()]
        texts["report.html"] = "\n".join(ln for ln in lines if ln and ln not in quotes)
    return texts


def _numeric(col: pd.Series) -> bool:
    v = pd.to_numeric(col.replace("", pd.NA), errors="coerce")
    return bool(v.notna().sum() == col.replace("", pd.NA).notna().sum())


def _published_quotes(out: Path) -> set[str]:
    """Strings quoted from the published reports (public): left out of the text attack."""
    quotes: set[str] = set()
    for p in sorted((out / "tables").glob("*.csv")):
        t = pd.read_csv(p, dtype=str, keep_default_na=False)
        for c in PUBLISHED_TEXT_COLUMNS & set(t.columns):
            quotes |= {v.strip() for v in t[c]}
    comparison = out / "comparison.csv"
    if comparison.exists():  # arithmetic on the published figures: checked separately
        t = pd.read_csv(comparison, dtype=str, keep_default_na=False)
        quotes |= {v.strip() for v in t.get("explanation", [])}
        quotes |= {v.strip() for v in t.get("printed", [])}
    audit = out / "audit.csv"
    if audit.exists():  # the audit checks published figures against each other only
        t = pd.read_csv(audit, dtype=str, keep_default_na=False)
        for c in t.columns:
            quotes |= {v.strip() for v in t[c]}
    return quotes


_REGENERATED = re.compile(r"(?:regenerated|extracts' base is|it shows) (\d+)(?:\s*/\s*(\d+))?")


def regenerated_in_comparison(out: Path) -> list[str]:
    """Counts of the extracts quoted in the comparison with the published figures."""
    comparison = out / "comparison.csv"
    if not comparison.exists():
        return []
    t = pd.read_csv(comparison, dtype=str, keep_default_na=False)
    bad = []
    for measure, text in zip(t.get("measure", []), t.get("explanation", []), strict=False):
        for m in _REGENERATED.finditer(text):
            nums = [int(g) for g in m.groups() if g]
            if measure != "n" and m.group(2) is None:
                continue  # a percentage or mean, not a count
            if any(_unsafe(x) for x in nums):
                bad.append(m.group(0))
    if {"measure", "regenerated"} <= set(t.columns):
        n = pd.to_numeric(t.loc[t["measure"] == "n", "regenerated"], errors="coerce").dropna()
        bad += [f"regenerated n {v}" for v in n if _unsafe(v)]
    return bad
