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
# # 11 Service data: Tables 3 and 4, referral reasons and closures
#
# From the `service` extract (one row per referral episode):
#
# * Table 3: age at referral (mean, min, max; service-data rows only, as the report) and %
#   male by area;
# * Table 4: referral source and case status as % of all referrals in the area, closure
#   reason as % of the area's closed cases;
# * section 3.2: referral reasons, open/closed cases, closure reasons and "other" closures,
#   gender and age of the young people referred.
#
# Percentages are rounded half-up to whole numbers, as the report prints them; the
# unrounded value is in the `exact` column. Writes `tables/table3.csv`,
# `tables/table4_*.csv` and `tables/text_3_2_*.csv`.

# %% tags=["parameters"]
data_dir = None  # None: the bundled synthetic extracts
out_dir = "out"
disclosure = "auto"
run_context = None  # set by socdata reproduce: the run's settings, resolved once
swimmer_plots = "auto"

# %%
from socdata.pipeline import RunContext
from socdata.report import write_table
from socdata.soceis import tables as T

ctx = RunContext.for_notebook(
    run_context,
    data_dir=data_dir,
    out_dir=out_dir,
    disclosure=disclosure,
    swimmer_plots=swimmer_plots,
)
data_path, out_dir, rules, kind = ctx.data_dir, ctx.out_dir, ctx.rules, ctx.kind
print(ctx.describe())
service = ctx.read_extract("service")
print(f"{len(service)} referral episodes, {service['person_id'].nunique()} young people")


def show(t):
    """Printed layout of a tidy table: rows x (column, measure)."""
    wide = t.pivot_table(
        index="row_label", columns=["column_label", "measure"], values="value", sort=False
    )
    return wide


# %% [markdown]
# ## Table 3: age and gender by area

# %%
t3 = T.table3(service)
write_table(t3, out_dir, table_id="table3", disclosure=rules)
show(t3)

# %% [markdown]
# ## Table 4: referrals, case status and reason for closure

# %%
tables4 = {
    "table4_referral_source": T.table4_referral_source(service),
    "table4_case_status": T.table4_case_status(service),
    "table4_closure_reason": T.table4_closure_reason(service),
}
# tables of the same people share one registry of protected cells (population=)
populations = {
    "table4_case_status": "case status by area",
    "table4_closure_reason": "closure reason by area",
    "text_3_2_case_status": "case status by area",
    "text_3_2_closure": "closure reason by area",
}
for tid, t in tables4.items():
    write_table(t, out_dir, table_id=tid, disclosure=rules, population=populations.get(tid))
show(tables4["table4_referral_source"])

# %%
show(tables4["table4_case_status"])

# %%
show(tables4["table4_closure_reason"])

# %% [markdown]
# ## Section 3.2: referral reasons, case status and closures

# %%
text = {
    "text_3_2_referral_reason": T.referral_reasons(service),
    "text_3_2_case_status": T.case_status_text(service),
    "text_3_2_engaged": T.engaged_text(service),
}
closure = T.closure_text(service)
for tid in ("text_3_2_closure", "text_3_2_closure_other"):
    text[tid] = closure[closure["table_id"] == tid]
for tid, t in text.items():
    write_table(t, out_dir, table_id=tid, disclosure=rules, population=populations.get(tid))
text["text_3_2_referral_reason"][["row_label", "measure", "value", "numerator", "denominator"]]
