"""Search for four-period tables of a 0/1 outcome that the few-values rule lets through
but whose pair tables still pin a cell to 1-9 (the evidence quoted in
docs/explanation/disclosure-control.md; not collected by pytest).

Random tables of 2-6 patterns of four periods (counts 1-39 each) are kept when every
1-way, 2 x 2 and (bounded) 3-period cell passes the threshold of 10; for each kept table
the range of every four-period cell given the pair tables is found by linear
programming (scipy's HiGHS).  Run: ``python tests/federated/four_period_search.py``
(about 6 minutes on one core).  The documented run printed ``tried 1159 found 1``: the
table with 25 units 1111, 31 units 1110, 14 units 0111, 5 units 0110, 12 units 0100 and
31 units 0010 passes every 1-, 2- and 3-period check, yet its pair tables pin a
four-period cell to 1-9.  Its pair tables have zero cells (period 1's ones all have ones
in periods 2 and 3), as had every pinned small 3-period cell a search of 200,000 random
3-period tables found (3,529 of them): a rule set with ``zeros_are_disclosive=True``
refuses all of them.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.optimize import linprog

PATTERNS = np.array(list(itertools.product([1, 0], repeat=4)))
MARGINS = np.vstack(
    [np.ones(16)]
    + [PATTERNS[:, i] for i in range(4)]
    + [PATTERNS[:, i] * PATTERNS[:, j] for i, j in itertools.combinations(range(4), 2)]
)


def _small(v: float) -> bool:
    return 0 < v < 10


def _range(cell: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    lo = linprog(cell, A_eq=MARGINS, b_eq=b, bounds=(0, None), method="highs").fun
    hi = -linprog(-cell, A_eq=MARGINS, b_eq=b, bounds=(0, None), method="highs").fun
    return lo, hi


def _pinned_small(cell: np.ndarray, b: np.ndarray) -> bool:
    lo, hi = _range(cell, b)
    return lo >= 1 - 1e-9 and hi < 10


def _passes_lower_orders(b: np.ndarray) -> bool:
    n, s = b[0], b[1:5]
    p = dict(zip(itertools.combinations(range(4), 2), b[5:], strict=True))
    if any(_small(v) or _small(n - v) for v in s):
        return False
    for (i, j), v in p.items():
        if any(_small(x) for x in (v, s[i] - v, s[j] - v, n - s[i] - s[j] + v)):
            return False
    for tri in itertools.combinations(range(4), 3):
        for q in itertools.product([1, 0], repeat=3):
            cell = np.all(PATTERNS[:, list(tri)] == q, axis=1).astype(float)
            if _pinned_small(cell, b):
                return False
    return True


def main(n_tables: int = 3000, seed: int = 1) -> tuple[int, int]:
    """Tables tried (passing the lower orders) and tables with a pinned small cell."""
    rng = np.random.default_rng(seed)
    tried = found = 0
    for _ in range(n_tables):
        k = rng.integers(2, 7)
        counts = np.zeros(16)
        counts[rng.choice(16, size=k, replace=False)] = rng.integers(1, 40, size=k)
        b = MARGINS @ counts
        if not _passes_lower_orders(b):
            continue
        tried += 1
        if any(_pinned_small(np.eye(16)[q], b) for q in range(16)):
            found += 1
            print("pinned small four-period cell:", counts)
    return tried, found


if __name__ == "__main__":
    tried, found = main()
    print(f"tried {tried} found {found}")
