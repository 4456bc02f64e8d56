"""Speed of ``socdata.validate_extract`` on a large service extract, against named peers.

Run from the repository root (once; the machine is shared)::

    python -m benchmarks.bench_validate            # 100,000 rows
    python -m benchmarks.bench_validate --rows 20000

Cases, each timed as wall-clock seconds of the call only (data generation excluded):

* ``pandas.read_csv`` of the file with every column as text (the floor: reading alone);
* ``socdata.validate_extract(path, "service")``: read, map names, type, every rule of the
  schema, build the rejection table (with 1% of rows corrupted, so that messages are built);
* ``pandera`` (peer): ``pandera_schema("service").validate(frame, lazy=True)`` on the
  already typed frame, i.e. pandera's own checks with the same rules, without reading or typing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from socdata.datasets import random_extract, to_csv
from socdata.schemas import pandera_schema
from socdata.validate import validate_extract


def _time(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main(rows: int) -> None:
    frame = random_extract("service", n=rows, seed=1)
    rng = np.random.default_rng(2)
    bad = rng.choice(rows, size=rows // 100, replace=False)
    with tempfile.TemporaryDirectory() as tmp:
        path = to_csv(frame, Path(tmp) / "service.csv", "service")
        text = pd.read_csv(path, dtype=str, keep_default_na=False)
        text.loc[bad[: len(bad) // 2], "referral_source"] = "Social Servicez"
        text.loc[bad[len(bad) // 2 :], "referral_date"] = "31/02/2021"
        text.to_csv(path, index=False)
        t_read, _ = _time(lambda: pd.read_csv(path, dtype=str, keep_default_na=False))
        t_val, res = _time(lambda: validate_extract(path, "service"))
    schema = pandera_schema("service")

    def peer():
        try:
            schema.validate(frame, lazy=True)
        except pa.errors.SchemaErrors:
            pass

    t_peer, _ = _time(peer)
    print(f"rows: {rows}; rejected: {res.n_rejected} ({len(res.rejected)} problems)")
    print(f"pandas.read_csv (text only)        {t_read:8.2f} s")
    print(f"socdata.validate_extract (CSV)     {t_val:8.2f} s")
    print(f"pandera validate, typed frame      {t_peer:8.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    main(parser.parse_args().rows)
