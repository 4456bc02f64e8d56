"""socdata: validated extracts, analysis functions and reproducible notebooks for evaluating
early-intervention services for children at risk of criminal exploitation.

The public API, one name per step of an evaluation (``dir(socdata)`` lists it):

====================  ===============================================================
``read_extract``      read and validate one extract (CSV, XLSX, Parquet) of a kind
``validate_extract``  row-by-row validation report of an extract, without raising
``random_extract``    a synthetic extract of any kind that passes its schema
``io``                readers: extract files, folders of extracts, column parsing
``schemas``           the schema of each extract kind (``data/schemas/*.yaml``)
``validate``          validation of extracts and of the links between them
``datasets``          synthetic extracts (the bundled ones and random ones)
``derive``            engagement spells, referral windows, person-month panels
``describe``          the evaluation's descriptive tables: outcomes, durations
``matching``          matched comparator groups and their balance
``did``               difference-in-differences estimators
``review``            checks of published figures against their own arithmetic
``soceis``            the SOCEIS reports: Tables 1-5, printed vs regenerated, calibration
``report``            disclosure control and the files a run writes
``plots``             swimmer, love and event-study figures
``pipeline``          the main job in steps: run context, notebooks, kernels
``reproduce``         the main job: every notebook, table, figure and the report
``results``           the result classes: ``tidy()``, ``summary()``, ``provenance``
``provenance``        input fingerprints, parameters and flow logs
``errors``            the exceptions and warnings socdata raises
====================  ===============================================================

Import flow (upstream to downstream): foundations -> ``io`` -> ``schemas`` -> ``validate`` ->
``derive`` -> ``describe`` / ``matching`` / ``did`` -> ``review`` -> ``soceis`` -> ``datasets``
-> ``report`` -> ``pipeline`` -> ``commands``/``cli`` (docs/explanation/architecture.md).
Every name is imported on first use, so ``import socdata`` stays cheap.

Examples
--------
>>> import socdata
>>> socdata.__version__
'0.4.0'
>>> frame = socdata.random_extract("service", n=5, seed=1)
>>> result = socdata.validate_extract(frame, "service")
>>> result.ok, result.n_valid
(True, 5)
"""

from __future__ import annotations

import importlib

#: The version (semantic versioning), written here only: pyproject.toml reads it, and so do
#: ``socdata --version``, every result's provenance and every manifest.json.
__version__ = "0.4.0"

#: Functions re-exported at the top level: name -> module that defines it.
_FUNCTIONS = {
    "read_extract": "socdata.validate",
    "validate_extract": "socdata.validate",
    "random_extract": "socdata.datasets",
}

#: Public subpackages and modules, imported on first attribute access.
_SUBMODULES = (
    "io", "schemas", "validate", "datasets", "derive", "describe", "matching", "did",
    "review", "soceis", "report", "plots", "pipeline", "reproduce", "results", "provenance",
    "errors",
)  # fmt: skip

__all__ = ["__version__", *_FUNCTIONS, *_SUBMODULES]


def __getattr__(name: str):  # lazy: keep `import socdata` fast
    if name in _FUNCTIONS:
        return getattr(importlib.import_module(_FUNCTIONS[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"socdata.{name}")
    raise AttributeError(f"module 'socdata' has no attribute {name!r}")


def __dir__() -> list[str]:  # the public API and the module's own dunders, nothing else
    return sorted({n for n in globals() if n.startswith("__")} | set(__all__))
