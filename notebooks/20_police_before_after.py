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
# # 20 Police data: before and after referral, by area
#
# Reads the three police extracts (`police_persons`, `police_events`, `police_missing`),
# counts the flow of young people from referral to "found in police data" to analysed, and
# compares windows of equal length before and after referral by area: people arrested,
# arrests, offences by harmonised category, drug-offence arrests and missing episodes, with
# rates per person-month observed (follow-up cut at the extract date, custody excluded).
# Then it regenerates every claim of the March 2024 summary's police section as
# `tables/police_statements.csv` and validates the person-month panel against its schema.
#
# **A before/after change is not the service's effect.** Young people are referred just
# after an arrest, so their arrests were about to fall anyway (regression to the mean); see
# the matched comparator notebooks for effects.
#
# Writes `tables/police_before_after.csv`, `tables/police_flow.csv`,
# `tables/police_statements.csv`, `tables/police_panel_summary.csv` and
# `figures/police_before_after.png`.

# %% tags=["parameters"]
data_dir = None  # None: the bundled synthetic extracts
out_dir = "out"
disclosure = "auto"
run_context = None  # set by socdata reproduce: the run's settings, resolved once
window_months = 12
referred_file = None  # CSV of the referred list (person_id, area); None: see below

# %%
import pandas as pd

from socdata.datasets.police import referred_list
from socdata.describe.police import before_after
from socdata.pipeline import RunContext
from socdata.plots.police import before_after_plot
from socdata.report import save_figure, write_frame, write_table
from socdata.report.control import count_formatter
from socdata.soceis.police_statements import police_statements
from socdata.soceis.police_tables import panel_summary_table

ctx = RunContext.for_notebook(
    run_context, data_dir=data_dir, out_dir=out_dir, disclosure=disclosure
)
data_path, out_dir, rules = ctx.data_dir, ctx.out_dir, ctx.rules
print(ctx.describe())
# read once per run, shared with notebooks 30 and 40 (socdata.pipeline.shared)
persons, events, missing = (
    ctx.read_extract(k) for k in ("police_persons", "police_events", "police_missing")
)
print({"persons": len(persons), "events": len(events), "missing": len(missing)})

# %% [markdown]
# ## The referred list
#
# The first step of the flow needs the list of referred young people that Action for
# Children sent to the forces (`person_id`, `area`): `referred_file`, or
# `police_referred.csv` in the data folder. For the bundled synthetic data the list is
# regenerated from the generator and seed recorded in the manifest, and used only if its
# found young people are exactly the engagers in the bundled extract.

# %%
referred = referred_list(data_path, persons, referred_file=referred_file, synthetic=ctx.synthetic)
print("referred list:", "not available" if referred is None else f"{len(referred)} young people")

# %% [markdown]
# ## Before and after referral, and the flow: referred, found in police data, analysed

# %%
result = before_after(persons, events, missing, window_months=window_months, referred=referred)
print(result.summary())
released = pd.read_csv(write_table(result.to_table(), out_dir, disclosure=rules))
write_table(result.flow_table(), out_dir, table_id="police_flow", disclosure=rules)
result.flow()

# %% [markdown]
# ## The March 2024 statements, regenerated
#
# Counts in the text are written as the tables release them (rounded, small ones masked,
# shares computed from the released counts); statuses use the exact values.

# %%
statements = police_statements(
    persons, events, missing, referred=referred, result=result,
    count_format=count_formatter(rules),
)  # fmt: skip
write_frame(statements, out_dir, name="police_statements", disclosure=rules)
statements[["statement_id", "printed", "regenerated", "status"]]

# %%
# drawn from the released table, so the figure shows nothing the table does not
save_figure(
    before_after_plot(released, window_months=window_months), out_dir, name="police_before_after"
)

# %% [markdown]
# ## Person-month panel and its schema

# %%
# person_month_panel(persons, events, missing), built once per run; building it validates it
# against the person_month_panel schema (socdata.derive.panel.validate_panel), raising if any
# rule is broken
panel = ctx.police_panel()
summary = panel_summary_table(panel)
write_table(summary, out_dir, table_id="police_panel_summary", disclosure=rules)
print(f"panel: {len(panel)} person-months, {panel['person_id'].nunique()} people; valid")
summary
