"""Checks of totals: parts against their total, percentages of a partition against 100, and
an Overall column against its areas (re-exported by :mod:`socdata.review.checks`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

from socdata.review._check import (
    Check,
    _count,
    _dec,
    _decimals,
    _ranges,
    possible_numerators,
)
from socdata.review.errors import PublishedFiguresError
from socdata.review.rounding import (
    ROUNDING_RULES,
    check_rounding,
    fmt,
    round_share,
    rounding_interval,
    to_fraction,
)


def check_sum(
    parts: Sequence[int | float | Decimal],
    total: int | float | Decimal,
    *,
    parts_rounded: bool = False,
    unit: float = 1,
) -> Check:
    """Do ``parts`` add up to ``total``?

    Parameters
    ----------
    parts, total
        Printed values.
    parts_rounded
        The parts are themselves rounded to ``unit`` (e.g. counts rounded to the nearest 5
        by disclosure control): a difference smaller than ``len(parts) * unit / 2`` is then
        ``rounding``, not ``inconsistent``.
    """
    ps = [to_fraction(_dec(p, "part")) for p in parts]
    t = to_fraction(_dec(total, "total"))
    s = sum(ps, Fraction(0))
    shown = " + ".join(fmt(p) for p in ps)
    if s == t:
        return Check("sum", "ok", fmt(t), fmt(s), f"{shown} = {fmt(s)}.")
    diff = s - t
    if parts_rounded:
        bound = Fraction(len(ps)) * to_fraction(_dec(unit, "unit")) / 2
        if abs(diff) < bound:
            return Check(
                "sum",
                "rounding",
                fmt(t),
                fmt(s),
                f"{shown} = {fmt(s)}, {fmt(abs(diff))} from {fmt(t)}; {len(ps)} parts each rounded "
                f"to {unit} can be off by less than {fmt(bound)} in total.",
            )
    return Check(
        "sum",
        "inconsistent",
        fmt(t),
        fmt(s),
        f"{shown} = {fmt(s)}, not {fmt(t)} (difference {'+' if diff > 0 else ''}{fmt(diff)}).",
    )


def check_percent_total(
    pcts: Sequence[Decimal | float | int | str],
    *,
    printed_total: Decimal | float | int | str | None = None,
    rounding: str = "half_up",
    decimals: int | None = None,
) -> Check:
    """Do the percentages of one partition add to 100, within what rounding allows?

    Each printed part stands for an interval of true shares (e.g. half-up 35 for
    [34.5, 35.5)); the true shares add to exactly 100, so the printed parts are consistent
    when the sum of the interval lows is <= 100 <= the sum of the highs. A printed sum of 100
    is ``ok``; another sum inside those bounds is ``rounding`` (the bound is stated); outside,
    ``inconsistent``.

    When the table prints its own total percentage (``printed_total``), that printed figure is
    judged: 100 is ``ok`` when the parts can hold; the sum of the rounded parts (e.g. 101) is
    ``rounding``; anything else is ``inconsistent``.

    Examples
    --------
    >>> check_percent_total([66, 16, 2, 5, 0, 3, 7, 2]).verdict
    'rounding'
    >>> check_percent_total([37, 63, 2, 4, 0]).verdict
    'inconsistent'
    """
    check_rounding(rounding)
    ps = [_dec(p, "percentage") for p in pcts]
    if not ps:
        raise PublishedFiguresError("check_percent_total needs at least one percentage")
    ivs = [rounding_interval(p, _decimals(p, decimals), rounding) for p in ps]
    lo = sum((iv[0] for iv in ivs), Fraction(0))
    hi = sum((iv[1] for iv in ivs), Fraction(0))
    lo_strict = any(not iv[2] for iv in ivs)
    hi_strict = any(not iv[3] for iv in ivs)
    feasible = (lo < 100 or (lo == 100 and not lo_strict)) and (
        hi > 100 or (hi == 100 and not hi_strict)
    )
    s = sum((to_fraction(p) for p in ps), Fraction(0))
    shown = " + ".join(str(p) for p in ps)
    bounds = (
        f"each part printed ({ROUNDING_RULES[rounding]}) stands for a true share in an interval; "
        f"the true shares can add to 100 only if {fmt(lo)} {'<' if lo_strict else '<='} 100 "
        f"{'<' if hi_strict else '<='} {fmt(hi)}"
    )
    if printed_total is not None:
        t = to_fraction(_dec(printed_total, "printed total"))
        printed = f"{fmt(t)}%"
        if not feasible:
            return Check(
                "percent_total",
                "inconsistent",
                printed,
                f"{fmt(s)}%",
                f"The parts {shown} = {fmt(s)}% cannot be rounded shares of one total: {bounds}.",
            )
        if t == 100:
            extra = "" if s == 100 else f" (the printed parts add to {fmt(s)}%, a rounding effect)"
            return Check(
                "percent_total",
                "ok",
                printed,
                "100%",
                f"The true shares add to 100%{extra}; {bounds}.",
            )
        if t == s:
            return Check(
                "percent_total",
                "rounding",
                printed,
                "100%",
                f"{fmt(t)}% is the sum of the rounded parts ({shown}); the true shares add to "
                f"100% and the difference is rounding: {bounds}.",
            )
        return Check(
            "percent_total",
            "inconsistent",
            printed,
            f"100% (parts add to {fmt(s)}%)",
            f"A total of {fmt(t)}% is neither 100% nor the sum of the printed parts ({fmt(s)}%).",
        )
    printed = f"{shown} = {fmt(s)}%"
    if not feasible:
        return Check(
            "percent_total",
            "inconsistent",
            printed,
            "100%",
            f"The parts add to {fmt(s)}%: {bounds}, which fails.",
        )
    if s == 100:
        return Check("percent_total", "ok", printed, "100%", "The parts add to 100%.")
    return Check(
        "percent_total",
        "rounding",
        printed,
        "100%",
        f"The parts add to {fmt(s)}%, not 100%, within rounding: {bounds}.",
    )


def _sumset(options: Sequence[Sequence[int]]) -> set[int]:
    acc = {0}
    for opts in options:
        acc = {a + o for a in acc for o in opts}
    return acc


def check_overall(
    areas: Mapping[str, Decimal | float | int | str],
    overall: Decimal | float | int | str,
    *,
    measure: str = "n",
    weights: Mapping[str, int] | None = None,
    overall_n: int | None = None,
    rounding: str = "half_up",
    decimals: int | None = None,
) -> Check:
    """Check an Overall column against its areas.

    ``measure="n"``: Overall = sum of areas. ``"min"``/``"max"``: the smallest/largest area
    value. ``"mean"``: the printed areas' means (each a rounded value) weighted by their n
    (``weights``) must be able to give the printed overall mean. ``"pct"``: with each area's
    n (``weights``), the overall share must be reachable from whole-number counts that give
    every area's printed percentage; an area whose percentage no count reproduces is left
    free (said in the explanation).
    """
    check_rounding(rounding)
    names = list(areas)
    if not names:
        raise PublishedFiguresError("check_overall needs at least one area")
    vals = {a: _dec(areas[a], f"area {a!r}") for a in names}
    o = _dec(overall, "overall")
    shown = ", ".join(f"{a} {vals[a]}" for a in names)
    if measure == "n":
        return dataclasses.replace(check_sum([vals[a] for a in names], o), check="overall")
    if measure in ("min", "max"):
        f = min if measure == "min" else max
        want = f(vals.values())
        verdict = "ok" if want == o else "inconsistent"
        return Check(
            "overall",
            verdict,
            str(o),
            str(want),
            f"The {measure} of the areas ({shown}) is {want}; Overall prints {o}.",
        )
    if weights is None or any(a not in weights for a in names):
        return Check(
            "overall",
            "cannot check",
            str(o),
            "",
            f"An overall {measure} needs each area's n; not available for "
            f"{', '.join(a for a in names if not weights or a not in weights)}.",
        )
    w = {a: _count(weights[a], f"n of {a!r}", positive=True) for a in names}
    if measure == "mean":
        return _overall_mean(vals, o, w, shown, rounding, decimals)
    if measure == "pct":
        return _overall_pct(vals, o, w, shown, rounding, decimals)
    raise PublishedFiguresError(
        f"check_overall: measure must be one of 'n', 'min', 'max', 'mean', 'pct'; got {measure!r}"
    )


def _overall_mean(vals, o, w, shown, rounding, decimals) -> Check:
    """An overall mean against the areas' rounded means weighted by their n."""
    names, N = list(vals), sum(w.values())
    d_o = _decimals(o, decimals)
    bounds = {a: rounding_interval(vals[a], _decimals(vals[a], decimals), rounding) for a in names}
    lo = sum((bounds[a][0] * w[a] for a in names), Fraction(0)) / N
    hi = sum((bounds[a][1] * w[a] for a in names), Fraction(0)) / N
    olo, ohi, _, _ = rounding_interval(o, d_o, rounding)
    rec = f"between {fmt(lo, 2)} and {fmt(hi, 2)}"
    expl = (
        f"Areas ({shown}) weighted by n ({', '.join(f'{a} {w[a]}' for a in names)}) give an "
        f"overall mean {rec}; {o} stands for [{fmt(olo)}, {fmt(ohi)})."
    )
    ok = olo < hi and lo < ohi
    return Check("overall", "ok" if ok else "inconsistent", str(o), rec, expl, N)


