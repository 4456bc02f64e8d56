"""Report: disclosure control, tidy table output, figures, HTML report and run manifest.

Notebooks call three functions:

* :func:`write_table` — a tidy table (``table_id, row_label, column_label, measure, value``)
  to ``out_dir/tables/<table_id>.csv``, with disclosure control applied;
* :func:`write_frame` — any other aggregate frame, count columns controlled;
* :func:`save_figure` — a figure to ``out_dir/figures/<name>.png``.

``report`` takes aggregate tables and results, never person rows.

Examples
--------
>>> from socdata import report
>>> rules = report.get_rule_set("soceis-default-v1")
>>> rules.threshold, rules.rounding_base
(10, 5)
"""

from __future__ import annotations

from socdata.report.disclosure import (
    DEFAULT_RULE_SET,
    RULE_SETS,
    DisclosureOffWarning,
    RuleSet,
    apply_to_frame,
    apply_to_table,
    get_rule_set,
    hidden_totals,
    recoverable_cells,
    secondary_suppression,
)
from socdata.report.figures import FIGURE_DPI, save_figure
from socdata.report.synthetic import DataKind, data_kind, is_bundled_synthetic
from socdata.report.tables import (
    UncontrolledColumnWarning,
    resolve_disclosure,
    write_frame,
    write_table,
)
from socdata.report.validation import (
    EXTRACT_KINDS,
    ValidationSummary,
    find_extracts,
    validation_summary,
)

__all__ = [
    "DEFAULT_RULE_SET",
    "EXTRACT_KINDS",
    "FIGURE_DPI",
    "RULE_SETS",
    "DataKind",
    "DisclosureOffWarning",
    "RuleSet",
    "UncontrolledColumnWarning",
    "ValidationSummary",
    "apply_to_frame",
    "apply_to_table",
    "data_kind",
    "find_extracts",
    "get_rule_set",
    "hidden_totals",
    "is_bundled_synthetic",
    "recoverable_cells",
    "resolve_disclosure",
    "save_figure",
    "secondary_suppression",
    "validation_summary",
    "write_frame",
    "write_table",
]
