"""Immutable result objects shared by every estimator and descriptive function.

Conventions (see ``docs/explanation/architecture.md``):

* a result is a frozen dataclass; changing inference returns a *new* object;
* ``tidy()`` returns a :class:`pandas.DataFrame` with the columns of :data:`TIDY_COLUMNS`
  (descriptive results may add columns, never rename these);
* ``summary()`` returns human-readable text that states the method, the inference and
  the provenance;
* ``to_table()`` returns the result as a report table (columns :data:`TABLE_COLUMNS`, one
  row per printed cell), ready for :func:`socdata.report.write_table`;
* results hold aggregates only, never person rows (a test checks the pickled size).

Examples
--------
>>> from socdata.results import TestResult
>>> print(TestResult("Wald", "no effect", statistic=3.2, p_value=0.07, df=1.0))
Wald: statistic = 3.2 ~ None, p = 0.07. H0: no effect
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import pandas as pd

from socdata.provenance import Provenance

#: Columns every ``tidy()`` frame starts with, in this order.
TIDY_COLUMNS: tuple[str, ...] = (
    "term",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "conf_low",
    "conf_high",
    "ci_type",
    "n",
)


#: Columns of a report table (``to_table()``), in this order.
TABLE_COLUMNS: tuple[str, ...] = (
    "table_id",
    "row_label",
    "column_label",
    "measure",
    "value",
    "numerator",
    "denominator",
    "conf_low",
    "conf_high",
)


def table_frame(rows: Iterable[Mapping[str, Any]], table_id: str) -> pd.DataFrame:
    """Report table from cell rows (``row_label, column_label, measure, value`` and, where
    they apply, ``numerator, denominator, conf_low, conf_high``); missing ones are NaN."""
    out = pd.DataFrame(list(rows), columns=list(TABLE_COLUMNS[1:]))
    out.insert(0, "table_id", table_id)
    for c in ("value", "numerator", "denominator", "conf_low", "conf_high"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    return out


def empty_tidy() -> pd.DataFrame:
    """Return an empty frame with the standard tidy columns."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in TIDY_COLUMNS})


def order_tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """Put the standard tidy columns first, adding missing ones as NA, extra columns after."""
    out = frame.copy()
    for col in TIDY_COLUMNS:
        if col not in out.columns:
            out[col] = pd.NA
    extra = [c for c in out.columns if c not in TIDY_COLUMNS]
    return out[list(TIDY_COLUMNS) + extra].reset_index(drop=True)


@dataclasses.dataclass(frozen=True)
class TestResult:
    """A hypothesis test that states its null; an uncomputable test says why.

    Attributes
    ----------
    name
        Short name, e.g. ``"joint pre-trend Wald test"``.
    null
        The null hypothesis in words.
    statistic, p_value, df
        Test statistic, p-value and degrees of freedom (``None`` when not computable).
    distribution
        Reference distribution, e.g. ``"chi2(11)"`` or ``"F(11, 240)"``.
    reason
        Why the test could not be computed (``None`` when it was).
    """

    __test__ = False  # not a pytest test class

    name: str
    null: str
    statistic: float | None = None
    p_value: float | None = None
    df: float | tuple[float, float] | None = None
    distribution: str | None = None
    reason: str | None = None

    @property
    def computed(self) -> bool:
        """Whether the test could be computed."""
        return self.reason is None

    def __str__(self) -> str:
        if not self.computed:
            return f"{self.name}: not computed ({self.reason}). H0: {self.null}"
        return (
            f"{self.name}: statistic = {self.statistic:.4g} ~ {self.distribution}, "
            f"p = {self.p_value:.4g}. H0: {self.null}"
        )


@dataclasses.dataclass(frozen=True)
class Result:
    """Base class for results.

    Subclasses are frozen dataclasses that add their own fields and implement
    :meth:`tidy` and, usually, :meth:`_summary_body`.
    """

    provenance: Provenance = dataclasses.field(repr=False)

    #: Table id of :meth:`to_table` when none is given (default: the class name in
    #: snake case, without ``_result``).
    table_id: ClassVar[str] = ""

    def tidy(self) -> pd.DataFrame:  # pragma: no cover - abstract
        """Return the result as a tidy frame (see :data:`TIDY_COLUMNS`)."""
        raise NotImplementedError

    def to_table(self, table_id: str | None = None) -> pd.DataFrame:
        """The result as a report table: columns :data:`TABLE_COLUMNS`, one row per cell.

        Subclasses say which cells a report prints by overriding :meth:`_table_rows`; the
        default prints each tidy term's estimate with its interval and ``n``.
        """
        tid = table_id or self.table_id or _snake(type(self).__name__)
        return table_frame(self._table_rows(), tid)

    def _table_rows(self) -> Iterable[Mapping[str, Any]]:
        for _, r in self.tidy().iterrows():
            yield {
                "row_label": str(r["term"]),
                "column_label": str(r["ci_type"]) if pd.notna(r["ci_type"]) else "",
                "measure": "estimate",
                "value": r["estimate"],
                "denominator": r["n"],
                "conf_low": r["conf_low"],
                "conf_high": r["conf_high"],
            }

    def _summary_body(self) -> str:
        return self.tidy().to_string(index=False)

    def summary(self) -> str:
        """Human-readable summary: title, body, method notes and provenance."""
        title = type(self).__name__
        return "\n".join(
            [title, "=" * len(title), self._summary_body(), "", self.provenance.describe()]
        )

    def replace(self, **changes: Any) -> Result:
        """Return a copy with some fields replaced (results are never mutated)."""
        return dataclasses.replace(self, **changes)

    def __repr__(self) -> str:
        return self.summary()


def freeze_mapping(mapping: Mapping[str, Any] | None) -> dict[str, Any]:
    """Copy a mapping of parameters into a plain dict of reprs-friendly values."""
    return dict(mapping or {})


def _snake(name: str) -> str:
    name = re.sub(r"Result$", "", name)
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
