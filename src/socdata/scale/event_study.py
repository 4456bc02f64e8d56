"""The TWFE event study on cohort moments: no dense event-time dummies, no unit rows.

Event-time indicators depend only on the unit's cohort and the period, so the regression
of :func:`socdata.did.event_study` (balanced panel, binned endpoints, no covariates or
weights) is finished by :func:`socdata.scale.regression.fit_from_moments` from the cohort
moments: memory ``O(H T^2)`` after the scan instead of ``O(n T K)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from socdata.errors import EstimationError
from socdata.scale.moments import CohortMoments
from socdata.scale.regression import cohort_periods, fit_from_moments, moments_provenance

__all__ = ["event_study_from_moments", "finish_event_study"]


def _design(m: CohortMoments, lo: int, hi: int, reference: int) -> tuple[np.ndarray, list[str]]:
    """Event-time indicators ``(H, T, K)`` (endpoints binned) and their names; an indicator
    that no unit has is left out, as in memory."""
    g, tnum = cohort_periods(m)
    if not np.isfinite(g[m.n > 0]).any():
        raise EstimationError(
            "socdata.did.event_study: no unit has a cohort (first treated period); an event "
            "study needs treated units. Check the cohort column (0 or missing means never "
            "treated)."
        )
    e = tnum[None, :] - g[:, None]
    e = np.clip(e, lo, hi)
    cols, names = [], []
    present = m.n > 0
    for k in range(lo, hi + 1):
        if k == reference:
            continue
        d = (e == k).astype(np.float64)
        if d[present].any():
            cols.append(d)
            names.append(f"event_time::{k}")
    return np.stack(cols, axis=-1), names


def event_study_from_moments(
    m: CohortMoments,
    *,
    params: dict[str, Any],
    window: tuple[int, int],
    inputs: str,
) -> Any:
    """:func:`socdata.did.event_study` finished on cohort moments (see module docstring)."""
    fn = "socdata.did.event_study"
    reference = params["reference"]
    design, names = _design(m, *window, reference)
    fit = fit_from_moments(m, design, function=fn, drop_collinear=True, names=tuple(names))
    return finish_event_study(
        fit,
        names,
        params,
        window,
        lambda p, notes: moments_provenance(fn, m, fit, p, inputs, notes=notes),
    )


def finish_event_study(
    fit: Any,
    names: Sequence[str],
    params: dict[str, Any],
    window: tuple[int, int],
    provenance: Callable[[dict[str, Any], list[str]], Any],
) -> Any:
    """The :class:`~socdata.did.EventStudyResult` of a fit without rows (cohort moments,
    or the streamed covariate path of :mod:`socdata.scale.fe_stream`): the event times
    dropped as collinear, the pre-trend test, the terms in order.  ``names`` are the
    regressors' names (``fit.kept`` indexes them); ``provenance(params, notes)`` builds the
    provenance from the final parameters and the pre-trend test's note."""
    from socdata.did.event_study import _ordered_terms, _pretrend_test, _result

    kept_names = [names[j] for j in fit.kept]
    dropped = tuple(
        int(nm.split("::")[1])
        for j, nm in enumerate(names)
        if j not in fit.kept and nm.startswith("event_time::")
    )
    ev_idx, pretrend = _pretrend_test(fit, kept_names, params["reference"], fit.n_clusters)
    terms, coef, vcov, evt = _ordered_terms(fit, kept_names, ev_idx)
    params = dict(params, window=tuple(window))
    return _result(
        provenance(params, [str(pretrend)]),
        fit,
        (fit.n_obs, fit.n_units, fit.n_times, fit.n_clusters),
        params,
        terms=terms,
        coef=coef,
        vcov=vcov,
        event_times=evt,
        pretrend=pretrend,
        dropped=dropped,
    )
