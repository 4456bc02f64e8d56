"""``socdata reproduce``: the main job (kept importable here; it lives in
:mod:`socdata.pipeline`)."""

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
