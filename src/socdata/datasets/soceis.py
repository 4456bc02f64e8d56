"""Deprecated alias of :mod:`socdata.soceis.synthetic` (the synthetic extracts calibrated to the June 2023 report).

Importing this module warns :class:`socdata.errors.SocdataDeprecationWarning`; import from
``socdata.soceis.synthetic`` instead. The alias will be removed in the next release.
"""

from socdata.moved import warn_moved

warn_moved("socdata.datasets.soceis")

from socdata.soceis.synthetic import *  # noqa: E402, F403
from socdata.soceis.synthetic import __all__  # noqa: E402, F401
