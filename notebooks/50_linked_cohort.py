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
# exact rule on the unique child identifier, then the fallback on date of birth + gender +
# area), reports match rates by area and by field (and, on the bundled synthetic data, false
# matches against the synthetic truth), then the analyses the documents call for:
# engaged vs declined vs comparators, dose-response by engagement duration, the Flintshire
# cohort profile and Cardiff's missing incidents before/after referral (compared with the
# Action for Children submission's printed figures), missing-episode duration and return
# interviews, change in repeated Justice Star readings, and the four-nation minimum dataset's
# coded CCE indicator and deprivation deciles (never pooled across national indices).
#
# **The secret.** Give `secret_file`, or set the environment variable named by `secret_env`
# (default `SOCDATA_LINKAGE_SECRET`). On the bundled synthetic data a random secret is drawn
# for the session when none is given; on other data without a secret the linkage and the
# analyses that need it are skipped with a warning. The secret is never printed or written.
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
import os
import secrets
import warnings

import socdata
from socdata.datasets.linked import bundled_truth
from socdata.describe.case_files import (
    assessment_change,
    cardiff_missing_before_after,
    flintshire_profile,
    missing_episode_duration,
)
from socdata.describe.engagement_outcomes import dose_response, police_outcomes_by_engagement
from socdata.describe.minimum_dataset import cce_indicator_table, deprivation_by_index
from socdata.linkage import Secret, link_service_police, read_secret
from socdata.pipeline import RunContext
from socdata.report import find_extracts, write_table

ctx = RunContext.for_notebook(
    run_context, data_dir=data_dir, out_dir=out_dir, disclosure=disclosure
)
data_path, out_dir, rules, kind = ctx.data_dir, ctx.out_dir, ctx.rules, ctx.kind
files = find_extracts(data_path)
print(f"data: {data_path}; disclosure: {rules.describe()}")
kinds = (
    "service",
    "arrest_outcomes",
    "linkage_identifiers",
    "vulnerability",
    "missing_detail",
    "assessments",
)
present = {k: files.get(k) is not None for k in kinds}
print(present)
frames = {k: socdata.read_extract(files[k], k) for k in kinds if present[k]}

# %% [markdown]
# ## Linkage

# %%
linkage = None
# the synthetic truth only when the whole folder is the bundled synthetic data
synthetic = kind.synthetic
truth = (
    bundled_truth(files["linkage_identifiers"])
    if synthetic and present["linkage_identifiers"]
    else None
)
secret = None
if secret_file is not None:
    secret = read_secret(path=secret_file)
elif secret_env and os.environ.get(secret_env):
    secret = read_secret(env=secret_env)
elif synthetic:
    secret = Secret(secrets.token_bytes(32), origin="random, for the synthetic data")
if not present["linkage_identifiers"]:
    print("no linkage_identifiers extract: linkage skipped")
elif secret is None:
    warnings.warn(
        "linkage skipped: no linkage secret (pass secret_file, or set the environment "
        f"variable {secret_env}); the analyses of linked records are not produced",
        socdata.errors.SocdataWarning,
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
    groups = police_outcomes_by_engagement(
        frames["service"], frames["arrest_outcomes"], linkage, window_months=window_months
    )
    print(groups.summary())
    write_table(
        groups.to_table(), out_dir, table_id="linked_police_by_engagement", disclosure=rules
    )
    dose = dose_response(
        frames["service"], frames["arrest_outcomes"], linkage, window_months=window_months
    )
    print(dose.summary())
    write_table(dose.to_table(), out_dir, table_id="linked_dose_response", disclosure=rules)

# %% [markdown]
# ## Case files: Flintshire profile, Cardiff missing incidents, missing-episode duration

# %%
if present["vulnerability"]:
    areas = set(frames["vulnerability"]["area"])
    if "Flintshire" in areas:
        fl = flintshire_profile(frames["vulnerability"])
        print(fl.table.to_string(index=False))
        write_table(fl.to_table(), out_dir, disclosure=rules)
    if present["missing_detail"] and "Cardiff" in areas:
        cm = cardiff_missing_before_after(frames["missing_detail"], frames["vulnerability"])
        print(cm.table.to_string(index=False))
        write_table(cm.to_table(), out_dir, disclosure=rules)
if present["missing_detail"]:
    md = missing_episode_duration(frames["missing_detail"])
    print(md.table.to_string(index=False))
    write_table(md.to_table(), out_dir, disclosure=rules)

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
    cce = cce_indicator_table(frames["vulnerability"])
    print(cce.to_string(index=False))
    write_table(cce, out_dir, table_id="mds_cce_indicator", disclosure=rules)
    dep = deprivation_by_index(frames["vulnerability"])
    print(dep.to_string(index=False))
    write_table(dep, out_dir, table_id="mds_deprivation_by_index", disclosure=rules)
