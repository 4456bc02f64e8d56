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
# # 30 Matched comparator group: risk-set matching at the referral month
#
# The design is declared once, in `socdata.soceis.design.SOCEIS_DESIGN` (printed below):
# each engager found in police data is matched **at their referral month** to a comparator
# of the same force, area and gender, not referred, in the police data over the 12 months
# before; close on age, deprivation and recent arrest and missing-episode counts, exactly on
# "arrested in the month before" (referral follows arrests: regression to the mean), by
# nearest neighbour on a risk-set propensity score within 0.2 SD. The comparator takes the
# engager's referral month as its index date.
#
# Writes `tables/matching_balance.csv`, `tables/matching_flow.csv`,
# `tables/matching_propensity.csv` and `figures/matching_love_plot.png`.
# Method: `docs/explanation/matching.md`.

# %% tags=["parameters"]
data_dir = None  # None: the bundled synthetic extracts
out_dir = "out"
disclosure = "auto"
run_context = None  # set by socdata reproduce: the run's settings, resolved once

# %%
import warnings

import matplotlib
import pandas as pd

matplotlib.use("Agg")

from socdata.errors import ExcludedRowsWarning
from socdata.pipeline import RunContext
from socdata.plots.love import love_plot
from socdata.report import save_figure, write_frame, write_table
from socdata.report.control import control_text
from socdata.soceis.comparator import balance_table, flow_table, match_design
from socdata.soceis.design import SOCEIS_DESIGN

ctx = RunContext.for_notebook(
    run_context, data_dir=data_dir, out_dir=out_dir, disclosure=disclosure
)
data_path, out_dir, rules, kind = ctx.data_dir, ctx.out_dir, ctx.rules, ctx.kind
print(ctx.describe())
print(SOCEIS_DESIGN.matching)

persons = ctx.read_extract("police_persons")  # read once per run (notebook 20 did)
panel = ctx.police_panel()  # person_month_panel of the police extracts, built once per run

# %% [markdown]
# ## Matching
#
# Unmatched engagers are not dropped silently: the result counts them by reason, and the
# warning says what to relax.

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", ExcludedRowsWarning)
    matched = match_design(panel, persons, SOCEIS_DESIGN)
for w in caught:
    print("WARNING:", control_text(str(w.message), rules))  # counts rounded on real data
if ctx.synthetic:  # counts of people are printed only for synthetic data
    print(matched.summary())

# %% [markdown]
# ## Balance before and after matching
#
# SMDs use the engagers' SD before matching (the ATT convention of MatchIt and cobalt);
# after matching, statistics are weighted by the matching weights. |SMD| below 0.1 and
# variance ratios between 0.5 and 2 are the usual rules of thumb.

# %%
path = write_table(balance_table(matched), out_dir, table_id="matching_balance", disclosure=rules)
fig = love_plot(matched, title="Engagers vs comparators at the referral month")
save_figure(fig, out_dir, name="matching_love_plot")
pd.read_csv(path)  # as written: after disclosure control

# %% [markdown]
# ## Flow: engagers eligible, matched, and unmatched by reason

# %%
path = write_table(flow_table(matched), out_dir, table_id="matching_flow", disclosure=rules)
pd.read_csv(path)  # as written: after disclosure control

# %% [markdown]
# ## Propensity model
#
# A pooled discrete-time logit over the risk sets, unpenalised.

# %%
write_frame(matched.propensity, out_dir, name="matching_propensity", disclosure=rules)
matched.propensity
