"""Power and minimum detectable effect of the SOCEIS comparator study, by simulation.

Runs :func:`socdata.did.power.simulate_power` on the SOCEIS design
(:data:`socdata.soceis.design.SOCEIS_DESIGN`) and writes the replication records to
``src/socdata/soceis/did_power_simulation.csv`` (the records, resumable, in
``scripts/did_power_records.csv``) (read by notebook 40, which writes
``tables/did_power.csv``) and prints the power table and the MDE.

Run (about 10 s a replication on one core)::

    python scripts/did_power.py --reps 60
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

import pandas as pd  # noqa: E402

from socdata.datasets.police import generate  # noqa: E402
from socdata.did import power  # noqa: E402
from socdata.soceis.design import SOCEIS_DESIGN  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=60)
    ap.add_argument("--seed0", type=int, default=1001)
    ap.add_argument(
        "--out", default=str(REPO / "src" / "socdata" / "soceis" / "did_power_simulation.csv")
    )
    ap.add_argument("--records", default=str(REPO / "scripts" / "did_power_records.csv"))
    args = ap.parse_args(argv)
    rec_path = Path(args.records)
    done = pd.read_csv(rec_path) if rec_path.exists() else pd.DataFrame(columns=["seed"])
    for seed in range(args.seed0, args.seed0 + args.reps):  # resumable, saved each replication
        if seed in set(done["seed"]):
            continue
        data = generate(seed, true_effect=1.0, missing_effect=1.0)
        new = pd.DataFrame(power.replicate_power(SOCEIS_DESIGN, data, seed))
        done = new if done.empty else pd.concat([done, new], ignore_index=True)
        done.to_csv(rec_path, index=False)
        print(f"seed {seed} done", flush=True)
    res = power.power_from_replications(done, alpha=SOCEIS_DESIGN.alpha, power=SOCEIS_DESIGN.power)
    res.table.to_csv(args.out, index=False)
    print(res.summary())


if __name__ == "__main__":
    main()
