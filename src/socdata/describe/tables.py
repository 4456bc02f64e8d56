"""Deprecated alias of :mod:`socdata.soceis.tables` (the report's Tables 1-5 builders).

Importing this module warns :class:`socdata.errors.SocdataDeprecationWarning`; import from
``socdata.soceis.tables`` instead. The alias will be removed in the next release.
"""

from socdata.moved import warn_moved

warn_moved("socdata.describe.tables")

from socdata.soceis.tables import *  # noqa: E402, F403
from socdata.soceis.tables import __all__  # noqa: E402, F401
