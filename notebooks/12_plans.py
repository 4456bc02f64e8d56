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
# # 12 Intervention plans: Table 5
#
# Share of intervention plans that include each of 18 domains, by area
# (`socdata.soceis.tables.table5`), twice. `tables/table5.csv` follows the report's printed
# convention: a domain the area's form has no field for counts as "No" (0 for Cardiff,
# whose form lacks eight domains) and Overall divides by all 40 plans. Beside it,
# `tables/table5_on_form.csv` respects each area's form coverage: such plans are "Not on
# form", left out of the base, and Overall divides by the plans whose form has the domain
# (set `not_on_form = "as_no"` to write the report's convention there too). Also writes
# `tables/text_4_1_1_domains.csv` (how many domains each area's form has).

# %% tags=["parameters"]
data_dir = None  # None: the bundled synthetic extracts
out_dir = "out"
disclosure = "auto"
run_context = None  # set by socdata reproduce: the run's settings, resolved once
swimmer_plots = "auto"
not_on_form = "exclude"  # or "as_no" (the report's convention)

# %%
from socdata.pipeline import RunContext
from socdata.report import write_table
from socdata.soceis.tables import domains_text, table5

ctx = RunContext.for_notebook(
    run_context,
    data_dir=data_dir,
    out_dir=out_dir,
    disclosure=disclosure,
    swimmer_plots=swimmer_plots,
)
data_path, out_dir, rules, kind = ctx.data_dir, ctx.out_dir, ctx.rules, ctx.kind
print(ctx.describe())
plans = ctx.read_extract("plans")

# %%
write_table(table5(plans), out_dir, table_id="table5", disclosure=rules)  # as printed
t5 = table5(plans, not_on_form=not_on_form).assign(table_id="table5_on_form")
write_table(t5, out_dir, table_id="table5_on_form", disclosure=rules)
t5.pivot_table(index="row_label", columns=["column_label", "measure"], values="value", sort=False)

# %% [markdown]
# Cells with no value are domains not on the area's form:

# %%
t5.loc[t5["note"] != "", ["row_label", "column_label", "measure", "note"]].drop_duplicates(
    ["row_label", "column_label"]
)

# %% [markdown]
# ## Section 4.1.1: domains on each area's form

# %%
dom = domains_text(plans)
write_table(dom, out_dir, table_id="text_4_1_1_domains", disclosure=rules)
dom[["row_label", "value", "note"]]
