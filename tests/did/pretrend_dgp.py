"""Panels with exactly parallel trends, the size of pre-trend tests at small n."""

from __future__ import annotations

import numpy as np
import pandas as pd


def parallel_panel(seed: int, n: int = 80, periods: int = 24) -> pd.DataFrame:
    """``n`` units x ``periods`` months; 45% never treated, the rest in three cohorts
    (treated from month 10, 14 or 18); unit and month effects, no pre-trend, no effect."""
    rng = np.random.default_rng(seed)
    g = np.where(rng.random(n) < 0.45, 0, rng.choice([10, 14, 18], n))
    y = rng.normal(size=n)[:, None] + rng.normal(size=periods)[None, :]
    y = y + rng.normal(size=(n, periods))
    return pd.DataFrame(
        {
            "id": np.repeat(np.arange(n), periods),
            "t": np.tile(np.arange(1, periods + 1), n),
            "g": np.repeat(g, periods),
            "y": y.ravel(),
        }
    )
