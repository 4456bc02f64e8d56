"""Dropping observations that carry no information for the fixed effects (private).

Singleton units and periods (fixest's and pyfixest's default) and, for Poisson models,
units or periods whose outcome is zero throughout, removed iteratively from a prepared
:class:`socdata.did._panel.Panel`, every exclusion counted in its flow log.
"""

from __future__ import annotations

import warnings

import numpy as np

from socdata.did._panel import Panel
from socdata.errors import EstimationError, ExcludedRowsWarning, caller_stacklevel

__all__ = ["drop_uninformative"]


def drop_uninformative(panel: Panel, *, function: str, poisson: bool = False) -> Panel:
    """Drop singleton units/periods and, for Poisson, all-zero units/periods (iteratively).

    A unit (or period) observed once is perfectly fitted by its own fixed effect and carries
    no information about the slopes (fixest and pyfixest drop them by default); with a
    Poisson model a unit whose outcome is zero in every period has a fixed effect of minus
    infinity and likewise carries no information.  Every exclusion is counted.
    """
    n0 = panel.n
    reasons: dict[str, int] = {}
    if panel.sorted_balanced and not poisson and panel.n_times > 1 and panel.n_units > 1:
        return panel

    def _count(key: str, m: np.ndarray) -> None:
        reasons[key] = reasons.get(key, 0) + int(m.sum())

    for _ in range(100):
        drop = np.zeros(panel.n, dtype=bool)
        cu = panel.unit_sums()
        ct = panel.time_sums()
        if (cu == 1).any():
            m = panel.unit_rows(cu == 1)
            _count("unit observed in one period only (singleton)", m)
            drop |= m
        if (ct == 1).any():
            m = panel.time_rows(ct == 1) & ~drop
            _count("period with one observation only (singleton)", m)
            drop |= m
        if poisson:
            su = panel.unit_sums(panel.y)
            if (su == 0).any():
                m = panel.unit_rows(su == 0) & ~drop
                _count("unit with zero outcome in every period", m)
                drop |= m
            st = panel.time_sums(panel.y)
            if (st == 0).any():
                m = panel.time_rows(st == 0) & ~drop
                _count("period with zero outcome for every unit", m)
                drop |= m
        if not drop.any():
            break
        panel.subset(~drop)
        if panel.n == 0:
            raise EstimationError(
                f"{function}: no observations left after dropping units and periods that "
                "carry no information ("
                + "; ".join(f"{k}: {v}" for k, v in reasons.items())
                + "). Check that the outcome varies and units are observed more than once."
            )
    if reasons:
        panel.flow = panel.flow.add(
            "drop observations without information for the fixed effects",
            n0,
            panel.n,
            reasons,
        )
        warnings.warn(
            f"{function}: excluded {n0 - panel.n} observations that carry no information "
            "for the fixed effects (" + "; ".join(f"{k}: {v}" for k, v in reasons.items()) + ").",
            ExcludedRowsWarning,
            stacklevel=caller_stacklevel(),
        )
    return panel
