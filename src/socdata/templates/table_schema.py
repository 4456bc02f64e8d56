"""Frictionless Table Schema and Data Package export of the schema files, and the way back.

The Table Schema standard (https://specs.frictionlessdata.io/table-schema/) carries types,
``required`` (a cell may not be empty), ``enum``, ``minimum``/``maximum``, ``pattern`` and the
primary key. What it cannot express is kept in ``socdata:``-prefixed properties, which the
standard allows: whether a column must be *present* (``socdata:presence``), the aliases and
label synonyms, the sensitive flag, and every rule and cross-extract link with its id and
words. :func:`spec_from_table_schema` reads an exported schema back into the YAML's terms,
so a round-trip test can show that no rule is lost.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from socdata.schemas import SchemaSpec, load_spec

__all__ = [
    "DATETIME_FORMAT",
    "data_package",
    "spec_from_table_schema",
    "table_schema",
    "write_data_package",
]

#: How the bundled CSVs write date-times (socdata.datasets.to_csv).
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_TYPES = {
    "identifier": "string",
    "string": "string",
    "category": "string",
    "date": "date",
    "datetime": "datetime",
    "integer": "integer",
    "number": "number",
}


def _rule(rule) -> dict[str, Any]:
    d = {"id": rule.id, "check": rule.check, "words": rule.words, "severity": rule.severity}
    d.update({k: v for k, v in rule.params.items()})
    return d


def table_schema(kind: str | SchemaSpec) -> dict[str, Any]:
    """The Table Schema descriptor of an extract kind (a JSON-ready dict)."""
    spec = kind if isinstance(kind, SchemaSpec) else load_spec(kind)
    fields = []
    for c in spec.columns:
        f: dict[str, Any] = {
            "name": c.name,
            "title": c.name.replace("_", " ").capitalize(),
            "type": _TYPES[c.dtype],
            "description": c.description,
            "socdata:dtype": c.dtype,
            "socdata:presence": "required" if c.required else "optional",
        }
        if c.dtype == "datetime":
            f["format"] = DATETIME_FORMAT
        cons: dict[str, Any] = {"required": not c.nullable}
        if c.allowed:
            cons["enum"] = list(c.allowed)
        if c.min is not None:
            cons["minimum"] = c.min
        if c.max is not None:
            cons["maximum"] = c.max
        if c.pattern:
            cons["pattern"] = c.pattern
        f["constraints"] = cons
        if c.aliases:
            f["socdata:aliases"] = list(c.aliases)
        if c.synonyms:
            f["socdata:synonyms"] = dict(c.synonyms)
        if c.sensitive:
            f["socdata:sensitive"] = True
        fields.append(f)
    out: dict[str, Any] = {
        "fields": fields,
        "missingValues": [""],
        "socdata:kind": spec.kind,
        "socdata:version": spec.version,
        "socdata:title": spec.title,
        "socdata:unit": spec.unit,
        "socdata:source": spec.source,
        "socdata:definitions": [dict(d) for d in spec.definitions],
        "socdata:rules": [_rule(r) for r in spec.rules],
        "socdata:links": [_rule(r) for r in spec.links],
    }
    if spec.primary_key:
        out["primaryKey"] = list(spec.primary_key)
    return out


def spec_from_table_schema(descriptor: dict[str, Any]) -> dict[str, Any]:
    """Read a Table Schema written by :func:`table_schema` back into the YAML's structure.

    Returns a mapping with the keys of a schema file (``kind, version, title, unit, source,
    primary_key, definitions, columns, rules, links``), comparable with the parsed YAML.
    """
    columns = []
    for f in descriptor["fields"]:
        cons = f.get("constraints", {})
        col: dict[str, Any] = {
            "name": f["name"],
            "dtype": f["socdata:dtype"],
            "required": f["socdata:presence"] == "required",
            "nullable": not cons.get("required", False),
            "description": f.get("description", ""),
        }
        for key, src in (
            ("allowed", "enum"),
            ("min", "minimum"),
            ("max", "maximum"),
            ("pattern", "pattern"),
        ):
            if src in cons:
                col[key] = cons[src]
        for key in ("aliases", "synonyms", "sensitive"):
            if f"socdata:{key}" in f:
                col[key] = f[f"socdata:{key}"]
        columns.append(col)
    return {
        "kind": descriptor["socdata:kind"],
        "version": descriptor["socdata:version"],
        "title": descriptor["socdata:title"],
        "unit": descriptor["socdata:unit"],
        "source": descriptor["socdata:source"],
        "primary_key": descriptor.get("primaryKey", []),
        "definitions": descriptor["socdata:definitions"],
        "columns": columns,
        "rules": descriptor["socdata:rules"],
        "links": descriptor["socdata:links"],
    }


def data_package(kinds: Iterable[str], *, name: str = "socdata-extracts") -> dict[str, Any]:
    """A Data Package descriptor with one tabular resource ``<kind>.csv`` per kind."""
    resources = []
    for kind in kinds:
        spec = load_spec(kind)
        resources.append(
            {
                "name": kind,
                "path": f"{kind}.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "encoding": "utf-8",
                "title": spec.title,
                "schema": table_schema(spec),
            }
        )
    return {"name": name, "profile": "tabular-data-package", "resources": resources}


def write_data_package(kinds: Iterable[str], folder: str | Path) -> Path:
    """Write ``datapackage.json`` (and nothing else) into ``folder``; return its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "datapackage.json"
    path.write_text(json.dumps(data_package(kinds), indent=2) + "\n", encoding="utf-8")
    return path
