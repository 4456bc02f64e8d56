"""Group-time average treatment effects, ATT(g,t), for staggered adoption.

Implements Callaway and Sant'Anna (2021), "Difference-in-Differences with multiple time
periods", *Journal of Econometrics* 225(2), for balanced panel data, with the conventions of
R ``did::att_gt`` / ``did::aggte`` (version 2.x): cohorts ``g`` are the first treated
period, comparison units are the never treated (in SOCEIS: the matched comparators) or the
not yet treated, pre-treatment cells use a varying or universal base period, and standard
errors come from influence functions (analytic) or a multiplier bootstrap with simultaneous
(sup-t) confidence bands.  See ``docs/explanation/did-att-gt.md`` for the estimator, the
standard-error convention and what the result keeps.

Example
-------
>>> import socdata.did as did
>>> res = did.att_gt(panel, outcome="arrests", unit="person_id", time="month",
...                  cohort="cohort", control_group="never_treated")  # doctest: +SKIP
>>> res.aggregate("dynamic", min_e=-12, max_e=12).tidy()  # doctest: +SKIP
>>> res.pretrend_test()  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from socdata.did._att_gt_arrays import PanelArrays
from socdata.did._att_gt_cells import (
    cell_inference,
    cells_conditional,
    cells_unconditional,
    plan_cells,
)
from socdata.did._att_gt_drdid import ESTIMATORS
from socdata.did._att_gt_prep import (
    ATT_GT_INFERENCE,
    BALANCE_OPTIONS,
    BASE_PERIODS,
    BOOT_WEIGHTS,
    CONTROL_GROUPS,
    EST_METHODS,
    AttGtInputError,
    build_panel,
    check_choice,
    fingerprint_async,
)
from socdata.did._att_gt_results import (
    _FEW_CLUSTERS,
    AttGtAggregate,
    AttGtResult,
    _fmt,
    _label,
)
from socdata.did._att_gt_stats import IFStats
from socdata.did._threads import single_threaded_blas
from socdata.errors import (
    DataQualityWarning,
    EstimationError,
    SmallClusterWarning,
    caller_stacklevel,
)
from socdata.options import (
    DEFAULT_SEED,
    Renamed,
    check_bootstrap_draws,
    check_conf_level,
    renamed_keywords,
)
from socdata.provenance import Provenance

__all__ = ["AttGtAggregate", "AttGtResult", "att_gt"]


def _check_group_sizes(
    p: PanelArrays,
    n_h: np.ndarray,
    control_group: str,
    n_covariates: int,
    cluster: str | None,
) -> None:
    """The never-treated group large enough; warn on small cohorts and few clusters."""
    reqsize = n_covariates + 5
    small = [p.cohort_labels[h] for h in range(1, len(n_h)) if 0 < n_h[h] < reqsize]
    if control_group == "never_treated" and n_h[0] < reqsize:
        raise EstimationError(
            f"the never-treated group has {n_h[0]} units, fewer than {reqsize} (covariates + "
            "5): too small to serve as a comparison group. Try control_group="
            "'not_yet_treated', or add matched comparators."
        )
    if small:
        warnings.warn(
            f"cohorts with fewer than {reqsize} units: {', '.join(map(_fmt, small))}; their "
            "ATT(g,t) are imprecise.",
            DataQualityWarning,
            stacklevel=caller_stacklevel(),
        )
    if cluster and p.n_clusters < _FEW_CLUSTERS:
        warnings.warn(
            f"only {p.n_clusters} clusters in {cluster!r}: cluster-robust analytic and "
            "multiplier-bootstrap inference is unreliable with so few clusters.",
            SmallClusterWarning,
            stacklevel=caller_stacklevel(),
        )


def _checked_params(**kw: Any) -> dict[str, Any]:
    """The options of :func:`att_gt`, checked (messages from the declared choices)."""
    for name, allowed in (
        ("control_group", CONTROL_GROUPS),
        ("base_period", BASE_PERIODS),
        ("est_method", EST_METHODS),
        ("balance", BALANCE_OPTIONS),
        ("bootstrap_weights", BOOT_WEIGHTS),
        ("inference", ATT_GT_INFERENCE),
    ):
        kw[name] = check_choice(name, kw[name], allowed)
    covariates = kw["covariates"]
    covariates = [covariates] if isinstance(covariates, str) else list(covariates or [])
    kw["covariates"] = covariates or None
    if kw["weights"] is not None and covariates:
        raise AttGtInputError(
            "weights together with covariates are not implemented yet; use weights without "
            "covariates (matched comparators are already balanced on the matching variables)."
        )
    anticipation = kw["anticipation"]
    if not (isinstance(anticipation, (int, np.integer)) and anticipation >= 0):
        raise AttGtInputError(f"anticipation={anticipation!r}: use a whole number >= 0.")
    kw["anticipation"] = int(anticipation)
    kw["conf_level"] = check_conf_level(kw["conf_level"], function="att_gt", error=AttGtInputError)
    if kw["inference"] == "bootstrap":
        check_bootstrap_draws(kw["bootstrap_draws"], function="att_gt", error=AttGtInputError)
    return kw


@renamed_keywords(
    alpha=Renamed("conf_level", lambda a: 1 - a),
    bootstrap=Renamed("inference", lambda b: "bootstrap" if b else "analytic"),
    n_boot="bootstrap_draws",
    boot_weights="bootstrap_weights",
)
@single_threaded_blas
def att_gt(
    data: pd.DataFrame | Any,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    control_group: str = "never_treated",
    covariates: Sequence[str] | None = None,
    anticipation: int = 0,
    base_period: str = "varying",
    est_method: str = "dr",
    conf_level: float = 0.95,
    inference: str = "analytic",
    bootstrap_draws: int = 999,
    bootstrap_weights: str = "rademacher",
    seed: int | None = DEFAULT_SEED,
    cband: bool = True,
    cluster: str | None = None,
    balance: str = "require",
    weights: str | None = None,
) -> AttGtResult:
    """Group-time average treatment effects ATT(g,t) (Callaway and Sant'Anna 2021).

    Parameters
    ----------
    data
        Long panel: one row per unit and period (not modified).  Besides a pandas frame,
        a table source: a DuckDB relation, a Parquet file or folder (path), a pyarrow
        Table/Dataset, a Spark DataFrame, or :class:`socdata.scale.CohortMoments` (e.g.
        pooled site statistics, :mod:`socdata.federated`).  The engine then computes
        per-cohort counts, means and scatter matrices and the estimate is finished from
        them (exact; with ``covariates`` the 2x2 fits are streamed in chunked passes;
        no weights or bootstrap; see ``docs/explanation/scale.md``).  A frame sorted by
        unit and period with every unit in every period (no covariates, weights or
        bootstrap) is read the same way, as matrices: same estimates, less time and
        memory.
    outcome, unit, time
        Column names.  ``time`` is numeric (years, month numbers) or datetime64 (month
        starts); with dates, ``anticipation`` and event times count periods.
    cohort
        Column with the unit's first treated period, on the scale of ``time``; ``0`` or
        missing means never treated (matched comparators).  Must be constant within unit.
    control_group
        ``"never_treated"`` or ``"not_yet_treated"`` (units not treated by the later of the
        current and base period, plus ``anticipation``, and the never treated).
    covariates
        Numeric columns for conditional parallel trends; values of the earlier of the two
        periods of each 2x2 comparison are used (as R did).  ``None``: unconditional.
    anticipation
        Number of periods before ``g`` in which units may already react.
    base_period
        ``"varying"`` (pre-treatment cells compare consecutive periods) or ``"universal"``
        (all cells compare to period ``g - anticipation - 1``).
    est_method
        With covariates: ``"dr"`` (doubly robust with a logit propensity score, R did's
        default), ``"dr_imp"`` (improved doubly robust: inverse probability tilting and
        odds-weighted outcome regression), ``"ipw"`` or ``"reg"``.  Without covariates all
        coincide with the difference of mean changes.
    conf_level
        Confidence level of the intervals (old keyword ``alpha = 1 - conf_level``,
        deprecated).
    inference
        ``"analytic"`` (influence-function standard errors, pointwise normal intervals) or
        ``"bootstrap"``: multiplier bootstrap (standard errors and, with ``cband``,
        simultaneous bands); old keyword ``bootstrap=True`` (deprecated).
    bootstrap_draws, bootstrap_weights, seed
        Bootstrap draws (old ``n_boot``), ``"rademacher"`` (as R did) or ``"mammen"``
        multipliers (old ``boot_weights``), and the seed (default
        :data:`socdata.options.DEFAULT_SEED`; ``None`` for fresh entropy).
    cband
        Under the bootstrap, sup-t uniform bands over all cells (and over the rows of an
        aggregation).
    cluster
        Column with a cluster above the unit (e.g. area); constant within unit.  Analytic
        and bootstrap inference are then clustered.  Default: clusters are units.
    balance
        ``"require"`` (default): an unbalanced panel is an error naming how many units are
        incomplete; ``"drop_incomplete"``: those units are dropped, counted and warned
        (R did's default).
    weights
        Column of unit weights (e.g. matching weights of comparators), constant within
        unit, as did's ``weightsname``: weighted cohort means, weighted cohort shares in the
        aggregations, and influence functions as in did.  Not yet available together with
        ``covariates``.

    Returns
    -------
    AttGtResult
        ``tidy()`` with one row per cell; ``aggregate(...)``; ``pretrend_test()``.

    Raises
    ------
    AttGtInputError
        Bad columns or options (a :class:`~socdata.errors.SocdataError`).
    EstimationError
        Unbalanced panel under ``balance="require"``, no comparison group, too small a
        never-treated group.
    """
    params = _checked_params(**{k: v for k, v in locals().items() if k != "data"})
    digest, p = _estimation_panel(data, params)
    return _estimate(p, params, digest)


def _estimate(p: PanelArrays, params: dict[str, Any], digest: Any) -> AttGtResult:
    """ATT(g,t) on the estimation panel: group sizes checked, cells planned and estimated,
    inference, the cells frame and the frozen result."""
    covariates = list(params["covariates"] or [])
    control_group, base_period = params["control_group"], params["base_period"]
    est_method, anticipation = params["est_method"], params["anticipation"]
    bootstrap = params["inference"] == "bootstrap"
    n_h = p.cohort_sizes()
    _check_group_sizes(p, n_h, control_group, len(covariates), params["cluster"])
    cells = plan_cells(p, control_group, base_period, anticipation)
    if len(cells.t) == 0:
        raise EstimationError(
            "no ATT(g,t) can be estimated: no treated cohort has a "
            "pre-treatment period and a comparison group."
        )
    rng = np.random.default_rng(params["seed"]) if bootstrap else None
    nb = int(params["bootstrap_draws"]) if bootstrap else 0
    boot = {"n_boot": nb, "boot_weights": params["bootstrap_weights"], "rng": rng}
    if not covariates:
        att, stats = cells_unconditional(p, cells, boot)
    else:
        att, stats = cells_conditional(p, cells, ESTIMATORS[est_method], boot)
    inf, crit, ci_type = cell_inference(
        att, stats, params["conf_level"], bootstrap, params["cband"]
    )
    cells_df, cell_index = _cells_frame(p, cells, n_h, inf, ci_type, anticipation)
    return _make_result(
        p,
        params,
        digest,
        cells_df,
        stats,
        crit,
        cell_index,
        est_method=est_method if covariates else "none",
        bootstrap_draws=nb,
    )


def _estimation_panel(data: Any, params: dict[str, Any]) -> tuple[Any, PanelArrays]:
    """The fingerprint (a future) and the panel: reshaped rows of a pandas frame, or the
    cohort statistics of a table source (:mod:`socdata.scale`)."""
    if not isinstance(data, pd.DataFrame):
        from socdata.scale.finish import table_panel

        return table_panel(data, params)
    covariates = list(params["covariates"] or [])
    cols = ["unit", "time", "cohort", "outcome"]
    digest = fingerprint_async(
        data, [*(params[c] for c in cols), *covariates, params["cluster"], params["weights"]]
    )
    moments = _frame_moments(data, params) if not covariates else None
    if moments is not None:
        from socdata.scale.finish import panel_from_moments

        return digest, panel_from_moments(
            moments,
            outcome=params["outcome"],
            anticipation=params["anticipation"],
            control_group=params["control_group"],
            balance=params["balance"],
        )
    p = build_panel(
        data,
        outcome=params["outcome"],
        unit=params["unit"],
        time=params["time"],
        cohort=params["cohort"],
        covariates=covariates,
        cluster=params["cluster"],
        anticipation=params["anticipation"],
        control_group=params["control_group"],
        balance=params["balance"],
        weights=params["weights"],
    )
    return digest, p


def _frame_moments(data: pd.DataFrame, params: dict[str, Any]) -> Any:
    """Cohort statistics of a frame in the common layout (sorted by unit and period, every
    unit in every period, no missing value), read as matrices without reshaping the rows:
    the same estimates as the row path (:mod:`socdata.scale`, tested to 1e-10) at a
    fraction of the time and memory.  ``None`` (the row path) for any other frame, and
    with weights or the bootstrap, which need unit rows."""
    if params["weights"] or params["inference"] == "bootstrap":
        return None
    from socdata.scale.sources import frame_moments, moment_columns

    return frame_moments(data, **moment_columns(params))


def _cells_frame(
    p: PanelArrays,
    cells: Any,
    n_h: np.ndarray,
    inf: dict[str, np.ndarray],
    ci_type: str,
    anticipation: int,
) -> tuple[pd.DataFrame, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """One row per cell (term, inference, counts, labels) and the cell index arrays."""
    code = np.asarray(cells.cohort)
    ct, cb = np.asarray(cells.t), np.asarray(cells.b)
    n_treat = n_h[code].astype(float)
    n_ctrl = np.array([n_h[c].sum() for c in cells.controls], dtype=float)
    gnum = p.cohort_values[code]
    tnum = p.time_num[ct]
    frame = pd.DataFrame(
        {
            "term": [
                f"ATT({_fmt(p.cohort_labels[c])},{_fmt(p.time_labels[t])})"
                for c, t in zip(code, ct, strict=True)
            ],
            **inf,
            "ci_type": ci_type,
            "n": (n_treat + n_ctrl).astype(int),
            "group": [_label(p.cohort_labels[c]) for c in code],
            "time": [_label(p.time_labels[t]) for t in ct],
            "base_time": [_label(p.time_labels[b]) for b in cb],
            "event_time": tnum - gnum,
            "post": gnum <= tnum,
            "pre": tnum < gnum - anticipation,
            "n_treated": n_treat.astype(int),
            "n_control": n_ctrl.astype(int),
        }
    )
    return frame, (code, gnum, tnum)


def _make_result(
    p: PanelArrays,
    params: dict[str, Any],
    digest: Any,
    cells_df: pd.DataFrame,
    stats: IFStats,
    crit: np.ndarray,
    cell_index: tuple[np.ndarray, np.ndarray, np.ndarray],
    *,
    est_method: str,
    bootstrap_draws: int,
) -> AttGtResult:
    """The frozen result with its settings and provenance."""
    n, n_t = p.n_units, p.n_periods
    settings = {
        "control_group": params["control_group"],
        "est_method": est_method,
        "covariates": list(params["covariates"] or []),
        "base_period": params["base_period"],
        "anticipation": params["anticipation"],
        "conf_level": params["conf_level"],
        "inference": params["inference"],
        "bootstrap_draws": bootstrap_draws,
        "bootstrap_weights": params["bootstrap_weights"],
        "seed": params["seed"],
        "cband": bool(params["cband"]),
        "cluster": params["cluster"],
        "n_units": n,
        "weights": params["weights"],
        "n_clusters": p.n_clusters,
    }
    notes = [
        "ATT(g,t) as Callaway and Sant'Anna (2021) / R did::att_gt for balanced panels.",
        "Analytic SE = sqrt(sum over clusters of (sum of influence functions)^2) / n, with n "
        "the number of units: R did's convention (no small-sample correction).",
        *p.notes,
    ]
    prov = Provenance.build(
        "socdata.did.att_gt",
        parameters=params,
        n_in=p.n_rows_in,
        n_out=n * n_t,
        flow=p.flow,
        notes=notes,
    )
    prov = dataclasses.replace(prov, inputs={"data": digest.result()})
    code, gnum, tnum = cell_index
    return AttGtResult(
        provenance=prov,
        cells=cells_df,
        settings=settings,
        crit_value=float(crit[0]),
        _stats=stats,
        _cohort_code_of_cell=code,
        _cell_gnum=gnum,
        _cell_tnum=tnum,
        _time_num=p.time_num,
        _time_labels=p.time_labels,
        _cohort_labels=tuple(p.cohort_labels),
    )
