"""Validation summary of a data folder: one row per extract, rejections counted by rule.

Used by ``socdata reproduce`` (report section "Validation") and by the notebook
``00_validation_summary``.  The summary holds counts only: rejected rows themselves are
person rows and never leave :func:`socdata.validate.validate_extract`'s result (run
``socdata validate KIND PATH --report rejected.csv`` inside the secure environment to see
them).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from socdata.errors import SocdataError
from socdata.report.synthetic import input_files

__all__ = ["EXTRACT_KINDS", "ValidationSummary", "find_extracts", "validation_summary"]

#: Extract kinds, in the order the report shows them.
EXTRACT_KINDS: tuple[str, ...] = (
    "service",
    "plans",
    "participants",
    "police_persons",
    "police_events",
    "police_missing",
)

_RULE_COLUMNS = ("rule", "rules", "reason", "reasons", "check", "error")
_COLUMN_COLUMNS = ("column", "columns", "field")


def find_extracts(data_dir: str | Path) -> dict[str, Path | None]:
    """Map each extract kind to its file in ``data_dir`` (``<kind>.csv``, ``.xlsx``, ...).

    Kinds without a file map to ``None``.  When several files share a kind's name (say
    ``service.csv`` and ``service.xlsx``), the choice would be a guess, so it is an error.
    """
    files = input_files(data_dir)
    found: dict[str, Path | None] = {}
    for kind in EXTRACT_KINDS:
        hits = [p for p in files if p.stem.lower() == kind]
        if len(hits) > 1:
            raise SocdataError(
                f"{data_dir}: several files for extract kind {kind!r}: "
                f"{[p.name for p in hits]}; keep one"
            )
        found[kind] = hits[0] if hits else None
    return found


@dataclasses.dataclass(frozen=True)
class ValidationSummary:
    """Counts of a folder's validation.

    Attributes
    ----------
    extracts
        One row per extract kind: ``kind, file, status, rows, valid, rejected, message``;
        ``status`` is ``valid``, ``rows rejected``, ``unreadable``, ``absent`` or
        ``not validated`` (validation module unavailable).
    rules
        Rejections by rule: ``kind, column, rule, n_rejections``.
    unknown_files
        Files in the folder that are not a known extract kind (hashed, not validated).
    notes
        Anything the reader must know (e.g. validation unavailable).
    """

    extracts: pd.DataFrame
    rules: pd.DataFrame
    unknown_files: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether every present extract was read and validated without rejections."""
        present = self.extracts[self.extracts["status"] != "absent"]
        return bool(len(present)) and bool((present["status"] == "valid").all())


def _count(obj: object) -> int | None:
    if obj is None:
        return None
    try:
        return len(obj)  # type: ignore[arg-type]
    except TypeError:
        return None


def _rule_counts(kind: str, rejected: object) -> pd.DataFrame:
    cols = ["kind", "column", "rule", "n_rejections"]
    if not isinstance(rejected, pd.DataFrame) or rejected.empty:
        return pd.DataFrame(columns=cols)
    rule_col = next((c for c in _RULE_COLUMNS if c in rejected.columns), None)
    if rule_col is None:
        return pd.DataFrame(
            [
                {
                    "kind": kind,
                    "column": "",
                    "rule": "(rule not reported)",
                    "n_rejections": len(rejected),
                }
            ],
            columns=cols,
        )
    col_col = next((c for c in _COLUMN_COLUMNS if c in rejected.columns), None)
    keys = [rule_col] if col_col is None else [col_col, rule_col]
    frame = rejected[keys].astype(str)
    grouped = frame.value_counts().reset_index(name="n_rejections")
    grouped = grouped.rename(columns={rule_col: "rule", **({col_col: "column"} if col_col else {})})
    if "column" not in grouped:
        grouped["column"] = ""
    grouped.insert(0, "kind", kind)
    return grouped[cols]


def validation_summary(data_dir: str | Path | None = None) -> ValidationSummary:
    """Validate every extract present in ``data_dir`` and count the outcome.

    Parameters
    ----------
    data_dir
        Folder of extracts named ``<kind>.<ext>`` (kinds: :data:`EXTRACT_KINDS`); ``None``
        means the bundled synthetic extracts.

    Returns
    -------
    ValidationSummary
        Counts only (no rows).  A file that cannot be read is reported with the reader's
        message, not raised, so one broken extract does not hide the state of the others.
    """
    if data_dir is None:
        from socdata.paths import synthetic_dir

        data_dir = synthetic_dir()
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise SocdataError(
            f"data folder {data_dir} does not exist; pass the folder that holds service.csv "
            "etc. (or leave it out to use the bundled synthetic extracts)"
        )
    found = find_extracts(data_dir)
    known = {p for p in found.values() if p is not None}
    unknown = tuple(p.name for p in input_files(data_dir) if p not in known)
    notes: list[str] = []
    try:
        from socdata.validate import validate_extract
    except ImportError as exc:
        validate_extract = None
        notes.append(f"validation not available in this version of socdata ({exc})")
    rows = []
    rule_frames = []
    for kind, path in found.items():
        rec = {
            "kind": kind,
            "file": path.name if path else "",
            "status": "absent",
            "rows": pd.NA,
            "valid": pd.NA,
            "rejected": pd.NA,
            "message": "",
        }
        if path is None:
            rows.append(rec)
            continue
        if validate_extract is None:
            rec["status"] = "not validated"
            rows.append(rec)
            continue
        try:
            result = validate_extract(path, kind)
        except SocdataError as exc:  # unreadable file, unknown kind, ...: report it
            rec["status"] = "unreadable"
            rec["message"] = str(exc).splitlines()[0][:300]
            rows.append(rec)
            continue
        n_valid = _count(getattr(result, "valid", None))
        rejected = getattr(result, "rejected", None)
        n_rej = _count(rejected)
        rec["valid"] = n_valid
        rec["rejected"] = n_rej
        if n_valid is not None and n_rej is not None:
            rec["rows"] = n_valid + n_rej
        rec["status"] = "valid" if not n_rej else "rows rejected"
        rows.append(rec)
        rule_frames.append(_rule_counts(kind, rejected))
    extracts = pd.DataFrame(rows)
    for c in ("rows", "valid", "rejected"):
        extracts[c] = extracts[c].astype("Int64")
    rules = (
        pd.concat(rule_frames, ignore_index=True)
        if any(len(f) for f in rule_frames)
        else pd.DataFrame(columns=["kind", "column", "rule", "n_rejections"])
    )
    if unknown:
        notes.append(
            f"not a known extract kind, not validated: {', '.join(unknown)} "
            f"(kinds: {', '.join(EXTRACT_KINDS)})"
        )
    return ValidationSummary(extracts, rules, unknown, tuple(notes))


def summary_as_mapping(summary: ValidationSummary) -> Mapping[str, object]:
    """JSON-friendly form for the manifest."""
    ex = summary.extracts.astype(object).where(summary.extracts.notna(), None)
    return {"extracts": ex.to_dict(orient="records"), "notes": list(summary.notes)}
