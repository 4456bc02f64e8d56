"""Coverage of the before/after rate-ratio interval on the synthetic police generator.

The estimand is the before/after ratio of arrest rates (all areas, 12-month full windows)
in the generator's population, approximated by one very large draw (scale 40). Each
replication draws the default size (248 referred) with a new seed and checks whether the
95% person-clustered interval of :func:`socdata.describe.police.before_after` covers it.

Run: ``python benchmarks/sim_police_before_after_coverage.py [replications]`` (default 200;
about 1 s per replication on one core).
"""

from __future__ import annotations

import sys
import warnings

import numpy as np

from socdata.datasets.police import generate
from socdata.describe.police import before_after
from socdata.errors import ExcludedRowsWarning


def pooled(d, measure="arrests"):
    res = before_after(d["police_persons"], d["police_events"], d["police_missing"])
    t = res.table.set_index(["area", "measure"]).loc[("All areas", measure)]
    return t.rate_ratio, t.conf_low, t.conf_high


def main(reps: int = 200) -> None:
    warnings.simplefilter("ignore", ExcludedRowsWarning)
    truth = {}
    big = generate(999_999, scale=40)
    for m in ("arrests", "missing_episodes"):
        truth[m] = pooled(big, m)[0]
    hits = {m: [] for m in truth}
    est = {m: [] for m in truth}
    for seed in range(reps):
        d = generate(seed)
        res = before_after(d["police_persons"], d["police_events"], d["police_missing"])
        t = res.table.set_index(["area", "measure"])
        for m in truth:
            r = t.loc[("All areas", m)]
            hits[m].append(r.conf_low <= truth[m] <= r.conf_high)
            est[m].append(np.log(r.rate_ratio))
    for m in truth:
        cover = np.mean(hits[m])
        se = np.sqrt(cover * (1 - cover) / reps)
        bias = np.mean(est[m]) - np.log(truth[m])
        print(
            f"{m}: population before/after ratio {truth[m]:.3f}; {reps} replications: "
            f"coverage of 95% interval {cover:.3f} (MC s.e. {se:.3f}); "
            f"mean log-ratio bias {bias:+.4f}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
