"""What a schema is made of: column and rule specs, and the vocabulary of the schema files.

:class:`SchemaSpec` (with its :class:`ColumnSpec` and :class:`RuleSpec` objects) is what
:func:`~socdata.schemas.spec.load_spec` returns; :data:`DTYPES`, :data:`CHECKS` and
:data:`LINK_CHECKS` are the types and checks a schema file may use.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from socdata.io import normalise_name

__all__ = [
    "CHECKS",
    "COLUMN_CHECKS",
    "DTYPES",
    "EXTRACT_KINDS",
    "FILE_CHECKS",
    "LINK_CHECKS",
    "RECORDS_WORDS",
    "TEXT_DTYPE",
    "ColumnSpec",
    "RuleSpec",
    "SchemaSpec",
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
