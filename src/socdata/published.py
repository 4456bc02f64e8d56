"""The tidy format of the published figures under ``data/published/``.

Declared once, upstream of the modules that read it: :mod:`socdata.soceis.compare` (regenerated
versus printed figures) and :mod:`socdata.review` (the reviewer's consistency checks).
"""

from __future__ import annotations

__all__ = ["PUBLISHED_COLUMNS", "PUBLISHED_MEASURES"]

#: Columns of a published-figures table, in order.
PUBLISHED_COLUMNS: tuple[str, ...] = (
    "table_id",
    "source",
    "locator",
    "row_label",
    "column_label",
    "measure",
    "value",
    "denominator_as_printed",
    "note",
)

#: Values of the ``measure`` column (``fraction`` for words such as "two-thirds").
PUBLISHED_MEASURES: tuple[str, ...] = ("n", "pct", "mean", "min", "max", "fraction")
