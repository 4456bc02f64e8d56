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
# # 14 Engagement duration: full months, Kaplan-Meier and swimmer plots (Figures 2-4)
#
# Duration is counted in full calendar months (`socdata.derive.spells.full_months`):
# closed cases from intervention start to end date, open cases from start to the area's
# extract date (section 2.2.1). Each re-referral is a separate spell of the same young
# person.
#
# * the distribution of months per area (open cases are lower bounds);
# * the report's statistic: range of durations of closed cases starting in the first six
#   months of each area's service (service start = the area's first intervention start);
# * a Kaplan-Meier median that treats open cases as censored;
# * swimmer plots (one bar per young person, as Figures 2-4): individual records, so with
#   `swimmer_plots = "auto"` drawn only from the bundled synthetic extracts.
#
# Writes `tables/duration_by_area.csv`, `duration_km_median.csv`, `text_3_3_duration.csv`,
# `text_3_3_newcastle.csv`, `figures/duration_km.png` and the swimmer plots
# (`figure2_swimmer_cardiff.png` ... ; other areas `swimmer_<area>.png`).

# %% tags=["parameters"]
data_dir = None  # None: the bundled synthetic extracts
out_dir = "out"
disclosure = "auto"
run_context = None  # set by socdata reproduce: the run's settings, resolved once
swimmer_plots = "auto"  # "auto": only on the bundled synthetic data; True / False
first_months = 6

# %%
from socdata.derive.spells import engagement_spells
from socdata.describe.duration import duration_distribution, early_closed_range, km_median_duration
from socdata.pipeline import RunContext
from socdata.report import save_figure, write_frame, write_table
from socdata.report.control import control_survival_curve
from socdata.soceis.figures import duration_km_figure, swimmer_outputs
from socdata.soceis.tables import duration_text, rereferral_text, service_data_areas

ctx = RunContext.for_notebook(
    run_context, data_dir=data_dir, out_dir=out_dir, disclosure=disclosure,
    swimmer_plots=swimmer_plots,
)
data_path, out_dir, rules, kind = ctx.data_dir, ctx.out_dir, ctx.rules, ctx.kind
print(ctx.describe())
service = ctx.read_extract("service")

# %% Spells, and the flow of referral episodes into them
spells = engagement_spells(service, warn=False)  # the flow counts what has no spell, by reason
spells.flow.to_frame()

# %% [markdown]
# ## Distribution of full months by area, and closed cases starting in the first six months

# %%
dist = duration_distribution(spells)
write_table(dist.to_table(), out_dir, table_id="duration_by_area", disclosure=rules)
dist.table

# %%
service_areas = service_data_areas(service)
early = early_closed_range(spells, first_months=first_months, areas=service_areas)
print("Duration of engagement", early.statement())
text = duration_text(service, areas=service_areas, first_months=first_months)
write_table(text, out_dir, table_id="text_3_3_duration", disclosure=rules)
write_table(rereferral_text(service), out_dir, table_id="text_3_3_newcastle", disclosure=rules)
early.table

# %% [markdown]
# ## Kaplan-Meier median duration (open cases censored)
#
# The figure is drawn from the controlled curve (on real data every step is backed by at
# least `survival_safe_threshold` events; the curve stops where fewer remain at risk).

# %%
km = km_median_duration(spells)
write_table(km.to_table(), out_dir, table_id="duration_km_median", disclosure=rules)
curve = control_survival_curve(km.curves, rules)
write_frame(
    curve, out_dir, name="duration_km_curve", count_columns=["at_risk", "events"], disclosure=rules
)
save_figure(duration_km_figure(curve, synthetic=kind.synthetic), out_dir, name="duration_km")
km.table

# %% [markdown]
# ## Swimmer plots (Figures 2-4)

# %%
# ctx.swimmer_plots: the "auto" choice resolved once in the run context
figures, note = swimmer_outputs(
    spells, service_areas, draw=ctx.swimmer_plots, synthetic=kind.synthetic
)
if note:
    print(note)
for name, fig in figures.items():
    save_figure(fig, out_dir, name=name)
