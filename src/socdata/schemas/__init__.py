"""Schemas of the extract kinds: specs loaded from ``data/schemas/*.yaml`` and pandera models.

* :data:`KINDS` - the extract kinds with a schema file (every ``*.yaml`` in the folder);
* :func:`load_spec` - the parsed, checked :class:`SchemaSpec` of a kind;
* :func:`pandera_schema` - the pandera model built from it.

Examples
--------
>>> from socdata import schemas
>>> schemas.load_spec("plans").primary_key
('plan_id',)
>>> "service" in schemas.KINDS
True
"""

from __future__ import annotations

from socdata.schemas.spec import (
    CHECKS,
    COLUMN_CHECKS,
    DTYPES,
    EXTRACT_KINDS,
    FILE_CHECKS,
    KINDS,
    LINK_CHECKS,
    TEXT_DTYPE,
    ColumnSpec,
    RuleSpec,
    SchemaSpec,
    available_kinds,
    load_spec,
)

__all__ = [
    "CHECKS",
    "COLUMN_CHECKS",
    "DTYPES",
    "EXTRACT_KINDS",
    "FILE_CHECKS",
    "KINDS",
    "LINK_CHECKS",
    "TEXT_DTYPE",
    "ColumnSpec",
    "RuleSpec",
    "SchemaSpec",
    "available_kinds",
    "load_spec",
    "pandera_schema",
]


def __getattr__(name: str):  # pandera is imported only when a model is asked for
    if name in {"pandera_schema", "build_pandera_schema", "spec_from_pandera"}:
        from socdata.schemas import pandera_model

        return getattr(pandera_model, name)
    raise AttributeError(f"module 'socdata.schemas' has no attribute {name!r}")
