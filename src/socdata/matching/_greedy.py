"""Greedy nearest-neighbour matching kernels (pure array functions, no pandas).

Two kernels, both greedy in the sense of MatchIt's ``method = "nearest"``: treated units
are visited one at a time in a given order and each takes the closest control that is
still available; no overall criterion is optimised.

* :func:`greedy_match_1d` matches on a scalar distance (the propensity score).  Controls
  are held in ascending order of the score; the nearest *available* control to the left
  and to the right of a treated unit are found with two union-find "next available"
  pointer arrays, so each query costs amortised near-constant time and no n x m distance
  matrix is ever formed.
* :func:`greedy_match_kdtree` matches on Euclidean distance in a transformed covariate
  space (Mahalanobis distance after whitening) with ``scipy.spatial.cKDTree``.

Tie rules (those of MatchIt's ``nn_matchC_vec.cpp``)
-----------------------------------------------------
All units are sorted by score in ascending order, ties kept in input order (a stable
sort, as R's ``sort.list``).  A control is "to the left" of a treated unit when it
comes before it in that order.  The nearest available control on each side is taken;
when the two are equally far from the treated unit the **left** one (lower score) wins.
Among controls with the same score on one side, the one closest in the sorted order wins.
With ``ratio = k`` matching proceeds in ``k`` rounds: every treated unit gets its first
match in the matching order, then every treated unit gets its second match, and so on
(MatchIt's loop ``for r in 1..k: for i in ord``).
"""

from __future__ import annotations

import numpy as np

from socdata._lazy import lazy_module

spatial = lazy_module("scipy.spatial")

#: Reason codes of unmatched (or partly matched) treated units.
REASON_MATCHED = 0
REASON_NO_CONTROLS = 1  # no control in the exact cell / stratum at all
REASON_CALIPER = 2  # no control of the cell, used or not, within the caliper
REASON_EXHAUSTED = 3  # controls within the caliper exist, but all were already used

#: Relative tolerance under which two Mahalanobis distances count as tied.
TIE_RTOL = 1e-10

REASON_LABELS = {
    REASON_NO_CONTROLS: "no comparator in the exact cell",
    REASON_CALIPER: "no comparator within the caliper",
    REASON_EXHAUSTED: "comparator pool exhausted (all comparators within reach already used, or fewer than `ratio`)",
}


