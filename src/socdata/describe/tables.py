"""Builders of the June 2023 report's Tables 1-5, section 5.1 and the section 3.2-3.3 text figures.

Every builder takes validated extracts and returns a *tidy* frame with the columns of
:data:`TABLE_COLUMNS`:

``table_id, row_label, column_label, measure, value, numerator, denominator, exact, note``

* labels are the report's (``Children's Services``, ``Emotional regulation``; columns
  ``Cardiff, Edinburgh, Newcastle, Dundee, Overall``; footnote asterisks dropped);
* ``measure`` is ``n``, ``pct``, ``mean``, ``min`` or ``max``;
* ``value`` is what the report would print: percentages and means rounded half-up to whole
  numbers (:func:`socdata.describe.outcomes.round_half_up`); ``exact`` is the unrounded value;
* ``numerator`` / ``denominator`` give the counts behind every ``n`` and ``pct`` cell;
* a missing ``value`` means the cell cannot be computed (the report prints ``-``) and
  ``note`` says why (e.g. ``Not on form``).

Denominators follow the report: in Table 4 referral source and case status are
percentages of all referrals in the area and closure reason of the area's closed cases;
Table 5 divides by the area's plans whose form has the domain (see :func:`table5`).
Rows are referral episodes (a re-referral is a new referral), as in Table 4.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from socdata.derive.spells import engagement_spells
from socdata.describe.duration import early_closed_range
from socdata.describe.outcomes import outcome_percentages, round_half_up
from socdata.errors import ExcludedRowsWarning, SocdataError
from socdata.options import renamed_keywords
from socdata.schemas import load_spec

__all__ = [
    "AREA_ORDER",
    "DOMAIN_LABELS",
    "OUTCOME_ROW_LABELS",
    "PARTICIPANT_AREA_ORDER",
    "TABLE_COLUMNS",
    "TABLE_IDS",
    "all_tables",
    "case_status_text",
    "closure_text",
    "domains_text",
    "duration_text",
    "engaged_text",
    "interview_text",
    "outcomes_5_1",
    "referral_reasons",
    "rereferral_text",
    "table1",
    "table2",
    "table3",
    "table4_case_status",
    "table4_closure_reason",
    "table4_referral_source",
    "table5",
]

TABLE_COLUMNS: tuple[str, ...] = (
    "table_id",
    "row_label",
    "column_label",
    "measure",
    "value",
    "numerator",
    "denominator",
    "exact",
    "note",
)
#: Table ids of the interface (``socdata reproduce`` writes one CSV per id).
TABLE_IDS: tuple[str, ...] = (
    "table1",
    "table2",
    "table3",
    "table4_referral_source",
    "table4_case_status",
    "table4_closure_reason",
    "table5",
    "outcomes_5_1_closed",
    "outcomes_5_1_open",
)
OVERALL = "Overall"
#: Column order of Tables 3-5.
AREA_ORDER: tuple[str, ...] = ("Cardiff", "Edinburgh", "Newcastle", "Dundee")
#: Column order of Tables 1-2.
PARTICIPANT_AREA_ORDER: tuple[str, ...] = ("Cardiff", "Dundee", "Edinburgh", "Newcastle")

#: Referral sources in Table 4's row order (the service schema declares them in that order).
_SOURCES = tuple(load_spec("service").column("referral_source").allowed)
_STATUSES = ("Open", "Closed", "Not allocated", "Not started", "Unknown")
_CLOSURES = ("Intervention completed", "Support from other services", "Other", "Declined support")
_REASONS = (
    "Criminal exploitation",
    "At risk of criminal exploitation (school)",
    "Association with SOC group or gang",
    "Repeated offending",
    "Drug dealing",
    "Other",
)
_TABLE1_ROLES = ("Young people", "Parents", "Foster carers", "Kinship carers")
_TABLE2_ROLES = ("Managers", "Partner organisations", "Practitioners", "Peer mentors")

#: Printed Table 5 row label of each plan domain column.
DOMAIN_LABELS: dict[str, str] = {
    "domain_emotional_regulation": "Emotional regulation",
    "domain_self_esteem": "Self esteem",
    "domain_relationships": "Relationships",
    "domain_thinking_and_behaviour": "Thinking and behaviour",
    "domain_caregiver_support": "Emotional and practical support to caregivers",
    "domain_family_support": "Family support",
    "domain_risky_situations": "Identifying and managing risky situations",
    "domain_exploitation": "Exploitation",
    "domain_safety_planning": "Safety planning",
    "domain_peer_mapping": "Peer mapping",
    "domain_offending": "Offending",
    "domain_peer_mentor": "Peer Mentor",
    "domain_contextual_safeguarding": "Contextual safeguarding",
    "domain_education_employability": "Education/employability",
    "domain_identity_work": "Identity work",
    "domain_substance_misuse": "Substance misuse",
    "domain_daily_routine": "Daily routine",
    "domain_housing": "Housing",
}
#: Printed section 5.1 label of each outcome column.
OUTCOME_ROW_LABELS: dict[str, str] = {
    "outcome_positive_any": "Achieved positive outcomes",
    "outcome_reduced_offending": "Reduction in offending",
    "outcome_reduced_exploitation": "Reduction in exploitation",
    "outcome_decision_making": "Developed decision-making about risk",
    "outcome_ete_engagement": "Improved engagement with education, employment or training",
    "outcome_family_relationships": "Improved relationships with family",
}


# --------------------------------------------------------------------------- helpers


def _require(df: pd.DataFrame, cols: Iterable[str], kind: str, builder: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise SocdataError(
            f"{builder}: expected the {kind} extract as a pandas DataFrame, got {type(df).__name__}"
        )
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise SocdataError(
            f"{builder}: the {kind} extract has no column(s) {missing}. Read it with "
            f"socdata.read_extract(path, {kind!r}) so supplier column names are mapped; "
            f"columns present: {list(df.columns)[:20]}"
        )


def _areas(values: Iterable[str], order: Sequence[str]) -> list[str]:
    present = set(values)
    return [a for a in order if a in present] + sorted(present - set(order))


def _row(table_id, row, col, measure, value, num=np.nan, den=np.nan, exact=np.nan, note=""):
    return {
        "table_id": table_id,
        "row_label": row,
        "column_label": col,
        "measure": measure,
        "value": value,
        "numerator": num,
        "denominator": den,
        "exact": exact,
        "note": note,
    }


def _pct(k: int, n: int) -> tuple[float, float]:
    if n == 0:
        return np.nan, np.nan
    exact = 100.0 * k / n
    return float(round_half_up(exact)), exact


def _frame(rows: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    for c in ("value", "numerator", "denominator", "exact"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    out["note"] = out["note"].fillna("").astype(str)
    return out


def _count_table(
    df: pd.DataFrame,
    *,
    table_id: str,
    column: str,
    categories: Sequence[str],
    area_order: Sequence[str],
    base_mask: pd.Series | None = None,
    total_row: str | None = None,
    pct: bool = True,
    base_note: str = "",
) -> pd.DataFrame:
    """n and % of each category by area and overall, % of the rows in ``base_mask``."""
    base = df if base_mask is None else df[base_mask]
    vals = base[column].astype("string")
    unknown = sorted(set(vals.dropna()) - set(categories))
    if unknown:
        raise SocdataError(
            f"{table_id}: column {column!r} has value(s) {unknown[:5]} outside the report's "
            f"categories {list(categories)}; map them with the schema's synonyms "
            "(socdata.read_extract) or correct the extract"
        )
    n_missing = int(vals.isna().sum())
    if n_missing:
        warnings.warn(
            f"{table_id}: {n_missing} row(s) with no {column} are left out of the "
            "table and its denominators",
            ExcludedRowsWarning,
            stacklevel=3,
        )
    base = base[vals.notna().to_numpy()]
    areas = _areas(df["area"], area_order)
    rows = []
    for col in [*areas, OVERALL]:
        g = base if col == OVERALL else base[base["area"] == col]
        den = len(g)
        counts = g[column].astype("string").value_counts()
        for cat in categories:
            k = int(counts.get(cat, 0))
            rows.append(_row(table_id, cat, col, "n", k, k, den, k, base_note))
            if pct:
                v, ex = _pct(k, den)
                rows.append(_row(table_id, cat, col, "pct", v, k, den, ex, base_note))
        if total_row:
            rows.append(_row(table_id, total_row, col, "n", den, den, den, den))
            if pct:
                rows.append(
                    _row(
                        table_id,
                        total_row,
                        col,
                        "pct",
                        100.0 if den else np.nan,
                        den,
                        den,
                        100.0 if den else np.nan,
                        "exact total; the sum of the rounded percentages may differ",
                    )
                )
    return _frame(rows)


# --------------------------------------------------------------------------- Tables 1-2


def _participants_table(participants, table_id, roles, phase):
    _require(participants, ("participant_id", "area", "role", "phase"), "participants", table_id)
    df = participants
    if phase is not None:
        df = df[pd.to_numeric(df["phase"], errors="coerce") == phase]
    df = df[df["role"].isin(roles)]
    areas = _areas(participants["area"], PARTICIPANT_AREA_ORDER)
    rows = []
    for col in [*areas, OVERALL]:
        g = df if col == OVERALL else df[df["area"] == col]
        # people, not rows: a participant appears at most once per phase
        per_role = g.drop_duplicates(["participant_id", "phase"])["role"].value_counts()
        for role in roles:
            k = int(per_role.get(role, 0))
            rows.append(_row(table_id, role, col, "n", k, k, np.nan, k))
        tot = int(per_role.sum())
        rows.append(_row(table_id, "Total", col, "n", tot, tot, np.nan, tot))
    return _frame(rows)


def table1(participants: pd.DataFrame, *, phase: int | None = 3) -> pd.DataFrame:
    """Table 1: young people and caregivers interviewed, by role and area.

    Parameters
    ----------
    participants
        Validated ``participants`` extract.
    phase
        Evaluation phase whose interviews are counted (3 in the report: April-June 2022);
        ``None`` counts every phase.

    Returns
    -------
    pandas.DataFrame
        Tidy table ``table1``: rows Young people, Parents, Foster carers, Kinship carers,
        Total; columns the areas (report order Cardiff, Dundee, Edinburgh, Newcastle) and
        Overall; measure ``n``.
    """
    return _participants_table(participants, "table1", _TABLE1_ROLES, phase)


def table2(participants: pd.DataFrame, *, phase: int | None = 3) -> pd.DataFrame:
    """Table 2: managers, partners, practitioners and peer mentors interviewed in a phase.

    Phase 3 by default (July 2022 - February 2023, the "further cohort" of the report);
    the phase 1 manager and phase 2 staff interviews are not in Table 2.
    See :func:`table1` for the layout.
    """
    return _participants_table(participants, "table2", _TABLE2_ROLES, phase)


# --------------------------------------------------------------------------- Table 3


def _age_years(service: pd.DataFrame) -> pd.Series:
    age = (
        pd.to_numeric(service["age_at_referral"], errors="coerce")
        if "age_at_referral" in service.columns
        else pd.Series(np.nan, index=service.index)
    )
    if "date_of_birth" in service.columns:
        dob = pd.to_datetime(service["date_of_birth"])
        ref = pd.to_datetime(service["referral_date"])
        years = (
            ref.dt.year
            - dob.dt.year
            - (
                (ref.dt.month < dob.dt.month)
                | ((ref.dt.month == dob.dt.month) & (ref.dt.day < dob.dt.day))
            ).astype(int)
        )
        age = age.fillna(years.astype(float))
    return age


def table3(
    service: pd.DataFrame, *, age_sources: Sequence[str] | None = ("Service data",)
) -> pd.DataFrame:
    """Table 3: age at referral (mean, min, max) and % male, by area.

    Parameters
    ----------
    service
        Validated ``service`` extract (one row per referral episode).
    age_sources
        ``record_source`` values whose ages are used. The report computed age from service
        data only (its footnote: "Age data missing for Dundee and data on gender calculated from case
        file data"), so the default leaves case-file rows out of the age rows (their cells
        are missing, printed ``-``) while gender uses every row. ``None`` uses every row.
        Rows without ``record_source`` count as service data.

    Returns
    -------
    pandas.DataFrame
        Tidy table ``table3``: rows ``Average age`` (measure ``mean``), ``Min.``
        (``min``), ``Max.`` (``max``), ``Male`` (``pct`` of referrals with a known gender).
        Ages are completed years at referral (``age_at_referral``, or computed from the date
        of birth); the mean is rounded half-up.
    """
    _require(service, ("area", "gender", "referral_date"), "service", "table3")
    age = _age_years(service)
    use_age = pd.Series(True, index=service.index)
    if age_sources is not None and "record_source" in service.columns:
        src = service["record_source"].astype("string").fillna("Service data")
        use_age = src.isin(list(age_sources))
    n_no_age = int((use_age & age.isna()).sum())
    if n_no_age:
        warnings.warn(
            f"table3: {n_no_age} referral(s) have no age and are left out of the age rows",
            ExcludedRowsWarning,
            stacklevel=2,
        )
    gender = service["gender"].astype("string")
    known = gender.isin(["Male", "Female", "Other"])
    n_unknown = int((~known).sum())
    if n_unknown:
        warnings.warn(
            f"table3: {n_unknown} referral(s) with gender not known are left out "
            "of the % male denominator",
            ExcludedRowsWarning,
            stacklevel=2,
        )
    rows = []
    areas = _areas(service["area"], AREA_ORDER)
    for col in [*areas, OVERALL]:
        sel = pd.Series(True, index=service.index) if col == OVERALL else service["area"] == col
        a = age[sel & use_age].dropna()
        excluded_src = int((sel & ~use_age).sum())
        note = ""
        if a.empty:
            note = (
                "no age data from service data (case-file records only)"
                if excluded_src
                else "no age data"
            )
            for lab, meas in (("Average age", "mean"), ("Min.", "min"), ("Max.", "max")):
                rows.append(_row("table3", lab, col, meas, np.nan, np.nan, 0, np.nan, note))
        else:
            if excluded_src:
                note = f"age from service data only ({excluded_src} case-file row(s) left out)"
            m = float(a.mean())
            rows.append(
                _row(
                    "table3", "Average age", col, "mean", round_half_up(m), np.nan, len(a), m, note
                )
            )
            rows.append(
                _row(
                    "table3",
                    "Min.",
                    col,
                    "min",
                    float(a.min()),
                    np.nan,
                    len(a),
                    float(a.min()),
                    note,
                )
            )
            rows.append(
                _row(
                    "table3",
                    "Max.",
                    col,
                    "max",
                    float(a.max()),
                    np.nan,
                    len(a),
                    float(a.max()),
                    note,
                )
            )
        g = gender[sel & known]
        k = int((g == "Male").sum())
        v, ex = _pct(k, len(g))
        rows.append(_row("table3", "Male", col, "pct", v, k, len(g), ex))
    return _frame(rows)


# --------------------------------------------------------------------------- Table 4


def table4_referral_source(service: pd.DataFrame) -> pd.DataFrame:
    """Table 4, referrals by source: n and % of all referrals in the area, with a Total row.

    The Total row's ``pct`` is the exact total (100); the report prints the sum of its
    rounded percentages, which can differ (Edinburgh: 101).
    """
    _require(service, ("area", "referral_source"), "service", "table4_referral_source")
    return _count_table(
        service,
        table_id="table4_referral_source",
        column="referral_source",
        categories=_SOURCES,
        area_order=AREA_ORDER,
        total_row="Total",
        base_note="% of all referrals in the area",
    )


def table4_case_status(service: pd.DataFrame) -> pd.DataFrame:
    """Table 4, case status at the extract date: n and % of all referrals in the area."""
    _require(service, ("area", "case_status"), "service", "table4_case_status")
    return _count_table(
        service,
        table_id="table4_case_status",
        column="case_status",
        categories=_STATUSES,
        area_order=AREA_ORDER,
        base_note="% of all referrals in the area",
    )


def table4_closure_reason(service: pd.DataFrame) -> pd.DataFrame:
    """Table 4, reason for case closure: n and % of the area's closed cases."""
    _require(service, ("area", "case_status", "closure_reason"), "service", "table4_closure_reason")
    closed = service["case_status"].astype("string") == "Closed"
    return _count_table(
        service,
        table_id="table4_closure_reason",
        column="closure_reason",
        categories=_CLOSURES,
        area_order=AREA_ORDER,
        base_mask=closed,
        base_note="% of the area's closed cases",
    )


