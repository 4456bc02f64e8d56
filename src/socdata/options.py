"""One option checker and one keyword vocabulary for every estimator.

Every estimator and matching / describe function takes its options under the same names:

``outcome, unit, time, treatment | cohort, cluster, covariates, weights, conf_level,
inference, bootstrap_draws, bootstrap_weights, seed``

* ``weights`` is always a column of observation weights; the distribution of bootstrap
  multipliers is ``bootstrap_weights``.
* ``conf_level`` is the confidence level (0.95), never its complement.
* ``seed`` is the seed of every random draw (bootstrap multipliers, random matching order,
  sampled model rows).  **Default convention**: ``seed=DEFAULT_SEED`` (20240301), so a run
  repeated on the same data gives the same numbers; pass ``seed=None`` for fresh entropy.

Allowed values are declared once, in :class:`Choice`, and every message is generated from
the declaration.  Old keyword names stay accepted for one release through
:func:`renamed_keywords`, which warns with
:class:`socdata.errors.SocdataDeprecationWarning`.
"""

from __future__ import annotations

import dataclasses
import functools
import numbers
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from socdata.errors import SocdataDeprecationWarning, SocdataError

#: Default seed of every random draw in socdata (see the module notes).
DEFAULT_SEED = 20240301

F = TypeVar("F", bound=Callable[..., Any])


@dataclasses.dataclass(frozen=True)
class Choice:
    """A keyword with a fixed set of allowed values.

    Parameters
    ----------
    name
        The keyword.
    allowed
        The allowed values, in the order they are listed in messages.
    meaning
        Optional one-line description of each value, shown in the error message.
    """

    name: str
    allowed: tuple[object, ...]
    meaning: tuple[str, ...] = ()

    def check(
        self,
        value: object,
        *,
        function: str = "",
        error: type[Exception] = SocdataError,
    ) -> Any:
        """Return ``value`` if allowed, else raise ``error`` naming the allowed values."""
        if any(value == a and type(value) is type(a) for a in self.allowed):
            return value
        if self.meaning:
            listed = "; ".join(
                f"{a!r} ({m})" for a, m in zip(self.allowed, self.meaning, strict=True)
            )
        else:
            listed = ", ".join(map(repr, self.allowed))
        prefix = f"{function}: " if function else ""
        raise error(f"{prefix}{self.name}={value!r} is not allowed; use one of {listed}.")


def check_choice(
    name: str,
    value: object,
    allowed: Sequence[object],
    *,
    function: str = "",
    error: type[Exception] = SocdataError,
) -> Any:
    """Shorthand for ``Choice(name, tuple(allowed)).check(value, ...)``."""
    return Choice(name, tuple(allowed)).check(value, function=function, error=error)


def check_conf_level(
    conf_level: object, *, function: str = "", error: type[Exception] = SocdataError
) -> float:
    """Return ``conf_level`` as a float if strictly between 0 and 1, else raise."""
    prefix = f"{function}: " if function else ""
    ok = isinstance(conf_level, numbers.Real) and not isinstance(conf_level, bool)
    c = float(conf_level) if ok else float("nan")  # type: ignore[arg-type]
    if not 0 < c < 1:
        raise error(
            f"{prefix}conf_level={conf_level!r} must be a number strictly between 0 and 1 "
            "(e.g. 0.95 for 95% intervals)."
        )
    return c


def check_bootstrap_draws(
    draws: object, *, minimum: int = 99, function: str = "", error: type[Exception] = SocdataError
) -> int:
    """Return ``draws`` if a whole number of at least ``minimum``, else raise."""
    prefix = f"{function}: " if function else ""
    if isinstance(draws, bool) or not isinstance(draws, numbers.Integral) or draws < minimum:
        raise error(
            f"{prefix}bootstrap_draws={draws!r} must be a whole number of at least {minimum}."
        )
    return int(draws)  # type: ignore[arg-type]


@dataclasses.dataclass(frozen=True)
class Renamed:
    """An old keyword name and how its value maps to the new keyword.

    Parameters
    ----------
    new
        The keyword that replaces it.
    convert
        Optional function turning the old value into the new one (``alpha`` ->
        ``conf_level = 1 - alpha``).
    applies
        Optional predicate on the value: the alias applies only when it returns True
        (``wild_cluster_bootstrap(weights="webb")`` is the old bootstrap distribution, while
        ``weights="w"`` names a column of observation weights).
    """

    new: str
    convert: Callable[[Any], Any] | None = None
    applies: Callable[[Any], bool] | None = None


def renamed_keywords(**renames: str | Renamed) -> Callable[[F], F]:
    """Decorator keeping old keyword names working for one release, with a warning.

    ``@renamed_keywords(alpha=Renamed("conf_level", lambda a: 1 - a), n_boot="bootstrap_draws")``
    maps ``f(alpha=0.1)`` to ``f(conf_level=0.9)`` and warns with
    :class:`~socdata.errors.SocdataDeprecationWarning`.  Passing both names raises.
    """
    spec = {old: (r if isinstance(r, Renamed) else Renamed(r)) for old, r in renames.items()}

    def deco(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, r in spec.items():
                if old not in kwargs:
                    continue
                if r.applies is not None and not r.applies(kwargs[old]):
                    continue
                value = kwargs.pop(old)
                if r.new in kwargs:
                    raise SocdataError(
                        f"{fn.__name__}: got both {old}= (old name) and {r.new}=; "
                        f"pass only {r.new}="
                    )
                shown = (
                    f"{r.new}="
                    if r.convert is None
                    else f"{r.new}= (now {r.new}={r.convert(value)!r})"
                )
                warnings.warn(
                    f"{fn.__name__}: keyword {old}= is deprecated and will be removed in the "
                    f"next release; use {shown}.",
                    SocdataDeprecationWarning,
                    stacklevel=2,
                )
                kwargs[r.new] = value if r.convert is None else r.convert(value)
            return fn(*args, **kwargs)

        wrapper.__deprecated_keywords__ = {o: r.new for o, r in spec.items()}  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return deco
