"""How a broken rule is reported: :class:`Failure` records and the :class:`Formatter`.

A check marks the rows that break its rule; :func:`per_column` turns the mask into one
:class:`Failure` per column blamed, with the value shown (masked for identifiers and dates of
birth unless asked) and one message per row.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from socdata.schemas.spec import RuleSpec

__all__ = ["MASK", "Failure", "Formatter", "failure", "no_value", "per_column", "rows_text"]

#: What a masked identifier or date of birth reads as.
MASK = "***"


@dataclasses.dataclass(frozen=True)
class Formatter:
    """Formats values for messages, masking sensitive columns unless asked not to."""

    sensitive: frozenset[str] = frozenset()
    show_identifiers: bool = False

    def __call__(self, column: str, value: object, *, quote: bool = True) -> str:
        """Text of a value for a message (quoted text; masked if sensitive)."""
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return "(empty)" if quote else ""
        if column in self.sensitive and not self.show_identifiers:
            return MASK
        if isinstance(value, pd.Timestamp | np.datetime64):
            ts = pd.Timestamp(value)
            return ts.strftime("%Y-%m-%d %H:%M" if (ts.hour or ts.minute) else "%Y-%m-%d")
        if isinstance(value, str) and quote:
            return f"'{value}'"
        return str(value)

    def plain(self, column: str, value: object) -> str:
        """Text of a value for the ``value`` column of a problem (unquoted; masked)."""
        return self(column, value, quote=False)


@dataclasses.dataclass(frozen=True)
class Failure:
    """Rows breaking one rule, with the column blamed and one message per row."""

    rule: str
    severity: str
    column: str
    positions: np.ndarray
    values: tuple[str, ...]
    messages: tuple[str, ...]


def rows_text(rows: Sequence[int], cap: int = 6) -> str:
    """Row numbers for a message: the first ``cap`` of them, then how many more."""
    rows = [int(r) for r in rows]
    text = ", ".join(map(str, rows[:cap]))
    return text + (f" and {len(rows) - cap} more" if len(rows) > cap else "")


def failure(rule: RuleSpec, column: str, pos: np.ndarray, values, messages) -> Failure:
    """The rows at ``pos`` breaking ``rule``, blaming ``column``."""
    return Failure(
        rule.id, rule.severity, column, np.asarray(pos, dtype=int), tuple(values), tuple(messages)
    )


def per_column(
    rule: RuleSpec,
    frame: pd.DataFrame,
    fmt: Formatter,
    bad: Callable[[str], np.ndarray],
    message: Callable[[str, int], str],
    *,
    columns: Sequence[str] | None = None,
    value: Callable[[str, int], str] | None = None,
) -> list[Failure]:
    """One :class:`Failure` per column with rows that break the rule.

    ``bad(column)`` marks the rows that break it, ``message(column, position)`` says why;
    the value shown is the cell (masked if sensitive) unless ``value(column, position)``
    says otherwise.  ``columns`` defaults to the rule's ``columns`` parameter.
    """
    out = []
    for col in rule.params["columns"] if columns is None else columns:
        mask = np.asarray(bad(col), dtype=bool)
        if not mask.any():
            continue
        pos = np.flatnonzero(mask)
        if value is None:
            values = [fmt.plain(col, frame[col].iat[p]) for p in pos]
        else:
            values = [value(col, p) for p in pos]
        out.append(failure(rule, col, pos, values, [message(col, p) for p in pos]))
    return out


def no_value(column: str, position: int) -> str:
    """The value shown for a cell that is empty or not one cell's fault: nothing."""
    return ""