# --------------------------------------------------------------------------- Table 5


def table5(
    plans: pd.DataFrame, *, not_on_form: Literal["exclude", "as_no"] = "exclude"
) -> pd.DataFrame:
    """Table 5: intervention-plan domains by area, using each area's form coverage.

    Parameters
    ----------
    plans
        Validated ``plans`` extract (one row per plan; domains Yes / No / Not on form).
    not_on_form
        ``"exclude"`` (default): a plan whose form has no field for the domain is outside
        that domain's denominator; an area whose form lacks the domain gets no value (note
        ``Not on form``), and the Overall percentage divides by the plans whose form has
        the domain. ``"as_no"``: the report's convention, counting "Not on form" as "No"
        (0 for the area; Overall divides by all plans).

    Returns
    -------
    pandas.DataFrame
        Tidy table ``table5``: a first row ``Intervention plans`` (measure ``n``), then one
        row per domain with ``n`` and ``pct``.
    """
    if not_on_form not in ("exclude", "as_no"):
        raise SocdataError(
            f"table5: not_on_form={not_on_form!r} is not allowed; use 'exclude' or 'as_no'"
        )
    _require(plans, ("plan_id", "area", *DOMAIN_LABELS), "plans", "table5")
    areas = _areas(plans["area"], AREA_ORDER)
    rows = []
    for col in [*areas, OVERALL]:
        g = plans if col == OVERALL else plans[plans["area"] == col]
        rows.append(_row("table5", "Intervention plans", col, "n", len(g), len(g), np.nan, len(g)))
    for dom, label in DOMAIN_LABELS.items():
        v = plans[dom].astype("string")
        bad = sorted(set(v.dropna()) - {"Yes", "No", "Not on form"})
        if bad or v.isna().any():
            raise SocdataError(
                f"table5: column {dom!r} has value(s) {bad or ['<missing>']}; rule: each plan "
                "domain is Yes, No or Not on form. Validate the extract first "
                "(socdata.validate_extract(df, 'plans'))."
            )
        for col in [*areas, OVERALL]:
            sel = pd.Series(True, index=plans.index) if col == OVERALL else plans["area"] == col
            g = v[sel]
            k = int((g == "Yes").sum())
            on_form = int((g != "Not on form").sum())
            den = len(g) if not_on_form == "as_no" else on_form
            note = ""
            if not_on_form == "exclude" and on_form == 0:
                note = "Not on form"
                rows.append(_row("table5", label, col, "n", np.nan, np.nan, 0, np.nan, note))
                rows.append(_row("table5", label, col, "pct", np.nan, np.nan, 0, np.nan, note))
                continue
            if not_on_form == "exclude" and on_form < len(g):
                note = (
                    f"base: the {on_form} of {len(g)} plans whose form has this domain "
                    f"({len(g) - on_form} 'Not on form' left out)"
                )
            elif not_on_form == "as_no" and on_form < len(g):
                note = f"{len(g) - on_form} plan(s) 'Not on form' counted as No"
            pv, ex = _pct(k, den)
            rows.append(_row("table5", label, col, "n", k, k, den, k, note))
            rows.append(_row("table5", label, col, "pct", pv, k, den, ex, note))
    return _frame(rows)


