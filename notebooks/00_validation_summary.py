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
# # 00 Validation summary and flow of cases
#
# Validates every extract in the data folder and counts, by area, the referral episodes
# from referral to closure, with every exclusion on the way.  Run by
# `socdata reproduce` before the table notebooks; writes
# `tables/validation_summary.csv`, `tables/validation_rules.csv` and
# `tables/flow_referral_to_closure.csv`.

# %% tags=["parameters"]
data_dir = None  # None: the bundled synthetic extracts
out_dir = "out"
disclosure = "auto"
run_context = None  # set by socdata reproduce: the run's settings, resolved once
swimmer_plots = "auto"

# %%
import warnings

from socdata.errors import ExcludedRowsWarning
from socdata.pipeline import RunContext
from socdata.report import write_frame, write_table
from socdata.soceis.flow import FLOW_TABLE_ID, referral_flow

ctx = RunContext.for_notebook(
    run_context,
    data_dir=data_dir,
    out_dir=out_dir,
    disclosure=disclosure,
    swimmer_plots=swimmer_plots,
)
data_path, out_dir, rules, kind = ctx.data_dir, ctx.out_dir, ctx.rules, ctx.kind
print(ctx.describe())

# %% [markdown]
# ## Validation of each extract
#
# Under `socdata reproduce` this is the validation the run did before the notebooks.

# %%
summary = ctx.validation_summary()
for note in summary.notes:
    print("NOTE:", note)
write_frame(
    summary.extracts,
    out_dir,
    name="validation_summary",
    count_columns=["rows", "valid", "rejected", "unparseable", "warnings"],
    disclosure=rules,
)
write_frame(
    summary.rules,
    out_dir,
    name="validation_rules",
    count_columns=["rows", "problems"],
    disclosure=rules,
)
summary.extracts

# %%
summary.rules

# %% [markdown]
# ## Flow of referral episodes from referral to closure
#
# Every row of the service extract is a referral episode (a young person can be
# re-referred).  Each step says how many episodes go on and why the others stop.
# Rows that fail validation (rejected or unreadable) may have no valid area, so they are
# counted overall only.

# %%
service = summary.extracts.set_index("kind").loc["service"]
flow = None
if service["status"] in ("valid", "rows rejected"):
    with warnings.catch_warnings():  # the flow counts the excluded rows itself, controlled
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        valid = ctx.read_extract("service", strict=False)
    flow = referral_flow(
        valid,
        n_input=int(service["rows"]),
        n_excluded=int(service["rejected"]) + int(service["unparseable"]),
    )
    write_table(
        flow,
        out_dir,
        table_id=FLOW_TABLE_ID,
        disclosure=rules,
        keep_columns=["step"],
        population="case status by area",  # cells hidden here stay hidden in Table 4 and 3.2
    )
else:
    print(f"NOTE: flow of cases not computed: service extract {service['status']}")

flow.pivot(index="row_label", columns="column_label", values="value") if flow is not None else None
