"""Import cost of socdata's public modules, against pandas alone.

Each import runs in a fresh interpreter (``python -c "import socdata.did"``), ``--runs`` times
after one warm-up; the table gives the median wall-clock and CPU seconds (user + system, read
from ``resource.getrusage(RUSAGE_CHILDREN)``) and the CPU time beyond ``import pandas``.
``--src DIR`` times another source tree (e.g. an older checkout's ``src``) the same way, for
a before/after comparison on the same machine in the same run.

Usage, from the repository root::

    python -m benchmarks.bench_imports
    python -m benchmarks.bench_imports --src /tmp/old/src --runs 9
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

MODULES = ("pandas", "socdata", "socdata.io", "socdata.describe", "socdata.matching", "socdata.did")


def time_import(module: str, src: Path, runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``import module`` in a fresh interpreter."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, "-c", f"import {module}"]
    subprocess.run(cmd, env=env, check=True)  # warm-up: file cache, bytecode
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, check=True)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--src", type=Path, action="append", default=None,
                        help="source tree(s) to time (default: this repository's src)")  # fmt: skip
    args = parser.parse_args(argv)
    trees = args.src or [Path(__file__).resolve().parent.parent / "src"]
    print(f"python {sys.version.split()[0]}, {args.runs} runs each, medians, seconds")
    print("| source | module | wall | cpu | cpu beyond pandas |")
    print("|---|---|---:|---:|---:|")
    for src in trees:
        base_cpu = None
        for module in MODULES:
            wall, cpu = time_import(module, src, args.runs)
            base_cpu = cpu if module == "pandas" else base_cpu
            extra = "" if module == "pandas" else f"{cpu - base_cpu:+.2f}"
            print(f"| {src} | `{module}` | {wall:.2f} | {cpu:.2f} | {extra} |", flush=True)


if __name__ == "__main__":
    main()