# --------------------------------------------------------------------------- section 5.1


def _engaged_mask(service: pd.DataFrame, engaged: str) -> pd.Series:
    if engaged == "not_declined":
        return service["closure_reason"].astype("string").fillna("") != "Declined support"
    if engaged == "sessions":
        if "sessions_attended" not in service.columns:
            raise SocdataError(
                "outcomes_5_1: engaged='sessions' needs the column "
                "'sessions_attended'; use engaged='not_declined'"
            )
        s = pd.to_numeric(service["sessions_attended"], errors="coerce")
        return s.fillna(0) >= 1
    raise SocdataError(
        f"outcomes_5_1: engaged={engaged!r} is not allowed; use "
        "'not_declined' (closure reason other than Declined support) or "
        "'sessions' (at least one session attended)"
    )


@renamed_keywords(level="conf_level")
def outcomes_5_1(
    service: pd.DataFrame,
    *,
    area: str = "Cardiff",
    engaged: Literal["not_declined", "sessions"] = "not_declined",
    denominator: Literal["recorded", "all"] = "recorded",
    ci: Literal["wilson", "exact"] = "wilson",
    conf_level: float = 0.95,
) -> dict[str, pd.DataFrame]:
    """Section 5.1: outcomes of closed cases where the young person engaged, and of open cases.

    Parameters
    ----------
    service
        Validated ``service`` extract.
    area
        The area with outcome data (Cardiff in the report).
    engaged
        Which closed cases count as "engaged": ``"not_declined"`` (closure reason other
        than Declined support; the schema's definition) or ``"sessions"`` (at least one
        session attended).
    denominator, ci, conf_level
        Passed to :func:`socdata.describe.outcomes.outcome_percentages`.

    Returns
    -------
    dict
        ``{"outcomes_5_1_closed": frame, "outcomes_5_1_open": frame}``. Each frame starts
        with its base row (``Closed cases where the young person engaged`` / ``Open
        cases``, measure ``n``), then ``n`` and ``pct`` per outcome, with ``conf_low``,
        ``conf_high`` (percent) and ``fraction_word`` columns. The open-case table also
        has ``Achieved positive outcomes`` when the extract records it.
    """
    _require(
        service,
        ("area", "case_status", "closure_reason", *list(OUTCOME_ROW_LABELS)[1:]),
        "service",
        "outcomes_5_1",
    )
    if area not in set(service["area"]):
        raise SocdataError(
            f"outcomes_5_1: no referrals for area {area!r}; areas present: "
            f"{sorted(service['area'].unique())}"
        )
    in_area = service["area"] == area
    status = service["case_status"].astype("string")
    closed = service[in_area & (status == "Closed") & _engaged_mask(service, engaged)]
    opened = service[in_area & (status == "Open")]
    outs = [c for c in OUTCOME_ROW_LABELS if c in service.columns]
    out = {}
    for tid, base_label, data, cols in (
        (
            "outcomes_5_1_closed",
            "Closed cases where the young person engaged",
            closed,
            [c for c in outs if c != "outcome_positive_any"],
        ),
        ("outcomes_5_1_open", "Open cases", opened, outs),
    ):
        rows = [
            _row(
                tid,
                base_label,
                area,
                "n",
                len(data),
                len(data),
                np.nan,
                len(data),
                f"engaged = {engaged}" if tid.endswith("closed") else "",
            )
        ]
        res = outcome_percentages(
            data, outcomes=cols, denominator=denominator, ci=ci, conf_level=conf_level
        )
        extra = []
        for _, r in res.table.iterrows():
            lab = OUTCOME_ROW_LABELS[r["outcome"]]
            note = (
                f"{int(r['n_not_recorded'])} not recorded"
                if r["n_not_recorded"] and denominator == "recorded"
                else ""
            )
            rows.append(
                _row(
                    tid,
                    lab,
                    area,
                    "n",
                    r["numerator"],
                    r["numerator"],
                    r["denominator"],
                    r["numerator"],
                    note,
                )
            )
            pv = np.nan if pd.isna(r["pct"]) else float(r["pct"])
            rows.append(
                _row(
                    tid,
                    lab,
                    area,
                    "pct",
                    pv,
                    r["numerator"],
                    r["denominator"],
                    100 * r["proportion"],
                    note,
                )
            )
            extra += [
                (np.nan, np.nan, r["fraction_word"]),
                (100 * r["conf_low"], 100 * r["conf_high"], r["fraction_word"]),
            ]
        f = _frame(rows)
        f["conf_low"] = [np.nan] + [e[0] for e in extra]
        f["conf_high"] = [np.nan] + [e[1] for e in extra]
        f["fraction_word"] = [None] + [e[2] for e in extra]
        out[tid] = f
    return out


