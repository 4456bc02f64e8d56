"""Risk-set matching, step 1: the inputs as dense arrays (private).

Checks the options and the two input frames, and turns them into month-major arrays:
which person is observed in which month, cumulative counts of the panel's count columns,
person-level covariates and the (force, exact cell) stratum of each person.  Covariates
*at a month* (age, histories over a window) are then read from these arrays by
:meth:`RiskSetArrays.covs_at` without touching the frames again.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from socdata.dates import NAT_INT, age_years, epoch_months
from socdata.errors import MatchingError

month_index = epoch_months  # months since 1970-01 (NaT: the int64 minimum)

_PANEL_NEEDED = ("person_id", "month", "arrests", "missing_episodes")
NAT = NAT_INT


def month_start(idx: np.ndarray | int) -> np.ndarray:
    """Month start (datetime64[ns]) of months since 1970-01."""
    return np.asarray(idx, dtype=np.int64).astype("datetime64[M]").astype("datetime64[ns]")


def fmt_month(idx: int) -> str:
    """``YYYY-MM`` of a month since 1970-01."""
    return str(np.datetime64(int(idx), "M"))


def _count_spec(name: str, history: int, recent: int) -> tuple[str, int] | None:
    """Panel column and window of a count covariate name, or None for other names."""
    m = re.fullmatch(r"(.+)_last_(\d+)m", name)
    if m:
        base, win = m.group(1), int(m.group(2))
        if not 1 <= win <= history:
            raise MatchingError(
                f"covariate {name!r}: the window ({win} months) must be between 1 and "
                f"history_months={history}"
            )
        return ("missing_episodes" if base == "missing" else base), win
    for suffix, win in (("_history", history), ("_recent", recent)):
        if name.endswith(suffix):
            base = name[: -len(suffix)]
            return ("missing_episodes" if base == "missing" else base), win
    return None


def _birth_ns(persons: pd.DataFrame) -> np.ndarray:
    """Date of birth in ns; from ``date_of_birth`` or else the 15th of ``birth_month``."""
    out = np.full(len(persons), NAT, dtype=np.int64)
    have = np.zeros(len(persons), bool)
    if "date_of_birth" in persons.columns:
        dob = pd.to_datetime(persons["date_of_birth"], errors="coerce")
        ok = dob.notna().to_numpy()
        out[ok] = dob[ok].to_numpy(dtype="datetime64[ns]").astype(np.int64)
        have |= ok
    if "birth_month" in persons.columns:
        bm = pd.to_datetime(
            persons["birth_month"].astype("string"), format="%Y-%m", errors="coerce"
        )
        ok = bm.notna().to_numpy() & ~have
        out[ok] = (bm[ok] + pd.Timedelta(days=14)).to_numpy(dtype="datetime64[ns]").astype(np.int64)
        have |= ok
    return np.where(have, out, NAT)


@dataclasses.dataclass(frozen=True)
class Spec:
    """Checked options of :func:`socdata.matching.risk_set_match`."""

    exact: list[str]
    covariates: list[str]
    exact_any: list[str]
    exact_any_idx: list[int]
    count_spec: dict[str, tuple[str, int]]
    person_covs: list[str]
    history: int
    recent: int


def check_spec(
    *,
    exact: Sequence[str] | str | None,
    covariates: Sequence[str] | str,
    exact_any: Sequence[str] | str,
    history_months: int,
    recent_months: int,
    ratio: int,
    caliper: float | None,
) -> Spec:
    """Validate the numeric and list options (the string choices are checked by the caller)."""
    if not isinstance(ratio, (int, np.integer)) or ratio < 1:
        raise MatchingError(f"`ratio` must be a whole number >= 1; got {ratio!r}")
    if not isinstance(history_months, (int, np.integer)) or history_months < 1:
        raise MatchingError(f"`history_months` must be a whole number >= 1; got {history_months!r}")
    if caliper is not None and not (np.isfinite(caliper) and caliper > 0):
        raise MatchingError(f"`caliper` must be a positive number or None; got {caliper!r}")
    exact_cols = [] if exact is None else list([exact] if isinstance(exact, str) else exact)
    covariates = list([covariates] if isinstance(covariates, str) else covariates)
    if not covariates:
        raise MatchingError("`covariates` is empty; name at least one matching covariate")
    H = int(history_months)
    if not isinstance(recent_months, (int, np.integer)) or not 1 <= recent_months <= H:
        raise MatchingError(
            f"`recent_months` must be a whole number from 1 to history_months={H}; "
            f"got {recent_months!r}"
        )
    count_spec = {c: _count_spec(c, H, int(recent_months)) for c in covariates}
    count_spec = {c: v for c, v in count_spec.items() if v is not None}
    exact_any = [exact_any] if isinstance(exact_any, str) else list(exact_any)
    bad_any = [c for c in exact_any if c not in covariates]
    if bad_any:
        raise MatchingError(
            f"exact_any names {bad_any} which are not among the covariates {covariates}; "
            "add them to `covariates`"
        )
    return Spec(
        exact=exact_cols,
        covariates=covariates,
        exact_any=exact_any,
        exact_any_idx=[covariates.index(c) for c in exact_any],
        count_spec=count_spec,
        person_covs=[c for c in covariates if c != "age" and c not in count_spec],
        history=H,
        recent=int(recent_months),
    )


@dataclasses.dataclass
class RiskSetArrays:
    """Persons and their panel as dense arrays (month-major: ``[month - m0, person]``)."""

    spec: Spec
    pid: np.ndarray
    is_eng: np.ndarray
    ref_m: np.ndarray
    m0: int
    T: int
    obs: np.ndarray
    cum_obs: np.ndarray
    counts: dict[str, np.ndarray]
    pcov: dict[str, np.ndarray]
    birth: np.ndarray | None
    stratum_person: np.ndarray
    n_unknown: int

    @property
    def n_p(self) -> int:
        return int(self.pid.size)

    def covs_at(self, idx: np.ndarray, m: np.ndarray | int) -> np.ndarray:
        """Covariate matrix of persons ``idx`` at absolute month index(es) ``m``."""
        covariates = self.spec.covariates
        out = np.empty((idx.size, len(covariates)))
        mi = m - self.m0
        for j, c in enumerate(covariates):
            if c == "age":
                out[:, j] = age_years(self.birth[idx], month_start(m).astype(np.int64))
            elif c in self.spec.count_spec:
                col, win = self.spec.count_spec[c]
                cum = self.counts[col]
                out[:, j] = cum[mi, idx] - cum[mi - win, idx]
            else:
                out[:, j] = self.pcov[c][idx]
        return out

    def history_ok(self, idx: np.ndarray, mi: np.ndarray | int) -> np.ndarray:
        """Observed in month ``mi`` (relative to ``m0``) and each of the history months."""
        H = self.spec.history
        return (self.cum_obs[mi, idx] - self.cum_obs[mi - H, idx] == H) & self.obs[mi, idx]


def _check_persons(persons: pd.DataFrame, spec: Spec) -> None:
    need = ["person_id", "group", "police_force", "referral_date", *spec.exact]
    missing_cols = [c for c in dict.fromkeys(need + spec.person_covs) if c not in persons.columns]
    if "age" in spec.covariates and not {"date_of_birth", "birth_month"} & set(persons.columns):
        missing_cols.append("date_of_birth or birth_month")
    if missing_cols:
        raise MatchingError(
            "persons: missing column(s) "
            + ", ".join(map(repr, missing_cols))
            + " needed for risk-set matching; columns present: "
            + ", ".join(map(str, persons.columns))
        )
    if pd.Index(persons["person_id"].to_numpy()).has_duplicates:
        raise MatchingError("persons: person_id is not unique (one row per person expected)")
    grp = persons["group"].astype(str).to_numpy()
    bad_grp = ~np.isin(grp, ["Engager", "Comparator"])
    if bad_grp.any():
        raise MatchingError(
            f"persons: column 'group' has {int(bad_grp.sum())} value(s) other than "
            "'Engager'/'Comparator' (e.g. row "
            f"{int(np.flatnonzero(bad_grp)[0])}); recode them"
        )
    for c in spec.person_covs:
        s = persons[c]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
            raise MatchingError(
                f"persons: covariate {c!r} is not numeric; match exactly on it with exact=[{c!r}]"
            )
    if persons["police_force"].isna().any():
        raise MatchingError(
            f"persons: police_force is missing for {int(persons['police_force'].isna().sum())} "
            "person(s); matching is within force, so every person needs one"
        )


def _strata_of_persons(persons: pd.DataFrame, exact: list[str]) -> np.ndarray:
    """(force, exact cell) stratum code of each person."""
    force_code = pd.factorize(persons["police_force"].astype(str))[0]
    if exact:
        ex = persons[exact].astype(str)
        cell_code = (
            pd.MultiIndex.from_frame(ex).factorize()[0]
            if len(exact) > 1
            else pd.factorize(ex.iloc[:, 0])[0]
        )
    else:
        cell_code = np.zeros(len(persons), dtype=np.int64)
    n_cells = int(cell_code.max()) + 1 if len(persons) else 1
    return force_code.astype(np.int64) * n_cells + cell_code


def _panel_grid(
    panel: pd.DataFrame, pid: np.ndarray, count_cols: list[str]
) -> tuple[int, int, np.ndarray, np.ndarray, dict[str, np.ndarray], int]:
    """Observed flags, their cumulative sums and cumulative counts, month-major."""
    pm = [c for c in dict.fromkeys([*_PANEL_NEEDED[:2], *count_cols]) if c not in panel.columns]
    if pm:
        raise MatchingError(
            "panel: missing column(s) "
            + ", ".join(map(repr, pm))
            + "; build it with socdata.derive.panel.person_month_panel"
        )
    n_p = pid.size
    pcol = panel["person_id"]
    if isinstance(pcol.dtype, pd.CategoricalDtype):
        cat_pos = pd.Index(pid).get_indexer(pcol.cat.categories)
        codes = pcol.cat.codes.to_numpy()
        row_person = np.where(codes >= 0, cat_pos[codes], -1)
    else:
        row_person = pd.Index(pid).get_indexer(pcol.to_numpy())
    n_unknown = int((row_person < 0).sum())
    pmonth = month_index(panel["month"].to_numpy())
    if (pmonth == NAT).any():
        raise MatchingError(
            f"panel: column 'month' has {int((pmonth == NAT).sum())} missing "
            "value(s); every panel row needs its calendar month"
        )
    m0 = int(pmonth.min())
    T = int(pmonth.max()) - m0 + 1
    known = row_person >= 0 if n_unknown else slice(None)  # no copies when all are known
    flat = pmonth[known] - m0
    flat *= n_p
    flat += row_person[known]
    obs = np.zeros(T * n_p, dtype=bool)
    obs[flat] = True
    if int(obs.sum()) != flat.size:
        raise MatchingError(
            f"panel: {flat.size - int(obs.sum())} duplicate person-month row(s); the panel "
            "must hold one row per person and month"
        )
    obs = obs.reshape(T, n_p)
    counts = {}
    for col in dict.fromkeys(count_cols):
        vals = panel[col].to_numpy()[known]
        if vals.dtype.kind not in "iub" and pd.isna(vals).any():
            raise MatchingError(
                f"panel: column {col!r} has missing values; counts must be 0 or more"
            )
        cum = np.zeros((T + 1) * n_p, dtype=np.int32)
        cum[flat + n_p] = vals
        cum = cum.reshape(T + 1, n_p)
        np.cumsum(cum, axis=0, out=cum)
        counts[col] = cum
    cum_obs = np.zeros((T + 1, n_p), dtype=np.int16)
    np.cumsum(obs, axis=0, out=cum_obs[1:])
    return m0, T, obs, cum_obs, counts, n_unknown


def build_arrays(panel: pd.DataFrame, persons: pd.DataFrame, spec: Spec) -> RiskSetArrays:
    """Check both frames and build the dense arrays (the frames are not modified)."""
    _check_persons(persons, spec)
    pid = persons["person_id"].to_numpy()
    ref = pd.to_datetime(persons["referral_date"], errors="coerce")
    ref_m = np.where(ref.notna().to_numpy(), month_index(ref.to_numpy()), NAT)
    count_cols = [v[0] for v in spec.count_spec.values()]
    m0, T, obs, cum_obs, counts, n_unknown = _panel_grid(panel, pid, count_cols)
    return RiskSetArrays(
        spec=spec,
        pid=pid,
        is_eng=persons["group"].astype(str).to_numpy() == "Engager",
        ref_m=ref_m,
        m0=m0,
        T=T,
        obs=obs,
        cum_obs=cum_obs,
        counts=counts,
        pcov={c: persons[c].to_numpy(dtype=float) for c in spec.person_covs},
        birth=_birth_ns(persons) if "age" in spec.covariates else None,
        stratum_person=_strata_of_persons(persons, spec.exact),
        n_unknown=n_unknown,
    )


def eligible_engagers(
    arr: RiskSetArrays, persons: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
    """Engagers with a referral month, a full history window and complete covariates.

    Returns person indices, referral months (relative to ``m0``), covariates at referral
    and the exclusion counts by reason.
    """
    H = arr.spec.history
    eng = np.flatnonzero(arr.is_eng)
    excl: dict[str, int] = {}
    no_ref = arr.ref_m[eng] == NAT
    excl["engager without a referral date"] = int(no_ref.sum())
    eng = eng[~no_ref]
    rm = arr.ref_m[eng] - arr.m0
    outside = (rm - H < 0) | (rm >= arr.T)
    excl[f"referral month outside the panel or fewer than {H} panel months before it"] = int(
        outside.sum()
    )
    eng, rm = eng[~outside], rm[~outside]
    hist_ok = arr.history_ok(eng, rm)
    excl[f"not observed in the referral month and each of the {H} months before"] = int(
        (~hist_ok).sum()
    )
    eng, rm = eng[hist_ok], rm[hist_ok]
    Xe = arr.covs_at(eng, rm + arr.m0)
    bad = ~np.isfinite(Xe).all(axis=1)
    if arr.spec.exact:
        bad |= persons[arr.spec.exact].isna().any(axis=1).to_numpy()[eng]
    excl["missing matching covariate or exact-matching variable"] = int(bad.sum())
    eng, rm, Xe = eng[~bad], rm[~bad], Xe[~bad]
    if eng.size == 0:
        raise MatchingError(
            f"no engager is eligible for matching ({int(arr.is_eng.sum())} engagers: "
            + "; ".join(f"{k}: {v}" for k, v in excl.items() if v)
            + "). Check the panel covers the referral months and the "
            f"{H} months before them, or lower `history_months`"
        )
    return eng, rm, Xe, excl


def comparator_pool(
    arr: RiskSetArrays, persons: pd.DataFrame
) -> tuple[np.ndarray, dict[int, np.ndarray], int]:
    """Usable comparators (complete person-level covariates), grouped by stratum."""
    cmp_all = np.flatnonzero(~arr.is_eng)
    ok = np.ones(cmp_all.size, bool)
    for c in arr.spec.person_covs:
        ok &= np.isfinite(arr.pcov[c][cmp_all])
    if arr.birth is not None:
        ok &= arr.birth[cmp_all] != NAT
    if arr.spec.exact:
        ok &= ~persons[arr.spec.exact].isna().any(axis=1).to_numpy()[cmp_all]
    n_missing = int((~ok).sum())
    cmp_all = cmp_all[ok]
    by_stratum: dict[int, np.ndarray] = {}
    order_c = np.argsort(arr.stratum_person[cmp_all], kind="stable")
    sc = arr.stratum_person[cmp_all][order_c]
    bounds = np.flatnonzero(np.diff(sc)) + 1
    for chunk in np.split(cmp_all[order_c], bounds):
        if chunk.size:
            by_stratum[int(arr.stratum_person[chunk[0]])] = chunk
    return cmp_all, by_stratum, n_missing
