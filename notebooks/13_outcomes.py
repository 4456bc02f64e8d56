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
# # 13 Service-data outcomes: section 5.1
#
# Outcomes of the area with outcome data (Cardiff in the report), for closed cases where
# the young person engaged (closure reason other than "Declined support") and for open
# cases, with 95% Wilson intervals. The denominator is the cases with the outcome recorded
# (`denominator = "all"` divides by all cases instead). A fraction word ("two-thirds") is
# given only when it is exactly true of the counts. Writes
# `tables/outcomes_5_1_closed.csv` and `tables/outcomes_5_1_open.csv`.

# %% tags=["parameters"]
data_dir = None  # None: the bundled synthetic extracts
out_dir = "out"
disclosure = "auto"
run_context = None  # set by socdata reproduce: the run's settings, resolved once
swimmer_plots = "auto"
area = "Cardiff"
engaged = "not_declined"  # or "sessions": at least one session attended
denominator = "recorded"  # or "all"
ci = "wilson"  # or "exact" (Clopper-Pearson)

# %%
import socdata
from socdata.pipeline import RunContext
from socdata.report import write_table
from socdata.soceis.tables import outcomes_5_1

ctx = RunContext.for_notebook(
    run_context,
    data_dir=data_dir,
    out_dir=out_dir,
    disclosure=disclosure,
    swimmer_plots=swimmer_plots,
)
data_path, out_dir, rules, kind = ctx.data_dir, ctx.out_dir, ctx.rules, ctx.kind
print(ctx.describe())
service = socdata.read_extract(data_path, "service")

# %%
out = outcomes_5_1(service, area=area, engaged=engaged, denominator=denominator, inference=ci)
for tid, t in out.items():
    write_table(t, out_dir, table_id=tid, disclosure=rules)
cols = [
    "row_label",
    "measure",
    "value",
    "numerator",
    "denominator",
    "conf_low",
    "conf_high",
    "fraction_word",
    "note",
]
out["outcomes_5_1_closed"][cols]

# %%
out["outcomes_5_1_open"][cols]

# %% [markdown]
# ## Every area
#
# The report gives outcomes for Cardiff only; the same tables for every area of the
# extract (`tables/outcomes_5_1_closed_by_area.csv`, `tables/outcomes_5_1_open_by_area.csv`).

# %%
from socdata.soceis.service_outcomes import outcomes_5_1_by_area

by_area = outcomes_5_1_by_area(service, engaged=engaged, denominator=denominator, inference=ci)
for tid, t in by_area.items():
    write_table(t, out_dir, table_id=tid, disclosure=rules)
by_area["outcomes_5_1_closed_by_area"][cols]