# --------------------------------------------------------------------------- text figures


def referral_reasons(service: pd.DataFrame) -> pd.DataFrame:
    """Section 3.2 referral reasons: n and % of referrals with a recorded reason (Overall).

    Table id ``text_3_2_referral_reason``; first row ``Young people with referral reason
    data`` (the base).
    """
    _require(service, ("referral_reason",), "service", "referral_reasons")
    v = service["referral_reason"].astype("string")
    bad = sorted(set(v.dropna()) - set(_REASONS))
    if bad:
        raise SocdataError(f"referral_reasons: value(s) {bad[:5]} outside {list(_REASONS)}")
    base = v.dropna()
    tid = "text_3_2_referral_reason"
    rows = [
        _row(
            tid,
            "Young people with referral reason data",
            OVERALL,
            "n",
            len(base),
            len(base),
            np.nan,
            len(base),
            f"{int(v.isna().sum())} with no reason",
        )
    ]
    for r in _REASONS:
        k = int((base == r).sum())
        pv, ex = _pct(k, len(base))
        rows.append(_row(tid, r, OVERALL, "n", k, k, len(base), k))
        rows.append(_row(tid, r, OVERALL, "pct", pv, k, len(base), ex))
    return _frame(rows)


def case_status_text(service: pd.DataFrame) -> pd.DataFrame:
    """Section 3.2: young people with data (open + closed), open and closed (Overall).

    Table id ``text_3_2_case_status``.
    """
    _require(service, ("case_status",), "service", "case_status_text")
    st = service["case_status"].astype("string")
    n_open, n_closed = int((st == "Open").sum()), int((st == "Closed").sum())
    den = n_open + n_closed
    tid = "text_3_2_case_status"
    return _frame(
        [
            _row(
                tid,
                "Young people with data",
                OVERALL,
                "n",
                den,
                den,
                np.nan,
                den,
                "open + closed referrals",
            ),
            _row(tid, "Open", OVERALL, "n", n_open, n_open, den, n_open),
            _row(tid, "Closed", OVERALL, "n", n_closed, n_closed, den, n_closed),
        ]
    )


