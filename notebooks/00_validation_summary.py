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
import pandas as pd

from socdata.pipeline import RunContext
from socdata.report import (
    validation_summary,
    write_frame,
    write_table,
)

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

# %%
summary = validation_summary(data_path)
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
# Rows that fail validation may have no valid area, so they are counted overall only.

# %%
service_file = summary.extracts.set_index("kind").loc["service", "file"]
flow = None
try:
    from socdata.validate import validate_extract
except ImportError as exc:  # validation not available: say so
    print(f"NOTE: flow of cases not computed: validation unavailable ({exc})")
    validate_extract = None

if validate_extract is not None and service_file:
    result = validate_extract(data_path / service_file, "service")
    valid = result.valid
    areas = sorted(valid["area"].dropna().astype(str).unique())
    status = valid["case_status"].astype(str)
    started = valid[status.isin(["Open", "Closed"])]
    closed = valid[status == "Closed"]
    reason = closed["closure_reason"].astype("string").fillna("Not recorded")

    steps: list[tuple[str, str, pd.Series]] = [
        ("Referral episodes in extract", "count", None),
        ("Excluded: failed validation", "exclusion", None),
        ("Valid referral episodes", "count", valid["area"]),
        ("Young people (distinct)", "count", valid.drop_duplicates("person_id")["area"]),
        ("Excluded: not allocated", "exclusion", valid.loc[status == "Not allocated", "area"]),
        ("Excluded: not started", "exclusion", valid.loc[status == "Not started", "area"]),
        ("Excluded: case status unknown", "exclusion", valid.loc[status == "Unknown", "area"]),
        ("Intervention started (open or closed)", "count", started["area"]),
        ("Open at extract date", "count", valid.loc[status == "Open", "area"]),
        ("Closed", "count", closed["area"]),
    ]
    for r in [
        "Intervention completed",
        "Support from other services",
        "Other",
        "Declined support",
        "Not recorded",
    ]:
        steps.append((f"Closed: {r.lower()}", "count", closed.loc[reason == r, "area"]))

    records = []
    for order, (label, step_kind, col) in enumerate(steps, start=1):
        for area in [*areas, "Overall"]:
            if col is None:  # rejected rows may lack a valid area: overall counts only
                if area != "Overall":
                    continue
                n = result.n_input if step_kind == "count" else result.n_rejected
            else:
                s = col.astype(str)
                n = len(s) if area == "Overall" else int((s == area).sum())
            records.append(
                {
                    "table_id": "flow_referral_to_closure",
                    "row_label": label,
                    "column_label": area,
                    "measure": "n",
                    "value": n,
                    "step": order,
                    "step_kind": step_kind,
                }
            )
    flow = pd.DataFrame(records)
    write_table(
        flow,
        out_dir,
        table_id="flow_referral_to_closure",
        disclosure=rules,
        keep_columns=["step"],
        population="case status by area",  # cells hidden here stay hidden in Table 4 and 3.2
    )

flow.pivot(index="row_label", columns="column_label", values="value") if flow is not None else None
