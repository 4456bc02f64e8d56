"""Schema specs loaded from the YAML files under ``data/schemas``.

The YAML files are the single source of truth: a data supplier reads them, the validator
applies them, the pandera models are built from them and the data dictionary in the docs is
generated from them.  :func:`load_spec` checks a file's structure strictly, so a typo in a
schema file is a :class:`~socdata.errors.SchemaError`, not a silently skipped rule.
What a loaded schema is made of (the spec classes and the vocabulary of types and checks) is
declared in ``socdata.schemas.definitions`` and re-exported here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from socdata.errors import SchemaError
from socdata.io import normalise_name
from socdata.paths import schemas_dir
from socdata.schemas.definitions import (
    CHECKS,
    COLUMN_CHECKS,
    DTYPES,
    EXTRACT_KINDS,
    FILE_CHECKS,
    LINK_CHECKS,
    RECORDS_WORDS,
    TEXT_DTYPE,
    ColumnSpec,
    RuleSpec,
    SchemaSpec,
    pandas_dtype,
)

__all__ = [
    "CHECKS",
    "COLUMN_CHECKS",
    "DTYPES",
    "EXTRACT_KINDS",
    "FILE_CHECKS",
    "KINDS",
    "LINK_CHECKS",
    "RECORDS_WORDS",
    "TEXT_DTYPE",
    "ColumnSpec",
    "RuleSpec",
    "SchemaSpec",
    "available_kinds",
    "load_spec",
    "pandas_dtype",
]

_COLUMN_KEYS = {
    "name",
    "dtype",
    "required",
    "nullable",
    "description",
    "allowed",
    "synonyms",
    "aliases",
    "min",
    "max",
    "pattern",
    "sensitive",
}
_RULE_KEYS = {
    "id",
    "date_column",
    "check",
    "words",
    "severity",
    "columns",
    "reference",
    "when",
    "min",
    "max",
    "column",
    "depends_on",
    "mapping",
    "by",
    "indicator",
    "in",
    "not_in",
    "cite",
    "other",
    "other_column",
    "key",
    "years",
}


def available_kinds(folder: Path | None = None) -> tuple[str, ...]:
    """Extract kinds with a schema file in ``folder`` (default: :func:`socdata.paths.schemas_dir`).

    The six core kinds come first in their usual order, then any others alphabetically.
    """
    folder = folder or schemas_dir()
    found = sorted(p.stem for p in Path(folder).glob("*.yaml"))
    return tuple(
        [k for k in EXTRACT_KINDS if k in found] + [k for k in found if k not in EXTRACT_KINDS]
    )


#: Extract kinds with a schema file (discovered from ``data/schemas/*.yaml``).
KINDS: tuple[str, ...] = available_kinds()


def _fail(path: Path, msg: str) -> SchemaError:
    return SchemaError(f"{path.name}: {msg}")


def _str_tuple(value: Any, path: Path, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(
            path, f"{where} must be a list of text values (quote Yes/No/True/False), got {value!r}"
        )
    return tuple(value)


def _parse_column(raw: Mapping[str, Any], path: Path) -> ColumnSpec:
    if not isinstance(raw, Mapping) or "name" not in raw or "dtype" not in raw:
        raise _fail(path, f"each column needs 'name' and 'dtype': {raw!r}")
    unknown = set(raw) - _COLUMN_KEYS
    name = raw["name"]
    if unknown:
        raise _fail(path, f"column {name}: unknown keys {sorted(unknown)}")
    if raw["dtype"] not in DTYPES:
        raise _fail(
            path, f"column {name}: dtype {raw['dtype']!r} is not one of {', '.join(DTYPES)}"
        )
    allowed = raw.get("allowed")
    allowed_t = (
        _str_tuple(allowed, path, f"column {name}: allowed") if allowed is not None else None
    )
    if raw["dtype"] == "category" and not allowed_t:
        raise _fail(path, f"column {name}: a category column needs 'allowed' values")
    synonyms = raw.get("synonyms") or {}
    if not isinstance(synonyms, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in synonyms.items()
    ):
        raise _fail(
            path, f"column {name}: synonyms must map text to text (quote Yes/No), got {synonyms!r}"
        )
    if allowed_t is not None:
        bad = [v for v in synonyms.values() if v not in allowed_t]
        if bad:
            raise _fail(path, f"column {name}: synonyms map to labels that are not allowed: {bad}")
    for key in ("required", "nullable", "sensitive"):
        if key in raw and not isinstance(raw[key], bool):
            raise _fail(path, f"column {name}: {key} must be true or false")
    if raw.get("pattern") is not None:
        re.compile(raw["pattern"])
    return ColumnSpec(
        name=name,
        dtype=raw["dtype"],
        required=bool(raw.get("required", False)),
        nullable=bool(raw.get("nullable", True)),
        allowed=allowed_t,
        synonyms=dict(synonyms),
        aliases=_str_tuple(raw.get("aliases"), path, f"column {name}: aliases"),
        min=raw.get("min"),
        max=raw.get("max"),
        pattern=raw.get("pattern"),
        sensitive=bool(raw.get("sensitive", False)),
        description=str(raw.get("description", "")).strip(),
    )


def _parse_rule(
    raw: Mapping[str, Any], kind: str, names: set[str], path: Path, *, link: bool = False
) -> RuleSpec:
    if not isinstance(raw, Mapping) or not {"id", "check", "words"} <= set(raw):
        raise _fail(path, f"each rule needs 'id', 'check' and 'words': {raw!r}")
    rid, check = raw["id"], raw["check"]
    letter, checks = ("L", LINK_CHECKS) if link else ("R", CHECKS)
    if not re.fullmatch(rf"{re.escape(kind)}\.{letter}\d\d", str(rid)):
        raise _fail(path, f"rule id {rid!r} must look like '{kind}.{letter}07'")
    if check not in checks:
        raise _fail(path, f"rule {rid}: check {check!r} is not one of {', '.join(checks)}")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise _fail(path, f"rule {rid}: unknown keys {sorted(unknown)}")
    missing = [p for p in checks[check] if p not in raw]
    if missing:
        raise _fail(path, f"rule {rid}: check {check} needs {', '.join(missing)}")
    severity = raw.get("severity", "error")
    if severity not in ("error", "warning"):
        raise _fail(path, f"rule {rid}: severity must be 'error' or 'warning'")
    params = {k: v for k, v in raw.items() if k not in {"id", "check", "words", "severity"}}
    rule = RuleSpec(
        id=rid,
        check=check,
        words=" ".join(str(raw["words"]).split()),
        severity=severity,
        params=params,
    )
    if "when" in params:
        w = params["when"]
        if (
            not isinstance(w, Mapping)
            or "column" not in w
            or not ({"in", "not_in", "notnull", "isnull"} & set(w))
        ):
            raise _fail(
                path, f"rule {rid}: 'when' needs a column and one of in / not_in / notnull / isnull"
            )
    for col in rule.columns:
        if col not in names:
            raise _fail(path, f"rule {rid}: names column {col!r}, which the schema lacks")
    return rule


@functools.cache
def _load(path: Path) -> SchemaSpec:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise _fail(path, f"not valid YAML: {exc}") from None
    if not isinstance(raw, Mapping):
        raise _fail(path, "must hold a mapping with kind, version, columns and rules")
    for key in ("kind", "version", "columns", "rules"):
        if key not in raw:
            raise _fail(path, f"missing top-level key {key!r}")
    kind = raw["kind"]
    if kind != path.stem:
        raise _fail(path, f"kind {kind!r} differs from the file name {path.stem!r}")
    columns = tuple(_parse_column(c, path) for c in raw["columns"])
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        raise _fail(path, "duplicated column names")
    seen: dict[str, str] = {}
    for c in columns:
        for alias in (c.name, *c.aliases):
            key = normalise_name(alias)
            if seen.get(key, c.name) != c.name:
                raise _fail(path, f"alias {alias!r} of {c.name} also names {seen[key]}")
            seen[key] = c.name
    rules = tuple(_parse_rule(r, kind, set(names), path) for r in raw["rules"])
    links = tuple(_parse_rule(r, kind, set(names), path, link=True) for r in raw.get("links") or ())
    ids = [r.id for r in rules + links]
    if len(set(ids)) != len(ids):
        raise _fail(path, "duplicated rule ids")
    spec = SchemaSpec(
        kind=kind,
        version=str(raw["version"]),
        title=str(raw.get("title", kind)),
        unit=str(raw.get("unit", "")),
        source=" ".join(str(raw.get("source", "")).split()),
        primary_key=_str_tuple(raw.get("primary_key"), path, "primary_key"),
        definitions=tuple(
            {"term": str(d["term"]), "words": " ".join(str(d["words"]).split())}
            for d in raw.get("definitions") or ()
        ),
        columns=columns,
        rules=rules,
        path=path,
        links=links,
    )
    for check in COLUMN_CHECKS[:3]:
        if spec.rule_for(check) is None:
            raise _fail(path, f"needs a rule with check {check}")
    if any(c.allowed for c in columns) and spec.rule_for("allowed_values") is None:
        raise _fail(path, "category columns need a rule with check allowed_values")
    if any(c.min is not None or c.max is not None or c.pattern for c in columns) and (
        spec.rule_for("ranges") is None
    ):
        raise _fail(path, "columns with min/max/pattern need a rule with check ranges")
    return spec


def load_spec(kind: str, *, folder: Path | None = None) -> SchemaSpec:
    """Load and check the schema of an extract kind.

    Parameters
    ----------
    kind
        Extract kind, e.g. ``"service"`` (see :data:`KINDS`).
    folder
        Folder of schema files (default: :func:`socdata.paths.schemas_dir`).

    Raises
    ------
    SchemaError
        Unknown kind, or a malformed schema file (the message names the file and the problem).
    """
    folder = Path(folder or schemas_dir())
    path = folder / f"{kind}.yaml"
    if not path.exists():
        kinds = available_kinds(folder)
        raise SchemaError(f"unknown extract kind {kind!r}; choose one of: {', '.join(kinds)}")
    return _load(path.resolve())
