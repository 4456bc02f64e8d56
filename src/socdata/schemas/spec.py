"""Schema specs loaded from the YAML files under ``data/schemas``.

The YAML files are the single source of truth: a data supplier reads them, the validator
applies them, the pandera models are built from them and the data dictionary in the docs is
generated from them.  :func:`load_spec` checks a file's structure strictly, so a typo in a
schema file is a :class:`~socdata.errors.SchemaError`, not a silently skipped rule.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from socdata.errors import SchemaError
from socdata.io import normalise_name
from socdata.paths import schemas_dir

__all__ = [
    "CHECKS",
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
    "pandas_dtype",
]

#: pandas' own dtype for text: ``str`` on pandas 3 (missing is NaN), ``object`` on pandas 2.
#: Text columns take whichever the running pandas makes, so frames built by hand compare equal.
TEXT_DTYPE: str = str(pd.Series(["text"]).dtype)

#: Column types of the schema files and the pandas dtype each becomes.
DTYPES: Mapping[str, str] = {
    "identifier": TEXT_DTYPE,  # text, e.g. a pseudonymous id; masked in messages
    "string": TEXT_DTYPE,  # free text (declared synonyms still apply)
    "category": TEXT_DTYPE,  # one of the allowed labels, stored as printed in the report
    "date": "datetime64[ns]",
    "datetime": "datetime64[ns]",
    "integer": "Int64",
    "number": "float64",
}

#: Rule checks a schema file may use, with the parameters each needs.
CHECKS: Mapping[str, tuple[str, ...]] = {
    "columns_present": (),
    "not_null": (),
    "types": (),
    "allowed_values": (),
    "ranges": (),
    "unique": ("columns",),
    "order": ("columns",),
    "not_after": ("columns", "reference"),
    "requires_when": ("when", "columns"),
    "forbids_when": ("when", "columns"),
    "at_least_one": ("columns",),
    "age_range": ("min", "max"),
    "age_matches_dob": (),
    "fits": ("column", "depends_on", "mapping"),
    "consistent_within": ("by", "columns"),
    "values_when": ("when", "column"),
    "month_matches": ("column", "date_column"),
    "records": (),
    "not_in_future": ("columns",),
    "not_long_before": ("columns", "reference", "years"),
}

#: Checks across extracts (``links:`` in a schema file), run by
#: :func:`socdata.validate.validate_links` when the related extract is given.
LINK_CHECKS: Mapping[str, tuple[str, ...]] = {
    "exists_in": ("column", "other", "other_column"),
    "not_after_other": ("column", "other", "key", "other_column"),
}

#: Checks that are properties of single columns (applied while typing the values).
COLUMN_CHECKS = ("columns_present", "not_null", "types", "allowed_values", "ranges")

#: Checks of the file itself, applied while reading it (``records``: every line below the
#: header is a readable record; see :mod:`socdata.io.delimited`).
FILE_CHECKS = ("records",)

#: The extract kinds of the SOCEIS data contract, in the order reports list them (the one
#: list: validation summaries, the bundled synthetic data and the CLI use it).
EXTRACT_KINDS: tuple[str, ...] = (
    "service",
    "plans",
    "participants",
    "police_persons",
    "police_events",
    "police_missing",
    "vulnerability",
    "nrm",
    "missing_detail",
    "arrest_outcomes",
    "assessments",
    "linkage_identifiers",
)
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


@dataclasses.dataclass(frozen=True)
class ColumnSpec:
    """One column of an extract kind.

    Attributes
    ----------
    name
        Canonical column name.
    dtype
        One of :data:`DTYPES`.
    required
        The column must be present in the file (under its name or an alias).
    nullable
        Cells may be empty.
    allowed
        Allowed labels of a category column (``None`` otherwise).
    synonyms
        Declared synonyms ``{supplier label: canonical label}``.
    aliases
        Other names a supplier may use for the column.
    min, max
        Inclusive bounds of a number.
    pattern
        Regular expression a text value must match.
    sensitive
        Identifier or date of birth: masked in messages unless the caller opts in.
    description
        What the column holds.
    """

    name: str
    dtype: str
    required: bool = False
    nullable: bool = True
    allowed: tuple[str, ...] | None = None
    synonyms: Mapping[str, str] = dataclasses.field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    sensitive: bool = False
    description: str = ""

    @property
    def pandas_dtype(self) -> str:
        """The pandas dtype of the canonical column."""
        return DTYPES[self.dtype]


#: Words of the ``records`` rule when a schema file does not declare its own.
RECORDS_WORDS = (
    "Every line below the header is one record: as many fields as the header, quotes closed, "
    "every byte in the file's one encoding (UTF-8, Windows-1252 or UTF-16), no NUL "
    "characters. A line that is not is reported as unparseable with its line number."
)


@dataclasses.dataclass(frozen=True)
class RuleSpec:
    """One rule: an id (``"service.R07"``), a check type, its parameters and its words."""

    id: str
    check: str
    words: str
    severity: str = "error"
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        """Columns the rule reads (in the order the rule names them)."""
        p = self.params
        cols: list[str] = []
        for key in ("column", "depends_on", "date_column"):
            if key in p:
                cols.append(p[key])
        cols += list(p.get("by", ())) + list(p.get("columns", ()))
        if "key" in p:
            cols.append(p["key"])
        if "reference" in p:
            cols.append(p["reference"])
        if "when" in p:
            cols.append(p["when"]["column"])
        return tuple(dict.fromkeys(cols))


@dataclasses.dataclass(frozen=True)
class SchemaSpec:
    """A parsed, checked schema file.

    Attributes
    ----------
    kind, version, title, unit, source
        Identification of the extract kind and its schema version.
    primary_key
        Columns that identify a row.
    definitions
        Terms defined by the reports (``({"term": ..., "words": ...}, ...)``).
    columns
        Column specs in canonical order.
    rules
        Rule specs in file order.
    path
        The YAML file.
    """

    kind: str
    version: str
    title: str
    unit: str
    source: str
    primary_key: tuple[str, ...]
    definitions: tuple[Mapping[str, str], ...]
    columns: tuple[ColumnSpec, ...]
    rules: tuple[RuleSpec, ...]
    path: Path
    links: tuple[RuleSpec, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """Canonical column names, in order."""
        return tuple(c.name for c in self.columns)

    @property
    def required_names(self) -> tuple[str, ...]:
        """Columns that must be present."""
        return tuple(c.name for c in self.columns if c.required)

    @property
    def sensitive_names(self) -> tuple[str, ...]:
        """Columns masked in messages by default."""
        return tuple(c.name for c in self.columns if c.sensitive or c.dtype == "identifier")

    def column(self, name: str) -> ColumnSpec:
        """The spec of one column (``KeyError`` naming the allowed columns if absent)."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.kind} has no column {name!r}; columns: {', '.join(self.names)}")

    def rule(self, rule_id: str) -> RuleSpec:
        """The spec of one rule by id."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(f"{self.kind} has no rule {rule_id!r}")

    def rule_for(self, check: str) -> RuleSpec | None:
        """The first rule using a check type (e.g. ``"allowed_values"``), if any.

        A schema without a ``records`` rule still gets one (``<kind>.R00``, in the words of
        :data:`RECORDS_WORDS`): every file is read line by line with the same accounting.
        """
        found = next((r for r in self.rules if r.check == check), None)
        if found is None and check == "records":
            return RuleSpec(f"{self.kind}.R00", "records", RECORDS_WORDS)
        return found

    def alias_table(self) -> dict[str, str]:
        """``{normalised name or alias: canonical name}`` for matching supplier headers."""
        table: dict[str, str] = {}
        for c in self.columns:
            table[normalise_name(c.name)] = c.name
        for c in self.columns:
            for a in c.aliases:
                table.setdefault(normalise_name(a), c.name)
        return table

    def empty_frame(self) -> pd.DataFrame:
        """A zero-row frame with every canonical column in its dtype."""
        return pd.DataFrame({c.name: pd.Series(dtype=c.pandas_dtype) for c in self.columns})


def pandas_dtype(dtype: str) -> str:
    """Pandas dtype for a schema type name."""
    return DTYPES[dtype]


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


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def _load(path: Path) -> SchemaSpec:
    try:
        # libyaml's safe loader when PyYAML has it: same objects, ~10x faster
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
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
