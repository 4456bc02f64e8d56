"""Locations of the bundled schema files, synthetic extracts, published figures and notebooks.

In a source checkout (editable install) they live at the repository root under ``data/``
and ``notebooks/``; in an installed wheel they are bundled under ``socdata/_bundled``.
"""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent
_REPO = _PKG.parent.parent


def _pick(bundled: str, repo: str) -> Path:
    b = _PKG / "_bundled" / bundled
    return b if b.exists() else _REPO / repo


def schemas_dir() -> Path:
    """Folder of the schema YAML files (``data/schemas``)."""
    return _pick("schemas", "data/schemas")


def synthetic_dir() -> Path:
    """Folder of the bundled synthetic extracts (``data/synthetic``)."""
    return _pick("synthetic", "data/synthetic")


def published_dir() -> Path:
    """Folder of the published figures transcribed as tidy CSV (``data/published``)."""
    return _pick("published", "data/published")


def notebooks_dir() -> Path:
    """Folder of the jupytext notebooks (``notebooks``)."""
    return _pick("notebooks", "notebooks")
