"""Deprecated alias of :mod:`socdata.soceis.compare` (regenerated versus printed figures).

Importing this module warns :class:`socdata.errors.SocdataDeprecationWarning`; import from
``socdata.soceis.compare`` instead. The alias will be removed in the next release.
"""

from socdata.moved import warn_moved

warn_moved("socdata.compare")

from socdata.soceis.compare import *  # noqa: E402, F403
from socdata.soceis.compare import __all__  # noqa: E402, F401
