"""Site statistics as checked evidence: computed, written, read back and pooled.

See :mod:`socdata.federated` for the workflow and :mod:`socdata.federated.checks` for the
output-control rules applied before release.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from socdata.errors import DisclosureError, EstimationError
from socdata.federated.checks import check_statistics
from socdata.federated.few_values import coverage_note
from socdata.report.disclosure import RULE_SETS, RuleSet, get_rule_set, round_to_base
from socdata.scale.moments import NEVER, CohortMoments, combine
from socdata.scale.sources import cohort_moments

__all__ = ["SiteStatistics", "pool_sites", "read_site_statistics", "site_statistics"]

#: ACRO version whose ``results.json`` / ``evidence.json`` layout is mirrored.
ACRO_FORMAT_VERSION = "1.0.2"
_TABLES = ("cohorts", "means", "scatter", "clusters")


@dataclasses.dataclass(frozen=True)
class SiteStatistics:
    """One site's cohort statistics and the output check of them.

    Attributes
    ----------
    site
        Site name.
    moments
        The statistics (:class:`socdata.scale.CohortMoments`; incomplete units removed).
    status
        ``"pass"`` or ``"fail"`` (ACRO's status vocabulary).
    record
        The ACRO ``results.json`` record (``sdc``, ``summary``, ``comments``, ...).
    exception
        The site's request for an exception to a ``fail`` (empty when none).
    """

    site: str
    moments: CohortMoments
    status: str
    record: dict
    exception: str = ""

    def write(self, folder: str | Path) -> Path:
        """Write the checked evidence to ``folder`` (created; must be empty or new)."""
        return _write(self, Path(folder))


def site_statistics(
    data: Any,
    *,
    site: str,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    cluster: str | None = None,
    balance: str = "require",
    rules: str | RuleSet = "soceis-default-v1",
    outcome_values: str | None = None,
) -> SiteStatistics:
    """Cohort statistics of one site's panel, checked for release.

    Parameters
    ----------
    data
        The site's long panel (any source :func:`socdata.scale.cohort_moments` reads).
    site
        Site name (written into the record).
    outcome, unit, time, cohort, cluster
        Column names, as in :func:`socdata.did.att_gt`.
    balance
        ``"require"``: an incomplete unit is an error; ``"drop_incomplete"``: incomplete
        units are left out (their number, rounded, is in the record's comments).
    rules
        Output-control rule set (:data:`socdata.report.disclosure.RULE_SETS`).
    outcome_values
        What the outcome is, as the site knows it: ``"binary"`` (0/1), ``"counts"`` (0,
        1, 2, ...), ``"continuous"``, or ``None`` to detect from the statistics.  The
        periods whose statistics are those of a 0/1 outcome are checked as frequency
        tables whatever is declared; ``"counts"`` also checks the numbers of units the
        event totals pin (:mod:`socdata.federated.few_values`).  Written into the record,
        and the hub checks again with it.

    Returns
    -------
    SiteStatistics

    Raises
    ------
    socdata.errors.EstimationError
        An incomplete unit with ``balance="require"``, or statistics that contradict
        ``outcome_values`` (e.g. ``"binary"`` with a value of 2).
    """
    rules = get_rule_set(rules)
    m = cohort_moments(data, outcome=outcome, unit=unit, time=time, cohort=cohort, cluster=cluster)
    n_inc = int(m.n_incomplete.sum())
    if n_inc and balance == "require":
        raise EstimationError(
            f"site {site!r}: {n_inc} units lack a row or an outcome in some period; pooled "
            "statistics need a balanced panel. Pass balance='drop_incomplete' or restrict "
            "the window."
        )
    keep = m.n > 0
    m = dataclasses.replace(
        m.select(keep),
        n_incomplete=np.zeros(int(keep.sum()), np.int64),
        example_incomplete=None,
        source=f"site {site}",
    )
    status, sdc, summary, failures = check_statistics(m, rules, outcome_values=outcome_values)
    comments = [
        f"cohort statistics of site {site!r} for pooled estimation (rule set "
        f"{rules.name}); counts are exact because exact pooling needs them",
        "dominance rules (nk, p-ratio) not checked: the statistics hold no "
        "individual contributions",
        coverage_note(m, outcome_values),
        *failures,
    ]
    if n_inc:
        shown = round_to_base(n_inc, rules.rounding_base) if n_inc >= rules.threshold else None
        comments.append(
            "incomplete units left out: "
            + (f"about {int(shown)}" if shown is not None else f"fewer than {rules.threshold}")
        )
    record = {
        "uid": "output_0",
        "status": status,
        "type": "custom",
        "properties": {
            "method": "cohort_statistics",
            "site": site,
            "rule_set": rules.name,
            "outcome_values": outcome_values,
            **rules.acro_parameters(),
        },
        "files": [],
        "outcome": {},
        "command": f"socdata.federated.site_statistics(site={site!r}, outcome={outcome!r}, "
        f"unit={unit!r}, time={time!r}, cohort={cohort!r}, cluster={cluster!r}, "
        f"outcome_values={outcome_values!r})",
        "summary": summary,
        "timestamp": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "comments": comments,
        "exception": "",
        "fair": {},
        "sdc": sdc,
    }
    return SiteStatistics(site=site, moments=m, status=status, record=record)


def _label(v: Any, kind: str) -> str:
    if v is NEVER:
        return ""
    if kind == "datetime":
        return str(np.datetime64(int(v), "ns"))
    return repr(float(v))


def _tables(m: CohortMoments) -> dict[str, pd.DataFrame]:
    cohorts = [_label(c, m.time_kind) for c in m.cohorts]
    times = [str(t) for t in m.time_labels]
    h, t = np.meshgrid(np.arange(len(cohorts)), np.arange(len(times)), indexing="ij")
    out = {
        "cohorts": pd.DataFrame({"cohort": cohorts, "n": m.n}),
        "means": pd.DataFrame(
            {
                "cohort": np.array(cohorts)[h.ravel()],
                "period": np.array(times)[t.ravel()],
                "mean": m.mean.ravel(),
            }
        ),
    }
    hh, a, b = np.meshgrid(*(np.arange(k) for k in m.scatter.shape), indexing="ij")
    out["scatter"] = pd.DataFrame(
        {
            "cohort": np.array(cohorts)[hh.ravel()],
            "period_a": np.array(times)[a.ravel()],
            "period_b": np.array(times)[b.ravel()],
            "value": m.scatter.ravel(),
        }
    )
    if m.clusters is not None:
        c, hh, tt = np.meshgrid(*(np.arange(k) for k in m.cluster_sum.shape), indexing="ij")
        out["clusters"] = pd.DataFrame(
            {
                "cluster": np.array([str(x) for x in m.clusters])[c.ravel()],
                "cohort": np.array(cohorts)[hh.ravel()],
                "period": np.array(times)[tt.ravel()],
                "n": m.cluster_n[c.ravel(), hh.ravel()],
                "sum": m.cluster_sum.ravel(),
            }
        )
    return out


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write(s: SiteStatistics, folder: Path) -> Path:
    if folder.exists() and any(folder.iterdir()):
        raise FileExistsError(
            f"{folder} is not empty; socdata writes site evidence to a new "
            "folder (it never overwrites a file it did not write)."
        )
    folder.mkdir(parents=True, exist_ok=True)
    m = s.moments
    files = {}
    for name, frame in _tables(m).items():
        fname = f"output_0_{name}.csv"
        frame.to_csv(folder / fname, index=False, float_format="%.17g")
        files[name] = fname
    evidence = {
        "version": ACRO_FORMAT_VERSION,
        "outputs": {
            "output_0": {
                "command": s.record["command"],
                "analysis_names": ["att_gt", "event_study", "twfe"],
                "variable_types": {
                    "time": m.time_kind,
                    "cohort": m.time_kind,
                    "outcome": "numeric",
                },
                "dof": {"units": int(m.n.sum()), "periods": len(m.time_labels)},
                "interim_tables": files,
            }
        },
    }
    record = dict(
        s.record,
        files=[{"name": f, "sdc": s.record["sdc"]} for f in files.values()],
        exception=s.exception,
    )
    record.pop("sdc", None)
    results = {"version": ACRO_FORMAT_VERSION, "results": {"output_0": record}}
    (folder / "evidence.json").write_text(json.dumps(evidence, indent=4), encoding="utf-8")
    (folder / "results.json").write_text(json.dumps(results, indent=4), encoding="utf-8")
    sums = folder / "checksums"
    sums.mkdir()
    for f in sorted(folder.iterdir()):
        if f.is_file():
            (sums / f"{f.name}.txt").write_text(_sha256(f), encoding="utf-8")
    return folder


def _parse(values: pd.Series, kind: str) -> list:
    out = []
    for v in values.fillna("").astype(str):
        if v == "":
            out.append(NEVER)
        elif kind == "datetime":
            out.append(int(np.datetime64(v, "ns").astype(np.int64)))
        else:
            out.append(float(v))
    return out


def read_site_statistics(folder: str | Path) -> SiteStatistics:
    """Read a site's evidence folder, verifying checksums and the record's status.

    The statistics are checked again under the rule parameters and ``outcome_values``
    the record names (:func:`socdata.federated.check_statistics`), so evidence whose
    record says ``pass`` but whose numbers fail (written by an older socdata, or edited
    with its checksums) is refused too.

    Raises
    ------
    socdata.errors.DisclosureError
        A file changed after it was written (checksum), or the record (or the check made
        again on the statistics) failed and the record carries no exception request.
    """
    folder = Path(folder)
    for f in sorted(folder.iterdir()):
        if f.is_file():
            want = (folder / "checksums" / f"{f.name}.txt").read_text(encoding="utf-8").strip()
            if _sha256(f) != want:
                raise DisclosureError(
                    f"{f}: checksum differs from checksums/{f.name}.txt; the "
                    "evidence was changed after it was checked."
                )
    record = json.loads((folder / "results.json").read_text("utf-8"))["results"]["output_0"]
    ev = json.loads((folder / "evidence.json").read_text("utf-8"))["outputs"]["output_0"]
    if record["status"] == "fail" and not record.get("exception"):
        raise DisclosureError(
            f"{folder}: the site statistics failed the output check ({record['summary']}) and "
            "carry no exception request; the site should merge small cohorts (or clusters) "
            "and check again."
        )
    kind = ev["variable_types"]["time"]
    t = {
        k: pd.read_csv(
            folder / v,
            dtype={"cohort": str, "period": str, "period_a": str, "period_b": str, "cluster": str},
        )
        for k, v in ev["interim_tables"].items()
    }
    cohorts = _parse(t["cohorts"]["cohort"], kind)
    h = len(cohorts)
    periods = t["means"]["period"].to_numpy()[: len(t["means"]) // h]
    labels = periods.astype("datetime64[ns]") if kind == "datetime" else periods.astype(np.float64)
    if kind != "datetime" and np.all(labels == np.round(labels)):
        labels = labels.astype(np.int64)
    n_t = len(labels)
    cl: dict = {}
    if "clusters" in t:
        c = t["clusters"]
        names = pd.unique(c["cluster"])
        cl = dict(
            clusters=np.asarray(names, dtype=object),
            cluster_n=c["n"].to_numpy().reshape(len(names), h, n_t)[:, :, 0],
            cluster_sum=c["sum"].to_numpy().reshape(len(names), h, n_t),
        )
    m = CohortMoments(
        time_labels=labels,
        time_kind=kind,
        cohorts=tuple(cohorts),
        n=t["cohorts"]["n"].to_numpy(dtype=np.int64),
        mean=t["means"]["mean"].to_numpy().reshape(h, n_t),
        scatter=t["scatter"]["value"].to_numpy().reshape(h, n_t, n_t),
        n_incomplete=np.zeros(h, np.int64),
        n_rows=int(t["cohorts"]["n"].sum()) * n_t,
        source=f"site {record['properties']['site']}",
        **cl,
    )
    out = SiteStatistics(
        site=record["properties"]["site"],
        moments=m,
        status=record["status"],
        record=record,
        exception=record.get("exception", ""),
    )
    if not out.exception:
        props = record["properties"]
        status, _, summary, why = check_statistics(
            m, _record_rules(props), outcome_values=props.get("outcome_values")
        )
        if status == "fail":
            raise DisclosureError(
                f"{folder}: the record says {record['status']!r}, but its statistics fail the "
                f"output check made again under its own rules ({summary}): "
                f"{'; '.join(why[:3])}. The site should check them with this version of "
                "socdata and merge cohorts or coarsen periods."
            )
    return out


def _record_rules(props: dict) -> RuleSet:
    """The rule set a record says it was checked under, from its ACRO parameters."""
    name = props.get("rule_set", "none")
    if name == "none":
        return get_rule_set("none")
    base = get_rule_set(name) if name in RULE_SETS else get_rule_set("soceis-default-v1")
    return dataclasses.replace(
        base,
        name=name,
        threshold=int(props.get("safe_threshold", base.threshold)),
        min_base=int(props.get("min_base_for_statistics", base.min_base)),
        safe_dof_threshold=int(props.get("safe_dof_threshold", base.safe_dof_threshold)),
        zeros_are_disclosive=bool(props.get("zeros_are_disclosive", base.zeros_are_disclosive)),
    )


def pool_sites(
    sites: Sequence[SiteStatistics], *, rules: str | RuleSet | None = None
) -> CohortMoments:
    """Exact pooled statistics of disjoint sites (for the estimators' ``data``).

    Parameters
    ----------
    sites
        The sites' checked statistics.
    rules
        The hub's own rule set: every site's statistics are checked again under it, with
        the ``outcome_values`` the site declared (a site that checked under a laxer set,
        or none, is refused).  ``None``: the sites' records are trusted.

    Raises
    ------
    socdata.errors.DisclosureError
        A site's statistics failed the output check without an exception request.
    """
    for s in sites:
        if s.status == "fail" and not s.exception:
            raise DisclosureError(
                f"site {s.site!r}: statistics failed the output check ({s.record['summary']});"
                " they cannot be pooled without an exception request."
            )
        if rules is not None and not s.exception:
            declared = s.record.get("properties", {}).get("outcome_values")
            status, _, summary, why = check_statistics(
                s.moments, get_rule_set(rules), outcome_values=declared
            )
            if status == "fail":
                raise DisclosureError(
                    f"site {s.site!r}: statistics fail the hub's rule set "
                    f"{get_rule_set(rules).name!r} ({summary}): {'; '.join(why[:3])}. The "
                    "site should check them under this rule set and merge small cohorts."
                )
    if len({s.site for s in sites}) != len(sites):
        raise EstimationError("two statistics come from the same site; pool each site once.")
    tagged = []
    for s in sites:  # clusters are site-specific: label them with the site
        m = s.moments
        if m.clusters is not None:
            m = dataclasses.replace(
                m, clusters=np.array([f"{s.site}:{c}" for c in m.clusters], dtype=object)
            )
        tagged.append(m)
    return combine(tagged)
