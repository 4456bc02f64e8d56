"""Input checks and reshaping of a long panel into unit-by-period matrices for ATT(g,t).

Private helper of :mod:`socdata.did.att_gt`.  The long frame (one row per unit and period)
is turned into an ``n x T`` outcome matrix, a cohort code per unit and optional covariate
and cluster arrays.  A frame sorted by unit and period with every unit observed in every
period (the layout of ``socdata.derive.person_month_panel`` and of most extracts) is
reshaped without hashing: a vectorised check confirms the layout and the columns are viewed
as matrices.  Any other frame is factorised first.  Nothing is dropped silently: every
excluded unit is counted in the flow log and warned.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pandas as pd

from socdata.errors import AttGtInputError, EstimationError, ExcludedRowsWarning
from socdata.options import check_choice as _check_choice
from socdata.provenance import FlowLog, hash_frame

#: Allowed values of the string options, declared once (messages are generated from here).
CONTROL_GROUPS = ("never_treated", "not_yet_treated")
BASE_PERIODS = ("varying", "universal")
EST_METHODS = ("dr", "ipw", "reg", "dr_imp")
BALANCE_OPTIONS = ("require", "drop_incomplete")
BOOT_WEIGHTS = ("rademacher", "mammen")



ATT_GT_INFERENCE = ("analytic", "bootstrap")


def check_choice(name: str, value: object, allowed: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise :class:`AttGtInputError`."""
    return str(_check_choice(name, value, allowed, function="att_gt", error=AttGtInputError))


def mask_id(value: object) -> str:
    """Mask an identifier for an error message (first character kept)."""
    s = str(value)
    return (s[:1] + "*" * max(len(s) - 1, 2)) if s else "''"


@dataclasses.dataclass
class PanelArrays:
    """A balanced panel as arrays (never leaves the estimator; holds person-level data).

    Attributes
    ----------
    y
        Outcomes, shape ``(n, T)``, float64.
    cohort_code
        Per unit, index into ``cohort_values`` (``0`` = never treated).
    cohort_values
        Numeric first-treatment period of each cohort code (``inf`` for never treated),
        sorted; on the scale of ``time_num``.
    time_num
        Numeric period of each column (the values when ``time`` is numeric, ``0..T-1`` when
        it holds dates).
    time_labels
        The original period values of each column.
    cohort_labels
        Original cohort label of each code (``None`` for never treated).
    x
        Covariates, shape ``(n, T, p)``, or ``None``.
    cluster_code
        Per unit, cluster index, or ``None`` (clusters = units).
    n_clusters
        Number of clusters (``n`` when ``cluster_code`` is None).
    flow
        Flow log of the steps so far.
    notes
        Method notes (recodings) for the summary.
    """

    y: np.ndarray
    cohort_code: np.ndarray
    cohort_values: np.ndarray
    time_num: np.ndarray
    time_labels: np.ndarray
    cohort_labels: list
    x: np.ndarray | None
    cluster_code: np.ndarray | None
    n_clusters: int
    flow: FlowLog
    notes: list[str]
    n_rows_in: int
    control_only: float | None = None
    weights: np.ndarray | None = None


def fingerprint_async(data: pd.DataFrame, columns: Sequence[str | None]) -> Future:
    """Start :func:`socdata.provenance.hash_frame` of the columns the estimator reads in a
    background thread (hashlib releases the GIL), so fingerprinting overlaps estimation;
    ``.result()`` gives the digest."""
    pool = ThreadPoolExecutor(max_workers=1)
    fut = pool.submit(hash_frame, data, columns=columns)
    pool.shutdown(wait=False)
    return fut


def _columns_present(data: pd.DataFrame, names: dict[str, str | None]) -> None:
    cols = list(map(str, data.columns))
    for role, col in names.items():
        if col is not None and col not in data.columns:
            shown = ", ".join(cols[:20]) + (" ..." if len(cols) > 20 else "")
            raise AttGtInputError(
                f"{role}={col!r} is not a column of the data. Columns in the data: [{shown}]."
            )


