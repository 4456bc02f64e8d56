"""socdata: validated extracts, analysis functions and reproducible notebooks for evaluating
early-intervention services for children at risk of criminal exploitation.

Import flow (upstream to downstream): ``io`` -> ``schemas``/``validate`` -> ``derive`` ->
``describe`` / ``matching`` -> ``did`` -> ``review`` -> ``report`` -> ``reproduce``/``cli``.
"""

from __future__ import annotations

from socdata.provenance import package_version

__version__ = package_version()

__all__ = ["__version__", "read_extract", "validate_extract"]


_SUBMODULES = {
    "errors", "provenance", "results", "paths", "io", "schemas", "validate", "datasets",
    "derive", "describe", "matching", "did", "review", "report", "reproduce", "cli",
}


def __getattr__(name: str):  # lazy: keep `import socdata` fast
    if name == "read_extract":
        from socdata.io import read_extract

        return read_extract
    if name == "validate_extract":
        from socdata.validate import validate_extract

        return validate_extract
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"socdata.{name}")
    raise AttributeError(f"module 'socdata' has no attribute {name!r}")
