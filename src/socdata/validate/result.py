"""The result of validating one extract: :class:`ValidationResult` and its problem table."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from socdata.results import Result, order_tidy
from socdata.schemas import load_spec

__all__ = ["PROBLEM_COLUMNS", "ValidationResult", "empty_problems"]

#: Columns of :attr:`ValidationResult.rejected` and :attr:`ValidationResult.warnings`.
PROBLEM_COLUMNS: tuple[str, ...] = ("row", "column", "rule", "value", "message", "severity")

_SUMMARY_RULES = 20
_SUMMARY_EXAMPLES = 3


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def empty_problems() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": pd.Series(dtype="int64"),
            **{c: pd.Series(dtype=object) for c in PROBLEM_COLUMNS[1:]},
        }
    )


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class ValidationResult(Result):
    """Outcome of validating one extract.

    Attributes
    ----------
    valid
        Rows that break no rule: canonical columns in schema order, typed.
    rejected
        One row per problem of severity ``"error"``: ``row`` (row number in the source file,
        header = row 1), ``column``, ``rule`` (e.g. ``"service.R07"``), ``value`` (as in the
        source, masked for identifiers and dates of birth unless asked), ``message``,
        ``severity``.  A source row can appear more than once.
    warnings
        Same columns, severity ``"warning"`` (e.g. age outside the service's 11-18); these
        rows stay valid.
    n_input, n_valid, n_rejected, n_unparseable
        Data records read below the header (blank rows excluded), valid rows, rejected rows
        (rows, not problems), and lines that could not be read as records at all (unclosed
        quote, ragged row, truncated line, undecodable bytes); ``n_input == n_valid +
        n_rejected + n_unparseable``.  Unparseable lines are also listed in ``rejected``
        (``row`` = line number, rule ``<kind>.R00``) and in :attr:`unparseable`.
    kind, schema_version, source
        Extract kind, schema version and source file name (or ``"<DataFrame>"``).
    unknown_columns
        Source columns that match no column of the kind (not used; reported).
    unmapped_labels
        ``{column: labels}`` of category values that matched no allowed value or synonym.
    column_names
        ``{source header: canonical name}`` as mapped.
    n_blank
        Entirely blank rows skipped below the header.
    valid_rows
        Source row number of each row of ``valid`` (for :func:`validate_links`).
    unparseable
        One row per unparseable line: ``line`` and ``reason`` (no cell values).
    notes
        File-level remarks: the encoding read, bytes that were not in it, dates that look
        month-first (US format), the run date the plausibility rules used.
    run_date
        The day the date plausibility rules (no date in the future) compared against.
    """

    valid: pd.DataFrame = dataclasses.field(repr=False)
    rejected: pd.DataFrame = dataclasses.field(repr=False)
    warnings: pd.DataFrame = dataclasses.field(repr=False)
    n_input: int
    n_valid: int
    n_rejected: int
    kind: str
    schema_version: str
    source: str
    unknown_columns: tuple[str, ...] = ()
    unmapped_labels: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    column_names: Mapping[str, str] = dataclasses.field(default_factory=dict)
    n_blank: int = 0
    valid_rows: np.ndarray = dataclasses.field(
        default_factory=lambda: np.zeros(0, dtype=int), repr=False, compare=False
    )
    n_unparseable: int = 0
    unparseable: pd.DataFrame = dataclasses.field(
        default_factory=lambda: pd.DataFrame(
            {"line": pd.Series(dtype="int64"), "reason": pd.Series(dtype=object)}
        ),
        repr=False,
        compare=False,
    )
    notes: tuple[str, ...] = ()
    run_date: str | None = None

    def __post_init__(self) -> None:
        total = self.n_valid + self.n_rejected + self.n_unparseable
        if total != self.n_input or len(self.valid) != self.n_valid:
            raise AssertionError(  # an internal invariant, not user input
                f"validation counts do not add up: {self.n_valid} valid + {self.n_rejected} "
                f"rejected + {self.n_unparseable} unparseable != {self.n_input} input"
            )

    @property
    def ok(self) -> bool:
        """True when every record was read and is valid."""
        return self.n_rejected == 0 and self.n_unparseable == 0

    def problems_by_rule(self) -> pd.DataFrame:
        """Rows and problems per rule (errors and warnings), in rule order."""
        both = pd.concat([self.rejected, self.warnings], ignore_index=True)
        if both.empty:
            return pd.DataFrame(columns=["rule", "severity", "rows", "problems", "words"])
        spec = load_spec(self.kind)
        words = {r.id: r.words for r in spec.rules}
        order = {r.id: i for i, r in enumerate(spec.rules)}
        g = both.groupby(["rule", "severity"], sort=False)
        out = pd.DataFrame({"rows": g["row"].nunique(), "problems": g.size()}).reset_index()
        out["words"] = out["rule"].map(words)
        out = out.sort_values("rule", key=lambda s: s.map(order)).reset_index(drop=True)
        return out

    def tidy(self) -> pd.DataFrame:
        """One row per rule that found problems: ``estimate`` = rows affected, ``n`` = rows read."""
        by_rule = self.problems_by_rule()
        frame = pd.DataFrame(
            {
                "term": by_rule["rule"],
                "estimate": by_rule["rows"].astype(float),
                "ci_type": "none",
                "n": self.n_input,
                "severity": by_rule["severity"],
                "problems": by_rule["problems"],
                "words": by_rule["words"],
            }
        )
        return order_tidy(frame)

    def _summary_body(self) -> str:
        return self.describe(max_rules=_SUMMARY_RULES, examples=_SUMMARY_EXAMPLES)

    def describe(
        self, *, max_rules: int = _SUMMARY_RULES, examples: int = _SUMMARY_EXAMPLES
    ) -> str:
        """Short human summary: counts, unknown columns, unmapped labels, problems by rule."""
        lines = [
            f"{self.kind} extract {self.source} (schema {self.kind} {self.schema_version})",
            f"  rows read: {self.n_input}; valid: {self.n_valid}; rejected: {self.n_rejected}; "
            f"unparseable: {self.n_unparseable} ({len(self.rejected)} problems); "
            f"warnings: {len(self.warnings)}",
        ]
        lines.extend(f"  note: {n}" for n in self.notes)
        if self.n_blank:
            lines.append(f"  blank rows skipped: {self.n_blank}")
        if self.unknown_columns:
            lines.append(
                "  unknown columns (not used): " + ", ".join(repr(c) for c in self.unknown_columns)
            )
        for col, labels in self.unmapped_labels.items():
            shown = ", ".join(repr(v) for v in labels[:10])
            more = f" and {len(labels) - 10} more" if len(labels) > 10 else ""
            lines.append(f"  unmapped labels in {col}: {shown}{more}")
        by_rule = self.problems_by_rule()
        if len(by_rule):
            lines.append("Problems by rule:")
        both = pd.concat([self.rejected, self.warnings], ignore_index=True)
        for i, rec in enumerate(by_rule.itertuples(index=False)):
            if i == max_rules:
                lines.append(f"  ... and {len(by_rule) - max_rules} more rules")
                break
            tag = "" if rec.severity == "error" else " [warning]"
            lines.append(f"  {rec.rule}{tag}: {rec.rows} row{_s(rec.rows)} - {rec.words}")
            sel = both[(both["rule"] == rec.rule) & (both["severity"] == rec.severity)]
            for p in sel.head(examples).itertuples(index=False):
                where = f"row {p.row}, {p.column}" if p.column else f"row {p.row}"
                lines.append(f"    {where}: {p.message}")
            if len(sel) > examples:
                lines.append(f"    ... and {len(sel) - examples} more")
        return "\n".join(lines)

    def summary(self) -> str:
        """Human-readable summary (counts and the first problems of each rule)."""
        return self.describe()

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly counts (no row values)."""
        by_rule = self.problems_by_rule()
        return {
            "kind": self.kind,
            "schema_version": self.schema_version,
            "source": self.source,
            "n_input": self.n_input,
            "n_valid": self.n_valid,
            "n_rejected": self.n_rejected,
            "n_unparseable": self.n_unparseable,
            "unparseable_lines": [int(x) for x in self.unparseable["line"]],
            "notes": list(self.notes),
            "n_problems": len(self.rejected),
            "n_warnings": len(self.warnings),
            "n_blank": self.n_blank,
            "unknown_columns": list(self.unknown_columns),
            "unmapped_labels": {k: list(v) for k, v in self.unmapped_labels.items()},
            "rules": [
                {
                    "rule": r.rule,
                    "severity": r.severity,
                    "rows": int(r.rows),
                    "problems": int(r.problems),
                }
                for r in by_rule.itertuples(index=False)
            ],
        }