def _time_kind(values: pd.Series, name: str) -> str:
    if pd.api.types.is_datetime64_any_dtype(values):
        return "datetime"
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return "numeric"
    raise AttGtInputError(
        f"column {name!r} has dtype {values.dtype}; the period must be numeric (e.g. a year "
        "or month number) or datetime64 (e.g. month start dates). Convert it with "
        "pd.to_datetime(...) or .astype(int)."
    )


def _sorted_balanced_layout(unit: np.ndarray, time: np.ndarray) -> int | None:
    """Return T if rows are sorted by unit then period and every unit has the same periods.

    Vectorised: no hashing of the long columns.  Returns None for any other layout.
    """
    n_rows = len(unit)
    if n_rows == 0:
        return None
    change = unit[1:] != unit[:-1]
    pos = np.flatnonzero(change)
    n_t = int(pos[0]) + 1 if len(pos) else n_rows
    if n_rows % n_t:
        return None
    n = n_rows // n_t
    if len(pos) != n - 1 or (n > 1 and not np.array_equal(pos, np.arange(1, n) * n_t - 1)):
        return None
    first = time[:n_t]
    if n_t > 1 and not np.all(first[1:] > first[:-1]):
        return None
    if not np.array_equal(time.reshape(n, n_t), np.broadcast_to(first, (n, n_t))):
        return None
    if not pd.Index(unit[::n_t]).is_unique:
        return None
    return n_t


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes and sorted uniques; integers with a compact range avoid hashing."""
    kind = values.dtype.kind
    if kind in "iuM" and len(values):
        ints = values.view(np.int64) if kind == "M" else values.astype(np.int64, copy=False)
        lo, hi = int(ints.min()), int(ints.max())
        step = 1
        if kind == "M" and hi > lo:
            # periods on a regular grid (e.g. days): divide by the gcd of the offsets
            step = int(np.gcd.reduce(np.unique(ints[: min(len(ints), 100_000)] - lo)))
            step = step if step > 0 and not np.any((ints - lo) % step) else 0
        if step and (hi - lo) // step <= 4 * len(values):
            off = (ints - lo) // step if step > 1 else ints - lo
            seen = np.zeros(off.max() + 1, dtype=bool)
            seen[off] = True
            rank = np.cumsum(seen) - 1
            uniq = (np.flatnonzero(seen) * step + lo).astype(np.int64)
            uniq = uniq.view(values.dtype) if kind == "M" else uniq.astype(values.dtype)
            return rank[off], uniq
    codes, uniq = pd.factorize(values, sort=True)
    return codes, np.asarray(uniq)


def _per_unit_constant(values: np.ndarray, n: int, n_t: int) -> np.ndarray:
    """Boolean per unit: is the column constant over the unit's rows (NaN == NaN)?"""
    m = values.reshape(n, n_t)
    first = m[:, :1]
    same = m == first
    if m.dtype.kind == "f":
        same |= np.isnan(m) & np.isnan(first)
    elif m.dtype.kind == "M":
        same |= np.isnat(m) & np.isnat(first)
    return same.all(axis=1)


