"""Speed of ``socdata reproduce`` on the bundled synthetic data, the whole command.

Each mode runs ``python -m socdata reproduce --out DIR --quiet`` as a fresh process, and the
modes take turns (A B C A B C ...) so that a change in the machine's load hits them alike;
the table gives each mode's median wall-clock and CPU seconds and its median ratio to the
first mode, pair by pair.

Modes:

* ``warm``: the default, one kernel started at the beginning of the run (in parallel with
  validation) that runs the notebooks in turn, reset in between;
* ``warm2``: ``--jobs 2``, two such kernels;
* ``fresh``: ``--fresh-kernels``, nbclient with a new kernel (and all imports) for every
  notebook;
* ``papermill``: the peer most pipelines use: each notebook converted by jupytext and run by
  ``papermill.execute_notebook`` in a kernel of its own, each resolving its own settings
  (so notebook 00 validates the extracts itself), in NN order; no validation step, no
  comparison, no report: a lower bound of what the command would cost that way;
* ``import``: ``python -c "import socdata"``, the floor of any socdata command;
* ``old``: with ``--old REV``, the command as it was at git revision ``REV`` (run from an
  export of that revision's ``src``, ``notebooks`` and ``data``).

Run from the repository root: ``python -m benchmarks.bench_reproduce`` (options
``--runs 3``, ``--modes warm fresh``, ``--old 0e574b8``).  CPU seconds are those of the
process and all its children (kernels included), from ``getrusage(RUSAGE_CHILDREN)``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

MODES: dict[str, list[str]] = {
    "warm": [],
    "warm2": ["--jobs", "2"],
    "fresh": ["--fresh-kernels"],
}
#: Peers that are not ``socdata reproduce``: the whole command line after the interpreter.
PEERS: dict[str, list[str]] = {
    "papermill": ["-m", "benchmarks.bench_reproduce", "--papermill-run"],
    "import": ["-c", "import socdata"],
}


def papermill_run(out: Path) -> None:
    """Every notebook in NN order, each by papermill in a kernel of its own."""
    import jupytext
    import papermill

    from socdata.pipeline import list_notebooks

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-papermill-") as tmp:
        for path in list_notebooks():
            ipynb = Path(tmp) / f"{path.stem}.ipynb"
            jupytext.write(jupytext.read(path), ipynb)
            papermill.execute_notebook(
                str(ipynb),
                str(out / ipynb.name),
                parameters={"out_dir": str(out)},
                kernel_name="python3",
                cwd=str(out),
                progress_bar=False,
            )


def _export(rev: str, into: Path) -> Path:
    """``src``, ``notebooks`` and ``data`` of git revision ``rev`` under ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", rev, "src", "notebooks", "data"],
        check=True,
        capture_output=True,
    ).stdout
    into.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        print(proc.stdout[-2000:], proc.stderr[-2000:], file=sys.stderr)
    return wall, cpu, proc.returncode


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="counted runs of each mode")
    parser.add_argument(
        "--modes", nargs="+", default=["warm", "warm2", "fresh", "papermill", "import"]
    )
    parser.add_argument("--old", metavar="REV", help="also time the command at this revision")
    parser.add_argument("--papermill-run", metavar="OUT", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.papermill_run:
        papermill_run(args.papermill_run)
        return

    with tempfile.TemporaryDirectory(prefix="bench-reproduce-") as tmp:
        tmp_path = Path(tmp)
        commands: dict[str, tuple[list[str], dict[str, str]]] = {}
        base_env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"}
        here = {**base_env, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
        for mode in args.modes:
            out = tmp_path / f"out-{mode}"
            if mode in PEERS:
                extra = [str(out)] if mode == "papermill" else []
                commands[mode] = ([sys.executable, *PEERS[mode], *extra], here)
                continue
            cmd = [sys.executable, "-m", "socdata", "reproduce", "--out", str(out), "--quiet"]
            commands[mode] = (cmd + MODES[mode], here)
        if args.old:
            old = _export(args.old, tmp_path / "old")
            env = {**base_env, "PYTHONPATH": str(old / "src")}
            out = tmp_path / "out-old"
            commands[f"old ({args.old})"] = (
                [sys.executable, "-m", "socdata", "reproduce", "--out", str(out), "--quiet"],
                env,
            )
        for mode, (cmd, env) in commands.items():  # warm-up: caches, bytecode
            wall, _, code = _run(cmd, env)
            print(f"# warm-up {mode}: wall {wall:.1f} s, exit {code}", flush=True)
        times: dict[str, list[tuple[float, float]]] = {m: [] for m in commands}
        failed: set[str] = set()
        for _ in range(args.runs):
            for mode, (cmd, env) in commands.items():
                wall, cpu, code = _run(cmd, env)
                times[mode].append((wall, cpu))
                print(
                    f"# {mode}: wall {wall:.1f} s, cpu {cpu:.1f} s, exit {code}, "
                    f"load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
                if code:
                    failed.add(mode)
        load = os.getloadavg()

    first = next(iter(times))
    print(
        f"socdata reproduce, bundled synthetic data, {args.runs} runs per mode, "
        f"load average after: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )
    print(
        f"| mode | median wall s | min-max wall s | median CPU s | median wall ratio to {first} "
        f"| median CPU ratio to {first} |"
    )
    print("|---|---|---|---|---|---|")
    for mode, rows in times.items():
        walls = [w for w, _ in rows]
        ratios = [w / b for (w, _), (b, _) in zip(rows, times[first], strict=True)]
        cpu_ratios = [c / b for (_, c), (_, b) in zip(rows, times[first], strict=True)]
        flag = " (FAILED)" if mode in failed else ""
        print(
            f"| {mode}{flag} | {statistics.median(walls):.1f} | {min(walls):.1f}-"
            f"{max(walls):.1f} | {statistics.median(c for _, c in rows):.1f} | "
            f"{statistics.median(ratios):.2f} | {statistics.median(cpu_ratios):.2f} |"
        )


if __name__ == "__main__":
    main()
