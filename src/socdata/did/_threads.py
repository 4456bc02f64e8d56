"""Run estimators with BLAS capped at one thread (private).

The estimators' matrix products are thin (n x k with small k, or k x n x k) and
memory-bound; multi-threaded OpenBLAS gains little on them and, on a loaded machine,
its spinning threads make a 0.05 s product take seconds (measured: 100x slower on the
shared 2-core benchmark machine).  Capping BLAS to one thread inside the estimators
makes their speed predictable; the caller's setting is restored afterwards.

Warnings raised inside decorated estimators use a ``stacklevel`` one higher than usual to
skip the wrapper frame, so they point at the caller's line.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from threadpoolctl import threadpool_limits

F = TypeVar("F", bound=Callable)


def single_threaded_blas(fn: F) -> F:
    """Decorator: call ``fn`` with BLAS limited to one thread."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with threadpool_limits(limits=1, user_api="blas"):
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
