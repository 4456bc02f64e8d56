"""Before/after police rates on a table source: per-area sums computed by the engine.

:func:`socdata.describe.police.before_after` compares each engager's equal windows before
and after referral.  Its rates, rate ratios and their person-clustered standard errors are
exact functions of per-area statistics: the people analysed ``n``, the summed person-months
``T_b``, ``T_a`` and event counts ``S_b``, ``S_a`` of each measure, the people with an event
before and after, and the sum of squared linearised contributions

``Q = sum_i ((a_i - r_a e_ai) / S_a - (b_i - r_b e_bi) / S_b)^2``

(``r = S / T``; the standard error of the log rate ratio is ``sqrt(n / (n - 1) Q)``).
:func:`before_after_windows` takes the windows table (one row per engager and window, the
layout of :func:`socdata.derive.police.referral_windows`) as a DuckDB relation, Parquet
path, Arrow table, pandas frame or Spark DataFrame, checks it (columns, types, values,
one row per engager and window) and computes these with ``GROUP BY`` area (and once over
all areas): ``Q`` in a window aggregate over the area's ``S`` and ``T``, so it is summed
centred, as in memory.  The queries are written once and run by DuckDB or by Spark
(:mod:`socdata.scale.engine`).  No person row reaches Python.

Not from this path: the windows themselves (joining events to referral dates, custody
days and coverage is :func:`socdata.derive.police.referral_windows` on the extracts), the
flow step "referred -> found in police data" (it needs the referred list) and engagers
without a referral date (they have no window): the flow starts at the engagers with
windows.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from socdata._lazy import lazy_module
from socdata.derive.police import DAYS_PER_MONTH
from socdata.describe.police import (
    _CI_TYPE,
    _PEOPLE_MEASURES,
    _RATE_MEASURES,
    ALL_AREAS,
    BeforeAfterResult,
    _flow_frame,
    count_row,
)
from socdata.errors import SocdataError
from socdata.options import check_conf_level
from socdata.provenance import FlowLog, Provenance
from socdata.scale._windows_rules import check_windows
from socdata.scale.engine import Table, open_table

stats = lazy_module("scipy.stats")

__all__ = ["before_after_windows"]

_FN = "before_after_windows()"
_REASONS = (
    "before window starts before the police data's coverage",
    "after window ends after the extract date",
    "no day observed before referral",
    "no day observed after referral",
)


def _person_sql(t: Table, measures: list[str], full_windows: bool) -> str:
    """One row per engager: area, person-months and counts before and after, and the
    reason it is not analysed (``0``: analysed, else ``1 + `` its place in ``_REASONS``),
    the rules of ``before_after``."""
    w = t.q("window")
    bef, aft = f"FILTER (WHERE {w} = 'before')", f"FILTER (WHERE {w} = 'after')"
    full = f"CAST({t.q('full')} AS BOOLEAN)"
    cols = [
        f"first(CAST(area AS STRING)) {bef} AS area",
        f"bool_and({full}) {bef} AS bf",
        f"bool_and({full}) {aft} AS af",
        f"CAST(sum(observed_days) {bef} AS DOUBLE) AS bd",
        f"CAST(sum(observed_days) {aft} AS DOUBLE) AS ad",
    ]
    for j, m in enumerate(measures):
        cols += [
            f"sum(CAST({t.q(m)} AS DOUBLE)) {bef} AS b{j}",
            f"sum(CAST({t.q(m)} AS DOUBLE)) {aft} AS a{j}",
        ]
    full = "TRUE" if full_windows else "FALSE"
    reason = (
        f"CASE WHEN {full} AND NOT bf THEN 1 WHEN {full} AND NOT af THEN 2 "
        "WHEN bd <= 0 THEN 3 WHEN ad <= 0 THEN 4 ELSE 0 END"
    )
    month = f"CAST({DAYS_PER_MONTH!r} AS DOUBLE)"  # a double: Spark reads 30.4375 as DECIMAL
    return (
        f"SELECT *, bd / {month} AS eb, ad / {month} AS ea, {reason} AS reason FROM "
        f"(SELECT person_id, {', '.join(cols)} FROM src GROUP BY person_id)"
    )


def _group_sql(person: str, measures: list[str], key: str) -> str:
    """Per group (``key``: the area, or one constant for all areas) the sums of the
    analysed people and the centred sums of squares ``Q`` of every measure (``NULLIF``: a
    measure without events has no ``Q``, and Spark raises on a division by zero)."""
    over = f"OVER (PARTITION BY {key})"
    sums = ["sum(eb) AS teb", "sum(ea) AS tea", "count(*) AS n"]
    inner = [f"sum(eb) {over} AS teb_", f"sum(ea) {over} AS tea_"]
    for j, _ in enumerate(measures):
        sa, sb = f"NULLIF(sa{j}_, 0)", f"NULLIF(sb{j}_, 0)"
        sums += [
            f"sum(b{j}) AS sb{j}",
            f"sum(a{j}) AS sa{j}",
            f"count(*) FILTER (WHERE b{j} > 0) AS pb{j}",
            f"count(*) FILTER (WHERE a{j} > 0) AS pa{j}",
            f"sum(power((a{j} - {sa} / tea_ * ea) / {sa} - (b{j} - {sb} / teb_ * eb) / {sb}, 2))"
            f" AS q{j}",
        ]
        inner += [f"sum(b{j}) {over} AS sb{j}_", f"sum(a{j}) {over} AS sa{j}_"]
    return (
        f"SELECT {key} AS grp, {', '.join(sums)} FROM (SELECT *, {', '.join(inner)} FROM "
        f"({person}) WHERE reason = 0) GROUP BY {key}"
    )


def _count_rows(area: str, g: dict | None, measures: list[str], z: float) -> list[dict]:
    """The rows of one area as ``describe.police._area_rows`` makes them, from sums."""
    n = int(g["n"]) if g else 0
    teb, tea = (float(g["teb"]), float(g["tea"])) if g else (0.0, 0.0)
    rows: list[dict] = []
    for label, src in _PEOPLE_MEASURES.items():
        j = measures.index(src)
        nb, na = (int(g[f"pb{j}"]), int(g[f"pa{j}"])) if g else (0, 0)
        rows.append(
            {"area": area, "measure": label, "kind": "people", "before": nb, "after": na,
             "n_people": n}
        )  # fmt: skip
    for j, m in enumerate(measures):
        sb, sa = (float(g[f"sb{j}"]), float(g[f"sa{j}"])) if g else (0.0, 0.0)
        rr = se = lo = hi = np.nan
        if teb > 0 and tea > 0 and sb != 0:
            rr = (sa / tea) / (sb / teb)
            if sa != 0 and n > 1:
                se = float(np.sqrt(n / (n - 1) * float(g[f"q{j}"])))
                lo, hi = rr * np.exp(-z * se), rr * np.exp(z * se)
        rows.append(count_row(area, m, (sb, sa), (teb, tea), n, (rr, se, lo, hi)))
    return rows


def _flow(reasons: pd.DataFrame, areas: list[str]) -> tuple[FlowLog, list[dict]]:
    """Engagers with windows -> analysed, overall and by area (as ``before_after``)."""
    total = int(reasons["n"].sum())
    kept = int(reasons.loc[reasons["reason"] == "", "n"].sum())
    excl = reasons[reasons["reason"] != ""].groupby("reason", sort=False)["n"].sum()
    excl = excl.sort_values(ascending=False, kind="stable")  # as value_counts in memory
    flow = FlowLog().add(
        "engagers with referral windows -> analysed",
        total,
        kept,
        {str(k): int(v) for k, v in excl.items()},
        unit="people",
    )
    rows: list[dict] = []
    for a in areas:
        r = reasons[reasons["area"] == a]
        n = int(r.loc[r["reason"] == "", "n"].sum())
        rows.append({"area": a, "step": "with referral windows", "n": int(r["n"].sum())})
        ex = r[r["reason"] != ""].sort_values("n", ascending=False, kind="stable")
        if ex.empty:
            rows.append({"area": a, "step": "analysed", "n": n})
        for k, v in zip(ex["reason"], ex["n"], strict=True):
            rows.append(
                {"area": a, "step": "analysed", "n": n, "excluded_reason": k, "n_excluded": int(v)}
            )
    return flow, rows


def _check_windows(t: Table) -> list[str]:
    """The windows table's columns and types (before any value is cast) and its values
    (:func:`socdata.scale._windows_rules.check_windows`); its measures."""
    need = ["person_id", "area", "window", "full", "observed_days", *_RATE_MEASURES]
    lacking = [c for c in need if c not in t.kinds]
    if lacking:
        raise SocdataError(
            f"{_FN}: the windows table has no column(s) {lacking}; make it with "
            "socdata.derive.police.referral_windows."
        )
    measures = list(_RATE_MEASURES) + sorted(
        c for c in t.columns if c.startswith(("offences: ", "arrests: "))
    )
    num = ("integer", "float", "decimal")
    t.require("window", ("string",), "it holds 'before' or 'after'", SocdataError)
    t.require("full", ("bool", "integer"), "it holds True/False", SocdataError)
    for c in ["observed_days", *measures]:
        t.require(c, num, "it holds counts (whole numbers of days or events)", SocdataError)
    # values and layout (one query, every broken rule listed, a masked example person)
    check_windows(t.one, measures, t.desc, _FN, quote=t.q)
    return measures


def before_after_windows(
    windows: Any,
    *,
    window_months: int = 12,
    full_windows: bool = True,
    conf_level: float = 0.95,
) -> BeforeAfterResult:
    """Before/after police rates by area from a windows table, computed by the engine.

    Parameters
    ----------
    windows
        One row per engager and window (``window`` ``"before"``/``"after"``), with
        ``person_id``, ``area``, ``full``, ``observed_days`` and the count columns
        ``arrests``, ``offences``, ``drug_arrests``, ``missing_episodes`` (and any
        ``offences: <category>`` / ``arrests: <category>``): the output of
        :func:`socdata.derive.police.referral_windows`, as a DuckDB relation, Parquet
        path, pyarrow Table/Dataset, pandas frame or Spark DataFrame (computed by Spark).
    window_months
        Length of the windows the table was made with (reported only).
    full_windows, conf_level
        As in :func:`socdata.describe.police.before_after`.

    Returns
    -------
    BeforeAfterResult
        The same ``table`` as ``before_after`` on the extracts (equal to 1e-10); the flow
        starts at the engagers with windows (see the module docstring).

    Raises
    ------
    SocdataError
        A missing column, a column of the wrong type, a missing engager, a window other
        than ``"before"``/``"after"``, a missing, negative or infinite count, or an
        engager's window given twice (the same message on every engine).
    """
    conf_level = check_conf_level(conf_level, function=_FN)
    z = float(stats.norm.ppf(0.5 + conf_level / 2))
    with open_table(windows, _FN) as t:
        measures = _check_windows(t)
        person = _person_sql(t, measures, full_windows)
        reasons = t.frame(
            f"SELECT area, reason, count(*) AS n FROM ({person}) GROUP BY area, reason"
        )
        by_area = t.frame(_group_sql(person, measures, "area"))
        overall = t.frame(_group_sql(person, measures, "CAST('all' AS STRING)"))
        desc = t.desc
        source = f"{t.engine} GROUP BY area of {desc}"
    reasons = reasons.sort_values("reason", kind="stable")
    reasons["reason"] = reasons["reason"].map(dict(enumerate(("", *_REASONS))))
    areas = sorted(str(a) for a in reasons["area"].dropna().unique())
    groups = {str(r["grp"]): r for r in by_area.to_dict("records")}
    rows: list[dict] = []
    for area in areas:
        rows += _count_rows(area, groups.get(area), measures, z)
    all_g = overall.to_dict("records")
    rows += _count_rows(ALL_AREAS, all_g[0] if all_g else None, measures, z)
    table = pd.DataFrame(rows)
    table.insert(5, "change", table["after"] - table["before"])
    flow, flow_rows = _flow(reasons, areas)
    prov = Provenance.build(
        "socdata.scale.police.before_after_windows",
        parameters={
            "window_months": window_months,
            "full_windows": full_windows,
            "conf_level": conf_level,
        },
        n_in=flow.steps[0].n_in,
        n_out=flow.steps[0].n_out,
        flow=flow,
        notes=(
            "rates per person-month observed (365.25/12 days), inside the police data's "
            "coverage up to the extract date, custody days excluded",
            f"rate-ratio intervals: {_CI_TYPE} (linearised ratio estimators, factor n/(n-1))",
            "before/after changes include regression to the mean; they are not effects",
            f"computed from per-area sums ({source})",
        ),
    )
    prov = dataclasses.replace(prov, inputs={"windows": desc})
    return BeforeAfterResult(
        provenance=prov,
        table=table,
        flow_by_area=_flow_frame(flow_rows),
        window_months=int(window_months),
        full_windows=full_windows,
        conf_level=conf_level,
    )
