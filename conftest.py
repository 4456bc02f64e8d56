"""Root pytest configuration: doctest collection of ``src/socdata`` skips alias modules.

The modules at old import paths (``socdata.moved.MOVED``) only re-export and warn
``SocdataDeprecationWarning`` on import, which the test configuration turns into an error;
they hold no examples, so they are left out of doctest collection.
"""

from pathlib import Path

from socdata.moved import MOVED

_SRC = Path(__file__).parent / "src"

collect_ignore = []
for _old in MOVED:
    _path = _SRC.joinpath(*_old.split("."))
    for _candidate in (_path.with_suffix(".py"), _path / "__init__.py"):
        if _candidate.exists():
            collect_ignore.append(str(_candidate))
