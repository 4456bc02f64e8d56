"""``socdata reproduce``: the main job (kept importable here; it lives in
:mod:`socdata.pipeline`).

Examples
--------
>>> from socdata import reproduce
>>> notebooks = reproduce.list_notebooks()
>>> all(p.suffix == ".py" for p in notebooks)
True
>>> from socdata.report import get_rule_set
>>> rules = get_rule_set("soceis-default-v1")
>>> reproduce.mask_small_numbers("3 of 40 referrals", rules)
'[c] of 40 referrals'
"""

from __future__ import annotations

from socdata.pipeline import (
    DEFAULT_JOBS,
    KERNEL_NAME,
    NotebookRun,
    ReproduceError,
    ReproduceRun,
    RunContext,
    list_notebooks,
    mask_small_numbers,
    reproduce,
)

__all__ = [
    "DEFAULT_JOBS",
    "KERNEL_NAME",
    "NotebookRun",
    "ReproduceError",
    "ReproduceRun",
    "RunContext",
    "list_notebooks",
    "mask_small_numbers",
    "reproduce",
]
