"""Before/after summaries of police outcomes around referral, and the March 2024 statements.

:func:`before_after` compares, by area, the windows of equal length before and after each
engager's referral: people arrested, arrests, offences (all and by harmonised category),
drug-offence arrests, missing episodes, with rates per person-month observed (inside the
police data's coverage, up to the extract date, custody excluded) and after/before rate
ratios with person-clustered intervals. It also counts the flow of people from referral to
"found in police data" to analysed.

:func:`police_statements` regenerates every quantitative or directional claim of the police
section of the March 2024 executive summary ("Rates of offending and missing episodes"),
plus the Action for Children Cardiff missing-incident figures, and says whether the data
reproduce each one.

A before/after change is **not** an estimate of the service's effect: young people are
referred just after an arrest, during a spell of high risk, so their arrests would have
fallen anyway (regression to the mean). Use a matched comparator design for effects
(``socdata.matching``, ``socdata.did``).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

from socdata._lazy import lazy_module
from socdata.derive.police import DAYS_PER_MONTH, referral_windows
from socdata.errors import ExcludedRowsWarning, SocdataError
from socdata.provenance import FlowLog, Provenance
from socdata.results import Result, order_tidy

stats = lazy_module("scipy.stats")

__all__ = ["BeforeAfterResult", "before_after", "police_statements"]

ALL_AREAS = "All areas"
_CI_TYPE = "Wald, log scale, person-clustered"
_RATE_MEASURES = ("arrests", "offences", "drug_arrests", "missing_episodes")
_PEOPLE_MEASURES = {
    "people arrested": "arrests",
    "people arrested for drug offences": "drug_arrests",
    "people with missing episodes": "missing_episodes",
}


@dataclasses.dataclass(frozen=True)
class BeforeAfterResult(Result):
    """Police outcomes in equal windows before and after referral, by area.

    Attributes
    ----------
    table
        One row per area (and ``"All areas"``) and measure: ``area``, ``measure``,
        ``kind`` (``count`` of events or ``people``), ``before``, ``after``, ``change``,
        ``before_person_months``, ``after_person_months``, ``before_rate``, ``after_rate``
        (per person-month), ``rate_ratio``, ``log_rr_se``, ``conf_low``, ``conf_high``,
        ``n_people``.
    flow_by_area
        ``area``, ``step``, ``n``, ``excluded_reason``, ``n_excluded``: referred -> found in
        police data -> analysed.
    window_months, full_windows, conf_level
        The options used.
    """

    table: pd.DataFrame = dataclasses.field(repr=False, default_factory=pd.DataFrame)
    flow_by_area: pd.DataFrame = dataclasses.field(repr=False, default_factory=pd.DataFrame)
    window_months: int = 12
    full_windows: bool = True
    conf_level: float = 0.95

    def tidy(self) -> pd.DataFrame:
        """After/before rate ratios by area and measure (standard tidy columns first).

        ``estimate`` is the rate ratio (after / before, per person-month observed),
        ``std_error`` the standard error of its logarithm, ``statistic`` the z statistic of
        the log rate ratio, ``n`` the number of people analysed. Extra columns: ``area``,
        ``before``, ``after``, ``before_rate``, ``after_rate``.
        """
        t = self.table[self.table["kind"] == "count"]
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.log(t["rate_ratio"].astype(float)) / t["log_rr_se"].astype(float)
        out = pd.DataFrame(
            {
                "term": t["measure"].to_numpy(),
                "estimate": t["rate_ratio"].to_numpy(),
                "std_error": t["log_rr_se"].to_numpy(),
                "statistic": z.to_numpy(),
                "p_value": 2 * stats.norm.sf(np.abs(z.to_numpy())),
                "conf_low": t["conf_low"].to_numpy(),
                "conf_high": t["conf_high"].to_numpy(),
                "ci_type": _CI_TYPE,
                "n": t["n_people"].to_numpy(),
                "area": t["area"].to_numpy(),
                "before": t["before"].to_numpy(),
                "after": t["after"].to_numpy(),
                "before_rate": t["before_rate"].to_numpy(),
                "after_rate": t["after_rate"].to_numpy(),
            }
        )
        return order_tidy(out)

    def flow(self) -> pd.DataFrame:
        """The flow of people from referral to analysed, by area (a copy)."""
        return self.flow_by_area.copy()

    def _summary_body(self) -> str:
        main = self.table[
            self.table["measure"].isin(
                ["people arrested", "arrests", "offences", "drug_arrests", "missing_episodes"]
            )
        ]
        cols = [
            "area",
            "measure",
            "before",
            "after",
            "before_rate",
            "after_rate",
            "rate_ratio",
            "conf_low",
            "conf_high",
        ]
        return (
            f"Equal windows of {self.window_months} months before and after referral "
            f"({'full windows only' if self.full_windows else 'partial windows allowed'}); "
            "rates per person-month observed, custody excluded.\n"
            + main[cols].to_string(index=False, float_format=lambda v: f"{v:.3g}")
            + "\n\nA before/after change is not a service effect: referral follows arrests, "
            "so arrests fall anyway (regression to the mean). Use a comparator design."
        )


def _rate_ratio(
    before: np.ndarray, after: np.ndarray, eb: np.ndarray, ea: np.ndarray, z: float
) -> tuple[float, float, float, float]:
    """Ratio of after/before rates with a person-clustered (linearised) SE of its log."""
    sb, sa, teb, tea = before.sum(), after.sum(), eb.sum(), ea.sum()
    if teb <= 0 or tea <= 0 or sb == 0:
        return np.nan, np.nan, np.nan, np.nan
    rb, ra = sb / teb, sa / tea
    rr = ra / rb
    if sa == 0:
        return rr, np.nan, np.nan, np.nan
    infl = (after - ra * ea) / (ra * tea) - (before - rb * eb) / (rb * teb)
    n = infl.size
    se = float(np.sqrt(n / (n - 1) * np.sum(infl**2))) if n > 1 else np.nan
    return rr, se, rr * np.exp(-z * se), rr * np.exp(z * se)


def before_after(
    persons: pd.DataFrame,
    events: pd.DataFrame,
    missing: pd.DataFrame,
    *,
    window_months: int = 12,
    full_windows: bool = True,
    referred: pd.DataFrame | None = None,
    start: str | pd.Timestamp | None = None,
    conf_level: float = 0.95,
) -> BeforeAfterResult:
    """Summarise police outcomes before and after referral, by area.

    Parameters
    ----------
    persons, events, missing
        ``police_persons``, ``police_events``, ``police_missing`` extracts (contract
        columns). Only engagers are used. Not modified.
    window_months
        Length of each window in calendar months (default 12): before is
        ``[referral - window, referral)``, after ``[referral, referral + window)``.
    full_windows
        Analyse only engagers whose two windows lie entirely inside the police data's
        coverage (default True: counts of people and events are then comparable before and
        after). With False, partial windows are used and rates per person-month correct for
        their length; engagers with no observed day in either window are still excluded.
    referred
        The list of referred young people (``person_id``, ``area``), e.g. the service
        extract or ``generate()["referred"]``: gives the first step of the flow (referred ->
        found in police data). Without it the flow starts at the engagers in police data.
    start
        First day of the police data's coverage (default: the month of the earliest record).
    conf_level
        Level of the rate-ratio intervals.

    Returns
    -------
    BeforeAfterResult

    Warns
    -----
    socdata.errors.ExcludedRowsWarning
        With the number of engagers not analysed and why.

    Notes
    -----
    Rates are events per person-month observed (a month is 365.25/12 days). The rate ratio
    is after/before; its interval is a Wald interval on the log scale whose standard error
    linearises the two ratio estimators person by person (a sandwich estimator clustered on
    person, with factor ``n/(n-1)``), so it allows for overdispersion and the pairing of
    windows. It equals the robust standard error of a Poisson regression of the window
    counts on an after-indicator with log exposure as offset, clustered on person.
    """
    if not 0 < conf_level < 1:
        raise SocdataError(
            f"before_after(): conf_level={conf_level!r} breaks the rule '0 < conf_level < 1'; "
            "pass e.g. conf_level=0.95."
        )
    win = referral_windows(persons, events, missing, window_months=window_months, start=start)
    z = float(stats.norm.ppf(0.5 + conf_level / 2))
    flow = FlowLog()
    flow_rows: list[dict] = []

    pid = persons["person_id"].astype(str)
    is_eng = persons["group"].astype(str) == "Engager"
    eng = persons.loc[is_eng]
    areas = sorted(eng["area"].astype(str).unique())

    # step 1: referred -> found in police data
    if referred is not None:
        for col in ("person_id", "area"):
            if col not in referred.columns:
                raise SocdataError(
                    f"before_after(): referred has no column {col!r}; pass the service extract "
                    "or a frame with person_id and area of every referred young person."
                )
        ref = referred.drop_duplicates("person_id")
        ref_ids = ref["person_id"].astype(str)
        found = ref_ids.isin(pid[is_eng])
        areas = sorted(set(areas) | set(ref["area"].astype(str)))
        flow = flow.add(
            "referred -> found in police data",
            len(ref),
            int(found.sum()),
            {"not found in police data": int((~found).sum())},
            unit="people",
        )
        for a in areas:
            in_a = (ref["area"].astype(str) == a).to_numpy()
            flow_rows += [
                {"area": a, "step": "referred", "n": int(in_a.sum())},
                {
                    "area": a,
                    "step": "found in police data",
                    "n": int((in_a & found).sum()),
                    "excluded_reason": "not found in police data",
                    "n_excluded": int((in_a & ~found).sum()),
                },
            ]
        extra = int((~pid[is_eng].isin(ref_ids)).sum())
        if extra:
            warnings.warn(
                f"before_after(): {extra} engager(s) in police_persons are not on the referred "
                "list; they are analysed but do not appear in its first flow step.",
                ExcludedRowsWarning,
                stacklevel=2,
            )
    else:
        for a in areas:
            flow_rows.append(
                {
                    "area": a,
                    "step": "found in police data",
                    "n": int((eng["area"].astype(str) == a).sum()),
                }
            )

    # step 2: found -> analysed
    b = win[win["window"] == "before"].set_index("person_id")
    a_ = win[win["window"] == "after"].set_index("person_id")
    reasons = pd.Series("", index=b.index, dtype=object)
    no_ref = int(eng["referral_date"].isna().sum())
    if full_windows:
        reasons[~b["full"]] = "before window starts before the police data's coverage"
        reasons[(reasons == "") & ~a_["full"]] = "after window ends after the extract date"
    reasons[(reasons == "") & (b["observed_days"] <= 0)] = "no day observed before referral"
    reasons[(reasons == "") & (a_["observed_days"] <= 0)] = "no day observed after referral"
    keep = reasons == ""
    excl = reasons[~keep].value_counts().to_dict()
    if no_ref:
        excl["no referral date"] = no_ref
    flow = flow.add(
        "found in police data -> analysed", len(eng), int(keep.sum()), excl, unit="people"
    )
    n_excl = len(eng) - int(keep.sum())
    if n_excl:
        detail = "; ".join(f"{k}: {v}" for k, v in excl.items())
        warnings.warn(
            f"before_after(): {n_excl} of {len(eng)} engagers not analysed ({detail}).",
            ExcludedRowsWarning,
            stacklevel=2,
        )
    area_of = b["area"]
    for a in areas:
        in_a = area_of == a
        r = reasons[in_a & ~keep].value_counts()
        if r.empty:
            flow_rows.append({"area": a, "step": "analysed", "n": int((in_a & keep).sum())})
        for k, v in r.items():
            flow_rows.append(
                {
                    "area": a,
                    "step": "analysed",
                    "n": int((in_a & keep).sum()),
                    "excluded_reason": k,
                    "n_excluded": int(v),
                }
            )
    flow_by_area = pd.DataFrame(
        flow_rows, columns=["area", "step", "n", "excluded_reason", "n_excluded"]
    )
    # all-missing reasons make a float column: to text first (pandas 3 refuses "" in float)
    flow_by_area["excluded_reason"] = flow_by_area["excluded_reason"].astype(object).fillna("")
    flow_by_area["n_excluded"] = flow_by_area["n_excluded"].fillna(0).astype(int)

    bk, ak = b[keep], a_.loc[keep[keep].index]
    measures = list(_RATE_MEASURES) + sorted(
        c for c in win.columns if c.startswith(("offences: ", "arrests: "))
    )
    rows: list[dict] = []
    for area in [*areas, ALL_AREAS]:
        sel = np.ones(len(bk), bool) if area == ALL_AREAS else (bk["area"] == area).to_numpy()
        eb = bk["observed_days"].to_numpy()[sel] / DAYS_PER_MONTH
        ea = ak["observed_days"].to_numpy()[sel] / DAYS_PER_MONTH
        n = int(sel.sum())
        for label, src in _PEOPLE_MEASURES.items():
            nb = int((bk[src].to_numpy()[sel] > 0).sum())
            na = int((ak[src].to_numpy()[sel] > 0).sum())
            rows.append(
                {
                    "area": area,
                    "measure": label,
                    "kind": "people",
                    "before": nb,
                    "after": na,
                    "n_people": n,
                }
            )
        for m in measures:
            yb = bk[m].to_numpy()[sel].astype(float)
            ya = ak[m].to_numpy()[sel].astype(float)
            rr, se, lo, hi = _rate_ratio(yb, ya, eb, ea, z)
            rows.append(
                {
                    "area": area,
                    "measure": m,
                    "kind": "count",
                    "before": int(yb.sum()),
                    "after": int(ya.sum()),
                    "before_person_months": eb.sum(),
                    "after_person_months": ea.sum(),
                    "before_rate": yb.sum() / eb.sum() if eb.sum() > 0 else np.nan,
                    "after_rate": ya.sum() / ea.sum() if ea.sum() > 0 else np.nan,
                    "rate_ratio": rr,
                    "log_rr_se": se,
                    "conf_low": lo,
                    "conf_high": hi,
                    "n_people": n,
                }
            )
    table = pd.DataFrame(rows)
    table.insert(5, "change", table["after"] - table["before"])
    prov = Provenance.build(
        "socdata.describe.police.before_after",
        parameters={
            "window_months": window_months,
            "full_windows": full_windows,
            "start": None if start is None else str(start),
            "referred": None if referred is None else f"{len(referred)} rows",
            "conf_level": conf_level,
        },
        frames={"persons": persons, "events": events, "missing": missing},
        n_in=len(eng),
        n_out=int(keep.sum()),
        flow=flow,
        notes=(
            "rates per person-month observed (365.25/12 days), inside the police data's "
            "coverage up to the extract date, custody days excluded",
            f"rate-ratio intervals: {_CI_TYPE} (linearised ratio estimators, factor n/(n-1))",
            "before/after changes include regression to the mean; they are not effects",
        ),
    )
    return BeforeAfterResult(
        provenance=prov,
        table=table,
        flow_by_area=flow_by_area,
        window_months=int(window_months),
        full_windows=full_windows,
        conf_level=conf_level,
    )


# --------------------------------------------------------------------------------------
# March 2024 statements
# --------------------------------------------------------------------------------------

_SOURCE_MARCH = "March 2024 executive summary, Outcomes: Rates of offending and missing episodes"
_SOURCE_AFC = "Action for Children submission (missing children in Wales, 2024)"


def _pct(k: float, n: float) -> float:
    return 100.0 * k / n if n else np.nan


def _fmt_pct(k: int, n: int, fc=str) -> str:
    """``"81% (153/190)"``; under a count formatter that rounds, the counts are the
    released ones and the percentage is computed from them (never from the exact counts,
    which the percentage would otherwise give back)."""
    if not n:
        return "no one to count"
    if fc is str:
        return f"{_pct(k, n):.0f}% ({k}/{n})"
    rk, rn = fc(k), fc(n)
    if not (rk.isdigit() and rn.isdigit()) or int(rn) == 0:
        return f"share not shown (n={rn})"
    return f"{_pct(int(rk), int(rn)):.0f}% ({rk}/{rn})"


def _count_formatter(small_count: int | None):
    """Write counts 1 to small_count - 1 as '<small_count' (disclosure control of text)."""

    def fc(v) -> str:
        v = int(v)
        if small_count and 0 < v < small_count:
            return f"<{small_count}"
        return str(v)

    return fc


def police_statements(
    persons: pd.DataFrame,
    events: pd.DataFrame,
    missing: pd.DataFrame,
    *,
    referred: pd.DataFrame | None = None,
    window_months: int = 12,
    full_windows: bool = True,
    arrest_lookback_days: int = 90,
    start: str | pd.Timestamp | None = None,
    result: BeforeAfterResult | None = None,
    small_count: int | None = None,
    count_format: Callable[[float], str] | None = None,
) -> pd.DataFrame:
    """Regenerate the police statements of the March 2024 summary from police extracts.

    Parameters
    ----------
    persons, events, missing
        Police extracts (contract columns). Not modified.
    referred
        The list of referred young people (``person_id``, ``area``): needed for "77%
        (190/248) identified in police data" and the Cardiff count of 119; without it those
        rows are ``not reproducible``.
    window_months, full_windows, start
        Passed to :func:`before_after` (the summary does not state its windows; 12 months of
        equal length is this package's reading).
    arrest_lookback_days
        "Referred following arrest" means an arrest in this many days before the referral
        date (default 90).
    result
        A :func:`before_after` result to reuse (else computed).
    small_count
        Disclosure control of the text: counts from 1 to ``small_count - 1`` in
        ``regenerated`` are written ``"<small_count"`` and shares with such a numerator (or
        complement) lose their fraction. Statuses are computed on the exact values. Default
        None (no masking; the bundled synthetic data need none).
    count_format
        How counts are written in ``regenerated`` (overrides ``small_count``): on real
        data pass :func:`socdata.report.control.count_formatter` of the run's rule set, so
        that counts are rounded and masked as in the tables and shares are computed from
        the released counts.

    Returns
    -------
    pandas.DataFrame
        One row per claim: ``statement_id``, ``statement``, ``source``, ``printed``,
        ``regenerated``, ``status`` (``match``, ``differs`` or ``not reproducible``),
        ``rule`` (how the claim is read and compared), ``note``.

    Notes
    -----
    Numeric claims match when the regenerated figure rounds to the printed one at the
    printed precision; words are read as ranges stated in ``rule`` ("most": over 50%,
    "around half": 40-60%, "three quarters": 72.5-77.5%, "over 70%": above 70%). Directional
    claims by area ("three of the four areas") match when the number of areas with that
    direction equals the printed number. Personal characteristics are computed on engagers
    found in police data, since the summary's figures come from police data.
    """
    fc = count_format or _count_formatter(small_count)
    res = result or before_after(
        persons,
        events,
        missing,
        window_months=window_months,
        full_windows=full_windows,
        referred=referred,
        start=start,
    )
    tab = res.table
    eng = persons.loc[persons["group"].astype(str) == "Engager"].copy()
    eng["person_id"] = eng["person_id"].astype(str)
    n_eng = len(eng)
    ref_date = pd.to_datetime(eng.set_index("person_id")["referral_date"])
    ev = events.assign(
        person_id=events["person_id"].astype(str), event_date=pd.to_datetime(events["event_date"])
    )
    ev = ev[ev["person_id"].isin(eng["person_id"])]
    arr = ev[ev["event_type"].astype(str) == "Arrest"]
    ms = missing.assign(
        person_id=missing["person_id"].astype(str),
        reported_datetime=pd.to_datetime(missing["reported_datetime"]),
    )
    ms = ms[ms["person_id"].isin(eng["person_id"])]
    rows: list[dict] = []

    def add(sid, statement, printed, regenerated, status, rule, note="", source=_SOURCE_MARCH):
        rows.append(
            {
                "statement_id": sid,
                "statement": statement,
                "source": source,
                "printed": printed,
                "regenerated": regenerated,
                "status": status,
                "rule": rule,
                "note": note,
            }
        )

    def share_rule(sid, statement, printed, k, n, test: Callable[[float], bool], rule, note=""):
        if n == 0:
            add(
                sid,
                statement,
                printed,
                "no engagers in police data",
                "not reproducible",
                rule,
                note,
            )
            return
        add(
            sid,
            statement,
            printed,
            _fmt_pct(k, n, fc),
            "match" if test(_pct(k, n)) else "differs",
            rule,
            note,
        )

    # demographics
    share_rule(
        "S01",
        "Most young people referred to the Service were white",
        "most",
        int((eng.get("ethnicity", pd.Series(dtype=str)) == "White").sum())
        if "ethnicity" in eng
        else 0,
        n_eng if "ethnicity" in eng else 0,
        lambda p: p > 50,
        "share White among engagers found in police data > 50%",
    )
    share_rule(
        "S02",
        "Most young people referred to the Service were male",
        "most",
        int((eng["gender"].astype(str) == "Male").sum()),
        n_eng,
        lambda p: p > 50,
        "share Male among engagers found in police data > 50%",
    )
    age = _age_at_referral(eng)
    if age is None or age.notna().sum() == 0:
        add(
            "S03",
            "Young people referred were in their mid-teens",
            "mid-teens",
            "no birth date or birth month",
            "not reproducible",
            "median age at referral between 14 and 16",
        )
    else:
        med = float(age.median())
        add(
            "S03",
            "Young people referred were in their mid-teens",
            "mid-teens",
            f"median age {med:.1f} (n={fc(age.notna().sum())})",
            "match" if 14 <= med <= 16 else "differs",
            "median age at referral between 14 and 16",
        )
    if "deprivation_decile" in eng and eng["deprivation_decile"].notna().any():
        dec = pd.to_numeric(eng["deprivation_decile"], errors="coerce")
        share_rule(
            "S04",
            "Around half were living in the most deprived areas of each city",
            "around half",
            int((dec <= 2).sum()),
            int(dec.notna().sum()),
            lambda p: 40 <= p <= 60,
            "share in the most deprived fifth (deciles 1-2 of the nation's index) "
            "between 40% and 60%",
            "'most deprived areas' is read as the most deprived fifth of areas",
        )
    else:
        add(
            "S04",
            "Around half were living in the most deprived areas of each city",
            "around half",
            "no deprivation decile",
            "not reproducible",
            "share in deciles 1-2 between 40% and 60%",
        )

    # found in police data
    if referred is not None:
        ref = referred.drop_duplicates("person_id")
        k = int(ref["person_id"].astype(str).isin(eng["person_id"]).sum())
        nref = len(ref)
        ok = k == 190 and nref == 248
        add(
            "S05",
            "Seventy-seven percent (190/248) of young people referred to the Service "
            "were identified in police administrative data",
            "77% (190/248)",
            _fmt_pct(k, nref, fc),
            "match" if ok else "differs",
            "numerator and denominator equal 190 and 248",
        )
    else:
        add(
            "S05",
            "Seventy-seven percent (190/248) of young people referred to the Service "
            "were identified in police administrative data",
            "77% (190/248)",
            f"{fc(n_eng)} engagers found; referred list not given",
            "not reproducible",
            "numerator and denominator equal 190 and 248",
            "pass referred= (the service extract) to count the referred young people",
        )

    # referred following arrest
    lb = pd.Timedelta(days=arrest_lookback_days)
    ra = arr.assign(ref=ref_date.reindex(arr["person_id"]).to_numpy())
    recent = ra[(ra["event_date"] < ra["ref"]) & (ra["event_date"] >= ra["ref"] - lb)]
    share_rule(
        "S06",
        "Most young people were referred to the Service following arrest",
        "most",
        int(recent["person_id"].nunique()),
        n_eng,
        lambda p: p > 50,
        f"share of engagers with an arrest in the {arrest_lookback_days} days before "
        "referral > 50%",
    )
    n_arr = arr.groupby("person_id").size().reindex(eng["person_id"]).fillna(0)
    share_rule(
        "S07",
        "Over 70% of young people had multiple arrests recorded",
        "over 70%",
        int((n_arr >= 2).sum()),
        n_eng,
        lambda p: p > 70,
        "share of engagers with 2 or more arrests in the whole extract > 70%",
    )
    # main offence groups
    main = {"Violence against the person", "Public order", "Drug offences", "Possession of weapons"}
    cats = arr["offence_category"].astype(str)
    cats = cats[cats != "Not applicable"].value_counts()
    top4 = list(cats.index[:4])
    add(
        "S08",
        "The main offences were for violence, public order, drug offences or possession "
        "of a weapon",
        "violence, public order, drugs, weapons",
        ", ".join(f"{c} ({fc(v)})" for c, v in cats.head(4).items()) or "no arrests",
        "match" if set(top4) == main else "differs",
        "the four most frequent harmonised categories of engagers' arrests are these four",
    )

    # by-area directions
    def direction(
        measure: str,
        kind: str,
        want: str,
        k_printed: int,
        sid: str,
        text: str,
        printed: str,
        rule: str,
    ):
        t = tab[(tab["measure"] == measure) & (tab["kind"] == kind) & (tab["area"] != ALL_AREAS)]
        if t.empty or t["n_people"].sum() == 0:
            add(sid, text, printed, "no engagers analysed", "not reproducible", rule)
            return
        sel = t[(t["after"] < t["before"]) if want == "down" else (t["after"] > t["before"])]
        detail = "; ".join(f"{r.area} {fc(r.before)}->{fc(r.after)}" for r in t.itertuples())
        n_areas = len(t)
        add(
            sid,
            text,
            printed,
            f"{len(sel)} of {n_areas} areas ({detail})",
            "match" if len(sel) == k_printed and n_areas == 4 else "differs",
            rule,
        )

    w = f"{res.window_months}-month windows before vs after referral"
    direction(
        "people arrested",
        "people",
        "down",
        3,
        "S09",
        "Following referral there was a reduction in the number of young people arrested "
        "for three of the four areas",
        "3 of 4 areas",
        f"areas with fewer people arrested after than before ({w}) = 3 of 4",
    )
    direction(
        "offences",
        "count",
        "down",
        3,
        "S10",
        "Following referral there was a reduction in the number of offences for three of "
        "the four areas",
        "3 of 4 areas",
        f"areas with fewer offences after than before ({w}) = 3 of 4",
    )
    direction(
        "arrests",
        "count",
        "up",
        1,
        "S11",
        "There was an increase in the number of arrests for one area",
        "1 of 4 areas",
        f"areas with more arrests after than before ({w}) = 1 of 4",
    )
    direction(
        "drug_arrests",
        "count",
        "down",
        2,
        "S12",
        "In two areas there was a decline in the number of arrests for drug offences",
        "2 of 4 areas",
        f"areas with fewer drug-offence arrests after than before ({w}) = 2",
    )
    direction(
        "people arrested for drug offences",
        "people",
        "down",
        2,
        "S13",
        "In two areas there was a decline in the number of young people arrested for drug offences",
        "2 of 4 areas",
        f"areas with fewer people arrested for drug offences after than before ({w}) = 2",
    )
    allr = tab[(tab["area"] == ALL_AREAS) & (tab["kind"] == "count")]
    other = allr[
        allr["measure"].str.startswith("arrests: ") & (allr["measure"] != "arrests: Drug offences")
    ]
    if other.empty:
        add(
            "S14",
            "Reductions were also noted in the number of arrests for other types of offences",
            "reduction",
            "no arrests",
            "not reproducible",
            "non-drug arrests, all areas: after < before",
        )
    else:
        nb, na = int(other["before"].sum()), int(other["after"].sum())
        add(
            "S14",
            "Reductions were also noted in the number of arrests for other types of offences",
            "reduction",
            f"{fc(nb)} before -> {fc(na)} after (all areas)",
            "match" if na < nb else "differs",
            f"arrests for categories other than drug offences, all areas, {w}: after < before",
        )

    # missing episodes before referral
    mr = ms.assign(ref=ref_date.reindex(ms["person_id"]).to_numpy())
    n_miss = mr[mr["reported_datetime"] < mr["ref"]].groupby("person_id").size()
    n_miss = n_miss.reindex(eng["person_id"]).fillna(0)
    share_rule(
        "S15",
        "Most young people had missing episodes prior to referral",
        "most",
        int((n_miss >= 1).sum()),
        n_eng,
        lambda p: p > 50,
        "share of engagers with 1 or more missing episodes before referral (whole extract) > 50%",
    )
    share_rule(
        "S16",
        "Three quarters of young people had multiple missing episodes",
        "three quarters",
        int((n_miss >= 2).sum()),
        n_eng,
        lambda p: 72.5 <= p < 77.5,
        "share of engagers with 2 or more missing episodes before referral in [72.5%, 77.5%)",
        "read as 'multiple missing episodes before referral' among all engagers",
    )
    mall = allr[allr["measure"] == "missing_episodes"]
    if mall.empty or mall["n_people"].iloc[0] == 0:
        add(
            "S17",
            "Following engagement with the Service there was a reduction in the number "
            "of missing episodes",
            "reduction",
            "no engagers analysed",
            "not reproducible",
            f"missing episodes, all areas, {w}: after < before",
        )
    else:
        r = mall.iloc[0]
        add(
            "S17",
            "Following engagement with the Service there was a reduction in the number "
            "of missing episodes",
            "reduction",
            f"{fc(r.before)} before -> {fc(r.after)} after",
            "match" if r.after < r.before else "differs",
            f"missing episodes, all areas, {w}: after < before",
        )

    # Action for Children, Cardiff
    card = tab[(tab["area"] == "Cardiff") & (tab["measure"] == "missing_episodes")]
    note = (
        "AfC counted incidents for its Cardiff service (119 supported 2020-2023; windows "
        "not stated); regenerated from Cardiff engagers in police data, "
        f"{w}"
    )
    for sid, when, printed in (("A01", "before", 140), ("A02", "after", 85)):
        text = f"Cardiff: {printed} missing incidents {when} referral to the service"
        if card.empty or card["n_people"].iloc[0] == 0:
            add(
                sid,
                text,
                str(printed),
                "no Cardiff engagers analysed",
                "not reproducible",
                "count equals the printed number",
                note,
                _SOURCE_AFC,
            )
        else:
            v = int(card[when].iloc[0])
            add(
                sid,
                text,
                str(printed),
                fc(v),
                "match" if v == printed else "differs",
                "count equals the printed number",
                note,
                _SOURCE_AFC,
            )
    if referred is not None:
        ncard = int((referred.drop_duplicates("person_id")["area"].astype(str) == "Cardiff").sum())
        add(
            "A03",
            "Cardiff: 119 young people supported from 2020 to 2023",
            "119",
            fc(ncard),
            "match" if ncard == 119 else "differs",
            "referred young people in Cardiff equal the printed number",
            "the evaluation's referral window (July 2020 - January 2023) is shorter than "
            "AfC's 2020-2023",
            _SOURCE_AFC,
        )
    else:
        add(
            "A03",
            "Cardiff: 119 young people supported from 2020 to 2023",
            "119",
            "referred list not given",
            "not reproducible",
            "referred young people in Cardiff equal the printed number",
            "",
            _SOURCE_AFC,
        )
    add(
        "A04",
        "Cardiff: 70% of the 119 young people had missing concerns noted",
        "70%",
        "police data record episodes, not concerns noted in referral information",
        "not reproducible",
        "needs case-file data on concerns noted",
        "",
        _SOURCE_AFC,
    )
    return pd.DataFrame(
        rows,
        columns=[
            "statement_id",
            "statement",
            "source",
            "printed",
            "regenerated",
            "status",
            "rule",
            "note",
        ],
    )


def _age_at_referral(eng: pd.DataFrame) -> pd.Series | None:
    ref = pd.to_datetime(eng["referral_date"])
    if "date_of_birth" in eng and eng["date_of_birth"].notna().any():
        dob = pd.to_datetime(eng["date_of_birth"])
    elif "birth_month" in eng and eng["birth_month"].notna().any():
        # middle of the birth month: unbiased to within half a month
        dob = pd.to_datetime(eng["birth_month"].astype(str), format="%Y-%m", errors="coerce")
        dob = dob + pd.Timedelta(days=14)
    else:
        return None
    return (ref - dob).dt.days / 365.25
