"""The balanced panel of ATT(g,t) as arrays (private).

:class:`PanelArrays` is what :func:`socdata.did._att_gt_prep.build_panel` (row-level data)
and :mod:`socdata.scale.finish` (cohort statistics of a table source) hand to the cell
estimators of :mod:`socdata.did._att_gt_cells`.  It holds person-level data and never
leaves the estimator.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from socdata.provenance import FlowLog

__all__ = ["PanelArrays"]


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
    moments: Any = None  # table sources: socdata.scale.CohortMoments in cohort-code order
    rows: Any = None  # table sources with covariates: socdata.scale.units.UnitStream

    @property
    def n_units(self) -> int:
        """Units in the estimation panel."""
        return self.y.shape[0] if self.moments is None else self.moments.n_units

    @property
    def n_periods(self) -> int:
        """Periods (columns of the panel)."""
        return len(self.time_num)

    def cohort_sizes(self) -> np.ndarray:
        """Units per cohort code."""
        if self.moments is not None:
            return np.asarray(self.moments.n, dtype=np.int64)
        return np.bincount(self.cohort_code, minlength=len(self.cohort_values))
