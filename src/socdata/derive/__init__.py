"""Derived tables built from validated extracts.

Submodules: ``spells`` (service engagement spells, re-referrals kept as separate spells),
``police`` (referral windows, custody spells) and ``panel`` (person-month panels validated by
the ``person_month_panel`` schema in ``data/schemas``).

Examples
--------
>>> import socdata
>>> from socdata import derive
>>> from socdata.paths import synthetic_dir
>>> service = socdata.read_extract(synthetic_dir() / "service.csv", "service")
>>> spells = derive.engagement_spells(service, warn=False)
>>> len(spells.frame) > 0
True
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "person_month_panel": "panel",
    "validate_panel": "panel",
    "engagement_spells": "spells",
    "referral_windows": "police",
    "custody_spells": "police",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"socdata.derive.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'socdata.derive' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
