"""Simulation: bias and 95% interval coverage of the matched-comparator DiD estimators.

Each replication draws the synthetic police extracts with a known service effect
(``socdata.datasets.police.generate(seed, true_effect=RR)``: arrests fall by the rate ratio
``RR`` on every day after referral), builds the person-month panel, matches engagers to
comparators at their referral month (``socdata.matching.risk_set_match``: same force, area
and gender; close on age, deprivation and arrest/missing histories; exactly on "arrested in
the month before"), and estimates the effect on arrests with

* the naive before/after change of engagers (what the evaluation could report),
* the 2x2 DiD of person-level monthly rates (months -12..-1 vs 1..12),
* TWFE with person and calendar-month effects, and with person and event-month effects,
* Poisson FE (same two versions), as a log rate ratio,
* ATT(g,t) with the matched comparators as never-treated, on the matched clock (simple
  aggregation over event months 0..12),

then reports, over replications, the mean estimate, the truth, the bias, its Monte Carlo
standard error, the RMSE and the coverage of the 95% intervals, and writes the table to
``docs/explanation/simulation.md``.

Scenarios (``--scenario``): ``valid`` draws referral only on an arrest in the month
before, which the design matches exactly (the identifying assumption holds by
construction); ``calibrated`` is the generator's default, where referral also depends on
history the matching balances only approximately.  Stacked estimators: least squares,
the Mantel-Haenszel rate ratio (the design's) and Poisson maximum likelihood with set
effects (``stacked_poisson_pml``, biased by incidental parameters).

Truth.  The rate-ratio estimators estimate ``log(RR)``.  The others estimate an effect in
arrests per person-month: the level implied by the rate ratio, ``(1 - 1/RR)`` times the
engagers' mean arrests after referral in the estimator's own post cells, computed in each
replication and averaged over replications (the population effect); coverage is of that
average, and the coverage of each replication's own level is reported beside it (it is
noisy: the same post-referral counts enter the estimate with the opposite sign).

Run (not part of CI; the page lists the exact commands and run times)::

    nice python scripts/simulate_did.py --scenario valid --reps 500 --workers 1
    python scripts/simulate_did.py --summarise-only

``--estimators`` computes only the keys given (results are resumable per seed and
estimator, so new estimators are added to an existing results file).  Options:
``--reps``, ``--workers``, ``--seed0``, ``--effect``, ``--scale``, ``--out`` (CSV of
replication results, default per scenario), ``--doc`` (the Markdown page to write),
``--summarise-only``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from socdata.did.design import ESTIMATORS as SPECS  # noqa: E402
from socdata.soceis.design import SOCEIS_DESIGN as DESIGN  # noqa: E402

MATCHING = {**DESIGN.matching.kwargs(), "on_unmatched": "ignore"}
#: Referral hazards of the generator (base, arrest in month -1, arrest in month -2, missing
#: episode in month -1).  "calibrated": the generator's default, selection partly on what
#: the matching balances only approximately; "valid": selection only on arrest in the month
#: before, which the design matches exactly (identifying assumption true by construction).
SCENARIOS = {"calibrated": (0.12, 3.0, 1.2, 0.8), "valid": (0.12, 3.0, 0.0, 0.0)}
STACKED = {
    "stacked_linear": ("linear", None),
    "stacked_poisson": ("poisson", "mantel-haenszel"),
    "stacked_poisson_pml": ("poisson", "pml"),
}
WINDOW = DESIGN.window[1]
_SCALES = {"rate ratio": "log rate ratio", "per person-month": "arrests per person-month"}
ESTIMATORS = [(s.key, s.label, _SCALES[s.scale]) for s in SPECS]
KEYS = [k for k, _, _ in ESTIMATORS]


def one_replication(
    seed: int,
    effect: float,
    scale: float,
    keys: tuple[str, ...] = tuple(KEYS),
    scenario: str = "calibrated",
) -> list[dict]:
    """Run one replication; return one record per estimator in ``keys``."""
    from socdata.datasets.police import generate
    from socdata.derive.panel import person_month_panel
    from socdata.did import att_gt, did_2x2, poisson_twfe, stack_matched_sets, stacked_did, twfe
    from socdata.matching import aligned_panel, matched_panel, risk_set_match

    warnings.simplefilter("ignore")
    d = generate(seed, true_effect=effect, scale=scale, referral_hazard=SCENARIOS[scenario])
    panel = person_month_panel(d["police_persons"], d["police_events"], d["police_missing"])
    m = risk_set_match(panel, d["police_persons"], **MATCHING)
    recs: list[dict] = []
    k = 1 - 1 / effect

    def rec(key, est, lo, hi, truth):
        recs.append(
            {
                "seed": seed,
                "estimator": key,
                "estimate": float(est),
                "conf_low": float(lo),
                "conf_high": float(hi),
                "truth": float(truth),
                "n_matched": m.n_treated_matched,
            }
        )

    if set(STACKED) & set(keys):
        st = stack_matched_sets(panel, m.pairs, window=DESIGN.window)
        cells = st[(st["treated"] == 1) & (st["event_time"] >= 1)]
        for key, (family, method) in STACKED.items():
            if key not in keys:
                continue
            r = (
                stacked_did(
                    st,
                    outcome="arrests",
                    unit="person_id",
                    time="month",
                    index_time="index_month",
                    matched_set="matched_set",
                    treated="treated",
                    family=family,
                    method=method,
                    by_event_time=False,
                    **DESIGN.stacked_kwargs(),
                )
                .tidy()
                .iloc[0]
            )
            truth = np.log(effect) if family == "poisson" else k * cells["arrests"].mean()
            rec(key, r.estimate, r.conf_low, r.conf_high, truth)
    if not set(keys) - set(STACKED):
        return recs
    al = aligned_panel(matched_panel(panel, m), window=(-WINDOW, WINDOW))
    no0 = al[al["months_since_referral"] != 0]

    t22 = did_2x2(no0, outcome="arrests", unit="unit_id", treated="treated", post="post")
    t22 = t22.tidy().set_index("term")
    truth_person = k * t22.loc["engager:after", "estimate"]
    for key, term in (("naive", "engager:change"), ("did2x2", "did")):
        r = t22.loc[term]
        rec(key, r.estimate, r.conf_low, r.conf_high, truth_person)
    treated_post = (no0["treated"] == 1) & (no0["post"] == 1)
    truth_pm = k * no0.loc[treated_post, "arrests"].mean()
    for key, time_col in (("twfe_cal", "month"), ("twfe_event", "event_period")):
        r = (
            twfe(
                no0,
                outcome="arrests",
                unit="unit_id",
                time=time_col,
                treatment="treated_post",
                cluster="person_id",
            )
            .tidy()
            .iloc[0]
        )
        rec(key, r.estimate, r.conf_low, r.conf_high, truth_pm)
    for key, time_col in (("pois_cal", "month"), ("pois_event", "event_period")):
        r = (
            poisson_twfe(
                no0,
                outcome="arrests",
                unit="unit_id",
                time=time_col,
                treatment="treated_post",
                cluster="person_id",
            )
            .tidy()
            .iloc[0]
        )
        rec(key, r.estimate, r.conf_low, r.conf_high, np.log(effect))
    ag = att_gt(
        al,
        outcome="arrests",
        unit="unit_id",
        time="event_period",
        cohort="event_cohort",
        balance="drop_incomplete",
    )
    r = ag.aggregate("simple").tidy().iloc[0]
    complete = al.groupby("unit_id")["event_period"].transform("size") == 2 * WINDOW + 1
    post_cells = al[complete & (al["treated"] == 1) & (al["months_since_referral"] >= 0)]
    truth_att = k * post_cells.groupby("months_since_referral")["arrests"].mean().mean()
    rec("attgt", r.estimate, r.conf_low, r.conf_high, truth_att)
    return recs


def _worker(args: tuple[int, float, float, tuple[str, ...], str]) -> list[dict]:
    seed, effect, scale, keys, scenario = args
    try:
        return one_replication(seed, effect, scale, keys, scenario)
    except Exception as exc:  # a failed replication is recorded, not hidden
        return [{"seed": seed, "estimator": "error", "error": f"{type(exc).__name__}: {exc}"}]


def summarise(res: pd.DataFrame) -> pd.DataFrame:
    """Bias, Monte Carlo SE, RMSE and coverage per estimator.

    The truth of a level effect differs a little between replications (it is the level the
    rate ratio implies in that replication's engagers); coverage is of the population truth,
    the mean of those levels over replications, which is what a confidence interval for the
    ATT of the study population covers.  The per-replication level is itself noisy (it is
    computed from the engagers' observed post-referral counts, which also enter the
    estimate, with the opposite sign), so coverage of it understates the interval's
    coverage; it is reported beside (``coverage of own level``).
    """
    ok = res[res["estimator"] != "error"].copy()
    rows = []
    for key, label, scale in ESTIMATORS:
        g = ok[ok["estimator"] == key]
        if g.empty:
            continue
        n = len(g)
        truth = g["truth"].mean()
        err = g["estimate"] - truth
        cov = float(((g["conf_low"] <= truth) & (truth <= g["conf_high"])).mean())
        own = float(((g["conf_low"] <= g["truth"]) & (g["truth"] <= g["conf_high"])).mean())
        rows.append(
            {
                "key": key,
                "estimator": label,
                "scale": scale,
                "replications": n,
                "mean estimate": g["estimate"].mean(),
                "truth": truth,
                "bias": err.mean(),
                "bias MC s.e.": err.std(ddof=1) / np.sqrt(n),
                "relative bias": err.mean() / truth,
                "RMSE": np.sqrt((err**2).mean()),
                "SD of estimates": g["estimate"].std(ddof=1),
                "mean s.e.": ((g["conf_high"] - g["conf_low"]) / 3.92).mean(),
                "coverage 95%": cov,
                "coverage MC s.e.": np.sqrt(cov * (1 - cov) / n),
                "coverage of own level": own if scale != "log rate ratio" else np.nan,
            }
        )
    return pd.DataFrame(rows)


SUMMARY_CSV = REPO / "src" / "socdata" / "soceis" / "did_simulation_summary.csv"


def write_summary_csv(summary: pd.DataFrame, path: Path = SUMMARY_CSV) -> None:
    """The measured bias and coverage per estimator key (calibrated scenario), read by the
    library (``socdata.soceis.comparator.simulation_summary``) to flag estimators."""
    out = summary.rename(
        columns={
            "key": "estimator",
            "estimator": "label",
            "relative bias": "relative_bias",
            "coverage 95%": "coverage",
        }
    )[["estimator", "label", "replications", "relative_bias", "coverage"]]
    out.to_csv(path, index=False, float_format="%.4f")


def markdown_table(summary: pd.DataFrame) -> str:
    """The summary as a Markdown table."""
    fmt = summary.copy()
    for c in fmt.columns:
        if c in ("relative bias", "coverage 95%", "coverage of own level"):
            fmt[c] = fmt[c].map(lambda v: "" if pd.isna(v) else f"{100 * v:.1f}%")
        elif c in ("coverage MC s.e.",):
            fmt[c] = fmt[c].map(lambda v: f"{100 * v:.1f} pp")
        elif fmt[c].dtype.kind == "f":
            fmt[c] = fmt[c].map(lambda v: f"{v:.4f}")
    valid = {sp.key: ("yes" if sp.valid else "**no**") for sp in SPECS}
    fmt.insert(2, "valid for the design", fmt["key"].map(valid))
    fmt = fmt.drop(columns=["key"])
    head = "| " + " | ".join(fmt.columns) + " |"
    sep = "|" + "|".join("---" for _ in fmt.columns) + "|"
    body = "\n".join(
        "| " + " | ".join(str(v) for v in r) + " |" for r in fmt.itertuples(index=False)
    )
    return f"{head}\n{sep}\n{body}"


def _matched_line(res: pd.DataFrame) -> str:
    m = res.drop_duplicates("seed")["n_matched"].dropna()
    return f"mean {m.mean():.1f} (min {m.min():.0f}, max {m.max():.0f})"


def write_doc(runs: dict[str, tuple[pd.DataFrame, pd.DataFrame]], args, path: str) -> None:
    """Write the Markdown page: one table per scenario, the diagnosis, the commands."""
    doc = (REPO / "scripts" / "simulate_did_doc.md").read_text()
    fill = {"effect": args.effect, "scale": args.scale}
    for name, (summary, res) in runs.items():
        seeds = res["seed"]
        fill[f"{name}_table"] = markdown_table(summary)
        fill[f"{name}_seeds"] = f"{seeds.min()} to {seeds.max()}"
        fill[f"{name}_matched"] = _matched_line(res)
    att = runs["calibrated"][1]
    ok = att[att["estimator"] == "attgt"]
    fill["att_se"] = float(((ok["conf_high"] - ok["conf_low"]) / 3.92).mean())
    fill["att_sd"] = float(ok["estimate"].std(ddof=1))
    fill["att_ratio"] = fill["att_se"] / fill["att_sd"]
    fill["machine"] = f"{platform.machine()}, Python {platform.python_version()}"
    text = doc.format(**fill)
    if path == "-":
        print(text)
    else:
        Path(path).write_text(text)
        print(f"wrote {path}")


def _run(args, seeds: list[int], keys: tuple[str, ...]) -> pd.DataFrame:
    """Compute the missing (seed, estimator) results, saving as it goes; return them all."""
    done = pd.DataFrame()
    out = Path(args.out)
    if out.exists():  # resumable per (seed, estimator); failed replications are retried
        done = pd.read_csv(out)
        done = done[done["estimator"] != "error"]
    have = set(zip(done.get("seed", []), done.get("estimator", []), strict=True))
    start = time.perf_counter()
    records = [done] if not done.empty else []
    tasks = []
    for s in seeds:
        need = tuple(k for k in keys if (s, k) not in have)
        if need:
            tasks.append((s, args.effect, args.scale, need, args.scenario))
    batch: list[dict] = []
    with mp.get_context("spawn").Pool(args.workers) as pool:
        for i, recs in enumerate(pool.imap_unordered(_worker, tasks), 1):
            batch.extend(recs)
            if i % 25 == 0 or i == len(tasks):
                frame = pd.concat([*records, pd.DataFrame(batch)], ignore_index=True)
                frame.to_csv(out, index=False)
                print(
                    f"{i}/{len(tasks)} replications, {time.perf_counter() - start:.0f} s",
                    flush=True,
                )
    res = pd.concat([*records, pd.DataFrame(batch)], ignore_index=True)
    res.to_csv(out, index=False)
    return res


OUT = {
    "calibrated": REPO / "scripts" / "simulate_did_results.csv",
    "valid": REPO / "scripts" / "simulate_did_results_valid.csv",
}


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=500)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed0", type=int, default=1)
    ap.add_argument("--effect", type=float, default=0.75)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--estimators", default=",".join(KEYS), help="comma-separated keys to compute")
    ap.add_argument("--scenario", choices=sorted(SCENARIOS), default="calibrated")
    ap.add_argument("--out", default=None, help="results CSV (default per scenario)")
    ap.add_argument("--doc", default=str(REPO / "docs" / "explanation" / "simulation.md"))
    ap.add_argument(
        "--summarise-only",
        action="store_true",
        help="only summarise the stored results of both scenarios and write the page",
    )
    args = ap.parse_args(argv)
    args.out = args.out or str(OUT[args.scenario])
    if not args.summarise_only:
        seeds = list(range(args.seed0, args.seed0 + args.reps))
        keys = tuple(k for k in KEYS if k in args.estimators.split(",")) or tuple(KEYS)
        res = _run(args, seeds, keys)
        summary = summarise(res[res["seed"].isin(seeds)])
        with pd.option_context("display.width", 250, "display.max_columns", 20):
            print(summary.round(4).to_string(index=False))
    runs = {}
    for name, path in OUT.items():
        if path.exists():
            res = pd.read_csv(path)
            res = res[res["estimator"] != "error"]
            runs[name] = (summarise(res), res)
    if "calibrated" in runs:  # the measured bias the library flags estimators with
        write_summary_csv(runs["calibrated"][0])
    if len(runs) == 2:
        write_doc(runs, args, args.doc)


if __name__ == "__main__":
    main()
