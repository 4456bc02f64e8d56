"""Validation summary of a data folder: one row per extract, rejections counted by rule.

Used by ``socdata reproduce`` (report section "Validation") and by the notebook
``00_validation_summary``.  The summary holds counts only: rejected rows themselves are
person rows and never leave :func:`socdata.validate.validate_extract`'s result (run
``socdata validate KIND PATH --report rejected.csv`` inside the secure environment to see
them).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from socdata.errors import SocdataError
from socdata.io import ReadOptions, find_extract
from socdata.io import read_options as current_read_options
from socdata.report.synthetic import input_files
from socdata.schemas import EXTRACT_KINDS

__all__ = ["EXTRACT_KINDS", "ValidationSummary", "find_extracts", "validation_summary"]


_RULE_COLUMNS = ("rule", "rules", "reason", "reasons", "check", "error")


def find_extracts(data_dir: str | Path) -> dict[str, Path | None]:
    """Map each extract kind to its file in ``data_dir`` (``<kind>.csv``, ``.xlsx``, ...).

    Kinds without a file map to ``None``.  When several files share a kind's name (say
    ``service.csv`` and ``service.xlsx``), :func:`socdata.io.find_extract` refuses to guess.
    """
    stems = {p.stem.lower() for p in input_files(data_dir)}
    return {k: find_extract(data_dir, k) if k in stems else None for k in EXTRACT_KINDS}


@dataclasses.dataclass(frozen=True)
class ValidationSummary:
    """Counts of a folder's validation.

    Attributes
    ----------
    extracts
        One row per extract kind: ``kind, file, status, rows, valid, rejected, unparseable,
        warnings, message`` (``rows``, ``valid``, ``rejected``, ``unparseable`` count source
        rows, ``rows = valid + rejected + unparseable``; ``warnings`` counts
        warning problems, whose rows stay valid);
        ``status`` is ``valid``, ``rows rejected``, ``unreadable``, ``absent`` or
        ``not validated`` (validation module unavailable).
    rules
        Problems by rule: ``kind, rule, severity, rows, problems, words`` (``rows`` = source
        rows affected, ``problems`` = cells).
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


_RULE_TABLE = ["kind", "rule", "severity", "rows", "problems", "words"]


def _rule_counts(kind: str, result: object) -> pd.DataFrame:
    """Rows and problems per rule; counts only (no values)."""
    by_rule = getattr(result, "problems_by_rule", None)
    if callable(by_rule):
        frame = by_rule().copy()
    else:  # older results: count the rejected problems by rule
        rejected = getattr(result, "rejected", None)
        if not isinstance(rejected, pd.DataFrame) or rejected.empty:
            return pd.DataFrame(columns=_RULE_TABLE)
        rule_col = next((c for c in _RULE_COLUMNS if c in rejected.columns), None)
        if rule_col is None:
            frame = pd.DataFrame({"rule": ["(rule not reported)"], "problems": [len(rejected)]})
        else:
            frame = rejected[rule_col].astype(str).value_counts().rename_axis("rule")
            frame = frame.reset_index(name="problems")
    frame.insert(0, "kind", kind)
    for c in _RULE_TABLE:
        if c not in frame:
            frame[c] = pd.NA
    return frame[_RULE_TABLE]


def _attr_count(result: object, attr: str, fallback: str) -> int | None:
    value = getattr(result, attr, None)
    if isinstance(value, int | np.integer):
        return int(value)
    return _count(getattr(result, fallback, None))


def validation_summary(
    data_dir: str | Path | None = None,
    *,
    read_options: ReadOptions | None = None,
    validate: Callable[[str, Path], Any] | None = None,
) -> ValidationSummary:
    """Validate every extract present in ``data_dir`` and count the outcome.

    Parameters
    ----------
    data_dir
        Folder of extracts named ``<kind>.<ext>`` (kinds: :data:`EXTRACT_KINDS`); ``None``
        means the bundled synthetic extracts.
    read_options
        Column maps and sheets by kind (``socdata reproduce --column-map/--sheet``).
    validate
        ``validate(kind, path)`` gives the :class:`~socdata.validate.ValidationResult` of
        one extract; default :func:`socdata.validate.validate_extract` with the
        ``read_options``.  ``socdata reproduce`` passes one that keeps each validation for
        its notebooks (:func:`socdata.pipeline.shared.validated_once`).

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
    if read_options is None:  # inside a notebook run by `socdata reproduce --column-map`
        read_options = current_read_options()
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
            "unparseable": pd.NA,
            "warnings": pd.NA,
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
            result = (
                validate(kind, path)
                if validate is not None
                else validate_extract(
                    path,
                    kind,
                    column_map=read_options.column_map(kind) if read_options else None,
                    sheet=read_options.sheet(kind) if read_options else None,
                )
            )
        except SocdataError as exc:  # unreadable file, unknown kind, ...: report it
            rec["status"] = "unreadable"
            rec["message"] = str(exc).splitlines()[0][:300]
            rows.append(rec)
            continue
        n_valid = _attr_count(result, "n_valid", "valid")
        n_rej = _attr_count(result, "n_rejected", "rejected")
        n_in = getattr(result, "n_input", None)
        n_bad = int(getattr(result, "n_unparseable", 0) or 0)
        rec["valid"] = n_valid
        rec["rejected"] = n_rej
        rec["unparseable"] = n_bad
        if isinstance(n_in, int | np.integer):
            rec["rows"] = int(n_in)
        elif n_valid is not None and n_rej is not None:
            rec["rows"] = n_valid + n_rej + n_bad
        rec["warnings"] = _count(getattr(result, "warnings", None))
        rec["status"] = "valid" if not (n_rej or n_bad) else "rows rejected"
        rows.append(rec)
        rule_frames.append(_rule_counts(kind, result))
    extracts = pd.DataFrame(rows)
    for c in ("rows", "valid", "rejected", "unparseable", "warnings"):
        extracts[c] = extracts[c].astype("Int64")
    rules = (
        pd.concat(rule_frames, ignore_index=True)
        if any(len(f) for f in rule_frames)
        else pd.DataFrame(columns=_RULE_TABLE)
    )
    if unknown:
        notes.append(
            f"not a known extract kind, not validated: {', '.join(unknown)} "
            f"(kinds: {', '.join(EXTRACT_KINDS)})"
        )
    return ValidationSummary(extracts, rules, unknown, tuple(notes))


def summary_as_mapping(summary: ValidationSummary, rules=None) -> Mapping[str, object]:
    """JSON-friendly form for the manifest, counts disclosure-controlled by ``rules``."""
    extracts = summary.extracts
    if rules is not None:
        from socdata.report.disclosure import apply_to_frame

        extracts = apply_to_frame(
            extracts, rules, count_columns=["rows", "valid", "rejected", "unparseable", "warnings"]
        )
    ex = extracts.astype(object).where(extracts.notna(), None)
    return {"extracts": ex.to_dict(orient="records"), "notes": list(summary.notes)}
