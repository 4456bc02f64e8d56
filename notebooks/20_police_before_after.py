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
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from socdata.derive.panel import validate_panel
from socdata.describe.police import before_after, police_statements
from socdata.pipeline import RunContext
from socdata.report import save_figure, write_frame, write_table
from socdata.report.control import count_formatter

ctx = RunContext.for_notebook(
    run_context, data_dir=data_dir, out_dir=out_dir, disclosure=disclosure
)
data_path, out_dir, rules, kind = ctx.data_dir, ctx.out_dir, ctx.rules, ctx.kind
print(ctx.describe())


persons = ctx.read_extract("police_persons")  # read once per run, shared with 30 and 40
events = ctx.read_extract("police_events")
missing = ctx.read_extract("police_missing")
print({k: len(v) for k, v in [("persons", persons), ("events", events), ("missing", missing)]})

# %% [markdown]
# ## The referred list
#
# The first step of the flow needs the list of referred young people that Action for
# Children sent to the forces (`person_id`, `area`): `referred_file`, or
# `police_referred.csv` in the data folder. For the bundled synthetic data the list is
# regenerated from the generator and seed recorded in the manifest, and used only if its
# found young people are exactly the engagers in the bundled extract.

# %%
referred = None
if referred_file is not None:
    referred = pd.read_csv(referred_file, dtype={"person_id": str})
elif (data_path / "police_referred.csv").exists():
    referred = pd.read_csv(data_path / "police_referred.csv", dtype={"person_id": str})
elif ctx.synthetic:  # the bundled synthetic extracts
    manifest = json.loads((data_path / "manifest.json").read_text())
    if manifest.get("generators", {}).get("police_persons") == "socdata.datasets.police.generate":
        from socdata.datasets.police import generate

        regen = generate(manifest["seed"])["referred"]
        engagers = set(persons.loc[persons["group"] == "Engager", "person_id"])
        if set(regen.loc[regen["found_in_police_data"], "person_id"]) == engagers:
            referred = regen[["person_id", "area"]]
print("referred list:", "not available" if referred is None else f"{len(referred)} young people")

# %% [markdown]
# ## Before and after referral

# %%
result = before_after(persons, events, missing, window_months=window_months, referred=referred)
print(result.summary())

# %%
tab = result.table
records = []
for r in tab.itertuples():
    label = r.measure.replace("_", " ")
    base = {"table_id": "police_before_after", "row_label": r.area, "n_people": r.n_people}
    records += [
        {**base, "column_label": f"{label}: before", "measure": "n", "value": r.before},
        {**base, "column_label": f"{label}: after", "measure": "n", "value": r.after},
    ]
    if r.kind == "count":
        records += [
            {
                **base,
                "column_label": f"{label}: before",
                "measure": "rate_per_person_month",
                "value": r.before_rate,
                "numerator": r.before,
                "denominator": r.before_person_months,
            },
            {
                **base,
                "column_label": f"{label}: after",
                "measure": "rate_per_person_month",
                "value": r.after_rate,
                "numerator": r.after,
                "denominator": r.after_person_months,
            },
            {
                **base,
                "column_label": f"{label}: after/before",
                "measure": "rate_ratio",
                "value": r.rate_ratio,
                "conf_low": r.conf_low,
                "conf_high": r.conf_high,
            },
        ]
ba_table = pd.DataFrame(records)
ba_released = pd.read_csv(
    write_table(ba_table, out_dir, table_id="police_before_after", disclosure=rules)
)
tab[
    tab["measure"].isin(
        ["people arrested", "arrests", "offences", "drug_arrests", "missing_episodes"]
    )
]

# %% [markdown]
# ## Flow: referred, found in police data, analysed

# %%
flow = result.flow()
flow_records = []
for r in flow.itertuples():
    flow_records.append(
        {
            "table_id": "police_flow",
            "row_label": r.step,
            "column_label": r.area,
            "measure": "n",
            "value": r.n,
            "excluded_reason": "",
            "step": r.step,
        }
    )
    if r.n_excluded:
        flow_records.append(
            {
                "table_id": "police_flow",
                "row_label": f"{r.step}: excluded ({r.excluded_reason})",
                "column_label": r.area,
                "measure": "n",
                "value": r.n_excluded,
                "excluded_reason": r.excluded_reason,
                "step": r.step,
            }
        )
flow_table = pd.DataFrame(flow_records).drop_duplicates(["row_label", "column_label"])
write_table(flow_table, out_dir, table_id="police_flow", disclosure=rules)
flow

# %% [markdown]
# ## The March 2024 statements, regenerated

# %%
# counts in the text are written as the tables release them (rounded, small ones masked,
# shares computed from the released counts); statuses use the exact values
statements = police_statements(
    persons,
    events,
    missing,
    referred=referred,
    window_months=window_months,
    result=result,
    count_format=count_formatter(rules),
)
write_frame(statements, out_dir, name="police_statements", disclosure=rules)
statements[["statement_id", "printed", "regenerated", "status"]]

# %%
# drawn from the released table: each rate is its released (rounded) count over its
# released person-months, so the figure shows nothing the table does not
fig, axes = plt.subplots(1, 3, figsize=(11, 3.6), sharey=False)
areas = [a for a in tab["area"].unique() if a != "All areas"]
rates = ba_released[ba_released["measure"] == "rate_per_person_month"].assign(
    rate=lambda d: d["numerator"] / d["denominator"]
)


def released_rate(area: str, label: str) -> float:
    hit = rates[(rates["row_label"] == area) & (rates["column_label"] == label)]
    return float(hit["rate"].iloc[0]) if len(hit) else float("nan")


for ax, m in zip(axes, ["arrests", "offences", "missing episodes"], strict=True):
    x = range(len(areas))
    before = [released_rate(a, f"{m}: before") for a in areas]
    after = [released_rate(a, f"{m}: after") for a in areas]
    ax.bar([i - 0.2 for i in x], before, width=0.4, label="before")
    ax.bar([i + 0.2 for i in x], after, width=0.4, label="after")
    ax.set_xticks(list(x), areas, rotation=20)
    ax.set_title(m)
    ax.set_ylabel("per person-month observed")
axes[0].legend()
fig.suptitle(
    f"Engagers, {window_months} months before and after referral "
    "(not an effect estimate: regression to the mean)"
)
fig.tight_layout()
save_figure(fig, out_dir, name="police_before_after")

# %% [markdown]
# ## Person-month panel and its schema

# %%
panel = ctx.police_panel()  # person_month_panel(persons, events, missing), built once per run
validate_panel(panel)  # raises if any rule of the person_month_panel schema is broken
summary = (
    panel.groupby(["area", "group"])
    .agg(
        people=("person_id", "nunique"),
        person_months=("month", "size"),
        arrests=("arrests", "sum"),
        missing_episodes=("missing_episodes", "sum"),
    )
    .reset_index()
)
panel_records = []
for r in summary.itertuples():
    for m in ("people", "person_months", "arrests", "missing_episodes"):
        panel_records.append(
            {
                "table_id": "police_panel_summary",
                "row_label": r.area,
                "column_label": f"{r.group}: {m}",
                "measure": "n",
                "value": getattr(r, m),
            }
        )
write_table(pd.DataFrame(panel_records), out_dir, table_id="police_panel_summary", disclosure=rules)
print(
    f"panel: {len(panel)} person-months, {panel['person_id'].nunique()} people; "
    "validates against schema 'person_month_panel'"
)
summary
