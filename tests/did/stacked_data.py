"""Small stacked matched-set frames with a known structure, for the stacked DiD tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def stacked_frame(
    n_sets: int = 60,
    *,
    seed: int = 0,
    max_controls: int = 1,
    effect: float = 0.7,
    window: tuple[int, int] = (-6, 6),
    drop_share: float = 0.05,
    reuse: bool = False,
    base: float = -1.0,
) -> pd.DataFrame:
    """One row per (set, unit, month): Poisson counts, rate ratio ``effect`` after month 0.

    ``max_controls > 1`` gives sets of 1..max_controls comparators; ``reuse`` lets a
    comparator appear in two sets (matching with replacement); ``drop_share`` drops rows at
    random (unbalanced sets).
    """
    rng = np.random.default_rng(seed)
    rows = []
    pool = [f"c{j:04d}" for j in range(n_sets * max_controls)]
    months = np.arange(window[0], window[1] + 1)
    for s in range(n_sets):
        index = 100 + int(rng.integers(0, 24))
        k = int(rng.integers(1, max_controls + 1))
        controls = [pool[s * max_controls + j] for j in range(k)]
        if reuse and s > 0 and s % 5 == 0:
            controls[0] = pool[(s - 1) * max_controls]  # same comparator as the previous set
        lam_set = np.exp(rng.normal(base, 0.3) + 0.05 * rng.normal(size=months.size))
        for unit, treated in [(f"e{s:04d}", 1), *((c, 0) for c in controls)]:
            a = np.exp(rng.normal(0, 0.5))
            mu = a * lam_set * np.where(treated & (months >= 0), effect, 1.0)
            y = rng.poisson(mu)
            for e, yy in zip(months, y, strict=True):
                rows.append(
                    {
                        "person": unit,
                        "set": f"s{s:04d}",
                        "treated": treated,
                        "month": index + e,
                        "index": index,
                        "y": float(yy),
                    }
                )
    df = pd.DataFrame(rows)
    keep = rng.random(len(df)) >= drop_share
    keep |= (df["month"] - df["index"]).isin([-1, 1]).to_numpy()  # keep the key months
    return df[keep].reset_index(drop=True)
