"""Every table at once: :func:`all_tables`."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from socdata.errors import SocdataError
from socdata.soceis.tables._common import TABLE5_ON_FORM
from socdata.soceis.tables.outcomes import outcomes_5_1
from socdata.soceis.tables.participants import interview_text, table1, table2
from socdata.soceis.tables.plans import domains_text, table5
from socdata.soceis.tables.service import (
    table3,
    table4_case_status,
    table4_closure_reason,
    table4_referral_source,
)
from socdata.soceis.tables.text import (
    case_status_text,
    closure_text,
    duration_text,
    engaged_text,
    referral_reasons,
    rereferral_text,
)

__all__ = ["all_tables"]


def all_tables(extracts: Mapping[str, pd.DataFrame], *, include_text: bool = True) -> pd.DataFrame:
    """Every table this module builds from the extracts available, stacked.

    Parameters
    ----------
    extracts
        ``{"service": ..., "plans": ..., "participants": ...}``; missing kinds are skipped.
    include_text
        Also build the section 3.2-3.3 text figures.

    Returns
    -------
    pandas.DataFrame
        Tidy rows of all tables (``outcomes_5_1_*`` interval columns kept).
    """
    parts: list[pd.DataFrame] = []
    if "participants" in extracts:
        parts += [table1(extracts["participants"]), table2(extracts["participants"])]
        if include_text:
            parts.append(interview_text(extracts["participants"]))
    if "service" in extracts:
        s = extracts["service"]
        parts += [
            table3(s),
            table4_referral_source(s),
            table4_case_status(s),
            table4_closure_reason(s),
        ]
        parts += list(outcomes_5_1(s).values())
        if include_text:
            if "referral_reason" in s.columns:  # an optional column
                parts.append(referral_reasons(s))
            parts += [
                case_status_text(s),
                closure_text(s),
                engaged_text(s),
                duration_text(s),
                rereferral_text(s),
            ]
    if "plans" in extracts:
        parts.append(table5(extracts["plans"]))  # as printed: "Not on form" counted as No
        parts.append(
            table5(extracts["plans"], not_on_form="exclude").assign(table_id=TABLE5_ON_FORM)
        )
        if include_text:
            parts.append(domains_text(extracts["plans"]))
    if not parts:
        raise SocdataError(
            "all_tables: give at least one of the extracts 'service', 'plans', 'participants'"
        )
    return pd.concat(parts, ignore_index=True)
