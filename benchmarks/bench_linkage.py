"""Time the keyed hashing and the linkage rules on a large synthetic identifier file.

Usage::

    python benchmarks/bench_linkage.py [N]      # N records per source (default 50,000)
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from socdata.linkage import Secret, hash_identifiers, link_records


def identifiers(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dob = pd.Timestamp("2004-01-01") + pd.to_timedelta(rng.integers(0, 9 * 365, n), "D")
    base = pd.DataFrame(
        {
            "child_identifier": [f"U{x:09d}" for x in rng.choice(10**9, n, replace=False)],
            "date_of_birth": dob,
            "gender": rng.choice(["Male", "Female"], n),
            "area": rng.choice(["Cardiff", "Newcastle", "Edinburgh", "Dundee"], n),
        }
    )
    svc = base.assign(source="Service", record_id=[f"S{i}" for i in range(n)])
    pol = base.assign(source="Police", record_id=[f"P{i}" for i in range(n)])
    pol.loc[rng.random(n) < 0.4, "child_identifier"] = None
    return pd.concat([svc, pol], ignore_index=True)


def main(n: int) -> None:
    ids = identifiers(n)
    secret = Secret(b"benchmark-secret-0123456789abcdef")
    t0 = time.perf_counter()
    hashed = hash_identifiers(ids, secret)
    t1 = time.perf_counter()
    lk = link_records(hashed)
    t2 = time.perf_counter()
    print(f"{2 * n} records: hash {t1 - t0:.2f} s, link {t2 - t1:.2f} s, {len(lk.pairs)} pairs")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
