"""Supplier templates generated from the schema files.

* :func:`write_xlsx_template` - an XLSX workbook per extract kind with a data-dictionary
  sheet, a rules sheet and drop-down validation;
* :func:`table_schema`, :func:`data_package`, :func:`write_data_package` - the Frictionless
  Table Schema / Data Package export, and :func:`spec_from_table_schema` back;
* :func:`validate_package` - validates a data folder against the export with ``frictionless``.
"""

from __future__ import annotations

from socdata.templates.table_schema import (
    DATETIME_FORMAT,
    data_package,
    spec_from_table_schema,
    table_schema,
    write_data_package,
)
from socdata.templates.xlsx import DICTIONARY_COLUMNS, TEMPLATE_ROWS, write_xlsx_template

__all__ = [
    "DATETIME_FORMAT",
    "DICTIONARY_COLUMNS",
    "TEMPLATE_ROWS",
    "data_package",
    "spec_from_table_schema",
    "table_schema",
    "validate_package",
    "write_data_package",
    "write_xlsx_template",
]


def validate_package(descriptor_path, kinds=None, *, limit_rows=None) -> dict[str, list[str]]:
    """Validate the CSVs named by a ``datapackage.json`` with ``frictionless``.

    Each resource is checked against its Table Schema; an optional column absent from a file
    is allowed (the schema is synced to the file's header, as the YAML allows), a required
    column never is (``socdata:presence``).

    Parameters
    ----------
    descriptor_path
        The ``datapackage.json``; resource paths are relative to its folder.
    kinds
        Only these resources (default: all).
    limit_rows
        Check only the first rows of each file.

    Returns
    -------
    dict
        ``{kind: problems}``, each problem ``"row R, column C: type: note"``; an empty list
        means the file is valid.
    """
    import json
    from pathlib import Path

    import frictionless

    path = Path(descriptor_path)
    desc = json.loads(path.read_text(encoding="utf-8"))
    out: dict[str, list[str]] = {}
    for res in desc["resources"]:
        if kinds is not None and res["name"] not in set(kinds):
            continue
        csv = path.parent / res["path"]
        with csv.open(encoding="utf-8", newline="") as fh:
            header = fh.readline().rstrip("\r\n").split(",")
        problems = [
            f"required column {f['name']} is absent"
            for f in res["schema"]["fields"]
            if f["socdata:presence"] == "required" and f["name"] not in header
        ]
        schema = frictionless.Schema.from_descriptor(res["schema"])
        schema.fields_match = "superset"  # optional columns may be absent from a file
        resource = frictionless.Resource(path=res["path"], basepath=str(path.parent), schema=schema)
        report = resource.validate(limit_rows=limit_rows)
        for row, field, kind, note in report.flatten(["rowNumber", "fieldName", "type", "note"]):
            problems.append(f"row {row}, column {field}: {kind}: {note}")
        out[res["name"]] = problems
    return out
