"""Consistency checks of published figures, one pure function per rule.

Every check returns a :class:`Check` with a verdict from :data:`VERDICTS`, the printed and
the recomputed value as text, and an explanation that shows the arithmetic. The rules are
documented, with worked examples, in ``docs/explanation/review-checks.md``; each check
names its rule id (:data:`RULES`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

import pandas as pd

from socdata.review.errors import PublishedFiguresError
from socdata.review.rounding import (
    ROUNDING_RULES,
    check_rounding,
    fmt,
    printed_decimals,
    round_exact,
    round_share,
    rounding_interval,
    to_fraction,
)
from socdata.words import VAGUE, normalise_phrase, word_interval

#: The four verdicts, declared once.
VERDICTS: tuple[str, ...] = ("ok", "inconsistent", "rounding", "cannot check")

#: Rule ids -> one-line statement (the docs page has one section per rule).
RULES: dict[str, str] = {
    "percentage": "a percentage equals 100 x numerator / denominator, rounded by the stated rule",
    "granularity": "a percentage of n people must equal 100 k / n, rounded, for some whole k in 0..n",
    "common_denominator": "percentages said to share one n must all be reproducible with that n",
    "rounded_denominator": "a rounded n stands for a range of n; the percentage must fit one of them",
    "grim": "a mean of n whole numbers is a whole number divided by n (GRIM test)",
    "sum": "parts add up to their printed total",
    "percent_total": "percentages of one partition add to 100, within what rounding of each part allows",
    "overall": "an Overall column agrees with its areas (sum, min, max, weighted mean or share)",
    "fraction_word": "a fraction word must be true of the exact share (vocabulary in socdata.words)",
    "duplicate": "a figure printed in two places has one value",
    "bound": "a count cannot exceed what other printed counts leave room for",
    "range": "min <= mean <= max",
    "whole_count": "a count of people or cases is a whole number",
    "none": "no check applies to this figure",
}


@dataclasses.dataclass(frozen=True)
class Check:
    """Outcome of one check.

    Attributes
    ----------
    check
        Rule id (a key of :data:`RULES`).
    verdict
        One of :data:`VERDICTS`.
    printed
        The printed figure(s) the check is about, as text.
    recomputed
        What the arithmetic gives, as text.
    explanation
        The arithmetic in words.
    denominator
        The denominator used, when there is one.
    """

    check: str
    verdict: str
    printed: str
    recomputed: str
    explanation: str
    denominator: int | None = None

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:  # programming error, not user input
            raise ValueError(f"unknown verdict {self.verdict!r}")
        if self.check not in RULES:
            raise ValueError(f"unknown rule {self.check!r}")

    @property
    def rule(self) -> str:
        """The rule in words."""
        return RULES[self.check]

    @property
    def ok(self) -> bool:
        """Whether the figure can hold (verdict ``ok`` or ``rounding``)."""
        return self.verdict in ("ok", "rounding")


def _dec(x: object, what: str) -> Decimal:
    if isinstance(x, Decimal):
        return x
    if isinstance(x, bool) or x is None:
        raise PublishedFiguresError(f"{what} must be a number, got {x!r}")
    try:
        d = Decimal(str(x).strip().rstrip("%"))
    except Exception as exc:
        raise PublishedFiguresError(
            f"{what} must be a number such as 63 or 62.5, got {x!r}"
        ) from exc
    if not d.is_finite():
        raise PublishedFiguresError(f"{what} must be finite, got {x!r}")
    return d


def _count(x: object, what: str, *, positive: bool = False) -> int:
    if isinstance(x, bool) or x is None:
        raise PublishedFiguresError(f"{what} must be a whole number, got {x!r}")
    try:
        f = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise PublishedFiguresError(f"{what} must be a whole number, got {x!r}") from exc
    if not math.isfinite(f) or f != int(f) or f < (1 if positive else 0):
        lim = "a positive" if positive else "a non-negative"
        raise PublishedFiguresError(f"{what} must be {lim} whole number, got {x!r}")
    return int(f)


def _rule_text(rounding: str, decimals: int) -> str:
    return f"{ROUNDING_RULES[rounding]}, {decimals} d.p."


def _decimals(printed: Decimal, decimals: int | None) -> int:
    return printed_decimals(printed) if decimals is None else int(decimals)


def possible_numerators(
    pct: Decimal | float | int | str,
    n: int,
    *,
    rounding: str = "half_up",
    decimals: int | None = None,
) -> list[int]:
    """Every whole ``k`` in ``0..n`` with ``100 k / n`` rounding to ``pct``."""
    check_rounding(rounding)
    p = _dec(pct, "percentage")
    n = _count(n, "n", positive=True)
    d = _decimals(p, decimals)
    lo, hi, _, _ = rounding_interval(p, d, rounding)
    k_lo = max(0, math.floor(lo * n / 100) - 1)
    k_hi = min(n, math.ceil(hi * n / 100) + 1)
    target = to_fraction(p)
    return [
        k
        for k in range(k_lo, k_hi + 1)
        if round_share(k, n, decimals=d, rounding=rounding) == target
    ]


def possible_denominators(
    numerator: int,
    pct: Decimal | float | int | str,
    *,
    rounding: str = "half_up",
    decimals: int | None = None,
    n_max: int = 10_000,
) -> list[int]:
    """Every ``n >= numerator`` (up to ``n_max``) with ``100 numerator / n`` rounding to ``pct``."""
    check_rounding(rounding)
    p = _dec(pct, "percentage")
    k = _count(numerator, "numerator")
    d = _decimals(p, decimals)
    if k == 0:
        return list(range(1, n_max + 1)) if p == 0 else []
    lo, hi, _, _ = rounding_interval(p, d, rounding)
    n_lo = max(k, 1, math.floor(100 * k / hi) - 1) if hi > 0 else k
    n_hi = min(n_max, math.ceil(100 * k / lo) + 1) if lo > 0 else n_max
    target = to_fraction(p)
    return [
        n
        for n in range(n_lo, n_hi + 1)
        if round_share(k, n, decimals=d, rounding=rounding) == target
    ]


def _ranges(values: Sequence[int]) -> str:
    if not values:
        return "none"
    out, start, prev = [], values[0], values[0]
    for v in [*values[1:], None]:
        if v is not None and v == prev + 1:
            prev = v
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if v is not None:
            start = prev = v
    return ", ".join(out)


def check_percentage(
    numerator: int,
    denominator: int,
    printed_pct: Decimal | float | int | str,
    *,
    rounding: str = "half_up",
    decimals: int | None = None,
) -> Check:
    """Check a printed percentage against its numerator and denominator.

    Parameters
    ----------
    numerator, denominator
        Whole counts (``0 <= numerator``, ``denominator > 0``).
    printed_pct
        The percentage as printed (``63``, ``"62.5"``).
    rounding
        ``"half_up"`` (default), ``"half_even"`` or ``"truncate"``.
    decimals
        Decimal places; ``None`` reads them from the printed value.

    Examples
    --------
    >>> check_percentage(10, 16, 63).verdict
    'ok'
    >>> check_percentage(10, 16, 63, rounding="half_even").verdict
    'inconsistent'
    """
    check_rounding(rounding)
    k = _count(numerator, "numerator")
    n = _count(denominator, "denominator", positive=True)
    p = _dec(printed_pct, "printed percentage")
    d = _decimals(p, decimals)
    exact = Fraction(100 * k, n)
    got = round_share(k, n, decimals=d, rounding=rounding)
    rule = _rule_text(rounding, d)
    head = f"{k}/{n} = {fmt(exact, d + 3)}%, which rounds ({rule}) to {fmt(got)}%"
    if got == to_fraction(p):
        return Check("percentage", "ok", f"{p}%", f"{fmt(got)}%", head + ".", n)
    other = [
        r
        for r in ROUNDING_RULES
        if r != rounding and round_share(k, n, decimals=d, rounding=r) == to_fraction(p)
    ]
    extra = ""
    if other:
        extra += f" {p}% is what {' or '.join(ROUNDING_RULES[r] for r in other)} gives."
    if k > n:
        extra += " The numerator exceeds the denominator."
    dens = possible_denominators(k, p, rounding=rounding, decimals=d, n_max=max(10 * n, 1000))
    if dens:
        extra += f" {k} is {p}% of n = {_ranges(dens[:20])}{' ...' if len(dens) > 20 else ''}."
    else:
        extra += f" No denominator makes {k} equal to {p}% under this rule."
    nums = possible_numerators(p, n, rounding=rounding, decimals=d)
    if nums:
        extra += f" Of {n}, {p}% would be {' or '.join(map(str, nums))}."
    else:
        extra += f" No whole number of {n} gives {p}%."
    return Check(
        "percentage", "inconsistent", f"{p}%", f"{fmt(got)}%", f"{head}, not {p}%." + extra, n
    )


def percentage_granularity(
    pct: Decimal | float | int | str,
    n: int,
    *,
    rounding: str = "half_up",
    decimals: int | None = None,
) -> Check:
    """Can a printed percentage be a share of ``n`` people (some whole ``k`` out of ``n``)?

    Examples
    --------
    >>> percentage_granularity(63, 15).verdict
    'inconsistent'
    >>> percentage_granularity(87, 15).recomputed
    '13/15 = 86.67%'
    """
    check_rounding(rounding)
    p = _dec(pct, "percentage")
    n = _count(n, "n", positive=True)
    d = _decimals(p, decimals)
    nums = possible_numerators(p, n, rounding=rounding, decimals=d)
    rule = _rule_text(rounding, d)
    if nums:
        if len(nums) > 3:
            a, b = nums[0], nums[-1]
            rec = (
                f"{a}-{b} of {n} ({fmt(Fraction(100 * a, n), d + 2)}%-"
                f"{fmt(Fraction(100 * b, n), d + 2)}%)"
            )
        else:
            rec = ", ".join(f"{k}/{n} = {fmt(Fraction(100 * k, n), d + 2)}%" for k in nums)
        return Check(
            "granularity",
            "ok",
            f"{p}%",
            rec,
            f"{p}% of {n} can be {rec} ({rule}).",
            n,
        )
    exact = to_fraction(p) * n / 100
    below = max(0, math.floor(exact))
    near = sorted({min(max(below, 0), n), min(below + 1, n)})
    rec = ", ".join(f"{k}/{n} = {fmt(Fraction(100 * k, n), d + 2)}%" for k in near)
    other = [
        r
        for r in ROUNDING_RULES
        if r != rounding and possible_numerators(p, n, rounding=r, decimals=d)
    ]
    extra = f" It would fit under {' or '.join(other)}." if other else ""
    return Check(
        "granularity",
        "inconsistent",
        f"{p}%",
        rec,
        f"No whole number out of {n} gives {p}% ({rule}): the nearest are {rec}." + extra,
        n,
    )


def common_denominators(
    pcts: Iterable[Decimal | float | int | str],
    n_range: tuple[int, int] = (1, 200),
    *,
    rounding: str = "half_up",
    decimals: int | None = None,
) -> pd.DataFrame:
    """For each n in ``n_range`` (inclusive), which of ``pcts`` it reproduces.

    Returns
    -------
    pandas.DataFrame
        One row per n: ``n``, ``reproduces_all`` (bool), ``n_reproduced``, ``not_reproduced``
        (the percentages no whole number of n gives, as text), then one column
        ``k_for_<pct>`` per percentage with the numerator(s) that reproduce it.

    Examples
    --------
    >>> t = common_denominators([63, 87, 75, 40, 56], (10, 60))
    >>> t.loc[t.n == 15, "not_reproduced"].item()
    '63, 75, 56'
    >>> t.loc[t.reproduces_all, "n"].tolist()
    [52]
    """
    check_rounding(rounding)
    ps = [_dec(p, "percentage") for p in pcts]
    if not ps:
        raise PublishedFiguresError("common_denominators needs at least one percentage")
    lo, hi = (_count(v, "n_range bound", positive=True) for v in n_range)
    if hi < lo:
        raise PublishedFiguresError(f"n_range must be (low, high) with low <= high, got {n_range}")
    rows = []
    for n in range(lo, hi + 1):
        ks = [possible_numerators(p, n, rounding=rounding, decimals=decimals) for p in ps]
        row: dict[str, object] = {
            "n": n,
            "reproduces_all": all(ks),
            "n_reproduced": sum(bool(k) for k in ks),
            "not_reproduced": ", ".join(str(p) for p, k in zip(ps, ks, strict=True) if not k),
        }
        for i, (p, k) in enumerate(zip(ps, ks, strict=True)):
            col = f"k_for_{p}" if f"k_for_{p}" not in row else f"k_for_{p}_{i}"
            row[col] = "/".join(map(str, k))
        rows.append(row)
    return pd.DataFrame(rows)


def rounded_denominator(
    pct: Decimal | float | int | str,
    n_printed: int,
    *,
    unit: int = 10,
    rounding: str = "half_up",
    decimals: int | None = None,
) -> Check:
    """Check a percentage whose printed n is itself rounded (to the nearest ``unit``).

    "Around 250 young people" with ``unit=10`` stands for any n in 245-254 (half-up); the
    percentage is consistent when at least one of those n reproduces it.
    """
    check_rounding(rounding)
    n0 = _count(n_printed, "printed n", positive=True)
    u = _count(unit, "unit", positive=True)
    cands = [
        n
        for n in range(max(1, n0 - u), n0 + u + 1)
        if round_exact(Fraction(n, u), 0, "half_up") * u == n0
    ]
    ok = [n for n in cands if possible_numerators(pct, n, rounding=rounding, decimals=decimals)]
    p = _dec(pct, "percentage")
    span = f"{cands[0]}-{cands[-1]}" if cands else "none"
    if ok:
        return Check(
            "rounded_denominator",
            "ok",
            f"{p}% of ~{n0}",
            f"n in {_ranges(ok)}",
            f"n printed as {n0} (to the nearest {u}) stands for {span}; {p}% fits n = {_ranges(ok)}.",
        )
    return Check(
        "rounded_denominator",
        "inconsistent",
        f"{p}% of ~{n0}",
        "no n fits",
        f"n printed as {n0} (to the nearest {u}) stands for {span}; none gives {p}%.",
    )


def grim(
    mean: Decimal | float | int | str,
    n: int,
    *,
    decimals: int | None = None,
    items: int = 1,
    rounding: str = "half_up",
) -> Check:
    """GRIM test: can ``mean`` be the rounded mean of ``n`` whole numbers?

    The sum of n whole-number answers (``items`` questions each) is a whole number ``T``; the
    mean is ``T / (n * items)``. The printed mean is consistent when some ``T`` rounds to it.
    With 0 decimals and n >= 1 every whole-number mean passes (said so in the explanation).

    Examples
    --------
    >>> grim("5.19", 28).verdict
    'inconsistent'
    >>> grim("5.18", 28).verdict
    'ok'
    """
    check_rounding(rounding)
    m = _dec(mean, "mean")
    n = _count(n, "n", positive=True)
    q = _count(items, "items", positive=True)
    d = _decimals(m, decimals)
    N = n * q
    lo, hi, _, _ = rounding_interval(abs(m), d, rounding)
    cands = range(max(0, math.floor(lo * N) - 1), math.ceil(hi * N) + 2)
    target = to_fraction(abs(m))
    hits = [t for t in cands if round_exact(Fraction(t, N), d, rounding) == target]
    rule = _rule_text(rounding, d)
    note = (
        " (with means printed to whole numbers and n >= 1 the test cannot fail)"
        if d == 0 or Fraction(1, N) <= Fraction(1, 10**d)
        else ""
    )
    if hits:
        rec = ", ".join(f"{t}/{N} = {fmt(Fraction(t, N), d + 3)}" for t in hits[:3])
        return Check("grim", "ok", str(m), rec, f"{rec} rounds ({rule}) to {m}{note}.", n)
    near = [t for t in cands if t >= 0][:: max(1, len(cands) // 3)][:3]
    rec = ", ".join(f"{t}/{N} = {fmt(Fraction(t, N), d + 3)}" for t in near)
    return Check(
        "grim",
        "inconsistent",
        str(m),
        rec,
        f"No whole-number total over {N} gives a mean that rounds ({rule}) to {m}; nearby: {rec}.",
        n,
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
    N = sum(w.values())
    if measure == "mean":
        d_o = _decimals(o, decimals)
        lo = (
            sum(
                (
                    rounding_interval(vals[a], _decimals(vals[a], decimals), rounding)[0] * w[a]
                    for a in names
                ),
                Fraction(0),
            )
            / N
        )
        hi = (
            sum(
                (
                    rounding_interval(vals[a], _decimals(vals[a], decimals), rounding)[1] * w[a]
                    for a in names
                ),
                Fraction(0),
            )
            / N
        )
        olo, ohi, _, _ = rounding_interval(o, d_o, rounding)
        rec = f"between {fmt(lo, 2)} and {fmt(hi, 2)}"
        expl = (
            f"Areas ({shown}) weighted by n ({', '.join(f'{a} {w[a]}' for a in names)}) give an "
            f"overall mean {rec}; {o} stands for [{fmt(olo)}, {fmt(ohi)})."
        )
        ok = olo < hi and lo < ohi
        return Check("overall", "ok" if ok else "inconsistent", str(o), rec, expl, N)
    if measure == "pct":
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
            t
            for t in totals
            if round_share(t, N, decimals=d_o, rounding=rounding) == to_fraction(o)
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
    raise PublishedFiguresError(
        f"check_overall: measure must be one of 'n', 'min', 'max', 'mean', 'pct'; got {measure!r}"
    )


def check_fraction_word(word: str, numerator: int | None, denominator: int | None) -> Check:
    """Is a fraction word ("two-thirds", "most", "over 70%") true of ``numerator/denominator``?

    With only a denominator, the check asks whether *any* whole count out of it fits the
    word. With neither, it cannot check.

    Examples
    --------
    >>> check_fraction_word("Two-thirds", 19, 30).verdict
    'inconsistent'
    >>> check_fraction_word("Over two-thirds", 11, 16).verdict
    'ok'
    """
    meaning = word_interval(word)
    if meaning is None:
        why = (
            "has no agreed numerical meaning"
            if normalise_phrase(word) in VAGUE
            else "is not in the fraction-word vocabulary (socdata.words)"
        )
        return Check("fraction_word", "cannot check", word, "", f'"{word}" {why}.')
    if denominator is None:
        return Check(
            "fraction_word",
            "cannot check",
            word,
            "",
            f'No count or base is printed for "{word}" ({meaning.rule}).',
        )
    n = _count(denominator, "denominator", positive=True)
    if numerator is None:
        ks = [k for k in range(n + 1) if meaning.contains(Fraction(100 * k, n))]
        if ks:
            return Check(
                "fraction_word",
                "ok",
                word,
                f"{_ranges(ks)} of {n}",
                f"{meaning.rule}; {_ranges(ks)} of {n} would fit.",
                n,
            )
        return Check(
            "fraction_word",
            "inconsistent",
            word,
            f"no k of {n}",
            f"{meaning.rule}; no whole number out of {n} fits.",
            n,
        )
    k = _count(numerator, "numerator")
    share = Fraction(100 * k, n)
    rec = f"{k}/{n} = {fmt(share, 2)}%"
    if meaning.contains(share):
        return Check("fraction_word", "ok", word, rec, f"{rec}; {meaning.rule}.", n)
    ks = [j for j in range(n + 1) if meaning.contains(Fraction(100 * j, n))]
    alt = f" Of {n}, it would need {_ranges(ks)}." if ks else f" No count out of {n} fits."
    return Check(
        "fraction_word",
        "inconsistent",
        word,
        rec,
        f'{rec} is not "{word}": {meaning.rule}.{alt}',
        n,
    )


def _norm_value(v: str) -> str:
    num = None
    try:
        num = Decimal(str(v).replace(",", "").strip().rstrip("%"))
    except Exception:
        num = None
    return str(num.normalize()) if num is not None else normalise_phrase(str(v))


def duplicate_figures(figures: pd.DataFrame, *, key: str = "key") -> list[tuple[str, Check]]:
    """Figures that share a ``key`` must have one value.

    Parameters
    ----------
    figures
        A frame with columns ``key``, ``value``, ``locator`` and (optionally) ``source``.

    Returns
    -------
    list of (key, Check)
        One check per key printed more than once: ``ok`` when every value agrees (numbers
        compared as numbers, words case- and hyphen-insensitively), else ``inconsistent``
        listing each value with where it is printed.
    """
    need = {key, "value", "locator"}
    if not need <= set(figures.columns):
        raise PublishedFiguresError(
            f"duplicate_figures needs columns {sorted(need)}; got {list(figures.columns)}"
        )
    out = []
    for k, grp in figures.groupby(key, sort=False):
        if len(grp) < 2:
            continue
        where = []
        for r in grp.itertuples(index=False):
            src = f"{r.source}, " if "source" in grp.columns else ""
            where.append(f"{r.value} ({src}{r.locator})")
        vals = {_norm_value(v) for v in grp["value"]}
        printed = " | ".join(where)
        if len(vals) == 1:
            out.append(
                (
                    str(k),
                    Check(
                        "duplicate",
                        "ok",
                        printed,
                        str(grp["value"].iloc[0]),
                        f"Printed {len(grp)} times with the same value.",
                    ),
                )
            )
        else:
            out.append(
                (
                    str(k),
                    Check(
                        "duplicate",
                        "inconsistent",
                        printed,
                        "one value",
                        f"The same figure is printed with {len(vals)} different values: {printed}.",
                    ),
                )
            )
    return out


def check_bound(value: int | float | Decimal, bound: int | float | Decimal, how: str) -> Check:
    """A count must not exceed the room other printed counts leave (``how`` says which)."""
    v = to_fraction(_dec(value, "value"))
    b = to_fraction(_dec(bound, "bound"))
    if v <= b:
        return Check("bound", "ok", fmt(v), f"<= {fmt(b)}", f"{fmt(v)} <= {how} = {fmt(b)}.")
    return Check(
        "bound",
        "inconsistent",
        fmt(v),
        f"<= {fmt(b)}",
        f"{fmt(v)} exceeds {how} = {fmt(b)} by {fmt(v - b)}.",
    )


def check_whole_count(value: object) -> Check:
    """A printed count (measure ``n``) must be a whole number."""
    v = _dec(value, "count")
    if v == v.to_integral_value() and v >= 0:
        return Check("whole_count", "ok", str(v), str(v), f"{v} is a whole number.")
    return Check(
        "whole_count",
        "inconsistent",
        str(v),
        "a whole number",
        f"A count cannot be {v}: counts of people or cases are whole numbers "
        "(a lost % sign or decimal point?).",
    )


def check_range(low: object, mean: object, high: object) -> Check:
    """``min <= mean <= max``."""
    lo, m, hi = (_dec(x, w) for x, w in ((low, "min"), (mean, "mean"), (high, "max")))
    ok = lo <= m <= hi
    return Check(
        "range",
        "ok" if ok else "inconsistent",
        str(m),
        f"[{lo}, {hi}]",
        f"min {lo} <= mean {m} <= max {hi}" + ("." if ok else " fails."),
    )
