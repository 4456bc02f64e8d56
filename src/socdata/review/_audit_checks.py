"""The checks :func:`socdata.review.audit` runs on each table of published figures.

Each ``_*_checks`` function looks at one table (or, for bounds and duplicates, at every
figure) and adds its findings to the audit's context; tags in ``note`` (see
:func:`socdata.review.audit.parse_tags`) supply what a check cannot infer.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from socdata.review.checks import (
    RULES,
    Check,
    check_bound,
    check_fraction_word,
    check_overall,
    check_percent_total,
    check_percentage,
    check_range,
    check_sum,
    check_whole_count,
    common_denominators,
    duplicate_figures,
    grim,
    percentage_granularity,
)
from socdata.review.rounding import parse_number


@dataclasses.dataclass
class _Ctx:
    frame: pd.DataFrame
    rounding: str
    decimals: int | None
    rows: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    involved: set[int] = dataclasses.field(default_factory=set)

    def add(self, idx: int, chk: Check, involved: Iterable[int] = ()) -> None:
        r = self.frame.loc[idx]
        self.rows.append(
            {
                "_row": idx,
                "check": chk.check,
                "verdict": chk.verdict,
                "source": r["source"],
                "table_id": r["table_id"],
                "row_label": r["row_label"],
                "column_label": r["column_label"],
                "measure": r["measure"],
                "locator": r["locator"],
                "printed": chk.printed,
                "recomputed": chk.recomputed,
                "denominator": chk.denominator,
                "explanation": chk.explanation,
                "rule": RULES[chk.check],
                "file": r["file"],
                "note": r["note"],
            }
        )
        self.involved.add(idx)
        self.involved.update(involved)


def _is_total(r: pd.Series) -> bool:
    return r["row_label"].strip().lower() == "total" or "total" in r["_tags"]


def _int(d: Decimal | None) -> int | None:
    return int(d) if d is not None and d == int(d) else None


def _denominator(ctx: _Ctx, g: pd.DataFrame, r: pd.Series) -> tuple[int | None, str]:
    """Denominator of a pct/fraction/mean figure and where it came from."""
    d = parse_number(r["denominator_as_printed"])
    if d is not None:
        return _int(d), "printed"
    if "n" in r["_tags"]:
        return _int(parse_number(r["_tags"]["n"])), "inferred (see note)"
    col = g[(g["column_label"] == r["column_label"]) & (g["measure"] == "n")]
    base = col[col["_tags"].map(lambda t: "base" in t)]
    if len(base) == 1:
        return _int(base["_num"].iloc[0]), f"base row '{base['row_label'].iloc[0]}'"
    tot = col[col.apply(_is_total, axis=1)]
    if len(tot) == 1:
        return _int(tot["_num"].iloc[0]), f"total row '{tot['row_label'].iloc[0]}'"
    if r["measure"] == "pct" and base.empty:
        parts = col[~col["_tags"].map(lambda t: "notpart" in t)]
        pct_rows = g[(g["column_label"] == r["column_label"]) & (g["measure"] == "pct")]
        if len(parts) >= 2 and set(pct_rows["row_label"]) <= set(parts["row_label"]):
            if parts["_num"].notna().all():
                return int(sum(parts["_num"])), "sum of the column's counts (no total printed)"
    return None, ""


def _numerator(g: pd.DataFrame, r: pd.Series) -> int | None:
    if "k" in r["_tags"]:
        return _int(parse_number(r["_tags"]["k"]))
    sib = g[
        (g["row_label"] == r["row_label"])
        & (g["column_label"] == r["column_label"])
        & (g["measure"] == "n")
    ]
    if len(sib) == 1 and sib["_num"].iloc[0] is not None:
        return _int(sib["_num"].iloc[0])
    return None


def _sibling_index(g: pd.DataFrame, r: pd.Series) -> list[int]:
    sib = g[
        (g["row_label"] == r["row_label"])
        & (g["column_label"] == r["column_label"])
        & (g["measure"] == "n")
    ]
    return list(sib.index)


def _with_source(chk: Check, how: str) -> Check:
    if not how or how == "printed":
        return chk
    return dataclasses.replace(chk, explanation=f"{chk.explanation} [Denominator: {how}.]")


def _figure_checks(ctx: _Ctx, g: pd.DataFrame) -> None:
    for idx, r in g.iterrows():
        m = r["measure"]
        if r["value"] in ("", "-"):
            continue
        if m == "n" and r["_num"] is not None and r["_num"] != r["_num"].to_integral_value():
            ctx.add(idx, check_whole_count(r["_num"]))
        if m == "pct":
            if _is_total(r):
                continue  # judged by the percent-total check
            n, how = _denominator(ctx, g, r)
            k = _numerator(g, r)
            if n is None:
                continue
            if k is not None:
                chk = check_percentage(
                    k, n, r["_num"], rounding=ctx.rounding, decimals=ctx.decimals
                )
            else:
                chk = percentage_granularity(
                    r["_num"], n, rounding=ctx.rounding, decimals=ctx.decimals
                )
            ctx.add(idx, _with_source(chk, how), _sibling_index(g, r))
        elif m == "fraction":
            n, how = _denominator(ctx, g, r)
            k = _numerator(g, r)
            chk = check_fraction_word(r["value"], k, n)
            if chk.verdict == "cannot check" and n is None:
                continue  # reported as an unchecked figure, with its reason
            ctx.add(idx, _with_source(chk, how), _sibling_index(g, r))
        elif m == "mean":
            n, how = _denominator(ctx, g, r)
            if n is not None:
                ctx.add(idx, _with_source(grim(r["_num"], n, rounding=ctx.rounding), how))


def _common_denominator_checks(ctx: _Ctx, g: pd.DataFrame) -> None:
    """Percentages without counts that share a base row: which n reproduce all of them?"""
    for col, c in g.groupby("column_label", sort=False):
        base = c[(c["measure"] == "n") & c["_tags"].map(lambda t: "base" in t)]
        if len(base) != 1 or base["_num"].iloc[0] is None:
            continue
        n = _int(base["_num"].iloc[0])
        pct = c[(c["measure"] == "pct") & c["_num"].notna()]
        pct = pct[[_numerator(g, r) is None for _, r in pct.iterrows()]]
        if len(pct) < 2 or n is None:
            continue
        values = list(pct["_num"])
        hi = max(200, 4 * n)
        table = common_denominators(values, (1, hi), rounding=ctx.rounding, decimals=ctx.decimals)
        fits = table.loc[table["reproduces_all"], "n"].tolist()
        at_n = table[table["n"] == n]
        shown = ", ".join(str(v) for v in values)
        first = (
            f"the smallest n reproducing all is {fits[0]}"
            if fits
            else f"no n in 1..{hi} reproduces all"
        )
        if not at_n.empty and bool(at_n["reproduces_all"].item()):
            chk = Check(
                "common_denominator",
                "ok",
                f"n = {n}",
                f"{n} reproduces all",
                f"All {len(values)} percentages of '{col}' ({shown}) can be shares of {n}.",
                n,
            )
        else:
            bad = at_n["not_reproduced"].item() if not at_n.empty else shown
            k = int(at_n["n_reproduced"].item()) if not at_n.empty else 0
            chk = Check(
                "common_denominator",
                "inconsistent",
                f"n = {n}",
                ", ".join(map(str, fits[:5])) or "none",
                f"Of the {len(values)} percentages of '{col}' said to be shares of {n} ({shown}), "
                f"only {k} can be; {bad} cannot. Searching n = 1..{hi}: {first}.",
                n,
            )
        ctx.add(base.index[0], chk, pct.index)


def _range_checks(ctx: _Ctx, g: pd.DataFrame) -> None:
    for _col, c in g.groupby("column_label", sort=False):
        parts = {m: c[(c["measure"] == m) & c["_num"].notna()] for m in ("min", "mean", "max")}
        if all(len(p) == 1 for p in parts.values()):
            chk = check_range(*(parts[m]["_num"].iloc[0] for m in ("min", "mean", "max")))
            ctx.add(parts["mean"].index[0], chk, [parts["min"].index[0], parts["max"].index[0]])


def _sum_checks(ctx: _Ctx, g: pd.DataFrame) -> None:
    for _col, c in g[g["measure"] == "n"].groupby("column_label", sort=False):
        tot = c[c.apply(_is_total, axis=1)]
        if len(tot) != 1 or tot["_num"].iloc[0] is None:
            continue
        parts = c[
            ~c.index.isin(tot.index)
            & ~c["_tags"].map(lambda t: "notpart" in t or "base" in t)
            & c["_num"].notna()
        ]
        if parts.empty:
            continue
        chk = check_sum(list(parts["_num"]), tot["_num"].iloc[0])
        labels = ", ".join(parts["row_label"])
        chk = dataclasses.replace(chk, explanation=f"Parts ({labels}): {chk.explanation}")
        ctx.add(tot.index[0], chk, parts.index)


def _percent_total_checks(ctx: _Ctx, g: pd.DataFrame) -> None:
    for col, c in g.groupby("column_label", sort=False):
        n_rows = c[c["measure"] == "n"]
        if (n_rows["_tags"].map(lambda t: "base" in t)).any():
            continue
        pct = c[(c["measure"] == "pct") & c["_num"].notna()]
        tot_pct = pct[pct.apply(_is_total, axis=1)]
        parts = pct[~pct.index.isin(tot_pct.index)]
        has_total = n_rows.apply(_is_total, axis=1).any() if len(n_rows) else False
        partition = has_total or (
            len(parts) >= 2
            and not parts["denominator_as_printed"].ne("").any()
            and set(parts["row_label"]) <= set(n_rows["row_label"])
        )
        if not partition or len(parts) < 2:
            continue
        printed_total = tot_pct["_num"].iloc[0] if len(tot_pct) == 1 else None
        chk = check_percent_total(
            list(parts["_num"]),
            printed_total=printed_total,
            rounding=ctx.rounding,
            decimals=ctx.decimals,
        )
        anchor = tot_pct.index[0] if len(tot_pct) == 1 else parts.index[0]
        if len(tot_pct) != 1:
            chk = dataclasses.replace(
                chk, explanation=f"Percentages of column '{col}': {chk.explanation}"
            )
        ctx.add(anchor, chk, parts.index)


def _overall_checks(ctx: _Ctx, g: pd.DataFrame) -> None:
    cols = list(dict.fromkeys(g["column_label"]))
    if "Overall" not in cols or len(cols) < 3:
        return
    for (_row, m), c in g.groupby(["row_label", "measure"], sort=False):
        if m == "fraction":
            continue
        over = c[c["column_label"] == "Overall"]
        areas = c[c["column_label"] != "Overall"]
        if len(over) != 1 or over["_num"].iloc[0] is None or len(areas) < 2:
            continue
        o = over.iloc[0]
        if m == "pct" and _numerator(g, o) is not None:
            continue  # checked directly against its own count
        usable = areas[areas["_num"].notna()]
        dropped = [a for a in areas["column_label"] if a not in set(usable["column_label"])]
        if m == "n" and dropped:
            continue
        vals = dict(zip(usable["column_label"], usable["_num"], strict=True))
        weights = None
        if m in ("mean", "pct"):
            weights = {}
            for _idx, a in usable.iterrows():
                n, _ = _denominator(ctx, g, a)
                if n is not None:
                    weights[a["column_label"]] = n
        if len(vals) < 2:
            continue
        chk = check_overall(
            vals,
            o["_num"],
            measure=m,
            weights=weights,
            rounding=ctx.rounding,
            decimals=ctx.decimals,
        )
        if dropped:
            chk = dataclasses.replace(
                chk,
                explanation=chk.explanation + f" ({', '.join(dropped)}: printed '-', left out.)",
            )
        ctx.add(over.index[0], chk, usable.index)


def _resolve_ref(frame: pd.DataFrame, ref: str) -> tuple[int, Decimal] | None:
    parts = [p.strip() for p in ref.split("/")]
    if len(parts) != 3:
        return None
    t, row, col = parts
    hit = frame[
        (frame["table_id"] == t)
        & (frame["row_label"] == row)
        & (frame["column_label"] == col)
        & (frame["measure"] == "n")
    ]
    if len(hit) != 1 or hit["_num"].iloc[0] is None:
        return None
    return int(hit.index[0]), hit["_num"].iloc[0]


def _bound_checks(ctx: _Ctx) -> None:
    f = ctx.frame
    for idx, r in f[f["_tags"].map(lambda t: "le" in t)].iterrows():
        expr = r["_tags"]["le"]
        tokens = re.split(r"\s+([+-])\s+", expr)
        total, sign, used, shown, bad = Decimal(0), "+", [], [], None
        for tok in tokens:
            if tok in "+-":
                sign = tok
                continue
            hit = _resolve_ref(f, tok)
            if hit is None:
                bad = tok
                break
            used.append(hit[0])
            total += hit[1] if sign == "+" else -hit[1]
            shown.append(
                f"{sign} {tok.split('/')[0]} {tok.split('/')[1]} ({tok.split('/')[2]}) {hit[1]}"
            )
        if bad is not None or r["_num"] is None:
            chk = Check(
                "bound",
                "cannot check",
                r["value"],
                "",
                f"reference {bad!r} not found in the audited figures",
            )
            ctx.add(idx, chk)
            continue
        how = " ".join(shown).lstrip("+ ")
        chk = check_bound(r["_num"], total, how)
        if chk.verdict == "inconsistent":
            chk = dataclasses.replace(
                chk, explanation=chk.explanation + " (The bound's assumptions are in the note.)"
            )
        ctx.add(idx, chk, used)


def _duplicate_checks(ctx: _Ctx) -> None:
    f = ctx.frame
    keyed = f[f["_tags"].map(lambda t: bool(t.get("key")))].copy()
    if keyed.empty:
        return
    keyed["key"] = keyed["_tags"].map(lambda t: t["key"])
    keyed["source"] = keyed["file"].map(lambda s: Path(s).stem if s else "")
    keyed["_idx"] = keyed.index
    for key, chk in duplicate_figures(keyed, key="key"):
        grp = keyed[keyed["key"] == key]
        ctx.add(
            int(grp["_idx"].iloc[0]),
            dataclasses.replace(chk, explanation=f"[{key}] {chk.explanation}"),
            grp["_idx"],
        )


def _unchecked_reason(r: pd.Series) -> str:
    m = r["measure"]
    if r["value"] in ("", "-"):
        return f"printed {r['value'] or 'empty'!r}: nothing to check"
    if m == "fraction":
        return "no count or base is printed with this word, and none can be inferred"
    if m == "pct":
        return "no denominator is printed or can be inferred"
    if m == "mean":
        return "no n is printed for this mean (GRIM needs n, and whole-number data)"
    return "no total, parts, base or repeat of this figure is printed to check it against"
