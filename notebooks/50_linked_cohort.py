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
# # 50 Linked cohort: linkage, police outcomes by engagement, case files, minimum dataset
#
# Links service and police records by keyed hashes (HMAC-SHA256 with the data owner's secret:
# exact rule on the unique child identifier, then date of birth + gender + area), reports
# match rates by area and field (and false matches on the synthetic data), then: engaged vs
# declined vs comparators, dose-response, the case files (Flintshire profile, Cardiff missing
# incidents, missing-episode duration), Justice Star change, and the minimum dataset's CCE
# indicator and deprivation deciles (never pooled across national indices).
#
# **The secret.** `secret_file`, or the environment variable named by `secret_env`. On the
# bundled synthetic data a random secret is drawn when none is given; on other data without
# one the linked analyses are skipped with a warning. The secret is never printed or written.
#
# Writes `tables/linkage_*.csv`, `tables/linked_*.csv` and `tables/mds_*.csv`.

# %% tags=["parameters"]
data_dir = None  # None: the bundled synthetic extracts
out_dir = "out"
disclosure = "auto"
run_context = None  # set by socdata reproduce: the run's settings, resolved once
window_months = 12
secret_file = None  # file holding the data owner's linkage secret
secret_env = "SOCDATA_LINKAGE_SECRET"  # or the environment variable holding it

# %%
from socdata.datasets.linked import bundled_truth
from socdata.pipeline import RunContext
from socdata.report import find_extracts, write_table
from socdata.soceis.linked_cohort import (
    LINKED_COHORT_KINDS,
    link_cohort,
    linkage_secret,
    linked_cohort_results,
    minimum_dataset_tables,
)

ctx = RunContext.for_notebook(
    run_context, data_dir=data_dir, out_dir=out_dir, disclosure=disclosure
)
data_path, out_dir, rules, kind = ctx.data_dir, ctx.out_dir, ctx.rules, ctx.kind
files = find_extracts(data_path)
print(ctx.describe())
present = {k: files.get(k) is not None for k in LINKED_COHORT_KINDS}
print(present)
frames = {k: ctx.read_extract(k) for k in LINKED_COHORT_KINDS if present[k]}

# %% [markdown]
# ## Linkage
#
# On the bundled synthetic data the true pairs are known, so false matches are counted.
# Without a secret on other data the linkage is skipped with a warning.

# %%
truth = bundled_truth(files.get("linkage_identifiers")) if kind.synthetic else None
secret = linkage_secret(secret_file, secret_env, synthetic=kind.synthetic)
linkage, report = link_cohort(frames, secret, truth=truth, secret_env=secret_env)
if report is not None:
    print(report.summary())
    for table_id, table in report.to_tables().items():
        write_table(table, out_dir, table_id=table_id, disclosure=rules)

# %% [markdown]
# ## Police outcomes by engagement, case files and repeated assessments
#
# * Police outcomes (linked records): engaged = closed for a reason other than "Declined
#   support" (June 2023, 3.2) vs declined vs comparators (police records linked to no
#   service record, indexed at the median referral date of their area), and dose-response.
#   Differences between groups are descriptive, not effects.
# * Case files: Flintshire profile, Cardiff missing incidents, missing-episode duration.
# * Repeated outcome assessments (Justice Star).

# %%
for result in linked_cohort_results(frames, linkage, window_months=window_months):
    print(result.summary())
    write_table(result.to_table(), out_dir, disclosure=rules)

# %% [markdown]
# ## Four-nation minimum dataset: coded CCE indicator and deprivation by national index

# %%
if present["vulnerability"]:
    for table_id, table in minimum_dataset_tables(frames["vulnerability"]).items():
        print(table.to_string(index=False))
        write_table(table, out_dir, table_id=table_id, disclosure=rules)
