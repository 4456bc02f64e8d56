"""Sphinx configuration for the socdata documentation.

Build (CI runs exactly this): ``python -m sphinx -W --keep-going -b html docs docs/_build/html``
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent / "src"))

project = "socdata"
author = "socdata developers"
copyright = "socdata developers; figures from the Cardiff University SOCEIS evaluation reports"
try:
    from socdata import __version__ as release
except Exception:  # pragma: no cover - docs built without the package installed
    release = "unknown"
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "schema_dictionary",  # docs/_ext: the data dictionary, generated from data/schemas/*.yaml
    "public_api",  # docs/_ext: the table of socdata.__all__ (reference/api)
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**/.ipynb_checkpoints"]

# No network during builds: intersphinx is deliberately not enabled.
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_preprocess_types = False

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"show-inheritance": False}

html_theme = "alabaster"
html_title = f"socdata {release}"
html_static_path: list[str] = []
