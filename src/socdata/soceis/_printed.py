"""The printed figures, each with the review engine's verdict (for :mod:`socdata.soceis.compare`).

:class:`PrintedFigures` runs :func:`socdata.review.audit` once on the printed figures (cached
by content) and keeps, per figure, the audit's ``inconsistent`` or ``rounding`` verdict with
its arithmetic, the denominator the audit used, and the base rows found inconsistent.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re

import numpy as np
import pandas as pd

from socdata.published import PUBLISHED_COLUMNS
from socdata.review import ROUNDING_RULES, audit
from socdata.rounding import round_half_up


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


_KEY = ["file", "table_id", "row_label", "column_label", "measure", "locator"]
_PCT_CHECKS = {"percentage", "granularity"}
_OTHER_ROUNDING = ("half_even", "truncate")


def _key(r) -> tuple[str, ...]:
    return tuple(str(r[c]) for c in _KEY)


@functools.lru_cache(maxsize=256)
def _audit_cached(digest: str, frame_csv: str, rounding: str) -> pd.DataFrame:
    del digest  # part of the cache key only
    frame = pd.read_csv(io.StringIO(frame_csv), dtype=str, keep_default_na=False)
    return audit(frame, rounding=rounding).findings


def _audit(pub: pd.DataFrame, rounding: str = "half_up") -> pd.DataFrame:
    """Findings of the review engine on ``pub`` (cached: the printed figures rarely change)."""
    text = pub[[*PUBLISHED_COLUMNS, "file"]].to_csv(index=False)
    digest = hashlib.sha256(text.encode()).hexdigest()
    return _audit_cached(digest, text, rounding)


class PrintedFigures:
    """The printed figures with the review engine's verdict on each."""

    def __init__(self, pub: pd.DataFrame) -> None:
        self.pub = pub
        self.count = {
            (r["table_id"], _norm(r["row_label"]), _norm(r["column_label"])): _num(r["value"])
            for _, r in pub[pub["measure"] == "n"].iterrows()
        }
        f = _audit(pub)
        # a column's percent-total finding is about the column, not the part it is filed on
        total = f["row_label"].str.strip().str.lower().eq("total") | f["note"].str.contains(
            "{total}", regex=False
        )
        f = f[(f["check"] != "percent_total") | total]
        self.denominator = {
            _key(r): float(r["denominator"])
            for _, r in f[f["check"].isin([*_PCT_CHECKS, "fraction_word"])].iterrows()
            if pd.notna(r["denominator"])
        }
        self.verdict: dict[tuple[str, ...], tuple[str, str]] = {}
        bad = f[f["verdict"] == "inconsistent"]
        pct_only = {k for k, g in bad.groupby(_KEY, sort=False) if set(g["check"]) <= _PCT_CHECKS}
        rounded = self._other_rounding(pct_only)
        for k, g in bad.groupby(_KEY, sort=False):
            text = " ".join(dict.fromkeys(g["explanation"]))
            self.verdict[k] = (
                ("rounding", f"{text} {rounded[k]}") if k in rounded else ("inconsistent", text)
            )
        for k, g in f[f["verdict"] == "rounding"].groupby(_KEY, sort=False):
            self.verdict.setdefault(k, ("rounding", " ".join(dict.fromkeys(g["explanation"]))))
        # figures printed on a base row the report's own figures contradict
        self.bad_bases: dict[tuple[str, float], str] = {}
        for _, r in pub[pub["note"].str.contains("{base}", regex=False)].iterrows():
            v = self.verdict.get(_key(r))
            if v is not None and v[0] == "inconsistent" and _num(r["value"]) is not None:
                self.bad_bases[(r["table_id"], _num(r["value"]))] = v[1]

    def _other_rounding(self, keys: set[tuple[str, ...]]) -> dict[tuple[str, ...], str]:
        """Percentages that another usual rounding rule reproduces (a rounding difference)."""
        if not keys:
            return {}
        # each percentage audited with the counts of its column (its count, base or total):
        # the figure's own check sees the same numbers; the table-wide checks are not re-run
        pub = self.pub
        keyed = pub.apply(_key, axis=1)
        subs = []
        for k in keys:
            col = (pub["file"] == k[0]) & (pub["table_id"] == k[1]) & (pub["column_label"] == k[3])
            own = keyed.map(lambda x, k=k: x == k)
            subs.append(pub[col & ((pub["measure"] == "n") | own)].reset_index(drop=True))
        out: dict[tuple[str, ...], str] = {}
        for rule in _OTHER_ROUNDING:
            f = pd.concat([_audit(s, rule) for s in subs], ignore_index=True)
            ok = f[f["check"].isin(_PCT_CHECKS) & (f["verdict"] == "ok")]
            for _, r in ok.iterrows():
                k = _key(r)
                if k in keys and k not in out:
                    out[k] = f"Rounded {ROUNDING_RULES[rule]}: {r['explanation']}"
        return out

    def value(self, table: str, row: str, col: str) -> float | None:
        return self.count.get((table, _norm(row), _norm(col)))

    def base_problem(self, r: pd.Series) -> str | None:
        den = _num(r.get("denominator_as_printed", ""))
        return None if den is None else self.bad_bases.get((r["table_id"], den))