def greedy_match_1d(
    control_scores: np.ndarray,
    treated_scores: np.ndarray,
    treated_left: np.ndarray,
    order: np.ndarray,
    *,
    ratio: int = 1,
    replace: bool = False,
    caliper: float | None = None,
    available: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy nearest-neighbour matching on a scalar score.

    Parameters
    ----------
    control_scores
        Shape ``(m,)``, the controls' scores **sorted ascending** (ties in input order).
    treated_scores
        Shape ``(n,)``, the treated units' scores.
    treated_left
        Shape ``(n,)``, for each treated unit the number of controls that precede it in the
        stable ascending sort of all units (so controls ``0..treated_left[i]-1`` are on its
        left).  Computed by :func:`left_counts`.
    order
        Shape ``(n,)``, the order in which treated units are matched (indices into
        ``treated_scores``), e.g. descending score for MatchIt's ``m.order = "largest"``.
    ratio
        Number of controls per treated unit (``k`` in 1:k matching).
    replace
        Whether a control may be matched to several treated units.
    caliper
        Maximum absolute score difference (in score units), or ``None``.
    available
        Optional boolean mask of shape ``(m,)``; ``False`` marks controls that cannot be
        used (already used in an earlier stratum).  Not modified.

    Returns
    -------
    matches : numpy.ndarray
        Shape ``(n, ratio)``, int64 positions into ``control_scores`` (``-1`` = no match).
    reasons : numpy.ndarray
        Shape ``(n,)``, int8 reason code for the first missing match (``0`` when the unit
        received all ``ratio`` matches); see :data:`REASON_LABELS`.
    """
    cs = np.asarray(control_scores, dtype=float)
    ts = np.asarray(treated_scores, dtype=float)
    left = np.asarray(treated_left, dtype=np.int64)
    m = cs.shape[0]
    n = ts.shape[0]
    matches = np.full((n, ratio), -1, dtype=np.int64)
    reasons = np.zeros(n, dtype=np.int8)
    if n == 0:
        return matches, reasons
    if m == 0:
        reasons[:] = REASON_NO_CONTROLS
        return matches, reasons
    cal = np.inf if caliper is None else float(caliper)
    avail = np.ones(m, dtype=bool) if available is None else np.asarray(available, bool)

    if replace:
        _match_with_replacement(cs, ts, left, avail, ratio, cal, matches)
    else:
        _match_without_replacement(cs, ts, left, order, avail, ratio, cal, matches)

    # Reasons for every treated unit short of `ratio` matches.
    short = np.flatnonzero(matches[:, -1] < 0)
    if short.size:
        for i in short:
            s = ts[i]
            # nearest control of the cell, used or not, by score
            p = left[i]
            d = np.inf
            if p > 0:
                d = min(d, abs(s - cs[p - 1]))
            if p < m:
                d = min(d, abs(cs[p] - s))
            if d > cal:
                reasons[i] = REASON_CALIPER
            else:
                reasons[i] = REASON_EXHAUSTED
    return matches, reasons


def _match_without_replacement(
    cs: np.ndarray,
    ts: np.ndarray,
    left: np.ndarray,
    order: np.ndarray,
    avail: np.ndarray,
    ratio: int,
    cal: float,
    matches: np.ndarray,
) -> None:
    # Sparse union-find: only used positions have entries, so the set-up costs nothing for
    # the (many) controls that are never touched.  nr[j] (j used) points right towards the
    # smallest available index > j; nl[j] points left.  A missing key means "available".
    m = cs.shape[0]
    nr: dict[int, int] = {}
    nl: dict[int, int] = {}
    for j in np.flatnonzero(~avail).tolist():
        nr[j] = j + 1
        nl[j] = j - 1

    def find(parent: dict[int, int], i: int) -> int:
        root = i
        while root in parent:
            root = parent[root]
        while i in parent and parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    tsl = ts.tolist()
    leftl = left.tolist()
    orderl = np.asarray(order, dtype=np.int64).tolist()
    remaining = int(avail.sum())
    out = matches.tolist()
    inf = float("inf")
    for r in range(ratio):
        if remaining == 0:
            break
        for i in orderl:
            if r > 0 and out[i][r - 1] < 0:
                continue  # a unit that missed an earlier round cannot get a later one
            s = tsl[i]
            p = leftl[i]
            kl = find(nl, p - 1) if p > 0 else -1  # largest available index < p, or -1
            kr = find(nr, p) if p < m else m  # smallest available index >= p, or m
            dl = s - float(cs[kl]) if kl >= 0 else inf
            dr = float(cs[kr]) - s if kr < m else inf
            if dl > cal:
                dl = inf
            if dr > cal:
                dr = inf
            if dl == inf and dr == inf:
                continue
            k = kl if dl <= dr else kr
            out[i][r] = k
            nr[k] = k + 1
            nl[k] = k - 1
            remaining -= 1
            if remaining == 0:
                break
    matches[:] = np.asarray(out, dtype=np.int64).reshape(matches.shape)


def _match_with_replacement(
    cs: np.ndarray,
    ts: np.ndarray,
    left: np.ndarray,
    avail: np.ndarray,
    ratio: int,
    cal: float,
    matches: np.ndarray,
) -> None:
    # Each treated unit independently takes its `ratio` nearest available controls, merging
    # outwards from its position (left wins ties).  Order of treated units is irrelevant.
    m = cs.shape[0]
    idx = np.flatnonzero(avail)
    if idx.size == 0:
        return
    sub = cs[idx]
    # position among available controls: number of available controls left of each unit
    cum = np.concatenate([[0], np.cumsum(avail)])
    pos = cum[np.clip(left, 0, m)]
    mm = sub.shape[0]
    for i in range(ts.shape[0]):
        s = ts[i]
        lo = int(pos[i]) - 1
        hi = int(pos[i])
        for r in range(ratio):
            dl = s - sub[lo] if lo >= 0 else np.inf
            dr = sub[hi] - s if hi < mm else np.inf
            if dl > cal:
                dl = np.inf
            if dr > cal:
                dr = np.inf
            if dl == np.inf and dr == np.inf:
                break
            if dl <= dr:
                matches[i, r] = idx[lo]
                lo -= 1
            else:
                matches[i, r] = idx[hi]
                hi += 1


def left_counts(
    control_scores_sorted: np.ndarray,
    control_keys_sorted: np.ndarray,
    treated_scores: np.ndarray,
    treated_keys: np.ndarray,
) -> np.ndarray:
    """Number of controls before each treated unit in the stable ascending sort of all units.

    Units are ordered by ``(score, key)`` where ``key`` is the input position, which is
    exactly a stable sort by score.  Controls must already be sorted by ``(score, key)``.
    """
    cs = np.asarray(control_scores_sorted, dtype=float)
    ck = np.asarray(control_keys_sorted, dtype=np.int64)
    ts = np.asarray(treated_scores, dtype=float)
    tk = np.asarray(treated_keys, dtype=np.int64)
    lo = np.searchsorted(cs, ts, side="left")
    hi = np.searchsorted(cs, ts, side="right")
    out = lo.copy()
    tied = np.flatnonzero(hi > lo)
    for i in tied:  # controls with exactly the same score: those earlier in input order
        out[i] = lo[i] + int(np.searchsorted(ck[lo[i] : hi[i]], tk[i], side="left"))
    return out


def stable_argsort(x: np.ndarray) -> np.ndarray:
    """Stable ascending argsort (ties in input order), as R's ``sort.list``.

    numpy's stable sort (radix or timsort) was measured faster than a quicksort followed by
    a repair of tied runs, because propensity scores of discrete covariates tie often.
    """
    return np.argsort(np.asarray(x), kind="stable")


def sort_controls(scores: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Permutation sorting controls by ``(score, key)`` ascending."""
    return np.lexsort((np.asarray(keys), np.asarray(scores, dtype=float)))


def _break_tie(
    tied: np.ndarray, i: int, control_pos: np.ndarray | None, treated_pos: np.ndarray | None
) -> int:
    """The winner among controls ``tied`` at the same distance from treated unit ``i``."""
    if tied.size == 1:
        return int(tied[0])
    if control_pos is None or treated_pos is None:
        return int(tied.min())
    q = np.asarray(control_pos)[tied]
    ii = int(np.asarray(treated_pos)[i])
    visit = np.where(q < ii, 2 * (ii - q) - 1, 2 * (q - ii))
    return int(tied[np.argmax(visit)])


def greedy_match_kdtree(
    control_x: np.ndarray,
    treated_x: np.ndarray,
    order: np.ndarray,
    *,
    ratio: int = 1,
    replace: bool = False,
    caliper: float | None = None,
    available: np.ndarray | None = None,
    control_pos: np.ndarray | None = None,
    treated_pos: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy nearest-neighbour matching on Euclidean distance (whitened covariates).

    Parameters
    ----------
    control_x, treated_x
        Shapes ``(m, p)`` and ``(n, p)``; rows already transformed so that Euclidean
        distance equals the Mahalanobis distance.
    order
        Matching order of the treated units (MatchIt's default for Mahalanobis distance is
        the data order).
    ratio, replace, caliper, available
        As in :func:`greedy_match_1d`; ``caliper`` is a maximum Mahalanobis distance.
    control_pos, treated_pos
        Optional positions of the controls and treated units in MatchIt's search order
        (:func:`socdata.matching._distance.matchit_visit_order`), used only to break ties
        in distance as MatchIt does.  Without them ties go to the first control in input
        order.

    Returns
    -------
    matches, reasons
        As in :func:`greedy_match_1d` (positions index ``control_x``).

    Notes
    -----
    MatchIt's ``find_control_mahcovs`` walks outwards from the treated unit along its sort
    key, alternating one step left and one step right, and replaces the current best on
    a distance *less than or equal to* it; so among controls at the same distance the one
    visited last wins: the one farthest along the sort key, with a left neighbour at
    ``k`` steps visited at time ``2k - 1`` and a right neighbour at ``k`` steps at ``2k``.
    Distances within a relative :data:`TIE_RTOL` of the smallest count as tied, so that
    floating-point noise in the transformation (e.g. after rescaling a covariate) does not
    decide ties.
    """
    cx = np.asarray(control_x, dtype=float)
    tx = np.asarray(treated_x, dtype=float)
    m = cx.shape[0]
    n = tx.shape[0]
    matches = np.full((n, ratio), -1, dtype=np.int64)
    reasons = np.zeros(n, dtype=np.int8)
    if n == 0:
        return matches, reasons
    avail = np.ones(m, dtype=bool) if available is None else np.asarray(available, bool).copy()
    if m == 0:
        reasons[:] = REASON_NO_CONTROLS
        return matches, reasons
    cal = np.inf if caliper is None else float(caliper)
    tree = spatial.cKDTree(cx)
    order_l = np.asarray(order, dtype=np.int64).tolist()
    n_avail = int(avail.sum())
    for r in range(ratio):
        for i in order_l:
            if r > 0 and matches[i, r - 1] < 0:
                continue
            if n_avail == 0 and not replace:
                break
            taken = set(matches[i, :r].tolist())
            k = min(m, max(8, 2 * (r + 1)))
            while True:
                d, j = tree.query(tx[i], k=k, distance_upper_bound=cal)
                d = np.atleast_1d(d)
                j = np.atleast_1d(j)
                ok = (j < m) & np.isfinite(d)
                d, j = d[ok], j[ok]
                free = np.array([avail[x] and x not in taken for x in j.tolist()], dtype=bool)
                if free.any():
                    dd = d[free]
                    jj = j[free]
                    best = dd.min()
                    tol = TIE_RTOL * max(best, 1.0)
                    tied = jj[dd <= best + tol]
                    if j.size == k < m and d.max() <= best + tol:
                        # the k-th neighbour ties with the best: others may tie beyond it
                        ball = np.asarray(tree.query_ball_point(tx[i], r=best + 2 * tol), int)
                        ok_b = avail[ball] & ~np.isin(ball, list(taken))
                        ball = ball[ok_b]
                        db = np.linalg.norm(cx[ball] - tx[i], axis=1)
                        tied = ball[db <= best + tol]
                    k_sel = _break_tie(tied, i, control_pos, treated_pos)
                    break
                if k >= m or j.size < k:  # every candidate within the caliper is used
                    k_sel = -1
                    break
                k = min(m, 4 * k)
            if k_sel < 0:
                continue
            matches[i, r] = k_sel
            if not replace:
                avail[k_sel] = False
                n_avail -= 1
    short = np.flatnonzero(matches[:, -1] < 0)
    if short.size:
        d0, _ = tree.query(tx[short], k=1)
        d0 = np.atleast_1d(d0)
        for pos, i in enumerate(short):
            reasons[i] = REASON_CALIPER if d0[pos] > cal else REASON_EXHAUSTED
    return matches, reasons
