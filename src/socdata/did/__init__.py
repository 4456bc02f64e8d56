"""Difference-in-differences estimators.

Every estimator returns an immutable result with ``tidy()``, ``summary()`` and
``provenance``.  Public functions (imported lazily from their modules):

``did_2x2``            2x2 comparison of person-level rates (``socdata.did.twobytwo``)
``twfe``               two-way fixed effects, person-clustered SEs (``socdata.did.twfe``)
``poisson_twfe``       Poisson fixed effects, rate ratios (``socdata.did.poisson``)
``event_study``        leads and lags around referral, pre-trend test (``socdata.did.event_study``)
``wild_cluster_bootstrap``  wild cluster bootstrap for few clusters (``socdata.did.bootstrap``)
``att_gt``             group-time ATT(g,t), Callaway and Sant'Anna (``socdata.did.att_gt``)
``stacked_did``        stacked DiD for matched sets on event time (``socdata.did.stacked``)
``honest_sensitivity`` relative-magnitudes sensitivity, breakdown value (``socdata.did.honest``)
``stack_matched_sets`` person-month panel stacked by matched set (``socdata.did.stacked``)

Examples
--------
>>> import pandas as pd
>>> from socdata import did
>>> rates = pd.DataFrame({
...     "person": [p for p in "abcdef" for _ in (0, 1)],
...     "engaged": [1] * 6 + [0] * 6,
...     "post": [0, 1] * 6,
...     "arrests": [3, 1, 2, 1, 4, 1, 2, 2, 3, 2, 1, 1],
... })
>>> res = did.did_2x2(rates, outcome="arrests", unit="person", treated="engaged", post="post")
>>> row = res.tidy().set_index("term").loc["did"]
>>> round(float(row["estimate"]), 3)
-1.667
"""

from __future__ import annotations

# Eager imports, on purpose: each public function shares its name with its module, and
# Python binds a package attribute to a submodule when that submodule is first imported.
# Importing the functions here, after their modules, leaves ``socdata.did.twfe`` etc.
# bound to the functions for good (a lazy ``__getattr__`` would be shadowed by the module
# as soon as anything imported ``socdata.did.twfe``).
from socdata.did.att_gt import att_gt
from socdata.did.bootstrap import wild_cluster_bootstrap
from socdata.did.event_study import event_study
from socdata.did.honest import honest_sensitivity
from socdata.did.poisson import poisson_twfe
from socdata.did.stacked import stack_matched_sets, stacked_did
from socdata.did.twfe import twfe
from socdata.did.twobytwo import did_2x2

__all__ = [
    "att_gt",
    "did_2x2",
    "event_study",
    "honest_sensitivity",
    "poisson_twfe",
    "stack_matched_sets",
    "stacked_did",
    "twfe",
    "wild_cluster_bootstrap",
]
