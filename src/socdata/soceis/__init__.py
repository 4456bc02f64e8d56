"""Everything tied to the SOCEIS evaluation reports (Cardiff University, 2023-2024).

The generic layers (``io`` ... ``review``) know nothing of a particular report; this
package holds what does:

* :mod:`socdata.soceis.tables` - the June 2023 report's Tables 1-5, section 5.1 and text
  figures, regenerated from extracts under the report's conventions;
* :mod:`socdata.soceis.compare` - regenerated versus printed figures, judged by the one
  review engine (:mod:`socdata.review`);
* :mod:`socdata.soceis.synthetic` - synthetic extracts calibrated to the printed figures
  in ``data/published``;
* :mod:`socdata.soceis.design` - the matched-comparator study declared once
  (``SOCEIS_DESIGN``), and :mod:`socdata.soceis.comparator` - that study run from it
  (notebooks 30 and 40);
* :mod:`socdata.soceis.service_outcomes` - section 5.1 outcomes for every area;
* :mod:`socdata.soceis.police_statements` - the March 2024 summary's police statements,
  regenerated (printed figures located by :mod:`socdata.soceis.police_claims` in
  ``data/published``), and :mod:`socdata.soceis.police_tables` - the panel summary table of
  notebook 20.

Submodules are imported on first use (``socdata.soceis.compare_published`` works without
importing the table builders first).

Examples
--------
>>> import socdata
>>> from socdata import soceis
>>> from socdata.paths import synthetic_dir
>>> service = socdata.read_extract(synthetic_dir() / "service.csv", "service")
>>> tables = soceis.all_tables({"service": service}, include_text=False)
>>> "table3" in set(tables["table_id"])
True
"""

from __future__ import annotations

import importlib

__all__ = ["all_tables", "compare_published", "generate"]

_LAZY = {
    "all_tables": "socdata.soceis.tables",
    "compare_published": "socdata.soceis.compare",
    "generate": "socdata.soceis.synthetic",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'socdata.soceis' has no attribute {name!r}")
