"""Counts of units implied by the cohort statistics of an outcome that takes few values.

For an outcome that is 0 or 1 (arrested in the month or not), the statistics a site
releases per cohort of ``n`` units -- the period means ``m`` and the within-cohort scatter
matrix ``M`` -- are frequency tables in disguise::

    S_t  = n m_t                 = sum_i y_it          units with a one in period t
    P_st = M_st + n m_s m_t      = sum_i y_is y_it     units with ones in both s and t

and, since ``y^2 = y``, ``P_tt = S_t`` (``M_tt + n m_t^2 = n m_t``).  Every pair of periods
therefore releases a 2 x 2 table: both ``P_st``, only s ``S_s - P_st``, only t
``S_t - P_st``, neither ``n - S_s - S_t + P_st``.  A reader can tell a 0/1 outcome from the
statistics alone: ``S_t`` and ``P_st`` are whole numbers and the diagonal identity holds
(:func:`implied_counts` tests it period by period, so a count outcome that is 0/1 in some
periods is caught in those periods).

For a declared count outcome (``y`` in 0, 1, 2, ...) the same sums are event counts, and
they bound the numbers of units (:func:`count_bounds`): ``k_t``, the units with at least one
event in period t, satisfies ``S_t^2 / P_tt <= k_t`` (Cauchy-Schwarz over those units)
and ``k_t <= S_t - (sqrt(1 + 4 D) - 1) / 2`` with ``D = P_tt - S_t = sum y (y - 1)`` (the
units with two or more events use up at least that many events beyond one each); the
units with events in both s and t number at least 1 when ``P_st > 0`` and at most
``min(P_st, k_s, k_t)``.  A period with ``P_tt = S_t`` is 0/1 in every unit (an integer
``y`` has ``y (y - 1) = 0`` only at 0 and 1), so its tables are exact.

:func:`few_value_cells` applies the threshold rule to every such count, exact or bounded:
a count known to lie in ``1 .. threshold - 1`` fails (``threshold``), a count known to be
zero fails when the rule set says zeros are disclosive (``zeros``).  A bounded count whose
range reaches the threshold passes: it is not pinned.

Whole numbers are judged with a tolerance for floating-point rounding: ``1e-6`` plus
``2^14`` machine epsilons times the size of the terms (``n |m_t|`` for a sum,
``sqrt(M_ss M_tt) + n |m_s m_t|`` for a product, which bounds the summed centred
products).  Any summation order of ``n`` terms errs by at most ``n eps`` times their
total, and blocked or pairwise sums (numpy, BLAS, DuckDB) by ``O(log n) eps``: the margin
covers a million units summed naively and ``10^8`` units summed in blocks, while a
continuous outcome lands within it of a whole number with probability about ``1e-5`` per
statistic (and must do so for the sum, the square sum and their equality at once).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable

import numpy as np

from socdata.errors import EstimationError
from socdata.report.disclosure import RuleSet
from socdata.scale.moments import NEVER, CohortMoments

__all__ = [
    "OUTCOME_VALUES",
    "ImpliedCounts",
    "cohort_name",
    "count_bounds",
    "coverage_note",
    "few_value_cells",
    "implied_counts",
    "pair_bounds",
    "triple_bounds",
]

#: What a site may declare its outcome to be (``outcome_values=``; ``None`` = detect).
OUTCOME_VALUES = ("binary", "counts", "continuous")
#: Cells listed per check in a record's ``sdc`` (the summary counts them all).
MAX_LISTED_CELLS = 1000
#: Cells of a 3-period table: 1 = positive outcome in that period (111 first).
PATTERNS = tuple(itertools.product((1, 0), repeat=3))
_SLACK = 2.0**14 * np.finfo(float).eps
_PAIR_CELLS = ("both", "first only", "second only", "neither")
_PAIR_WORDS = {
    "both": "with a positive outcome in both",
    "first only": "with a positive outcome in the first only",
    "second only": "with a positive outcome in the second only",
    "neither": "with a positive outcome in neither",
}


@dataclasses.dataclass(frozen=True)
class ImpliedCounts:
    """Sums a cohort's statistics imply, and which periods look 0/1.

    Attributes
    ----------
    n
        Units per cohort, ``(H,)``.
    sums
        ``n m_t = sum_i y_it``, ``(H, T)`` (the count of ones of a 0/1 outcome).
    products
        ``M_st + n m_s m_t = sum_i y_is y_it``, ``(H, T, T)`` (the count of units with
        ones in both periods).
    whole_sums, whole_products
        Whether each is a whole number within the tolerance (module docstring).
    binary
        ``(H, T)``: the period's statistics are those of a 0/1 outcome (whole ``S_t`` in
        ``0 .. n`` and ``P_tt = S_t``).
    """

    n: np.ndarray
    sums: np.ndarray
    products: np.ndarray
    whole_sums: np.ndarray
    whole_products: np.ndarray
    binary: np.ndarray

    def pair_tables(self) -> np.ndarray:
        """The 2 x 2 tables of every pair of 0/1 periods, ``(H, T, T, 4)``.

        Cells, in order: units with ones in both periods, in the first only, in the second
        only, in neither.  NaN where either period is not 0/1 or ``P_st`` is not whole.
        """
        s = np.rint(self.sums)
        p = np.rint(self.products)
        n = self.n[:, None, None].astype(float)
        first, second = s[:, :, None], s[:, None, :]
        out = np.stack([p, first - p, second - p, n - first - second + p], axis=-1)
        ok = self.binary[:, :, None] & self.binary[:, None, :] & self.whole_products
        return np.where(ok[..., None], out, np.nan)


def _whole(x: np.ndarray, size: np.ndarray) -> np.ndarray:
    return np.abs(x - np.rint(x)) <= 1e-6 + _SLACK * size


def implied_counts(m: CohortMoments) -> ImpliedCounts:
    """The sums and cross-products implied by a site's means and scatter matrices.

    Vectorised over cohorts and period pairs (no loop over cohorts).
    """
    n = np.asarray(m.n, dtype=float)
    mean = np.asarray(m.mean, dtype=float)
    scatter = np.asarray(m.scatter, dtype=float)
    sums = n[:, None] * mean
    outer = n[:, None, None] * mean[:, :, None] * mean[:, None, :]
    products = scatter + outer
    diag = np.sqrt(np.clip(np.diagonal(scatter, axis1=1, axis2=2), 0.0, None))
    size = diag[:, :, None] * diag[:, None, :] + np.abs(outer)
    whole_sums = _whole(sums, np.abs(sums))
    whole_products = _whole(products, size)
    s, q = np.rint(sums), np.rint(np.diagonal(products, axis1=1, axis2=2))
    binary = (
        whole_sums
        & np.diagonal(whole_products, axis1=1, axis2=2)
        & (q == s)
        & (s >= 0)
        & (s <= n[:, None])
        & (n[:, None] > 0)
    )
    return ImpliedCounts(n, sums, products, whole_sums, whole_products, binary)


def count_bounds(c: ImpliedCounts) -> tuple[np.ndarray, np.ndarray]:
    """Bounds on the units with a positive outcome per cohort and period (count outcome).

    Returns ``(low, high)``, ``(H, T)``: ``ceil(S^2 / Q)`` and
    ``min(n, S - ceil((sqrt(1 + 4 (Q - S)) - 1) / 2))`` with ``S`` the period's event total
    and ``Q`` its sum of squares (module docstring); equal to ``S`` in a 0/1 period.
    """
    s = np.rint(c.sums)
    q = np.rint(np.diagonal(c.products, axis1=1, axis2=2))
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.where(q > 0, np.ceil(s * s / q - 1e-9), 0.0)
    spent = np.ceil((np.sqrt(1.0 + 4.0 * np.clip(q - s, 0.0, None)) - 1.0) / 2.0 - 1e-9)
    high = np.minimum(c.n[:, None], s - spent)
    return low, np.maximum(high, low)


def _declared_ok(c: ImpliedCounts, m: CohortMoments, outcome_values: str | None) -> None:
    if outcome_values is not None and outcome_values not in OUTCOME_VALUES:
        raise EstimationError(
            f"outcome_values={outcome_values!r} is not one of {OUTCOME_VALUES} or None "
            "(detect from the statistics)."
        )
    live = c.n > 0
    if outcome_values == "binary":
        bad = np.argwhere(~c.binary & live[:, None])
        rule = "n*mean is a whole number in 0..n and scatter[t,t] + n*mean^2 = n*mean"
    elif outcome_values == "counts":
        neg = (c.sums < -0.5) | (np.diagonal(c.products, axis1=1, axis2=2) < c.sums - 0.5)
        whole = c.whole_sums & np.all(c.whole_products, axis=2)
        bad = np.argwhere((~whole | neg) & live[:, None])
        rule = "sums n*mean and cross-products scatter + n*mean*mean' are whole numbers >= 0"
    else:
        return
    if len(bad):
        h, t = bad[0]
        raise EstimationError(
            f"outcome_values={outcome_values!r}, but cohort {m.cohorts[h]!r}, period "
            f"{m.time_labels[t]} has statistics no such outcome gives (sum {c.sums[h, t]!r}; "
            f"rule: {rule}); {len(bad)} cohort-periods in all. Declare 'counts' or "
            "'continuous', or None to detect from the statistics."
        )


def cohort_name(c: object, kind: str) -> str:
    """A cohort as messages print it (``never treated``, a date or a number)."""
    if c is NEVER:
        return "never treated"
    if kind == "datetime":
        return str(np.datetime64(int(c), "ns"))[:10]
    return f"{float(c):g}"


@dataclasses.dataclass(frozen=True)
class _Block:
    """Counts of one kind, their bounds, and where they fail one check."""

    check: str
    mask: np.ndarray
    low: np.ndarray
    high: np.ndarray
    cohort_axis: int
    cell: Callable[[tuple], list]
    words: Callable[[tuple], str]


def _blocks(name, low, high, where, rules, cohort_axis, cell, words) -> list[_Block]:
    small = (low >= 1) & (high < rules.threshold) & where
    out = [_Block("threshold", small, low, high, cohort_axis, cell, words)]
    if rules.zeros_are_disclosive:
        out.append(_Block("zeros", (high <= 0) & where, low, high, cohort_axis, cell, words))
    return out


def _one_way(n, low, high, use, m, rules) -> list[_Block]:
    out = []
    for name, lo, hi in (("positive", low, high), ("zero", n[:, None] - high, n[:, None] - low)):
        out += _blocks(
            name, lo, hi, use, rules, 0,
            lambda i, name=name: [int(i[0]), str(m.time_labels[i[1]]), name],
            lambda i, name=name: f"period {m.time_labels[i[1]]}: {{}} with a {name} outcome",
        )  # fmt: skip
    return out


def pair_bounds(
    c: ImpliedCounts, low: np.ndarray, high: np.ndarray
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Bounds on the 2 x 2 table of units with a positive outcome in two periods.

    Parameters
    ----------
    c
        The implied sums (:func:`implied_counts`).
    low, high
        Bounds on the units with a positive outcome per cohort and period: the count of
        ones of a 0/1 period, :func:`count_bounds` for a count outcome.

    Returns
    -------
    dict
        ``"both"``, ``"first only"``, ``"second only"``, ``"neither"``: ``(low, high)``,
        each ``(H, T, T)`` (first period on axis 1).  Exact (``low == high``) where both
        periods are 0/1; otherwise ``both`` lies in ``[1 if P_st > 0, min(P_st, k_s, k_t)]``
        (a unit with events in both periods adds at least 1 to ``P_st``) and the other
        cells follow by interval arithmetic, which keeps the true count inside.
    """
    p = np.rint(c.products)
    n = c.n[:, None, None].astype(float)
    ls, hs, lt, ht = low[:, :, None], high[:, :, None], low[:, None, :], high[:, None, :]
    exact = c.binary[:, :, None] & c.binary[:, None, :]
    b_lo = np.where(exact, p, np.maximum((p > 0) * 1.0, ls + lt - n))
    b_hi = np.where(exact, p, np.minimum(p, np.minimum(hs, ht)))
    return {
        "both": (b_lo, b_hi),
        "first only": (np.maximum(ls - b_hi, 0.0), hs - b_lo),
        "second only": (np.maximum(lt - b_hi, 0.0), ht - b_lo),
        "neither": (
            np.maximum(n - hs - ht + b_lo, 0.0),
            np.minimum(n - ls - lt + b_hi, n - np.maximum(ls, lt)),
        ),
    }


