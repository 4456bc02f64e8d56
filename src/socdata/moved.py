"""Old import paths of modules that moved, kept for one release with a warning.

Each old path is a thin alias module (or a module ``__getattr__`` for a moved function) that
calls :func:`warn_moved` and re-exports the new module's public names, so existing code keeps
working while it is told where to import from. :data:`MOVED` lists every move (the CHANGELOG
repeats it).
"""

from __future__ import annotations

import warnings

from socdata.errors import SocdataDeprecationWarning

__all__ = ["MOVED", "warn_moved"]

#: Old import path -> new import path.
MOVED: dict[str, str] = {
    "socdata.compare": "socdata.soceis.compare",
    "socdata.describe.tables": "socdata.soceis.tables",
    "socdata.describe.all_tables": "socdata.soceis.tables.all_tables",
    "socdata.datasets.soceis": "socdata.soceis.synthetic",
    "socdata.describe.police.police_statements": (
        "socdata.soceis.police_statements.police_statements"
    ),
    "socdata.describe.police_statements": "socdata.soceis.police_statements.police_statements",
    "socdata.io.read_extract": "socdata.validate.read_extract",
}


def warn_moved(old: str, new: str | None = None, *, stacklevel: int = 3) -> None:
    """Warn that ``old`` moved to ``new`` (default: ``MOVED[old]``).

    Called at the top of an alias module (or in a module ``__getattr__``); the warning
    points at the code that imported the old path.

    Raises
    ------
    KeyError
        ``old`` is not in :data:`MOVED` and no ``new`` is given (a programming error).
    """
    target = MOVED[old] if new is None else new
    warnings.warn(
        f"{old} has moved to {target}; import it from there (the old path will be "
        "removed in the next release)",
        SocdataDeprecationWarning,
        stacklevel=stacklevel,
    )