def build_panel(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    covariates: Sequence[str] | None,
    cluster: str | None,
    anticipation: int,
    control_group: str,
    balance: str,
    stacklevel: int = 3,
    weights: str | None = None,
) -> PanelArrays:
    """Validate the long frame and reshape it to matrices (see :class:`PanelArrays`)."""
    if not isinstance(data, pd.DataFrame):
        raise AttGtInputError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    covariates = list(covariates or [])
    _columns_present(
        data,
        {
            "outcome": outcome,
            "unit": unit,
            "time": time,
            "cohort": cohort,
            "cluster": cluster,
            "weights": weights,
        }
        | {f"covariates[{i}]": c for i, c in enumerate(covariates)},
    )
    if len(data) == 0:
        raise AttGtInputError("data has no rows.")
    n_rows_in = len(data)
    tkind = _time_kind(data[time], time)
    ckind = _time_kind(data[cohort], cohort)
    if tkind != ckind:
        raise AttGtInputError(
            f"cohort column {cohort!r} ({data[cohort].dtype}) must be on the same scale as the "
            f"period column {time!r} ({data[time].dtype}): both numeric or both dates. The "
            "cohort is the first treated period (0 or missing = never treated)."
        )
    for col in [outcome, *covariates, *([weights] if weights else [])]:
        if not pd.api.types.is_numeric_dtype(data[col]) or pd.api.types.is_bool_dtype(data[col]):
            raise AttGtInputError(
                f"column {col!r} has dtype {data[col].dtype}; outcome and covariates must be "
                "numeric. Encode categories as 0/1 columns (e.g. pd.get_dummies(..., "
                "drop_first=True, dtype=float))."
            )
    for col in (unit, time):
        if data[col].dtype.kind in "iub":  # plain integer columns cannot hold missing values
            continue
        n_missing = int(data[col].isna().sum())
        if n_missing:
            raise AttGtInputError(
                f"column {col!r} has {n_missing} missing values; every row needs a unit and a "
                "period. Drop or fill those rows first."
            )

    unit_v = data[unit].to_numpy()
    time_v = data[time].to_numpy()
    if tkind == "datetime":
        time_v = time_v.astype("datetime64[ns]", copy=False)
    n_t = _sorted_balanced_layout(unit_v, time_v)
    if n_t is not None:
        n = len(unit_v) // n_t
        time_labels = time_v[:n_t]
        unit_ids = unit_v[::n_t]

        def to_matrix(values: np.ndarray) -> np.ndarray:
            return values.reshape(n, n_t)

        def per_unit_first(values: np.ndarray) -> np.ndarray:
            return values[::n_t]

        cohort_const = _per_unit_constant(data[cohort].to_numpy(), n, n_t)
        cluster_const = _per_unit_constant(data[cluster].to_numpy(), n, n_t) if cluster else None
        present = None
    else:
        ucode, unit_ids = _factorize(unit_v)
        tcode, tuniq = _factorize(time_v)
        n, n_t = len(unit_ids), len(tuniq)
        time_labels = np.asarray(tuniq)
        key = ucode.astype(np.int64) * n_t + tcode
        counts = np.bincount(key, minlength=n * n_t)
        if counts.max() > 1:
            dup = int(np.flatnonzero(counts > 1)[0])
            n_dup = int((counts > 1).sum())
            raise AttGtInputError(
                f"{n_dup} unit-period pairs appear on more than one row (e.g. unit "
                f"{mask_id(unit_ids[dup // n_t])} in period {time_labels[dup % n_t]}); rule: one "
                f"row per {unit!r} and {time!r}. Aggregate the rows first (e.g. groupby + sum)."
            )
        present = (counts == 1).reshape(n, n_t)
        # any row of a unit serves as its representative (unit-level columns are checked
        # to be constant below)
        first_row = np.empty(n, dtype=np.int64)
        first_row[ucode] = np.arange(len(ucode))

        def to_matrix(values: np.ndarray) -> np.ndarray:
            if values.dtype.kind in "iub":
                values = values.astype(np.float64)
            out = np.full(n * n_t, np.nan if values.dtype.kind == "f" else None, dtype=values.dtype)
            out[key] = values
            return out.reshape(n, n_t)

        def per_unit_first(values: np.ndarray) -> np.ndarray:
            return values[first_row]

        def constant(col: str) -> np.ndarray:
            values = data[col].to_numpy()
            rep = values[first_row][ucode]
            same = np.asarray(pd.isna(values) & pd.isna(rep)) | np.asarray(values == rep)
            ok = np.ones(n, dtype=bool)
            ok[ucode[~same]] = False
            return ok

        cohort_const = constant(cohort)
        cluster_const = constant(cluster) if cluster else None

    if not cohort_const.all():
        bad = np.flatnonzero(~cohort_const)
        raise AttGtInputError(
            f"column {cohort!r} changes within {len(bad)} units (e.g. unit "
            f"{mask_id(unit_ids[bad[0]])}); rule: the cohort (first treated period) is fixed "
            "for each unit, treatment is irreversible. Set it to the unit's first treated "
            "period on every row."
        )
    if weights:
        wv = data[weights].to_numpy(dtype=np.float64)
        if not np.all(np.isfinite(wv)) or np.any(wv < 0):
            bad = int((~np.isfinite(wv) | (wv < 0)).sum())
            raise AttGtInputError(
                f"column {weights!r} has {bad} missing, infinite or negative values; rule: "
                "weights are finite and >= 0. Fix or drop those units."
            )
        w_const = _per_unit_constant(wv, n, n_t) if present is None else constant(weights)
        if not w_const.all():
            bad = np.flatnonzero(~w_const)
            raise AttGtInputError(
                f"column {weights!r} changes within {len(bad)} units (e.g. unit "
                f"{mask_id(unit_ids[bad[0]])}); rule: a unit's weight is the same in every "
                "period. Use its weight at the first period on every row."
            )
    if cluster_const is not None and not cluster_const.all():
        bad = np.flatnonzero(~cluster_const)
        raise AttGtInputError(
            f"column {cluster!r} changes within {len(bad)} units (e.g. unit "
            f"{mask_id(unit_ids[bad[0]])}); rule: units are nested in clusters. Use the "
            "cluster of the unit's first period on every row."
        )

    y = to_matrix(data[outcome].to_numpy())
    if y.dtype != np.float64:
        y = y.astype(np.float64)
    complete = np.isfinite(y).all(axis=1)
    if present is not None:
        complete &= present.all(axis=1)
    x = None
    if covariates:
        x = np.stack([to_matrix(data[c].to_numpy()).astype(np.float64) for c in covariates], -1)
        complete &= np.isfinite(x).all(axis=(1, 2))

    # cohort per unit, numeric on the scale of time_num
    raw_cohort = per_unit_first(data[cohort].to_numpy())
    if tkind == "datetime":
        time_num = np.arange(n_t, dtype=np.float64)
        raw_cohort = raw_cohort.astype("datetime64[ns]", copy=False)
        never = np.isnat(raw_cohort)
        gnum = np.searchsorted(time_labels, raw_cohort, side="left").astype(np.float64)
    else:
        time_num = time_labels.astype(np.float64)
        rc = raw_cohort.astype(np.float64)
        never = np.isnan(rc) | (rc == 0)
        if np.any(rc[~never] < 0):
            raise AttGtInputError(
                f"column {cohort!r} has negative values; rule: the first treated period, "
                "or 0 / missing for never treated."
            )
        gnum = rc
    gnum = np.where(never, np.inf, gnum)
    if time_num.size < 2:
        raise AttGtInputError("the panel has a single period; ATT(g,t) needs at least two.")

    flow = FlowLog()
    notes: list[str] = []
    keep = np.ones(n, dtype=bool)
    n_units_in = n
    excluded: dict[str, int] = {}

    n_incomplete = int((~complete).sum())
    if n_incomplete:
        if balance == "require":
            example = mask_id(unit_ids[np.flatnonzero(~complete)[0]])
            raise EstimationError(
                f"the panel is unbalanced: {n_incomplete} of {n} units lack a row or have a "
                f"missing {outcome!r}{' or covariate' if covariates else ''} value in some of the "
                f"{n_t} periods (e.g. unit {example}); rule: ATT(g,t) for panel data needs every "
                "unit in every period. Pass balance='drop_incomplete' to drop those units (they "
                "are counted and warned), or restrict the data to a window in which all units "
                "are observed."
            )
        keep &= complete
        excluded["incomplete: not observed (or outcome missing) in every period"] = n_incomplete

    # units treated in the first period (accounting for anticipation) have no pre-period
    first_treated = (gnum <= time_num[0] + anticipation) & keep
    n_first = int(first_treated.sum())
    if n_first:
        keep &= ~first_treated
        excluded["already treated in the first period"] = n_first
    flow = flow.add("units in the estimation panel", n_units_in, int(keep.sum()), excluded, "units")
    if excluded:
        warnings.warn(
            "att_gt excluded units: "
            + "; ".join(f"{k}: {v}" for k, v in excluded.items())
            + f" (of {n_units_in} units).",
            ExcludedRowsWarning,
            stacklevel=stacklevel,
        )

    late = np.isfinite(gnum) & (gnum > time_num[-1] + anticipation) & keep
    if late.any():
        notes.append(
            f"{int(late.sum())} units first treated after the last period were treated as never "
            "treated (as in R did)."
        )
        gnum = np.where(late, np.inf, gnum)

    idx = np.flatnonzero(keep)
    y = y[idx] if len(idx) < n else y
    gnum = gnum[idx]
    raw_cohort = raw_cohort[idx]
    if x is not None:
        x = x[idx]
    unit_w = per_unit_first(data[weights].to_numpy(dtype=np.float64))[idx] if weights else None
    if unit_w is not None and not unit_w.sum() > 0:
        raise AttGtInputError(f"the weights in {weights!r} sum to zero.")
    cluster_code = None
    n_clusters = len(idx)
    if cluster:
        cl = per_unit_first(data[cluster].to_numpy())[idx]
        if pd.isna(cl).any():
            raise AttGtInputError(
                f"column {cluster!r} is missing for {int(pd.isna(cl).sum())} units; every unit "
                "needs a cluster."
            )
        cluster_code, cl_uniq = pd.factorize(cl)
        n_clusters = len(cl_uniq)

    if not np.isinf(gnum).any():
        if control_group == "never_treated":
            raise EstimationError(
                "there are no never-treated units (cohort 0 or missing), so "
                "control_group='never_treated' has no comparison group. Use "
                "control_group='not_yet_treated', or add the matched comparators."
            )
        # as R did: periods from the last cohort's (anticipated) start are dropped and the
        # last cohort serves only as a not-yet-treated comparison group
        g_last = gnum.max()
        keep_t = time_num < g_last - anticipation
        n_drop_t = int((~keep_t).sum())
        flow = flow.add(
            "periods with a not-yet-treated comparison group",
            n_t,
            int(keep_t.sum()),
            {"no unit left untreated (no never-treated units)": n_drop_t},
            "periods",
        )
        notes.append(
            "No never-treated units: as in R did, periods from the last cohort's first treated "
            "period on are dropped and that cohort serves only as a comparison group."
        )
        y = y[:, keep_t]
        if x is not None:
            x = x[:, keep_t]
        time_num = time_num[keep_t]
        time_labels = time_labels[keep_t]
        n_t = int(keep_t.sum())
        if n_t < 2:
            raise EstimationError(
                "fewer than two periods precede the last cohort's treatment; ATT(g,t) "
                "with not-yet-treated controls cannot be estimated. Add never-treated units."
            )

    control_only = None
    if not np.isinf(gnum).any():
        control_only = float(gnum.max())
    cohort_values, cohort_code = np.unique(gnum, return_inverse=True)
    # never treated (inf) sorts last: rotate so that code 0 is 'never treated' when present
    if np.isinf(cohort_values[-1]):
        cohort_values = np.concatenate([[np.inf], cohort_values[:-1]])
        cohort_code = (cohort_code + 1) % len(cohort_values)
    else:
        cohort_values = np.concatenate([[np.inf], cohort_values])
        cohort_code = cohort_code + 1
    labels: list = [None]
    for v in cohort_values[1:]:
        if tkind == "datetime":
            labels.append(time_labels[int(v)] if v < len(time_labels) else raw_cohort[gnum == v][0])
        else:
            labels.append(int(v) if float(v).is_integer() else float(v))
    return PanelArrays(
        y=np.ascontiguousarray(y),
        cohort_code=cohort_code.astype(np.int64),
        cohort_values=cohort_values,
        time_num=time_num,
        time_labels=time_labels,
        cohort_labels=labels,
        x=x,
        cluster_code=None if cluster_code is None else cluster_code.astype(np.int64),
        n_clusters=n_clusters,
        flow=flow,
        notes=notes,
        n_rows_in=n_rows_in,
        control_only=control_only,
        weights=unit_w,
    )
