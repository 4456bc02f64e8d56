"""A four-nation minimum dataset on child criminal exploitation (Jay Review, Recs 3.2 and 3.3).

* :func:`code_cce_indicator` - the coded criminal-exploitation indicator following the Jay
  Review's proposed statutory definition;
* :data:`EXPLOITATION_TYPES` and :func:`code_exploitation_type` - exploitation-type coding;
* :func:`harmonise_offence` and :data:`OFFENCE_MAP` - offence categories harmonised across the
  Home Office, Scottish and PSNI (Northern Ireland) classifications;
* :data:`DEPRIVATION_INDEX`, :func:`deprivation_table` and :func:`decile_summary` - deprivation
  deciles always carried with their national index, never compared across indices without
  saying so (:class:`CrossIndexComparisonError`);
* :data:`PROFILE_ITEMS` - the Flintshire profile's printed labels mapped to vulnerability columns.
"""

from __future__ import annotations

from socdata.minimum_dataset.coding import (
    CCE_LEVELS,
    EXPLOITATION_TYPES,
    PROFILE_ITEMS,
    code_cce_indicator,
    code_exploitation_type,
)
from socdata.minimum_dataset.deprivation import (
    DEPRIVATION_INDEX,
    CrossIndexComparisonError,
    decile_summary,
    deprivation_table,
)
from socdata.minimum_dataset.offences import OFFENCE_MAP, harmonise_offence

__all__ = [
    "CCE_LEVELS",
    "DEPRIVATION_INDEX",
    "EXPLOITATION_TYPES",
    "OFFENCE_MAP",
    "PROFILE_ITEMS",
    "CrossIndexComparisonError",
    "code_cce_indicator",
    "code_exploitation_type",
    "decile_summary",
    "deprivation_table",
    "harmonise_offence",
]
