"""Builders of the June 2023 report's Tables 1-5, section 5.1 and the section 3.2-3.3 text figures.

Every builder takes validated extracts and returns a *tidy* frame with the columns of
:data:`TABLE_COLUMNS`:

``table_id, row_label, column_label, measure, value, numerator, denominator, exact, note``

* labels are the report's (``Children's Services``, ``Emotional regulation``; columns
  ``Cardiff, Edinburgh, Newcastle, Dundee, Overall``; footnote asterisks dropped);
* ``measure`` is ``n``, ``pct``, ``mean``, ``min`` or ``max``;
* ``value`` is what the report would print: percentages and means rounded half-up to whole
  numbers (:func:`socdata.describe.outcomes.round_half_up`); ``exact`` is the unrounded value;
* ``numerator`` / ``denominator`` give the counts behind every ``n`` and ``pct`` cell;
* a missing ``value`` means the cell cannot be computed (the report prints ``-``) and
  ``note`` says why (e.g. ``Not on form``).

Denominators follow the report: in Table 4 referral source and case status are
percentages of all referrals in the area and closure reason of the area's closed cases;
Table 5 counts a plan whose form has no field for a domain as "No" and divides by all
plans, as printed; socdata's better base, the plans whose form has the domain, is given
beside it as table ``table5_on_form`` (see :func:`table5`).
Rows are referral episodes (a re-referral is a new referral), as in Table 4.

Modules: ``participants`` (Tables 1-2, interview counts), ``service`` (Tables 3-4),
``plans`` (Table 5, domain counts), ``outcomes`` (section 5.1), ``text`` (section 3.2-3.3
text figures), ``combined`` (:func:`all_tables`).
"""

from socdata.soceis.tables._common import (
    AREA_ORDER,
    DOMAIN_LABELS,
    OUTCOME_ROW_LABELS,
    PARTICIPANT_AREA_ORDER,
    TABLE5_ON_FORM,
    TABLE_COLUMNS,
    TABLE_IDS,
)
from socdata.soceis.tables.combined import all_tables
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
    service_data_areas,
)

__all__ = [
    "AREA_ORDER",
    "DOMAIN_LABELS",
    "OUTCOME_ROW_LABELS",
    "PARTICIPANT_AREA_ORDER",
    "TABLE5_ON_FORM",
    "TABLE_COLUMNS",
    "TABLE_IDS",
    "all_tables",
    "case_status_text",
    "closure_text",
    "domains_text",
    "duration_text",
    "engaged_text",
    "interview_text",
    "outcomes_5_1",
    "referral_reasons",
    "rereferral_text",
    "service_data_areas",
    "table1",
    "table2",
    "table3",
    "table4_case_status",
    "table4_closure_reason",
    "table4_referral_source",
    "table5",
]