def _overall_pct(vals, o, w, shown, rounding, decimals) -> Check:
    """An overall share against whole-number counts consistent with every area."""
    names, N = list(vals), sum(w.values())
    opts, freed = [], []
    for a in names:
        ks = possible_numerators(vals[a], w[a], rounding=rounding, decimals=decimals)
        if not ks:
            freed.append(a)
            ks = list(range(w[a] + 1))
        opts.append(ks)
    totals = sorted(_sumset(opts))
    d_o = _decimals(o, decimals)
    hits = [
        t for t in totals if round_share(t, N, decimals=d_o, rounding=rounding) == to_fraction(o)
    ]
    free = ""
    for a in freed:
        i = names.index(a)
        rest = _sumset([o for j, o in enumerate(opts) if j != i])
        fits = [
            k
            for k in range(w[a] + 1)
            if any(
                round_share(k + t, N, decimals=d_o, rounding=rounding) == to_fraction(o)
                for t in rest
            )
        ]
        free += (
            f" ({a}: no count out of {w[a]} gives {vals[a]}%, so any count was allowed; "
            f"the Overall needs {a} = {_ranges(fits)} of {w[a]})"
        )
    if hits:
        rec = ", ".join(f"{t}/{N}" for t in hits[:4])
        return Check(
            "overall",
            "ok",
            f"{o}%",
            rec,
            f"Counts consistent with every area ({shown}) can total {rec}, which round to {o}%{free}.",
            N,
        )
    return Check(
        "overall",
        "inconsistent",
        f"{o}%",
        f"{fmt(Fraction(100 * totals[0], N), 1)}%-{fmt(Fraction(100 * totals[-1], N), 1)}%",
        f"No counts consistent with the areas ({shown}) give {o}% of {N}{free}.",
        N,
    )