def _pairs(c, low, high, use, m, rules) -> list[_Block]:
    cells = pair_bounds(c, low, high)
    p = c.products
    upper = np.triu(np.ones(p.shape[1:], dtype=bool), k=1)
    pair = use[:, :, None] & use[:, None, :] & c.whole_products & upper
    lab = m.time_labels
    out = []
    for name, (lo, hi) in cells.items():
        out += _blocks(
            name, lo, hi, pair, rules, 0,
            lambda i, name=name: [int(i[0]), str(lab[i[1]]), str(lab[i[2]]), name],
            lambda i, name=name: f"periods {lab[i[1]]} and {lab[i[2]]}: {{}} {_PAIR_WORDS[name]}",
        )  # fmt: skip
    return out


def triple_bounds(c: ImpliedCounts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bounds on the 3-period tables of 0/1 periods that the pair tables imply.

    The 2 x 2 x 2 table of periods ``r < s < t`` has one cell the statistics leave free,
    ``x``, the units with ones in all three; every cell is ``a + x`` (an odd number of
    ones in the pattern) or ``a - x`` (an even number), with ``a`` from ``n``, ``S`` and
    ``P`` (e.g. ones in r and s only: ``P_rs - x``; in none: ``n - S_r - S_s - S_t + P_rs
    + P_rt + P_st - x``).  No cell is negative, so ``x`` lies between the largest ``-a``
    of the odd cells and the smallest ``a`` of the even ones; when those meet, the whole
    table is pinned.  Small cells pinned this way occur even when every pair table passes
    the threshold (a zero cell in a pair table, shown by default, is enough).

    Returns
    -------
    triples, low, high
        ``(K, 3)`` period indices; ``(H, K, 8)`` bounds of the cells in
        :data:`PATTERNS` order; NaN where a period is not 0/1 (or a pair sum is not
        whole, or the bounds cross, which no 0/1 outcome gives).
    """
    tri = _triple_index(c.sums.shape[1])
    low = np.full((len(c.n), len(tri), 8), np.nan)
    high = np.full_like(low, np.nan)
    for q_i, (lo, hi, ok) in enumerate(_triple_cells(c, tri)):
        low[..., q_i] = np.where(ok, lo, np.nan)
        high[..., q_i] = np.where(ok, hi, np.nan)
    return tri, low, high


def _triple_index(n_t: int) -> np.ndarray:
    return np.array(list(itertools.combinations(range(n_t), 3)), np.int64).reshape(-1, 3)


def _triple_cells(c: ImpliedCounts, tri: np.ndarray):
    """Yield ``(low, high, valid)``, each ``(H, K)``, for the cells in PATTERNS order."""
    s, p = np.rint(c.sums), np.rint(c.products)
    i, j, k = tri.T
    si, sj, sk = s[:, i], s[:, j], s[:, k]
    pij, pik, pjk = p[:, i, j], p[:, i, k], p[:, j, k]
    n = c.n[:, None].astype(float)
    a = {
        (1, 1, 1): np.zeros_like(si),
        (1, 1, 0): pij,
        (1, 0, 1): pik,
        (0, 1, 1): pjk,
        (1, 0, 0): si - pij - pik,
        (0, 1, 0): sj - pij - pjk,
        (0, 0, 1): sk - pik - pjk,
        (0, 0, 0): n - si - sj - sk + pij + pik + pjk,
    }
    odd = [q for q in PATTERNS if sum(q) % 2]
    x_lo = np.max([-a[q] for q in odd], axis=0)
    x_hi = np.min([a[q] for q in PATTERNS if q not in odd], axis=0)
    ok = (
        c.binary[:, i] & c.binary[:, j] & c.binary[:, k]
        & c.whole_products[:, i, j] & c.whole_products[:, i, k] & c.whole_products[:, j, k]
        & (x_lo <= x_hi)
    )  # fmt: skip
    for q in PATTERNS:
        yield (a[q] + x_lo, a[q] + x_hi, ok) if q in odd else (a[q] - x_hi, a[q] - x_lo, ok)


def _triples(c, m, rules) -> list[_Block]:
    if c.sums.shape[1] < 3 or not c.binary.any():
        return []
    tri = _triple_index(c.sums.shape[1])
    lab = m.time_labels
    out = []
    for q, (lo, hi, ok) in zip(PATTERNS, _triple_cells(c, tri), strict=True):
        word = ", ".join(f"{v}" for v in q)
        blocks = _blocks(
            "".join(map(str, q)), lo, hi, ok, rules, 0,
            lambda i, q=q: [int(i[0]), *(str(lab[t]) for t in tri[i[1]]), "".join(map(str, q))],
            lambda i, word=word: "periods " + ", ".join(str(lab[t]) for t in tri[i[1]])
            + f": {{}} with outcomes {word} in them (bounded by the pair tables)",
        )  # fmt: skip
        out += [b for b in blocks if b.mask.any()]  # keep the arrays only of failures
    return out


def _clusters(c, low, high, use, m, rules) -> list[_Block]:
    if m.clusters is None:
        return []
    e = np.asarray(m.cluster_sum, dtype=float)
    cn = np.asarray(m.cluster_n, dtype=float)[:, :, None]
    live = _whole(e, np.abs(e)) & use[None] & (cn > 0)
    e = np.rint(e)
    exact = np.broadcast_to(c.binary[None], e.shape)
    lo = np.where(exact, e, (e > 0) * 1.0)
    hi = np.where(exact, e, np.minimum(e, cn))
    out = []
    for name, a, b in (("positive", lo, hi), ("zero", cn - hi, cn - lo)):
        out += _blocks(
            name, a, b, live, rules, 1,
            lambda i, name=name: [
                f"cluster {m.clusters[i[0]]}", int(i[1]), str(m.time_labels[i[2]]), name
            ],
            lambda i, name=name: f"cluster {m.clusters[i[0]]}, period {m.time_labels[i[2]]}: "
            f"{{}} with a {name} outcome",
        )  # fmt: skip
    return out


def _units(lo: float, hi: float) -> str:
    if lo == hi:
        return f"{int(lo)} unit" + ("" if lo == 1 else "s")
    return f"between {int(lo)} and {int(hi)} units"


def few_value_cells(
    m: CohortMoments, rules: RuleSet, outcome_values: str | None = None
) -> tuple[dict[str, list], dict[str, int], list[str]]:
    """Threshold and zeros checks of the counts a few-valued outcome's statistics imply.

    Parameters
    ----------
    m
        The site's statistics.
    rules
        Output-control rule set (its ``threshold`` and ``zeros_are_disclosive``).
    outcome_values
        ``"binary"``, ``"counts"``, ``"continuous"`` or ``None`` (detect).  The periods
        whose statistics are those of a 0/1 outcome are checked whatever is declared (a
        reader of the statistics can see it); ``"counts"`` adds every period, with the
        numbers of units bounded from the event totals (:func:`count_bounds`);
        ``"binary"`` and ``"counts"`` are verified against the statistics first.

    Returns
    -------
    cells, totals, comments
        Listed failing cells per check (at most :data:`MAX_LISTED_CELLS` each), the number
        of failing cells per check, and one comment per cohort and check.

    Raises
    ------
    socdata.errors.EstimationError
        ``outcome_values`` is not a known value, or the statistics contradict it.
    """
    c = implied_counts(m)
    _declared_ok(c, m, outcome_values)
    if outcome_values == "counts":
        low, high = count_bounds(c)
        use = np.broadcast_to((c.n > 0)[:, None], c.binary.shape)
    else:
        low = high = np.rint(c.sums)
        use = c.binary
    blocks = _one_way(c.n, low, high, use, m, rules)
    blocks += _pairs(c, low, high, use, m, rules)
    blocks += _triples(c, m, rules)
    blocks += _clusters(c, low, high, use, m, rules)
    cells: dict[str, list] = {"threshold": [], "zeros": []}
    totals = {"threshold": 0, "zeros": 0}
    per: dict[tuple[str, int], list] = {}
    for b in blocks:
        idx = np.argwhere(b.mask)
        if not len(idx):
            continue
        totals[b.check] += len(idx)
        room = MAX_LISTED_CELLS - len(cells[b.check])
        cells[b.check] += [b.cell(tuple(i)) for i in idx[: max(room, 0)]]
        h = idx[:, b.cohort_axis]
        counts = np.bincount(h, minlength=len(c.n))
        for k in np.unique(h, return_index=True)[1]:
            i = tuple(idx[k])
            key = (b.check, int(h[k]))
            if key not in per:
                per[key] = [0, b.words(i).format(_units(b.low[i], b.high[i]))]
            per[key][0] += int(counts[h[k]])
    comments = [
        _comment(m, check, h, count, example, outcome_values, rules)
        for (check, h), (count, example) in sorted(per.items(), key=lambda kv: kv[0][::-1])
    ]
    return cells, totals, comments


def _comment(m, check, h, count, example, outcome_values, rules) -> str:
    kind = "count" if outcome_values == "counts" else "0/1"
    if check == "threshold":
        rule = f"threshold: counts of 1-{rules.threshold - 1} units"
    else:
        rule = "zeros_are_disclosive: a count known to be zero"
    return (
        f"cohort {cohort_name(m.cohorts[h], m.time_kind)}: {count} counts of units implied "
        f"by the means and scatter of a {kind} outcome fail (rule: {rule}), e.g. {example} "
        "(n*mean is the number with a positive outcome in a period, scatter + n*mean*mean' "
        "the number in two periods); use coarser periods (e.g. quarters), merge the cohort "
        "with a neighbouring one, or release a continuous outcome"
    )


def coverage_note(m: CohortMoments, outcome_values: str | None = None) -> str:
    """One line for the record: what the few-values check covered and what it did not."""
    c = implied_counts(m)
    live = c.n > 0
    k, total = int(c.binary[live].sum()), int(live.sum()) * c.binary.shape[1]
    declared = "detected" if outcome_values is None else f"declared {outcome_values!r}"
    extra = (
        "; every period's event totals bound the units behind them"
        if outcome_values == "counts"
        else ""
    )
    return (
        f"outcome values {declared}: {k} of {total} cohort-periods have the statistics of a "
        "0/1 outcome; their 1-, 2- and 3-period tables and cluster cells were checked "
        f"against the threshold{extra}; not checked: tables of 4 or more periods, "
        "integer-programming attacks over all periods at once"
    )
