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
# Each engager found in police data is matched **at their referral month** to a comparator
# from the same police force and area, of the same gender, who had not been referred and was
# in the police data over the 12 months before; close on age, deprivation decile and the
# counts of arrests and missing episodes in the 12, 3 and 1 months before that
# month, and exactly on whether they were arrested in the month before (referral usually
# follows an arrest: without this the comparison suffers regression to the mean), by nearest
# neighbour on a propensity score within a caliper of 0.2 standard deviations. The comparator takes the engager's referral month as its index date.
#
# Writes `tables/matching_balance.csv` (standardised mean differences and variance ratios
# before and after matching), `tables/matching_flow.csv` (engagers eligible, matched and
# unmatched by reason), `tables/matching_propensity.csv` (the propensity model) and
# `figures/matching_love_plot.png`.
#
# Method, caliper units, tie rules and weights: `docs/explanation/matching.md`.

# %% tags=["parameters"]
data_dir = None  # None: the bundled synthetic extracts
out_dir = "out"
disclosure = "auto"
run_context = None  # set by socdata reproduce: the run's settings, resolved once
exact = ["gender", "area"]
covariates = [
    "age",
    "deprivation_decile",
    "arrests_history",
    "missing_history",
    "arrests_recent",
    "missing_recent",
    "arrests_last_3m",
    "missing_last_3m",
]
history_months = 12
recent_months = 1
exact_any = ["arrests_recent"]  # arrested in the month before the index month: yes/no
distance = "logit"
caliper = 0.2  # in standard deviations of the propensity score
ratio = 1
replace = False

# %%
import warnings

import matplotlib

matplotlib.use("Agg")
import pandas as pd

import socdata
from socdata.derive.panel import person_month_panel
from socdata.errors import ExcludedRowsWarning
from socdata.matching import risk_set_match
from socdata.pipeline import RunContext
from socdata.plots.love import love_plot
from socdata.report import save_figure, write_frame, write_table

ctx = RunContext.for_notebook(
    run_context, data_dir=data_dir, out_dir=out_dir, disclosure=disclosure
)
data_path, out_dir, rules, kind = ctx.data_dir, ctx.out_dir, ctx.rules, ctx.kind
print(ctx.describe())


persons = socdata.read_extract(data_path, "police_persons")
events = socdata.read_extract(data_path, "police_events")
missing = socdata.read_extract(data_path, "police_missing")
panel = person_month_panel(persons, events, missing)
print(persons["group"].value_counts().to_dict(), f"panel: {len(panel)} person-months")

# %% [markdown]
# ## Matching
#
# Unmatched engagers are not dropped silently: the result counts them by reason, and the
# warning says what to relax.

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", ExcludedRowsWarning)
    matched = risk_set_match(
        panel,
        persons,
        exact=exact,
        covariates=covariates,
        history_months=history_months,
        recent_months=recent_months,
        exact_any=exact_any,
        distance=distance,
        caliper=caliper,
        ratio=ratio,
        replace=replace,
    )
for w in caught:
    print("WARNING:", w.message)
print(matched.summary())

# %% [markdown]
# ## Balance before and after matching
#
# Standardised mean differences use the engagers' standard deviation before matching (the
# ATT convention of MatchIt and cobalt); after matching, statistics are weighted by the
# matching weights. |SMD| below 0.1 and variance ratios between 0.5 and 2 are the usual
# rules of thumb.

# %%
bal = matched.balance()
records = []
for r in bal.itertuples():
    for col, measure in (
        ("smd_before", "smd"),
        ("smd_after", "smd"),
        ("var_ratio_before", "variance_ratio"),
        ("var_ratio_after", "variance_ratio"),
        ("mean_treated_before", "mean"),
        ("mean_control_before", "mean"),
        ("mean_treated_after", "mean"),
        ("mean_control_after", "mean"),
    ):
        value = getattr(r, col)
        if pd.isna(value):
            continue
        # the base of each statistic: the engagers (and comparators) it summarises
        after = col.endswith("_after")
        base = (
            (matched.n_control_matched if after else matched.n_control)
            if "control" in col
            else (matched.n_treated_matched if after else matched.n_treated)
        )
        records.append(
            {
                "table_id": "matching_balance",
                "row_label": r.covariate,
                "column_label": col,
                "measure": measure,
                "value": float(value),
                "denominator": int(base),
            }
        )
write_table(pd.DataFrame(records), out_dir, table_id="matching_balance", disclosure=rules)
bal.round(3)

# %%
fig = love_plot(matched, title="Engagers vs comparators at the referral month")
save_figure(fig, out_dir, name="matching_love_plot")
fig

# %% [markdown]
# ## Flow: engagers eligible, matched, and unmatched by reason

# %%
flow = matched.provenance.flow.to_frame()
flow_records = []
for r in flow.itertuples():
    label = r.step if not r.excluded_reason else f"{r.step}: excluded ({r.excluded_reason})"
    value = r.n_out if not r.excluded_reason else r.n_excluded
    if pd.isna(value):
        continue
    flow_records.append(
        {
            "table_id": "matching_flow",
            "row_label": label,
            "column_label": r.unit,
            "measure": "n",
            "value": int(value),
        }
    )
flow_records.append(
    {
        "table_id": "matching_flow",
        "row_label": "matched comparator units",
        "column_label": "comparators",
        "measure": "n",
        "value": matched.n_control_matched,
    }
)
flow_table = pd.DataFrame(flow_records).drop_duplicates(["row_label", "column_label"])
write_table(flow_table, out_dir, table_id="matching_flow", disclosure=rules)
print("unmatched engagers by reason:")
print(matched.unmatched_counts().to_string(index=False) if not matched.unmatched.empty else "none")
flow_table

# %% [markdown]
# ## Propensity model
#
# A pooled discrete-time logit over the risk sets (engagers at their referral month against
# every comparator at risk in the same strata), unpenalised.

# %%
write_frame(matched.propensity, out_dir, name="matching_propensity", disclosure=rules)
matched.propensity
