"""The main job, ``socdata reproduce``, in small steps.

* :mod:`~socdata.pipeline.context`: the run context, resolved once (:class:`RunContext`);
* :mod:`~socdata.pipeline.notebooks`: finding notebooks and injecting the context;
* :mod:`~socdata.pipeline.kernel` and :mod:`~socdata.pipeline.execute`: running them on
  warm kernels;
* :mod:`~socdata.pipeline.steps`: validation, comparison, audit, masking free text;
* :mod:`~socdata.pipeline.results`: what a run did (:class:`ReproduceRun`);
* :mod:`~socdata.pipeline.run`: :func:`reproduce`, which strings them together.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from socdata.pipeline import RunContext
>>> ctx = RunContext.resolve(None, Path(tempfile.mkdtemp()) / "out")
>>> ctx.synthetic, ctx.rules.name
(True, 'none')
"""

from __future__ import annotations

from typing import Any

from socdata.pipeline.context import ReproduceError, RunContext

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

#: Loaded on first use: notebooks import :class:`RunContext` from here, and must not pay
#: for the executor's imports (nbformat alone takes ~2 s with jsonschema's format checks).
_LAZY = {
    "DEFAULT_JOBS": "socdata.pipeline.run",
    "reproduce": "socdata.pipeline.run",
    "KERNEL_NAME": "socdata.pipeline.kernel",
    "list_notebooks": "socdata.pipeline.notebooks",
    "NotebookRun": "socdata.pipeline.results",
    "ReproduceRun": "socdata.pipeline.results",
    "mask_small_numbers": "socdata.pipeline.steps",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'socdata.pipeline' has no attribute {name!r}")
