"""Size of the ATT(g,t) pre-trend tests at 80 units x 24 months under exactly parallel trends.

Each replication draws ``tests.did.pretrend_dgp.parallel_panel(seed)`` (45% never treated,
three cohorts; unit and month effects; no pre-trend), fits ``socdata.did.att_gt`` and
records the p-values of the large-sample chi-squared Wald test (``pretrend_test("chi2")``,
R did's ``W``) and of the default small-sample test (``pretrend_test()``: sup-t with a
parametric bootstrap).  Writes ``scripts/pretrend_size_results.csv`` and prints the
rejection rates at 5% with their Monte Carlo standard errors.

Run (about 5 minutes on one core)::

    python scripts/pretrend_size.py --reps 1000 --draws 499
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO))

from socdata.did import att_gt  # noqa: E402
from tests.did.pretrend_dgp import parallel_panel  # noqa: E402


def main(argv: list[str] | None = None) -> pd.DataFrame:
    """Run the replications; return the summary."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--draws", type=int, default=499)
    ap.add_argument("--out", default=str(REPO / "scripts" / "pretrend_size_results.csv"))
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    out_path = Path(args.out)
    rows = pd.read_csv(out_path).to_dict("records") if out_path.exists() else []
    have = {r["seed"] for r in rows}
    for seed in range(args.reps):
        if seed in have:  # resumable
            continue
        r = att_gt(parallel_panel(seed), outcome="y", unit="id", time="t", cohort="g")
        chi2 = r.pretrend_test("chi2")
        new = r.pretrend_test(draws=args.draws, seed=seed)
        rows.append(
            {
                "seed": seed,
                "p_chi2": chi2.p_value,
                "p_default": new.p_value,
                "q": new.df,
                "test": new.name,
            }
        )
        if seed % 50 == 49:
            pd.DataFrame(rows).to_csv(out_path, index=False)
    res = pd.DataFrame(rows)
    res.to_csv(args.out, index=False)
    out = []
    for col in ("p_chi2", "p_default"):
        rate = float((res[col] < 0.05).mean())
        out.append(
            {
                "test": col,
                "reps": len(res),
                "size_5pct": rate,
                "mc_se": np.sqrt(rate * (1 - rate) / len(res)),
            }
        )
    summary = pd.DataFrame(out)
    print(summary.to_string(index=False))
    return summary


if __name__ == "__main__":
    main()
