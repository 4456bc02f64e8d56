"""Derived tables built from validated extracts: engagement spells, person-level tables,
person-month panels and event windows.  Submodules: ``spells`` (service episodes),
``panel`` (police person-month panels)."""
