"""Matching weights exactly as MatchIt computes them for 1:k nearest-neighbour matching (ATT).

MatchIt (``src/weights_matrixC.cpp`` and ``.make_sum_to_n`` in ``matchit()``):

1. every treated unit with at least one match gets weight 1;
2. a control gets, summed over every treated unit ``i`` it is matched to, ``1 / k_i``,
   where ``k_i`` is the number of controls matched to ``i`` (so a control shared by a
   treated unit with two other controls, and also matched to a treated unit with one
   other control, gets ``1/3 + 1/2 = 5/6``);
3. with ``normalize = TRUE`` (the default) the nonzero weights in each treatment group are
   divided by their mean, so they sum to the number of matched units of that group.
   Treated weights are all 1 and stay 1; control weights then sum to the number of
   distinct matched controls.

Unmatched units have weight 0.
"""

from __future__ import annotations

import numpy as np


def matchit_weights(
    matches: np.ndarray, n_control: int, *, normalize: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Treated and control matching weights from a match matrix.

    Parameters
    ----------
    matches
        Shape ``(n_treated, k)``: control indices ``0..n_control-1`` matched to each
        treated unit, ``-1`` for no match.
    n_control
        Number of controls.
    normalize
        Rescale nonzero control weights to sum to the number of matched controls (MatchIt's
        default).

    Returns
    -------
    w_treated, w_control : numpy.ndarray
        Shapes ``(n_treated,)`` and ``(n_control,)``.
    """
    mm = np.asarray(matches, dtype=np.int64)
    if mm.ndim == 1:
        mm = mm[:, None]
    k_i = (mm >= 0).sum(axis=1)
    w_t = (k_i > 0).astype(float)
    w_c = np.zeros(n_control)
    rows, cols = np.nonzero(mm >= 0)
    np.add.at(w_c, mm[rows, cols], 1.0 / k_i[rows])
    if normalize:
        nz = w_c > 0
        if nz.any():
            w_c[nz] = w_c[nz] / w_c[nz].mean()
    return w_t, w_c
