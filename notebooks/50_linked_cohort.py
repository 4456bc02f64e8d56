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
import warnings

from socdata.datasets.linked import bundled_truth
from socdata.describe.case_files import assessment_change
from socdata.describe.engagement_outcomes import dose_response, police_outcomes_by_engagement
from socdata.errors import SocdataWarning
from socdata.linkage import link_service_police
from socdata.pipeline import RunContext
from socdata.report import find_extracts, write_table
from socdata.soceis.linked_cohort import (
    LINKED_COHORT_KINDS,
    case_file_results,
    linkage_secret,
    minimum_dataset_tables,
)

ctx = RunContext.for_notebook(
    run_context, data_dir=data_dir, out_dir=out_dir, disclosure=disclosure
)
data_path, out_dir, rules, kind = ctx.data_dir, ctx.out_dir, ctx.rules, ctx.kind
files = find_extracts(data_path)
print(f"data: {data_path}; disclosure: {rules.describe()}")
present = {k: files.get(k) is not None for k in LINKED_COHORT_KINDS}
print(present)
frames = {k: ctx.read_extract(k) for k in LINKED_COHORT_KINDS if present[k]}

# %% [markdown]
# ## Linkage
#
# On the bundled synthetic data the true pairs are known, so false matches are counted.

# %%
linkage = None
synthetic_ids = kind.synthetic and present["linkage_identifiers"]
truth = bundled_truth(files["linkage_identifiers"]) if synthetic_ids else None
secret = linkage_secret(secret_file, secret_env, synthetic=kind.synthetic)
if not present["linkage_identifiers"]:
    print("no linkage_identifiers extract: linkage skipped")
elif secret is None:
    warnings.warn(
        "linkage skipped: no linkage secret (pass secret_file, or set the environment "
        f"variable {secret_env}); the analyses of linked records are not produced",
        SocdataWarning,
        stacklevel=1,
    )
else:
    linkage, report = link_service_police(frames["linkage_identifiers"], secret, truth=truth)
    print(report.summary())
    for table_id, table in report.to_tables().items():
        write_table(table, out_dir, table_id=table_id, disclosure=rules)

# %% [markdown]
# ## Police outcomes: engaged vs declined vs comparators, and dose-response
#
# Engaged = closed for a reason other than "Declined support" (June 2023, 3.2); comparators are
# police records linked to no service record, indexed at the median referral date of their
# area. Differences between groups are descriptive, not effects.

# %%
if linkage is not None and present["service"] and present["arrest_outcomes"]:
    args = (frames["service"], frames["arrest_outcomes"], linkage)
    groups = police_outcomes_by_engagement(*args, window_months=window_months)
    print(groups.summary())
    tid = "linked_police_by_engagement"
    write_table(groups.to_table(), out_dir, table_id=tid, disclosure=rules)
    dose = dose_response(*args, window_months=window_months)
    print(dose.summary())
    write_table(dose.to_table(), out_dir, table_id="linked_dose_response", disclosure=rules)

# %% [markdown]
# ## Case files: Flintshire profile, Cardiff missing incidents, missing-episode duration

# %%
for result in case_file_results(frames):
    print(result.table.to_string(index=False))
    write_table(result.to_table(), out_dir, disclosure=rules)

# %% [markdown]
# ## Repeated outcome assessments (Justice Star)

# %%
if present["assessments"]:
    change = assessment_change(frames["assessments"])
    print(change.summary())
    write_table(change.to_table(), out_dir, table_id="linked_assessment_change", disclosure=rules)

# %% [markdown]
# ## Four-nation minimum dataset: coded CCE indicator and deprivation by national index

# %%
if present["vulnerability"]:
    for table_id, table in minimum_dataset_tables(frames["vulnerability"]).items():
        print(table.to_string(index=False))
        write_table(table, out_dir, table_id=table_id, disclosure=rules)
