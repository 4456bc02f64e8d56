"""Modules imported on first use, so that ``import socdata.did`` does not pay for scipy.

``stats = lazy_module("scipy.stats")`` at the top of a module reads like an import; the import
happens at the first attribute access (``stats.t.sf``), through the import system and its
lock, so it is safe from threads.  Measured: ``python -X importtime -c "import socdata.did"``.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["lazy_module"]


class _LazyModule:
    """Stands for the module ``name`` and imports it when an attribute is first read."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self) -> str:
        return f"<module {self._name!r}, imported on first use>"


def lazy_module(name: str) -> Any:
    """A stand-in for module ``name`` that imports it on first attribute access.

    Examples
    --------
    >>> stats = lazy_module("scipy.stats")
    >>> round(float(stats.norm.ppf(0.975)), 2)
    1.96
    """
    return _LazyModule(name)
