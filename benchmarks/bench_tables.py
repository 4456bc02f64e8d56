"""Speed of the descriptive table builders on the synthetic service data, scaled up.

The bundled synthetic extract has 223 referrals; real extracts of a national service would
have thousands. The service frame is replicated ``k`` times (identifiers made unique) and
each step is timed once: engagement spells, the Kaplan-Meier median by area, every table
of the report (``all_tables``) and the comparison with the printed figures. No peer
implementation: the reference checks live in the tests.

Run from the repository root: ``python -m benchmarks.bench_tables`` (option ``--scales``).
"""

from __future__ import annotations

import argparse
import time
import warnings

import pandas as pd

from socdata.derive.spells import engagement_spells
from socdata.describe.duration import km_median_duration
from socdata.errors import ExcludedRowsWarning
from socdata.soceis.compare import compare_published
from socdata.soceis.synthetic import generate
from socdata.soceis.tables import all_tables


def _scaled(frames: dict[str, pd.DataFrame], k: int) -> dict[str, pd.DataFrame]:
    out = dict(frames)
    parts = []
    for i in range(k):
        s = frames["service"].copy()
        s["person_id"] = s["person_id"] + f"-{i}"
        s["referral_id"] = s["referral_id"] + f"-{i}"
        parts.append(s)
    out["service"] = pd.concat(parts, ignore_index=True)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100])
    args = ap.parse_args(argv)
    base = generate()
    warnings.simplefilter("ignore", ExcludedRowsWarning)
    print("| referrals | spells (s) | KM by area (s) | all tables (s) | compare (s) |")
    print("|---:|---:|---:|---:|---:|")
    for k in args.scales:
        d = _scaled(base, k)
        t0 = time.perf_counter()
        engagement_spells(d["service"])
        t1 = time.perf_counter()
        km_median_duration(d["service"])
        t2 = time.perf_counter()
        tabs = all_tables(d)
        t3 = time.perf_counter()
        compare_published(tabs)
        t4 = time.perf_counter()
        print(
            f"| {len(d['service']):,} | {t1 - t0:.2f} | {t2 - t1:.2f} | {t3 - t2:.2f} | "
            f"{t4 - t3:.2f} |"
        )


if __name__ == "__main__":
    main()
