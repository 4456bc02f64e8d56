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

import numpy as np
import pandas as pd

from socdata.did._att_gt_arrays import PanelArrays
from socdata.did._encode import (
    Columns,
    check_input,
    encode_layout,
    mask_id,
    per_unit_constant,
    weight_column,
)
from socdata.errors import (
    AttGtInputError,
    EstimationError,
    ExcludedRowsWarning,
    caller_stacklevel,
)
from socdata.options import check_choice as _check_choice
from socdata.provenance import FlowLog, FrameFingerprint

#: Allowed values of the string options, declared once (messages are generated from here).
CONTROL_GROUPS = ("never_treated", "not_yet_treated")
BASE_PERIODS = ("varying", "universal")
EST_METHODS = ("dr", "ipw", "reg", "dr_imp")
BALANCE_OPTIONS = ("require", "drop_incomplete")
BOOT_WEIGHTS = ("rademacher", "mammen")


ATT_GT_INFERENCE = ("analytic", "bootstrap")


#: The error when the exclusions leave no unit to estimate from (both ATT(g,t) paths).
NO_UNIT_LEFT = "no unit is left in the estimation panel."

def check_choice(name: str, value: object, allowed: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise :class:`AttGtInputError`."""
    return str(_check_choice(name, value, allowed, function="att_gt", error=AttGtInputError))


def fingerprint_async(data: pd.DataFrame, columns: Sequence[str | None]) -> FrameFingerprint:
    """:func:`socdata.provenance.hash_frame` of the columns the estimator reads, started in
    a background thread so fingerprinting overlaps estimation; ``.result()`` gives it."""
    return FrameFingerprint(data, columns).start()


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


_FN = "att_gt"


@dataclasses.dataclass
class _Grid:
    """The unit x period layout of the long frame (sorted-balanced fast path or codes)."""

    n: int
    n_t: int
    time_labels: np.ndarray
    unit_ids: np.ndarray
    key: np.ndarray | None = None  # flat cell of each row (None = sorted balanced)
    ucode: np.ndarray | None = None
    first_row: np.ndarray | None = None
    present: np.ndarray | None = None  # (n, n_t) cells with a row (None = all)

    def to_matrix(self, values: np.ndarray) -> np.ndarray:
        if self.key is None:
            return values.reshape(self.n, self.n_t)
        if values.dtype.kind in "iub":
            values = values.astype(np.float64)
        fill = np.nan if values.dtype.kind == "f" else None
        out = np.full(self.n * self.n_t, fill, dtype=values.dtype)
        out[self.key] = values
        return out.reshape(self.n, self.n_t)

    def per_unit_first(self, values: np.ndarray) -> np.ndarray:
        return values[:: self.n_t] if self.key is None else values[self.first_row]

    def constant(self, values: np.ndarray) -> np.ndarray:
        """Per unit: is the column constant over the unit's rows (missing == missing)?"""
        if self.key is None:
            return per_unit_constant(values, self.n, self.n_t)
        rep = values[self.first_row][self.ucode]
        same = np.asarray(pd.isna(values) & pd.isna(rep)) | np.asarray(values == rep)
        ok = np.ones(self.n, dtype=bool)
        ok[self.ucode[~same]] = False
        return ok


def _check_input(data: pd.DataFrame, columns: Columns) -> tuple[str, dict[str, np.ndarray]]:
    """The encoder's checks (:func:`~socdata.did._encode.check_input`), then ATT(g,t)'s own:
    periods and cohorts numeric or dates on one scale, no missing identifiers.  The kind of
    time and the numeric columns."""
    numeric = check_input(data, columns, _FN, AttGtInputError)
    time, cohort = columns.time, columns.cohort
    tkind = _time_kind(data[time], time)
    if tkind != _time_kind(data[cohort], cohort):
        raise AttGtInputError(
            f"cohort column {cohort!r} ({data[cohort].dtype}) must be on the same scale as the "
            f"period column {time!r} ({data[time].dtype}): both numeric or both dates. The "
            "cohort is the first treated period (0 or missing = never treated)."
        )
    for col in (columns.unit, time):
        if data[col].dtype.kind in "iub":  # plain integer columns cannot hold missing values
            continue
        n_missing = int(data[col].isna().sum())
        if n_missing:
            raise AttGtInputError(
                f"column {col!r} has {n_missing} missing values; every row needs a unit and a "
                "period. Drop or fill those rows first."
            )
    return tkind, numeric


def _grid(data: pd.DataFrame, unit: str, time: str, tkind: str) -> _Grid:
    """The encoder's layout (:func:`~socdata.did._encode.encode_layout`, units sorted) as
    the unit x period grid of the matrices."""
    unit_v = data[unit].to_numpy()
    time_v = data[time].to_numpy()
    if tkind == "datetime":
        time_v = time_v.astype("datetime64[ns]", copy=False)
    layout = encode_layout(
        unit_v,
        time_v,
        function=_FN,
        unit=unit,
        time=time,
        sort_units=True,
        error=AttGtInputError,
        row_labels=data.index,
    )
    n, n_t = layout.n_units, layout.n_times
    if layout.sorted_balanced:
        return _Grid(n=n, n_t=n_t, time_labels=layout.time_levels, unit_ids=unit_v[::n_t])
    first_row = layout.first_rows()
    unit_ids = layout.unit_levels if layout.unit_levels is not None else unit_v[first_row]
    return _Grid(
        n=n,
        n_t=n_t,
        time_labels=layout.time_levels,
        unit_ids=unit_ids,
        key=layout.cell,
        ucode=layout.unit_codes,
        first_row=first_row,
        present=layout.present(),
    )


def _check_unit_level(
    data: pd.DataFrame, grid: _Grid, cohort: str, cluster: str | None, weights: str | None
) -> np.ndarray | None:
    """Cohort, cluster and weights constant within unit; the validated weights column."""
    rules = [
        (
            cohort,
            data[cohort].to_numpy(),
            "the cohort (first treated period) is fixed for each "
            "unit, treatment is irreversible. Set it to the unit's first treated period on every "
            "row.",
        ),
    ]
    wv = None
    if weights:
        wv = weight_column(data, weights, _FN, AttGtInputError)
        rules.append(
            (
                weights,
                wv,
                "a unit's weight is the same in every period. Use its "
                "weight at the first period on every row.",
            )
        )
    if cluster:
        rules.append(
            (
                cluster,
                data[cluster].to_numpy(),
                "units are nested in clusters. Use "
                "the cluster of the unit's first period on every row.",
            )
        )
    for col, values, rule in rules:
        ok = grid.constant(values)
        if not ok.all():
            bad = np.flatnonzero(~ok)
            raise AttGtInputError(
                f"column {col!r} changes within {len(bad)} units (e.g. unit "
                f"{mask_id(grid.unit_ids[bad[0]])}); rule: {rule}"
            )
    return wv


def _cohort_numbers(
    data: pd.DataFrame, grid: _Grid, cohort: str, tkind: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw cohort per unit, numeric cohort (inf = never treated) and numeric periods."""
    raw_cohort = grid.per_unit_first(data[cohort].to_numpy())
    if tkind == "datetime":
        time_num = np.arange(grid.n_t, dtype=np.float64)
        raw_cohort = raw_cohort.astype("datetime64[ns]", copy=False)
        never = np.isnat(raw_cohort)
        gnum = np.searchsorted(grid.time_labels, raw_cohort, side="left").astype(np.float64)
    else:
        time_num = grid.time_labels.astype(np.float64)
        gnum = raw_cohort.astype(np.float64)
        never = np.isnan(gnum) | (gnum == 0)
        if np.any(gnum[~never] < 0):
            raise AttGtInputError(
                f"column {cohort!r} has negative values; rule: the first treated period, "
                "or 0 / missing for never treated."
            )
    if time_num.size < 2:
        raise AttGtInputError("the panel has a single period; ATT(g,t) needs at least two.")
    return raw_cohort, np.where(never, np.inf, gnum), time_num


def _excluded_units(
    complete: np.ndarray,
    gnum: np.ndarray,
    time_num: np.ndarray,
    *,
    grid: _Grid,
    outcome: str,
    has_covariates: bool,
    anticipation: int,
    balance: str,
) -> tuple[np.ndarray, FlowLog]:
    """Units kept: complete (or an error under ``balance="require"``), not treated at once."""
    n, n_t = grid.n, grid.n_t
    keep = np.ones(n, dtype=bool)
    excluded: dict[str, int] = {}
    n_incomplete = int((~complete).sum())
    if n_incomplete:
        example = mask_id(grid.unit_ids[np.flatnonzero(~complete)[0]])
        excluded |= incomplete_units(
            n_incomplete,
            n,
            n_t,
            balance=balance,
            outcome=outcome,
            has_covariates=has_covariates,
            example=example,
        )
        keep &= complete
    # units treated in the first period (accounting for anticipation) have no pre-period
    first_treated = (gnum <= time_num[0] + anticipation) & keep
    n_first = int(first_treated.sum())
    if n_first:
        keep &= ~first_treated
        excluded["already treated in the first period"] = n_first
    return keep, excluded_units_flow(n, int(keep.sum()), excluded)


def incomplete_units(
    n_incomplete: int,
    n_units: int,
    n_periods: int,
    *,
    balance: str,
    outcome: str,
    example: str | None,
    has_covariates: bool = False,
) -> dict[str, int]:
    """The rule for units not observed in every period, shared by the row path and the
    cohort-statistics path (:mod:`socdata.scale.finish`): under ``balance="require"`` the
    one "panel is unbalanced" error, else the flow entry of the units dropped.

    ``example`` is an already masked unit identifier (:func:`mask_id`), or ``None``.
    """
    if not n_incomplete:
        return {}
    if balance == "require":
        covariate = " or covariate" if has_covariates else ""
        eg = f" (e.g. unit {example})" if example else ""
        raise EstimationError(
            f"the panel is unbalanced: {n_incomplete} of {n_units} units lack a row or have a "
            f"missing {outcome!r}{covariate} value in some of the {n_periods} periods{eg}; "
            "rule: ATT(g,t) for panel data needs every unit in every period. Pass "
            "balance='drop_incomplete' to drop those units (they are counted and warned), or "
            "restrict the data to a window in which all units are observed."
        )
    return {INCOMPLETE: n_incomplete}


#: Flow-log reason of the units dropped under ``balance="drop_incomplete"``.
INCOMPLETE = "incomplete: not observed (or outcome missing) in every period"


def excluded_units_flow(n: int, n_kept: int, excluded: dict[str, int]) -> FlowLog:
    """The flow step of units kept for ATT(g,t), warning (at the user's call) when some
    were excluded; shared by the row path and the cohort-statistics path."""
    flow = FlowLog().add("units in the estimation panel", n, n_kept, excluded, "units")
    if excluded:
        warnings.warn(
            "att_gt excluded units: "
            + "; ".join(f"{k}: {v}" for k, v in excluded.items())
            + f" (of {n} units).",
            ExcludedRowsWarning,
            stacklevel=caller_stacklevel(),
        )
    return flow


def _cluster_codes(
    data: pd.DataFrame, grid: _Grid, cluster: str | None, idx: np.ndarray
) -> tuple[np.ndarray | None, int]:
    if not cluster:
        return None, len(idx)
    cl = grid.per_unit_first(data[cluster].to_numpy())[idx]
    if pd.isna(cl).any():
        raise AttGtInputError(
            f"column {cluster!r} is missing for {int(pd.isna(cl).sum())} units; every unit "
            "needs a cluster."
        )
    code, uniq = pd.factorize(cl)
    return code.astype(np.int64), len(uniq)


def _cohort_codes(
    gnum: np.ndarray, raw_cohort: np.ndarray, time_labels: np.ndarray, tkind: str
) -> tuple[np.ndarray, np.ndarray, list]:
    """Cohort code per unit (0 = never treated), cohort values and labels."""
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
    return cohort_code.astype(np.int64), cohort_values, labels


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
    weights: str | None = None,
) -> PanelArrays:
    """Validate the long frame and reshape it to matrices (see :class:`PanelArrays`)."""
    covariates = list(covariates or [])
    columns = Columns(
        outcome=outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        covariates=tuple(covariates),
        cluster=cluster,
        weights=weights,
    )
    tkind, numeric = _check_input(data, columns)
    grid = _grid(data, unit, time, tkind)
    wv = _check_unit_level(data, grid, cohort, cluster, weights)
    y = grid.to_matrix(numeric[outcome])
    complete = np.isfinite(y).all(axis=1)
    if grid.present is not None:
        complete &= grid.present.all(axis=1)
    x = None
    if covariates:
        x = np.stack([grid.to_matrix(numeric[c]) for c in covariates], -1)
        complete &= np.isfinite(x).all(axis=(1, 2))
    raw_cohort, gnum, time_num = _cohort_numbers(data, grid, cohort, tkind)
    keep, flow = _excluded_units(
        complete,
        gnum,
        time_num,
        grid=grid,
        outcome=outcome,
        has_covariates=bool(covariates),
        anticipation=anticipation,
        balance=balance,
    )
    notes: list[str] = []
    late = np.isfinite(gnum) & (gnum > time_num[-1] + anticipation) & keep
    if late.any():
        notes.append(
            f"{int(late.sum())} units first treated after the last period were treated as never "
            "treated (as in R did)."
        )
        gnum = np.where(late, np.inf, gnum)

    idx = np.flatnonzero(keep)
    y = y[idx] if len(idx) < grid.n else y
    gnum, raw_cohort = gnum[idx], raw_cohort[idx]
    x = x[idx] if x is not None else None
    unit_w = grid.per_unit_first(wv)[idx] if wv is not None else None
    if unit_w is not None and not unit_w.sum() > 0:
        raise AttGtInputError(f"the weights in {weights!r} sum to zero.")
    cluster_code, n_clusters = _cluster_codes(data, grid, cluster, idx)
    time_labels = grid.time_labels
    control_only = None
    if not np.isinf(gnum).any():
        keep_t, flow = _last_cohort_periods(
            gnum, time_num, grid.n_t, anticipation, control_group, flow
        )
        notes.append(
            "No never-treated units: as in R did, periods from the last cohort's first treated "
            "period on are dropped and that cohort serves only as a comparison group."
        )
        y = y[:, keep_t]
        x = x[:, keep_t] if x is not None else None
        time_num, time_labels = time_num[keep_t], time_labels[keep_t]
        control_only = float(gnum.max())
    cohort_code, cohort_values, labels = _cohort_codes(gnum, raw_cohort, time_labels, tkind)
    return PanelArrays(
        y=np.ascontiguousarray(y, dtype=np.float64),
        cohort_code=cohort_code,
        cohort_values=cohort_values,
        time_num=time_num,
        time_labels=time_labels,
        cohort_labels=labels,
        x=x,
        cluster_code=cluster_code,
        n_clusters=n_clusters,
        flow=flow,
        notes=notes,
        n_rows_in=len(data),
        control_only=control_only,
        weights=unit_w,
    )


def _last_cohort_periods(
    gnum: np.ndarray,
    time_num: np.ndarray,
    n_t: int,
    anticipation: int,
    control_group: str,
    flow: FlowLog,
) -> tuple[np.ndarray, FlowLog]:
    """Without never-treated units, the periods that keep a not-yet-treated comparison."""
    if control_group == "never_treated":
        raise EstimationError(
            "there are no never-treated units (cohort 0 or missing), so "
            "control_group='never_treated' has no comparison group. Use "
            "control_group='not_yet_treated', or add the matched comparators."
        )
    if gnum.size == 0:  # every unit excluded (e.g. all treated in the first period)
        raise EstimationError(NO_UNIT_LEFT)
    # as R did: periods from the last cohort's (anticipated) start are dropped and the
    # last cohort serves only as a not-yet-treated comparison group
    keep_t = time_num < gnum.max() - anticipation
    flow = flow.add(
        "periods with a not-yet-treated comparison group",
        n_t,
        int(keep_t.sum()),
        {"no unit left untreated (no never-treated units)": int((~keep_t).sum())},
        "periods",
    )
    if int(keep_t.sum()) < 2:
        raise EstimationError(
            "fewer than two periods precede the last cohort's treatment; ATT(g,t) "
            "with not-yet-treated controls cannot be estimated. Add never-treated units."
        )
    return keep_t, flow
