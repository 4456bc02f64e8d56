"""Read options given on the command line: a column map file and the sheet of each workbook.

A *column map* file names the supplier's columns that the schema's aliases do not know::

    # column-map.yaml: for one extract kind ...
    Ref Date: referral_date
    YP Ref: person_id

    # ... or for several, keyed by kind (what `socdata reproduce --column-map` needs)
    service:
      Ref Date: referral_date
    police_events:
      Offence date: event_date

or a CSV with the columns ``supplier,canonical`` (and optionally ``kind``).

``socdata reproduce`` hands these options to every notebook inside its run context
(:class:`socdata.pipeline.RunContext`); the context makes them the *active* options of the
notebook's kernel (:func:`set_read_options`), which :func:`socdata.read_extract` uses when
it is called without ``column_map`` or ``sheet``.  No environment variable is involved.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from socdata.errors import UsageError

__all__ = [
    "ReadOptions",
    "load_column_map",
    "parse_sheets",
    "read_options",
    "set_read_options",
]

#: Key of options that apply to every extract kind.
ALL_KINDS = "*"


@dataclasses.dataclass(frozen=True)
class ReadOptions:
    """Column maps and sheets by extract kind (key ``"*"``: every kind)."""

    column_maps: Mapping[str, Mapping[str, str]] = dataclasses.field(default_factory=dict)
    sheets: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def column_map(self, kind: str) -> dict[str, str] | None:
        """The supplier-name map for ``kind`` (the kind's own entries over the ``"*"`` ones)."""
        out = {**self.column_maps.get(ALL_KINDS, {}), **self.column_maps.get(kind, {})}
        return out or None

    def sheet(self, kind: str) -> str | None:
        """The sheet to read for ``kind``, if one was given."""
        return self.sheets.get(kind, self.sheets.get(ALL_KINDS))

    def __bool__(self) -> bool:
        return bool(self.column_maps or self.sheets)

    def to_mapping(self) -> dict[str, Any]:
        """JSON-friendly mapping (carried by the run context)."""
        return {
            "column_maps": {k: dict(v) for k, v in self.column_maps.items()},
            "sheets": dict(self.sheets),
        }

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None) -> ReadOptions:
        """Rebuild from :meth:`to_mapping` (``None`` or empty: no options)."""
        mapping = mapping or {}
        return cls(
            {str(k): dict(v) for k, v in (mapping.get("column_maps") or {}).items()},
            dict(mapping.get("sheets") or {}),
        )


_ACTIVE: ReadOptions | None = None


def set_read_options(options: ReadOptions | None) -> None:
    """Make ``options`` the active read options of this process (``None``: none).

    Called by the run context of a notebook that ``socdata reproduce`` runs, so that the
    notebook's ``socdata.read_extract(folder, kind)`` reads with the run's column map and
    sheets.
    """
    global _ACTIVE
    _ACTIVE = options if options else None


def read_options() -> ReadOptions | None:
    """The active read options (see :func:`set_read_options`), if any."""
    return _ACTIVE


def _flat(mapping: Mapping[Any, Any], where: str) -> dict[str, str]:
    out = {}
    for k, v in mapping.items():
        if not isinstance(v, str) or not str(k).strip():
            raise UsageError(
                f"{where}: each entry maps a supplier's column name to a canonical column "
                f"name (text: text); got {k!r}: {v!r}"
            )
        out[str(k)] = v.strip()
    return out


def _from_csv(path: Path) -> dict[str, dict[str, str]]:
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(text.splitlines()))
    cols = {c.strip().lower() for c in (rows[0].keys() if rows else ())}
    if not {"supplier", "canonical"} <= cols:
        raise UsageError(
            f"{path.name}: a column map CSV needs the columns supplier,canonical (and "
            "optionally kind); see the how-to 'Map a supplier's column names'"
        )
    out: dict[str, dict[str, str]] = {}
    for i, row in enumerate(rows, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
        if not row["supplier"] or not row["canonical"]:
            raise UsageError(f"{path.name}: row {i}: supplier and canonical must both be filled")
        out.setdefault(row.get("kind") or ALL_KINDS, {})[row["supplier"]] = row["canonical"]
    return out


def load_column_map(path: str | Path, *, kind: str | None = None) -> dict[str, dict[str, str]]:
    """Read a column map file (YAML, JSON or CSV) into ``{kind: {supplier: canonical}}``.

    A flat file (``supplier: canonical`` entries) applies to ``kind`` when given, else to
    every kind (key ``"*"``).

    Raises
    ------
    UsageError
        The file is missing, unreadable or not a column map.
    """
    import yaml

    path = Path(path)
    if not path.is_file():
        raise UsageError(f"--column-map {path}: no such file; check the path")
    try:
        if path.suffix.lower() == ".csv":
            return _from_csv(path)
        raw = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UsageError(
            f"--column-map {path.name}: cannot be read as YAML, JSON or CSV ({exc})"
        ) from None
    if not isinstance(raw, Mapping) or not raw:
        raise UsageError(
            f"--column-map {path.name}: must map supplier column names to canonical names, "
            "e.g. 'Ref Date: referral_date' (or one such block per extract kind)"
        )
    if all(isinstance(v, Mapping) for v in raw.values()):
        return {str(k): _flat(v, f"{path.name}: {k}") for k, v in raw.items()}
    return {kind or ALL_KINDS: _flat(raw, path.name)}


def parse_sheets(values: list[str] | None) -> dict[str, str]:
    """``--sheet NAME`` (every workbook) and ``--sheet KIND=NAME`` into ``{kind: sheet}``."""
    out: dict[str, str] = {}
    for v in values or ():
        kind, sep, name = v.partition("=")
        if sep and kind.strip() and name.strip() and " " not in kind.strip():
            out[kind.strip()] = name.strip()
        else:
            out[ALL_KINDS] = v
    return out