def closure_text(service: pd.DataFrame) -> pd.DataFrame:
    """Section 3.2 closure figures (``text_3_2_closure`` and ``text_3_2_closure_other``).

    Closure reasons as n and % of all closed cases, the cases closed after a tailored
    intervention (completed or engaged with another service), and the detail of "Other"
    closures (custody as % of Other; transfers to post-18 services).
    """
    _require(service, ("case_status", "closure_reason"), "service", "closure_text")
    closed = service[service["case_status"].astype("string") == "Closed"]
    reason = closed["closure_reason"].astype("string")
    den = len(closed)
    tid = "text_3_2_closure"
    rows = [_row(tid, "Closed", OVERALL, "n", den, den, np.nan, den)]
    for r in ("Intervention completed", "Support from other services", "Declined support", "Other"):
        k = int((reason == r).sum())
        pv, ex = _pct(k, den)
        rows.append(_row(tid, r, OVERALL, "n", k, k, den, k))
        rows.append(_row(tid, r, OVERALL, "pct", pv, k, den, ex))
    k = int(reason.isin(["Intervention completed", "Support from other services"]).sum())
    pv, ex = _pct(k, den)
    lab = "Closed due to reduced risk after a tailored intervention"
    rows.append(
        _row(
            tid,
            lab,
            OVERALL,
            "n",
            k,
            k,
            den,
            k,
            "Intervention completed + Support from other services",
        )
    )
    rows.append(_row(tid, lab, OVERALL, "pct", pv, k, den, ex))
    tid2 = "text_3_2_closure_other"
    other = closed[reason == "Other"]
    n_other = len(other)
    rows.append(
        _row(tid2, "Other reasons for closure", OVERALL, "n", n_other, n_other, np.nan, n_other)
    )
    if "closure_sub_reason" in service.columns:
        sub = other["closure_sub_reason"].astype("string")
        for s in ("Custody", "Moved area", "Accommodated", "Transferred to post-18 services"):
            k = int((sub == s).sum())
            pv, ex = _pct(k, n_other)
            rows.append(_row(tid2, s, OVERALL, "n", k, k, n_other, k))
            rows.append(_row(tid2, s, OVERALL, "pct", pv, k, n_other, ex))
    return _frame(rows)


