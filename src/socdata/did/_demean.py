"""Exact (weighted) two-way demeaning: projecting out unit and period fixed effects (private).

For a column ``x`` and weights ``w`` (1 when unweighted) the residual of the weighted
least-squares fit of ``x`` on unit and period indicators is ``x_it - a_i - g_t``.  Three
exact routes, chosen from the layout of the panel:

* **closed form** (balanced, unweighted): ``x_it - x_i. - x_.t + x_..``; for a panel sorted
  by unit then period it is a reshape and two means, no index arrays at all;
* **dense grid** (weighted, or unbalanced with a grid at most a few times the rows): the
  observations are laid on a (units x periods) grid with weight zero in unobserved cells;
  the unit effects are concentrated out, leaving the small normal system
  ``(diag(W_.t) - W' diag(1/W_i.) W) g = b`` of size ``min(units, periods)``, solved
  directly (pseudo-inverse, so disconnected designs are handled);
* **rows** (very sparse grids): the same algebra with ``np.bincount`` sums and a sparse
  ``W' diag(1/W_i.) W``.

Each route is a direct solve, not an iteration, so the result is exact to rounding on
unbalanced panels too.  The solve is on the smaller dimension; both dimensions above
:data:`MAX_SMALL_SIDE` levels are refused with a clear error.
"""

from __future__ import annotations

import numpy as np

from socdata._lazy import lazy_module
from socdata.did._panel import Panel
from socdata.errors import EstimationError

sla = lazy_module("scipy.linalg")
sp = lazy_module("scipy.sparse")

#: Largest number of levels of the smaller fixed effect for the direct solve.
MAX_SMALL_SIDE = 5000


class _SingularSolver:
    """Solve ``M g = b`` for the Laplacian-like ``M`` of the concentrated FE system.

    ``M`` is symmetric positive semi-definite with the constant vector in its null space
    (one per connected component of the unit-period graph) and ``b`` lies in its range.
    For a connected design, ``M + s 11'/m`` (``s`` = mean diagonal) is positive definite
    and a Cholesky solve gives the solution with ``1'g = 0``; otherwise (disconnected
    designs) a pseudo-inverse from the eigendecomposition, cutting eigenvalues below
    ``1e-9`` times the largest, which are the null-space directions.
    """

    def __init__(self, m: np.ndarray) -> None:
        self.m = m
        size = m.shape[0]
        scale = float(np.trace(m)) / max(size, 1) or 1.0
        self._chol = None
        self._pinv = None
        try:
            self._chol = sla.cho_factor(m + scale / size * np.ones((size, size)))
            probe = np.linspace(-1.0, 1.0, size)
            probe -= probe.mean()
            rhs = m @ probe
            if np.linalg.norm(m @ sla.cho_solve(self._chol, rhs) - rhs) > 1e-8 * (
                np.linalg.norm(rhs) + 1e-300
            ):
                self._chol = None
        except (np.linalg.LinAlgError, ValueError):
            self._chol = None
        if self._chol is None:
            vals, vecs = np.linalg.eigh(m)
            keep = vals > 1e-9 * max(vals.max(), 1e-300)
            self._pinv = (vecs[:, keep] / vals[keep]) @ vecs[:, keep].T

    def solve(self, b: np.ndarray) -> np.ndarray:
        if self._chol is not None:
            return sla.cho_solve(self._chol, b)
        return self._pinv @ b


