"""Helpers shared by :mod:`socdata.describe.duration` and :mod:`socdata.describe.kaplan_meier`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from socdata.derive.spells import EngagementSpells, engagement_spells
from socdata.errors import SocdataError

OVERALL = "Overall"


def _spells(data: pd.DataFrame | EngagementSpells, **kw) -> EngagementSpells:
    if isinstance(data, EngagementSpells):
        return data
    if not isinstance(data, pd.DataFrame):
        raise SocdataError(
            f"expected a service extract (pandas DataFrame) or EngagementSpells, got "
            f"{type(data).__name__}; read the file with socdata.read_extract(path, 'service')"
        )
    return engagement_spells(data, **kw)


def _fingerprint_input(data: pd.DataFrame | EngagementSpells) -> dict[str, pd.DataFrame]:
    return {"service": data.frame if isinstance(data, EngagementSpells) else data}


def _fmt_m(x: float) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "not reached"
    return "inf" if np.isinf(x) else f"{x:g}"