def duration_text(
    service: pd.DataFrame,
    *,
    areas: Sequence[str] | None = None,
    first_months: int = 6,
    service_start: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Section 3.3 duration statistic (``text_3_3_duration``): n, min and max full months.

    Closed spells starting within the first ``first_months`` months of each area's service
    (see :func:`socdata.describe.duration.early_closed_range`). By default the areas with
    service data (``record_source`` not ``Case file``).
    """
    if areas is None and "record_source" in service.columns:
        src = service["record_source"].astype("string").fillna("Service data")
        areas = sorted(service.loc[src != "Case file", "area"].unique())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        sp = engagement_spells(service, warn=False)
        if areas is not None:  # areas with service data but no spell have nothing to add
            areas = [a for a in areas if a in set(sp.frame["area"])]
        res = early_closed_range(
            sp, first_months=first_months, service_start=service_start, areas=areas
        )
    r = res.table.set_index("group").loc[OVERALL]
    tid = "text_3_3_duration"
    n = int(r["n"])
    return _frame(
        [
            _row(
                tid,
                "Closed cases starting in the first six months",
                OVERALL,
                "n",
                n,
                n,
                np.nan,
                n,
                f"areas: {', '.join(areas) if areas else 'all'}",
            ),
            _row(
                tid,
                "Duration of engagement (months)",
                OVERALL,
                "min",
                np.nan if pd.isna(r["min"]) else float(r["min"]),
                np.nan,
                n,
                np.nan if pd.isna(r["min"]) else float(r["min"]),
            ),
            _row(
                tid,
                "Duration of engagement (months)",
                OVERALL,
                "max",
                np.nan if pd.isna(r["max"]) else float(r["max"]),
                np.nan,
                n,
                np.nan if pd.isna(r["max"]) else float(r["max"]),
            ),
        ]
    )


def rereferral_text(service: pd.DataFrame) -> pd.DataFrame:
    """Section 3.3: young people with pauses (closed then re-referred), by area.

    Table id ``text_3_3_newcastle`` (the report gives Newcastle's 2); one row per area.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        sp = engagement_spells(service, warn=False).frame
    paused = sp[sp["spell_number"] > 1].drop_duplicates("person_id")
    areas = _areas(service["area"], AREA_ORDER)
    rows = []
    for a in areas:
        k = int((paused["area"] == a).sum())
        rows.append(
            _row(
                "text_3_3_newcastle",
                "Young people with pauses (closed and re-referred)",
                a,
                "n",
                k,
                k,
                np.nan,
                k,
            )
        )
    return _frame(rows)


def engaged_text(
    service: pd.DataFrame, *, age_sources: Sequence[str] | None = ("Service data",)
) -> pd.DataFrame:
    """Section 3.2 figures on the young people referred (``text_3_2_engaged``).

    ``Male`` (measure ``n``: males among referrals with a known gender, the count behind
    "the majority were male") and ``Age at referral`` (``mean``, ``min``, ``max``) by area
    and Overall, from service-data rows as in :func:`table3`. The printed "223 young
    people" and the median age are not regenerated here (the first counts referrals, see
    :doc:`/explanation/synthetic-data`).
    """
    _require(service, ("area", "gender", "referral_date"), "service", "engaged_text")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        t3 = table3(service, age_sources=age_sources)
    tid = "text_3_2_engaged"
    ages = t3[t3["row_label"].isin(["Average age", "Min.", "Max."])].copy()
    ages["row_label"] = "Age at referral"
    ages["table_id"] = tid
    gender = service["gender"].astype("string")
    known = gender.isin(["Male", "Female", "Other"])
    k = int((gender[known] == "Male").sum())
    male = _frame(
        [
            _row(
                tid,
                "Male",
                OVERALL,
                "n",
                k,
                k,
                int(known.sum()),
                k,
                "males among referrals with a known gender",
            )
        ]
    )
    return pd.concat([male, ages], ignore_index=True)


def interview_text(participants: pd.DataFrame) -> pd.DataFrame:
    """Interview counts of sections 2.1.1-2.1.3 (``text_2_1_1_managers``,
    ``text_2_1_2_interviews``, ``text_2_1_2_partners``, ``text_2_1_3_interviews``).

    Managers interviewed in phase 1; practitioners, peer mentors and partners in phase 2;
    young people and caregivers (parents, foster and kinship carers) in phase 3.
    """
    _require(participants, ("participant_id", "role", "phase"), "participants", "interview_text")
    p = participants.drop_duplicates(["participant_id", "phase"])
    phase = pd.to_numeric(p["phase"], errors="coerce")

    def count(ph, roles):
        return int((phase.eq(ph) & p["role"].isin(roles)).sum())

    spec = [
        ("text_2_1_1_managers", "SOCEIS managers interviewed (phase one)", 1, ["Managers"]),
        ("text_2_1_2_interviews", "Practitioners interviewed", 2, ["Practitioners"]),
        ("text_2_1_2_interviews", "Peer mentors interviewed", 2, ["Peer mentors"]),
        ("text_2_1_2_partners", "Partners interviewed", 2, ["Partner organisations"]),
        ("text_2_1_3_interviews", "Young people interviewed", 3, ["Young people"]),
        (
            "text_2_1_3_interviews",
            "Caregivers interviewed",
            3,
            ["Parents", "Foster carers", "Kinship carers"],
        ),
    ]
    rows = []
    for tid, label, ph, roles in spec:
        k = count(ph, roles)
        rows.append(_row(tid, label, OVERALL, "n", k, k, np.nan, k, f"phase {ph}"))
    return _frame(rows)


def domains_text(plans: pd.DataFrame) -> pd.DataFrame:
    """Section 4.1.1: how many domains each area's plan form has (``text_4_1_1_domains``).

    ``Areas whose plans had 18 domains`` counts areas with no domain ``Not on form`` on
    every plan; ``Domains on the form of the remaining area`` is the number of domains on
    the form of the one area with fewer (missing when several areas have fewer).
    """
    _require(plans, ("area", *DOMAIN_LABELS), "plans", "domains_text")
    on_form = {
        area: sum(int((g[d].astype("string") != "Not on form").any()) for d in DOMAIN_LABELS)
        for area, g in plans.groupby("area")
    }
    full = [a for a, n in on_form.items() if n == len(DOMAIN_LABELS)]
    fewer = {a: n for a, n in on_form.items() if n < len(DOMAIN_LABELS)}
    tid = "text_4_1_1_domains"
    rows = [
        _row(
            tid,
            f"Areas whose plans had {len(DOMAIN_LABELS)} domains",
            OVERALL,
            "n",
            len(full),
            len(full),
            len(on_form),
            len(full),
        )
    ]
    if len(fewer) == 1:
        ((area, n),) = fewer.items()
        rows.append(
            _row(
                tid,
                "Domains on the form of the remaining area",
                OVERALL,
                "n",
                n,
                n,
                np.nan,
                n,
                area,
            )
        )
    else:
        rows.append(
            _row(
                tid,
                "Domains on the form of the remaining area",
                OVERALL,
                "n",
                np.nan,
                np.nan,
                np.nan,
                np.nan,
                f"{len(fewer)} areas have fewer than {len(DOMAIN_LABELS)} domains",
            )
        )
    return _frame(rows)


def all_tables(extracts: Mapping[str, pd.DataFrame], *, include_text: bool = True) -> pd.DataFrame:
    """Every table this module builds from the extracts available, stacked.

    Parameters
    ----------
    extracts
        ``{"service": ..., "plans": ..., "participants": ...}``; missing kinds are skipped.
    include_text
        Also build the section 3.2-3.3 text figures.

    Returns
    -------
    pandas.DataFrame
        Tidy rows of all tables (``outcomes_5_1_*`` interval columns kept).
    """
    parts: list[pd.DataFrame] = []
    if "participants" in extracts:
        parts += [table1(extracts["participants"]), table2(extracts["participants"])]
        if include_text:
            parts.append(interview_text(extracts["participants"]))
    if "service" in extracts:
        s = extracts["service"]
        parts += [
            table3(s),
            table4_referral_source(s),
            table4_case_status(s),
            table4_closure_reason(s),
        ]
        parts += list(outcomes_5_1(s).values())
        if include_text:
            if "referral_reason" in s.columns:  # an optional column
                parts.append(referral_reasons(s))
            parts += [
                case_status_text(s),
                closure_text(s),
                engaged_text(s),
                duration_text(s),
                rereferral_text(s),
            ]
    if "plans" in extracts:
        parts.append(table5(extracts["plans"]))
        if include_text:
            parts.append(domains_text(extracts["plans"]))
    if not parts:
        raise SocdataError(
            "all_tables: give at least one of the extracts 'service', 'plans', 'participants'"
        )
    return pd.concat(parts, ignore_index=True)
