"""Pandera models built from the schema files.

Design choice: the YAML files are the single source of truth and the pandera models are
*built from them* here, rather than written by hand and compared.  pandera's own YAML export
drops custom checks, so it cannot be the round trip; instead
:func:`spec_from_pandera` reads a built model back into the YAML's terms (columns, dtypes,
required and nullable flags, allowed values, ranges, rule ids) and the test suite proves the
round trip is exact, both ways, for every kind.  Column checks use pandera's built-in checks
(``isin``, ``in_range``, ``str_matches``), an implementation independent of socdata's own
validator; cross-field rules are dataframe checks named by rule id that call the same
functions as the validator (:mod:`socdata.schemas.checks`).

Use these models on canonical, typed frames (what :func:`socdata.read_extract` returns), e.g.
in a test or a pipeline step: ``pandera_schema("service").validate(frame, lazy=True)``.
"""

from __future__ import annotations

import functools
from typing import Any

import pandera.pandas as pa

from socdata.schemas.checks import passes
from socdata.schemas.spec import COLUMN_CHECKS, FILE_CHECKS, SchemaSpec, load_spec

__all__ = ["build_pandera_schema", "pandera_schema", "spec_from_pandera"]


def build_pandera_schema(spec: SchemaSpec) -> pa.DataFrameSchema:
    """Build the pandera model of a schema spec.

    Column rules become column properties and built-in checks named by rule id:
    ``columns_present`` -> ``required``, ``not_null`` -> ``nullable``, ``types`` -> ``dtype``,
    ``allowed_values`` -> ``Check.isin``, ``ranges`` -> ``Check.in_range`` /
    ``Check.str_matches``.  Every other rule becomes a dataframe-level check whose ``name`` is
    the rule id (warnings use ``raise_warning=True``).
    """
    allowed_rule = spec.rule_for("allowed_values")
    range_rule = spec.rule_for("ranges")
    columns: dict[str, pa.Column] = {}
    for c in spec.columns:
        checks = []
        if c.allowed is not None:
            checks.append(pa.Check.isin(list(c.allowed), name=allowed_rule.id))
        if c.min is not None or c.max is not None:
            lo = c.min if c.min is not None else float("-inf")
            hi = c.max if c.max is not None else float("inf")
            checks.append(pa.Check.in_range(lo, hi, name=range_rule.id))
        if c.pattern:
            checks.append(pa.Check.str_matches(c.pattern, name=range_rule.id))
        columns[c.name] = pa.Column(
            c.pandas_dtype
            if c.dtype != "identifier" and c.dtype not in ("string", "category")
            else str,
            checks=checks,
            nullable=c.nullable,
            required=c.required,
            description=c.description,
            metadata={"schema_dtype": c.dtype, "sensitive": c.sensitive},
        )
    frame_checks = []
    for r in spec.rules:
        if r.check in COLUMN_CHECKS or r.check in FILE_CHECKS:
            continue
        frame_checks.append(
            pa.Check(
                functools.partial(passes, r, spec=spec),
                name=r.id,
                error=f"{r.id}: {r.words}",
                raise_warning=r.severity == "warning",
                description=r.words,
            )
        )
    return pa.DataFrameSchema(
        columns,
        checks=frame_checks,
        name=f"{spec.kind} {spec.version}",
        strict=False,
        coerce=False,
        metadata={
            "kind": spec.kind,
            "version": spec.version,
            "column_rules": {r.check: r.id for r in spec.rules if r.check in COLUMN_CHECKS},
            # file rules (every line a record) hold before a frame exists: recorded, not run
            "file_rules": {r.check: r.id for r in spec.rules if r.check in FILE_CHECKS},
        },
    )


@functools.cache
def pandera_schema(kind: str) -> pa.DataFrameSchema:
    """The pandera model of an extract kind (built once from its YAML file)."""
    return build_pandera_schema(load_spec(kind))


def spec_from_pandera(schema: pa.DataFrameSchema) -> dict[str, Any]:
    """Read a pandera model back into the schema file's terms (for the agreement test).

    Returns
    -------
    dict
        ``{"kind", "version", "columns": {name: {"dtype", "required", "nullable",
        "allowed", "min", "max", "pattern"}}, "rule_ids": set}``.
    """
    meta = schema.metadata or {}
    rule_ids = set(meta.get("column_rules", {}).values()) | set(meta.get("file_rules", {}).values())
    cols: dict[str, dict[str, Any]] = {}
    for name, col in schema.columns.items():
        entry: dict[str, Any] = {
            "dtype": col.metadata["schema_dtype"],
            "pandas_dtype": str(col.dtype),
            "required": col.required,
            "nullable": col.nullable,
            "allowed": None,
            "min": None,
            "max": None,
            "pattern": None,
        }
        for chk in col.checks:
            rule_ids.add(chk.name)
            stats = chk.statistics or {}
            if "allowed_values" in stats:
                entry["allowed"] = tuple(stats["allowed_values"])
            if "min_value" in stats:
                lo, hi = stats["min_value"], stats["max_value"]
                entry["min"] = None if lo == float("-inf") else lo
                entry["max"] = None if hi == float("inf") else hi
            if "pattern" in stats:
                entry["pattern"] = stats["pattern"]
        cols[name] = entry
    for chk in schema.checks:
        rule_ids.add(chk.name)
    return {
        "kind": meta.get("kind"),
        "version": meta.get("version"),
        "columns": cols,
        "rule_ids": rule_ids,
    }
