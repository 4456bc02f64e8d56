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
# # 10 Interview participants: Tables 1 and 2
#
# Counts the young people, caregivers, staff and partners interviewed in phase 3 of the
# evaluation by role and area, as in Tables 1 and 2 of the June 2023 report
# (`socdata.soceis.tables.table1` / `table2`), and the interview counts of sections
# 2.1.1-2.1.3. Writes `tables/table1.csv`, `tables/table2.csv` and `tables/text_2_1_*.csv`.

# %% tags=["parameters"]
data_dir = None  # None: the bundled synthetic extracts
out_dir = "out"
disclosure = "auto"
run_context = None  # set by socdata reproduce: the run's settings, resolved once
swimmer_plots = "auto"
phase = 3  # evaluation phase of Tables 1-2

# %%
from socdata.pipeline import RunContext
from socdata.report import write_table
from socdata.soceis.tables import interview_text, table1, table2

ctx = RunContext.for_notebook(
    run_context,
    data_dir=data_dir,
    out_dir=out_dir,
    disclosure=disclosure,
    swimmer_plots=swimmer_plots,
)
data_path, out_dir, rules, kind = ctx.data_dir, ctx.out_dir, ctx.rules, ctx.kind
print(ctx.describe())
participants = ctx.read_extract("participants")

# %% [markdown]
# ## Table 1: young people and caregivers interviewed

# %%
t1 = table1(participants, phase=phase)
write_table(t1, out_dir, table_id="table1", disclosure=rules)
t1.pivot(index="row_label", columns="column_label", values="value").reindex(
    t1["row_label"].unique()
)[t1["column_label"].unique()]

# %% [markdown]
# ## Table 2: managers, partners, practitioners and peer mentors interviewed

# %%
t2 = table2(participants, phase=phase)
write_table(t2, out_dir, table_id="table2", disclosure=rules)
t2.pivot(index="row_label", columns="column_label", values="value").reindex(
    t2["row_label"].unique()
)[t2["column_label"].unique()]

# %% [markdown]
# ## Sections 2.1.1-2.1.3: interviews by phase

# %%
interviews = interview_text(participants)
for tid, t in interviews.groupby("table_id", sort=False):
    write_table(t, out_dir, table_id=tid, disclosure=rules)
interviews[["table_id", "row_label", "value", "note"]]