class TwoWayDemeaner:
    """Project unit and period fixed effects out of columns of a :class:`Panel`.

    Parameters
    ----------
    panel
        The prepared panel (its layout decides the route).
    weights
        Optional positive weights per row (e.g. IRLS weights of a Poisson fit).
    work
        Optional scratch array of ``n`` floats reused by the grid route (saves allocating
        and page-faulting a fresh array on every IRLS step of a large panel).
    """

    def __init__(
        self, panel: Panel, weights: np.ndarray | None = None, work: np.ndarray | None = None
    ) -> None:
        self.panel = panel
        self.weights = weights
        self._work = work
        na, nb = panel.n_units, panel.n_times
        if min(na, nb) > MAX_SMALL_SIDE:
            raise EstimationError(
                f"two-way demeaning: both fixed effects have many levels ({na} units, {nb} "
                f"periods; the direct solve supports up to {MAX_SMALL_SIDE} levels on the "
                "smaller side). Aggregate periods (e.g. days to months) first."
            )
        if weights is None and panel.balanced():
            self.route = "closed"
        elif panel.use_grid():
            self.route = "grid"
        else:
            self.route = "rows"
        if self.route == "grid":
            self._setup_grid()
        elif self.route == "rows":
            self._setup_rows()

    # ---- grid -----------------------------------------------------------------------------
    def _to_grid(self, v: np.ndarray) -> np.ndarray:
        p = self.panel
        cell = p.cells()
        if cell is None:
            g = v.reshape(p.n_units, p.n_times)
        else:
            g = np.zeros(p.n_units * p.n_times)
            g[cell] = v
            g = g.reshape(p.n_units, p.n_times)
        return g.T if self._transpose else g

    def _from_grid(self, g: np.ndarray) -> np.ndarray:
        """Back to row order; ``g`` must be a fresh array (it may be returned as is)."""
        if self._transpose:
            g = g.T
        cell = self.panel.cells()
        flat = g.reshape(-1)
        return flat if cell is None else flat[cell]

    def _setup_grid(self) -> None:
        p = self.panel
        self._transpose = p.n_units < p.n_times
        w = self.weights if self.weights is not None else np.ones(p.n)
        self._W = self._to_grid(w)
        wa = self._W.sum(axis=1)
        wb = self._W.sum(axis=0)
        self._inv_wa = np.divide(1.0, wa, out=np.zeros_like(wa), where=wa > 0)
        if self._work is not None and p.cells() is None and not self._transpose:
            scaled = np.multiply(
                self._W, self._inv_wa[:, None], out=self._work.reshape(self._W.shape)
            )
        else:
            scaled = self._W * self._inv_wa[:, None]
        m = np.diag(wb) - self._W.T @ scaled
        del scaled
        self._solver = _SingularSolver(m)

    def _demean_grid(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        xg = self._to_grid(x)
        sa = np.einsum("ij,ij->i", self._W, xg)  # weighted sums, no n-length temporary
        sb = np.einsum("ij,ij->j", self._W, xg)
        b = sb - self._W.T @ (sa * self._inv_wa)
        g = self._solver.solve(b)
        a = (sa - self._W @ g) * self._inv_wa
        if out is not None and self.panel.cells() is None and not self._transpose:
            og = out.reshape(xg.shape)
            np.subtract(xg, a[:, None], out=og)
            og -= g[None, :]
            return out
        r = np.subtract(xg, a[:, None])
        r -= g[None, :]
        res = self._from_grid(r)
        if out is not None:
            out[...] = res
            return out
        return res

    # ---- rows -----------------------------------------------------------------------------
    def _setup_rows(self) -> None:
        p = self.panel
        a, b = p.units(), p.times()
        na, nb = p.n_units, p.n_times
        if na < nb:
            a, b, na, nb = b, a, nb, na
        self._a, self._b, self._na, self._nb = a, b, na, nb
        w = self.weights if self.weights is not None else np.ones(p.n)
        self._w = w
        wa = np.bincount(a, weights=w, minlength=na)
        wb = np.bincount(b, weights=w, minlength=nb)
        self._inv_wa = np.divide(1.0, wa, out=np.zeros_like(wa), where=wa > 0)
        wmat = sp.csr_matrix((w, (a, b)), shape=(na, nb))
        c = (wmat.T @ sp.diags(self._inv_wa) @ wmat).toarray()
        self._solver = _SingularSolver(np.diag(wb) - c)

    def _demean_rows(self, x: np.ndarray) -> np.ndarray:
        a, b, na, nb, w = self._a, self._b, self._na, self._nb, self._w
        wx = w * x
        sa = np.bincount(a, weights=wx, minlength=na)
        sb = np.bincount(b, weights=wx, minlength=nb)
        rhs = sb - np.bincount(b, weights=w * (sa * self._inv_wa)[a], minlength=nb)
        g = self._solver.solve(rhs)
        eff_a = (sa - np.bincount(a, weights=w * g[b], minlength=na)) * self._inv_wa
        return x - eff_a[a] - g[b]

    # ---- closed form ----------------------------------------------------------------------
    def _demean_closed(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        p = self.panel
        if out is None:
            out = np.empty(x.size)
        if p.sorted_balanced:
            xg = x.reshape(p.n_units, p.n_times)
            row = xg.mean(axis=1)
            col = xg.mean(axis=0)
            col -= row.mean()  # grand mean = mean of the unit means (balanced)
            og = out.reshape(p.n_units, p.n_times)
            np.subtract(xg, row[:, None], out=og)
            og -= col[None, :]
            return out
        u, t = p.units(), p.times()
        mu = np.bincount(u, weights=x, minlength=p.n_units) / p.n_times
        mt = np.bincount(t, weights=x, minlength=p.n_times) / p.n_units
        np.subtract(x, mu[u], out=out)
        out -= (mt - x.mean())[t]
        return out

    # ---- public ---------------------------------------------------------------------------
    def demean(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Residual of ``x`` (1-d, or 2-d with one column per variable) after the FE.

        ``out`` (same shape; for 2-d, Fortran order) receives the result when given.
        """
        x = np.asarray(x, dtype=np.float64)
        if x.ndim == 2:
            if out is None:
                out = np.empty(x.shape, order="F")
            for j in range(x.shape[1]):
                col = np.ascontiguousarray(x[:, j])
                self.demean(col, out=out[:, j])
            return out
        if out is not None and not out.flags.c_contiguous:
            out[...] = self.demean(x)
            return out
        if self.route == "closed":
            return self._demean_closed(x, out=out)
        if self.route == "grid":
            return self._demean_grid(x, out=out)
        res = self._demean_rows(x)
        if out is not None:
            out[...] = res
            return out
        return res
