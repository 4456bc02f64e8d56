# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 40 Matched-comparator difference-in-differences
#
# Each matched set (an engager and their comparator, notebook 30's design,
# `socdata.soceis.design.SOCEIS_DESIGN`) is a small experiment aligned on its index month.
# The **stacked DiD** (`socdata.did.stacked_did`) compares each engager's change with their
# own comparator's over 12 months either side (index month left out), clustered by matched
# set; rate ratio (Poisson) and difference per person-month (least squares); arrests,
# offences, missing episodes; pooled and by area. Only design-valid estimators by default;
# others (`estimators=[...]`) come flagged with the bias measured in
# `docs/explanation/simulation.md`.
#
# Writes `tables/did_estimates.csv`, `tables/did_event_study.csv`,
# `tables/did_pretrend.csv`, `tables/did_power.csv` and `figures/did_event_study.png`.

# %% tags=["parameters"]
data_dir = None  # None: the bundled synthetic extracts
out_dir = "out"
disclosure = "auto"
run_context = None  # set by socdata reproduce: the run's settings, resolved once
estimators = None  # None: the design's valid estimators; e.g. [..., "twfe_cal"] adds flagged ones

# %%
import warnings

import pandas as pd

from socdata.datasets.police import built_in_truth
from socdata.errors import ExcludedRowsWarning
from socdata.pipeline import RunContext
from socdata.report import save_figure, write_frame, write_table
from socdata.report.control import control_text
from socdata.soceis import comparator as study
from socdata.soceis.design import SOCEIS_DESIGN as design
from socdata.soceis.figures import did_event_study_figure

ctx = RunContext.for_notebook(
    run_context, data_dir=data_dir, out_dir=out_dir, disclosure=disclosure
)
data_path, out_dir, rules, kind = ctx.data_dir, ctx.out_dir, ctx.rules, ctx.kind
print(ctx.describe())
persons = ctx.read_extract("police_persons")  # read once per run (notebook 20 did)
panel = ctx.police_panel()  # person_month_panel of the police extracts, built once per run
truth = built_in_truth(data_path) if ctx.synthetic else None  # None on real data
print("built-in rate ratios:", truth)

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", ExcludedRowsWarning)
    matched = study.match_design(panel, persons, design)
for w in caught:
    print("WARNING:", control_text(str(w.message), rules))  # counts rounded on real data
stacked = study.stacked_sample(panel, persons, matched, design)
if ctx.synthetic:
    print(f"{matched.n_treated_matched} matched sets; stacked rows: {len(stacked)}")

# %% [markdown]
# ## Effects by outcome and area

# %%
est = study.estimate_table(
    stacked, design=design, estimators=estimators, panel=panel, matched=matched, truth=truth
)
keep = study.estimate_keep_columns(est)  # the simulation's measured bias and coverage, truth
path = write_table(est, out_dir, table_id="did_estimates", disclosure=rules, keep_columns=keep)
# shown as written: after disclosure control (on real data counts are rounded or suppressed)
pd.read_csv(path)[["row_label", "column_label", "value", "conf_low", "conf_high", "n", "valid"]]

# %% [markdown]
# ## Event-time effects (pooled), pre-trend tests and sensitivity
#
# Pre-trend test: Hotelling's small-sample F (not rejecting is not evidence of parallel
# trends). Breakdown value: how large a post-referral violation, relative to the worst
# pre-referral monthly change, makes the robust 95% interval include 0 (Rambachan-Roth).

# %%
es, fits = study.event_time_table(stacked, design=design)
write_table(es, out_dir, table_id="did_event_study", disclosure=rules, keep_columns=["event_time"])
pre = study.pretrend_table(fits, design=design)
path = write_table(pre, out_dir, table_id="did_pretrend", disclosure=rules)
save_figure(did_event_study_figure(fits, "arrests"), out_dir, name="did_event_study")
if ctx.synthetic:  # model counts (rows, clusters, df) are printed only for synthetic data
    print(fits["arrests"].summary())
pd.read_csv(path)

# %% [markdown]
# ## Power and minimum detectable effect
#
# Simulated from the calibrated generator (`scripts/did_power.py`); analytic from this
# data's standard errors (a cross-check that also holds on real data).

# %%
pw = study.power_table(stacked, design=design)
path = write_frame(
    pw, out_dir, name="did_power", count_columns=["n_engagers"], text_columns=["method"],
    disclosure=rules,
)  # fmt: skip
pd.read_csv(path)
