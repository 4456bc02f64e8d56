"""Time the police generator and the person-month panel builder.

Run: ``python benchmarks/bench_police_panel.py`` (prints one line per measurement).
The panel input is built as a user would pass it: pandas frames with string ids and
datetime64 columns, 48 calendar months per person, about ten events per person.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from socdata.datasets.police import generate
from socdata.derive.panel import person_month_panel


def frames(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    ids = np.array([f"SYN-P-{i:07d}" for i in range(n)], dtype=object)
    eng = rng.random(n) < 0.2
    persons = pd.DataFrame(
        {
            "person_id": ids,
            "group": np.where(eng, "Engager", "Comparator"),
            "area": "Cardiff",
            "police_force": "South Wales Police",
            "referral_date": pd.Series(
                pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
            ).where(eng),
            "extract_date": pd.Timestamp("2023-12-31"),
        }
    )
    k = 10 * n
    events = pd.DataFrame(
        {
            "event_id": np.arange(k).astype(str),
            "person_id": ids[rng.integers(0, n, k)],
            "event_date": pd.Timestamp("2020-01-01")
            + pd.to_timedelta(rng.integers(0, 1461, k), unit="D"),
            "event_type": rng.choice(
                np.array(["Arrest", "Offence", "Custody"]), k, p=[0.45, 0.5, 0.05]
            ),
            "offence_category": "Theft",
        }
    )
    events["custody_end_date"] = (events["event_date"] + pd.Timedelta(days=30)).where(
        events["event_type"] == "Custody"
    )
    missing = pd.DataFrame(
        {
            "episode_id": np.arange(2 * n).astype(str),
            "person_id": ids[rng.integers(0, n, 2 * n)],
            "reported_datetime": pd.Timestamp("2020-01-01")
            + pd.to_timedelta(rng.integers(0, 1461 * 24, 2 * n), unit="h"),
        }
    )
    return persons, events, missing


def main() -> None:
    for scale in (1, 10):
        t = time.perf_counter()
        d = generate(1, scale=scale)
        print(
            f"generate(scale={scale}): {time.perf_counter() - t:.2f} s, "
            f"{len(d['police_persons'])} people, {len(d['police_events'])} events"
        )
    for n in (10_000, 100_000):
        p, e, m = frames(n)
        for validate in (False, True):
            t = time.perf_counter()
            panel = person_month_panel(p, e, m, start="2020-01-01", validate=validate)
            print(
                f"person_month_panel({n} people x 48 months, {len(e)} events, "
                f"validate={validate}): {time.perf_counter() - t:.2f} s, {len(panel)} rows"
            )


if __name__ == "__main__":
    main()
