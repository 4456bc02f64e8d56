"""Service outcome percentages (report section 5.1) for every area, not only Cardiff."""

from __future__ import annotations

import pandas as pd

from socdata.soceis.tables.outcomes import outcomes_5_1

__all__ = ["outcomes_5_1_by_area"]


def outcomes_5_1_by_area(service: pd.DataFrame, **kwargs) -> dict[str, pd.DataFrame]:
    """Section 5.1 outcome tables for every area of the service extract.

    Parameters
    ----------
    service
        Validated ``service`` extract.
    **kwargs
        ``engaged``, ``denominator``, ``inference``, ``conf_level`` as for
        :func:`socdata.soceis.tables.outcomes.outcomes_5_1`.

    Returns
    -------
    dict
        ``{"outcomes_5_1_closed_by_area": frame, "outcomes_5_1_open_by_area": frame}``: the
        frames of :func:`~socdata.soceis.tables.outcomes.outcomes_5_1` for each area, one after
        the other (``column_label`` is the area), in the order of the areas' names.
    """
    areas = sorted(service["area"].dropna().astype(str).unique())
    parts: dict[str, list[pd.DataFrame]] = {}
    for area in areas:
        for tid, frame in outcomes_5_1(service, area=area, **kwargs).items():
            parts.setdefault(f"{tid}_by_area", []).append(frame.assign(table_id=f"{tid}_by_area"))
    return {tid: pd.concat(frames, ignore_index=True) for tid, frames in parts.items()}
