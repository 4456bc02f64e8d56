"""Matched comparator groups: propensity / Mahalanobis nearest-neighbour matching, risk-set
matching of engagers to comparators at their referral month, balance tables and weights.

Public functions (imported lazily from their modules):

``match``            one row per unit, MatchIt's defaults (``socdata.matching.nearest``)
``risk_set_match``   engagers matched at their referral month (``socdata.matching.riskset``)
``matched_panel``    person-month panel of the matched sample (``socdata.matching.panels``)
``aligned_panel``    that panel on event time, for matched event studies (``socdata.matching.panels``)
``MatchResult``      the result class (``socdata.matching.result``)

The love plot is :func:`socdata.plots.love.love_plot`.

Examples
--------
>>> import pandas as pd
>>> from socdata import matching
>>> people = pd.DataFrame({"id": list("abcdefgh"), "engaged": [1, 1, 1, 0, 0, 0, 0, 0],
...                        "age": [14, 15, 16, 13, 14, 15, 16, 17]})
>>> res = matching.match(people, treatment="engaged", covariates=["age"],
...                      distance="mahalanobis", unit="id")
>>> res.n_treated_matched, res.n_control_matched
(3, 3)
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "match": "nearest",
    "risk_set_match": "riskset",
    "matched_panel": "panels",
    "aligned_panel": "panels",
    "MatchResult": "result",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        module = importlib.import_module(f"socdata.matching.{_EXPORTS[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'socdata.matching' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
