"""Problems found while validating: collected per column and rule, then ordered and counted."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import pandas as pd

from socdata.io import RawTable, cell_text
from socdata.schemas import SchemaSpec
from socdata.schemas.checks import MASK
from socdata.validate.result import empty_problems

__all__ = ["Problems", "file_problems", "first_rules", "quoted", "shown_values", "sorted_problems"]


@dataclasses.dataclass
class Problems:
    """Problems collected column by column and rule by rule, as arrays joined at the end.

    Each :meth:`add` records the positions (0-based rows of the frame) breaking one rule
    in one column, with the value shown and one message per position (or one for all).
    """

    rows: list[np.ndarray] = dataclasses.field(default_factory=list)
    positions: list[np.ndarray] = dataclasses.field(default_factory=list)
    columns: list[np.ndarray] = dataclasses.field(default_factory=list)
    rules: list[np.ndarray] = dataclasses.field(default_factory=list)
    values: list[np.ndarray] = dataclasses.field(default_factory=list)
    messages: list[np.ndarray] = dataclasses.field(default_factory=list)
    severities: list[np.ndarray] = dataclasses.field(default_factory=list)

    def add(
        self,
        row_numbers: np.ndarray,
        pos: np.ndarray | list[int],
        column: str,
        rule: str,
        values: object,
        messages: object,
        severity: str = "error",
    ) -> None:
        """Record the rows at ``pos`` as breaking ``rule`` in ``column``.

        ``values`` and ``messages`` are one text per position, or one text for all.
        """
        pos = np.asarray(pos, dtype=int)
        if not len(pos):
            return
        k = len(pos)
        self.positions.append(pos)
        self.rows.append(row_numbers[pos])
        self.columns.append(np.full(k, column, dtype=object))
        self.rules.append(np.full(k, rule, dtype=object))
        self.values.append(
            np.asarray(values, dtype=object).reshape(-1)
            if not isinstance(values, str)
            else np.full(k, values, dtype=object)
        )
        self.messages.append(
            np.asarray(messages, dtype=object).reshape(-1)
            if not isinstance(messages, str)
            else np.full(k, messages, dtype=object)
        )
        self.severities.append(np.full(k, severity, dtype=object))

    def frame(self) -> tuple[pd.DataFrame, np.ndarray]:
        """The problems in :data:`PROBLEM_COLUMNS` order, and the position of each."""
        if not self.rows:
            return empty_problems(), np.zeros(0, dtype=int)
        df = pd.DataFrame(
            {
                "row": np.concatenate(self.rows).astype("int64"),
                "column": np.concatenate(self.columns),
                "rule": np.concatenate(self.rules),
                "value": np.concatenate(self.values),
                "message": np.concatenate(self.messages),
                "severity": np.concatenate(self.severities),
            }
        )
        return df, np.concatenate(self.positions)


def shown_values(raw: pd.Series, sensitive: bool, show: bool) -> np.ndarray:
    """Source values as a problem shows them: the cell text, or ``***`` when masked."""
    if sensitive and not show:
        return np.full(len(raw), MASK, dtype=object)
    return np.asarray([cell_text(v) for v in raw], dtype=object)


def quoted(v: object) -> str:
    """A shown value in quotes for a message (the mask is left bare)."""
    return MASK if v == MASK else f"'{v}'"


def file_problems(raw: RawTable, spec: SchemaSpec, missing: list[str]) -> pd.DataFrame:
    """One problem per missing required column (at the header row) and per unparseable line."""
    recs = []
    r01 = spec.rule_for("columns_present").id
    for name in missing:
        aliases = spec.column(name).aliases
        also = f" or an alias ({', '.join(aliases)})" if aliases else ""
        recs.append(
            {
                "row": int(raw.header_row),
                "column": name,
                "rule": r01,
                "value": "",
                "message": (
                    f"required column {name} is missing from the file (no column named "
                    f"{name}{also}), so none of its rows can be used; add it or map the "
                    "supplier's name with --column-map FILE (column_map= in Python)"
                ),
                "severity": "error",
            }
        )
    r00 = spec.rule_for("records").id
    for u in raw.unparseable:
        recs.append(
            {
                "row": int(u.row if u.row is not None else u.line),
                "column": "",
                "rule": r00,
                "value": "",
                "message": f"line {u.line} is not a readable record: {u.reason}",
                "severity": "error",
            }
        )
    if not recs:
        return empty_problems()
    out = pd.DataFrame(recs)
    out["row"] = out["row"].astype("int64")
    return out


def first_rules(
    all_problems: pd.DataFrame,
    positions: np.ndarray,
    is_error: np.ndarray,
    order: Mapping[str, int],
    n: int,
    missing: list[str],
    spec: SchemaSpec,
) -> dict[str, int]:
    """Flow log: each rejected row counted once, under the first rule it breaks."""
    if missing:
        return {spec.rule_for("columns_present").id: n} if n else {}
    excluded: dict[str, int] = {}
    if not is_error.any():
        return excluded
    first = (
        pd.DataFrame(
            {
                "pos": positions[is_error],
                "rank": all_problems.loc[is_error, "rule"].map(order).to_numpy(),
            }
        )
        .sort_values(["pos", "rank"])
        .drop_duplicates("pos")
    )
    ids = {i: r for r, i in order.items()}
    for rank, count in first["rank"].value_counts().sort_index().items():
        excluded[ids[int(rank)]] = int(count)
    return excluded


def sorted_problems(problems: pd.DataFrame, order: Mapping[str, int]) -> pd.DataFrame:
    """Problems by source row, then rule order, then column (stable)."""
    if problems.empty:
        return empty_problems()
    out = problems.assign(_r=problems["rule"].map(order))
    out = out.sort_values(["row", "_r", "column"], kind="stable").drop(columns="_r")
    return out.reset_index(drop=True)
