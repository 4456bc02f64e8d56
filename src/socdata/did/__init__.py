"""Difference-in-differences estimators.

Every estimator returns an immutable result with ``tidy()``, ``summary()`` and
``provenance``.  Public functions (imported lazily from their modules):

``did_2x2``            2x2 comparison of person-level rates (``socdata.did.twobytwo``)
``twfe``               two-way fixed effects, person-clustered SEs (``socdata.did.twfe``)
``poisson_twfe``       Poisson fixed effects, rate ratios (``socdata.did.poisson``)
``event_study``        leads and lags around referral, pre-trend test (``socdata.did.event_study``)
``wild_cluster_bootstrap``  wild cluster bootstrap for few clusters (``socdata.did.bootstrap``)
``att_gt``             group-time ATT(g,t), Callaway and Sant'Anna (``socdata.did.att_gt``)
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "did_2x2": "twobytwo",
    "twfe": "twfe",
    "poisson_twfe": "poisson",
    "event_study": "event_study",
    "wild_cluster_bootstrap": "bootstrap",
    "att_gt": "att_gt",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        module = importlib.import_module(f"socdata.did.{_EXPORTS[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'socdata.did' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
