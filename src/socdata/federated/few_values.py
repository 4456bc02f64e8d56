"""The few-values output check: threshold and zeros rules on the counts a site's
statistics imply (:mod:`socdata.federated.implied_counts` has the arithmetic).

Every 1-way count, cell of a pair table and cluster cell of a period whose statistics are
those of a 0/1 outcome, and every cell of a 3-period table that the pair tables confine,
must be 0 or at least the threshold; with ``outcome_values="counts"`` every period is
checked, with the numbers of units bounded from the event totals.  See
:mod:`socdata.federated.checks` for what is and is not checked.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from socdata.errors import EstimationError
from socdata.federated.implied_counts import (
    PATTERNS,
    ImpliedCounts,
    count_bounds,
    implied_counts,
    is_whole,
    pair_bounds,
    triple_cells,
    triple_index,
)
from socdata.report.disclosure import RuleSet
from socdata.scale.moments import NEVER, CohortMoments

__all__ = [
    "OUTCOME_VALUES",
    "cohort_name",
    "coverage_note",
    "few_value_cells",
    "verify_outcome_values",
]

#: What a site may declare its outcome to be (``outcome_values=``; ``None`` = detect).
OUTCOME_VALUES = ("binary", "counts", "continuous")
#: Cells listed per check in a record's ``sdc`` (the summary counts them all).
MAX_LISTED_CELLS = 1000
_PAIR_WORDS = {
    "both": "with a positive outcome in both",
    "first only": "with a positive outcome in the first only",
    "second only": "with a positive outcome in the second only",
    "neither": "with a positive outcome in neither",
}


def verify_outcome_values(m: CohortMoments, outcome_values: str | None) -> ImpliedCounts:
    """Check a declared ``outcome_values`` against the statistics; return the implied sums.

    Raises
    ------
    socdata.errors.EstimationError
        An unknown value, ``"binary"`` with a period that is not 0/1, or ``"counts"`` with
        a sum or cross-product that is not a whole number >= 0 (or a square sum below
        the sum, which no integer outcome gives).  The message names cohort, period, the
        sum and the rule.
    """
    if outcome_values is not None and outcome_values not in OUTCOME_VALUES:
        raise EstimationError(
            f"outcome_values={outcome_values!r} is not one of {OUTCOME_VALUES} or None "
            "(detect from the statistics)."
        )
    c = implied_counts(m)
    live = (c.n > 0)[:, None]
    if outcome_values == "binary":
        bad = np.argwhere(~c.binary & live)
        rule = "n*mean is a whole number in 0..n and scatter[t,t] + n*mean^2 = n*mean"
    elif outcome_values == "counts":
        neg = (c.sums < -0.5) | (np.diagonal(c.products, axis1=1, axis2=2) < c.sums - 0.5)
        neg |= np.min(c.products, axis=2) < -0.5
        whole = c.whole_sums & np.all(c.whole_products, axis=2)
        bad = np.argwhere((~whole | neg) & live)
        rule = "sums n*mean and cross-products scatter + n*mean*mean' are whole numbers >= 0"
    else:
        return c
    if len(bad):
        h, t = bad[0]
        raise EstimationError(
            f"outcome_values={outcome_values!r}, but cohort "
            f"{cohort_name(m.cohorts[h], m.time_kind)}, period {m.time_labels[t]} has "
            f"statistics no such outcome gives (sum {float(c.sums[h, t]):.10g}; rule: "
            f"{rule}); {len(bad)} cohort-periods in all. Declare 'counts' or 'continuous', "
            "or None to detect from the statistics."
        )
    return c


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


def _blocks(low, high, where, rules, cohort_axis, cell, words) -> list[_Block]:
    small = (low >= 1) & (high < rules.threshold) & where
    out = [_Block("threshold", small, low, high, cohort_axis, cell, words)]
    if rules.zeros_are_disclosive:
        out.append(_Block("zeros", (high <= 0) & where, low, high, cohort_axis, cell, words))
    return out


def _one_way(n, low, high, use, m, rules) -> list[_Block]:
    out = []
    for name, lo, hi in (("positive", low, high), ("zero", n[:, None] - high, n[:, None] - low)):
        out += _blocks(
            lo, hi, use, rules, 0,
            lambda i, name=name: [int(i[0]), str(m.time_labels[i[1]]), name],
            lambda i, name=name: f"period {m.time_labels[i[1]]}: {{}} with a {name} outcome",
        )  # fmt: skip
    return out


def _pairs(c, low, high, use, m, rules) -> list[_Block]:
    cells = pair_bounds(c, low, high)
    p = c.products
    upper = np.triu(np.ones(p.shape[1:], dtype=bool), k=1)
    pair = use[:, :, None] & use[:, None, :] & c.whole_products & upper
    lab = m.time_labels
    out = []
    for name, (lo, hi) in cells.items():
        out += _blocks(
            lo, hi, pair, rules, 0,
            lambda i, name=name: [int(i[0]), str(lab[i[1]]), str(lab[i[2]]), name],
            lambda i, name=name: f"periods {lab[i[1]]} and {lab[i[2]]}: {{}} {_PAIR_WORDS[name]}",
        )  # fmt: skip
    return out


def _triples(c, m, rules) -> list[_Block]:
    if c.sums.shape[1] < 3 or not c.binary.any():
        return []
    tri = triple_index(c.sums.shape[1])
    lab = m.time_labels
    out = []
    for q, (lo, hi, ok) in zip(PATTERNS, triple_cells(c, tri), strict=True):
        word = ", ".join(f"{v}" for v in q)
        blocks = _blocks(
            lo, hi, ok, rules, 0,
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
    live = is_whole(e, np.abs(e)) & use[None] & (cn > 0)
    e = np.rint(e)
    exact = np.broadcast_to(c.binary[None], e.shape)
    lo = np.where(exact, e, (e > 0) * 1.0)
    hi = np.where(exact, e, np.minimum(e, cn))
    out = []
    for name, a, b in (("positive", lo, hi), ("zero", cn - hi, cn - lo)):
        out += _blocks(
            a, b, live, rules, 1,
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
    c = verify_outcome_values(m, outcome_values)
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
