"""Table 5 and the section 4.1.1 domain counts (plans extract)."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from socdata.errors import SocdataError
from socdata.soceis.tables._common import (
    AREA_ORDER,
    DOMAIN_LABELS,
    OVERALL,
    _areas,
    _frame,
    _pct,
    _require,
    _row,
)


def table5(
    plans: pd.DataFrame, *, not_on_form: Literal["as_no", "exclude"] = "as_no"
) -> pd.DataFrame:
    """Table 5: intervention-plan domains by area, as printed or on each area's form coverage.

    Parameters
    ----------
    plans
        Validated ``plans`` extract (one row per plan; domains Yes / No / Not on form).
    not_on_form
        ``"as_no"`` (default): the report's printed convention, counting a plan whose form
        has no field for the domain as "No": 0 for the area, and the Overall percentage
        divides by all plans (Offending: 10 of 40, 25%). ``"exclude"``: socdata's better
        base; such a plan is outside that domain's denominator, an area whose form lacks
        the domain gets no value (note ``Not on form``), and the Overall percentage
        divides by the plans whose form has the domain (Offending: 10 of 27, 37%).
        :func:`socdata.soceis.tables.all_tables` gives both, the second as table
        ``table5_on_form``.

    Returns
    -------
    pandas.DataFrame
        Tidy table ``table5``: a first row ``Intervention plans`` (measure ``n``), then one
        row per domain with ``n`` and ``pct``.
    """
    if not_on_form not in ("exclude", "as_no"):
        raise SocdataError(
            f"table5: not_on_form={not_on_form!r} is not allowed; use 'exclude' or 'as_no'"
        )
    _require(plans, ("plan_id", "area", *DOMAIN_LABELS), "plans", "table5")
    areas = _areas(plans["area"], AREA_ORDER)
    rows = []
    for col in [*areas, OVERALL]:
        g = plans if col == OVERALL else plans[plans["area"] == col]
        rows.append(_row("table5", "Intervention plans", col, "n", len(g), len(g), np.nan, len(g)))
    for dom, label in DOMAIN_LABELS.items():
        v = plans[dom].astype("string")
        bad = sorted(set(v.dropna()) - {"Yes", "No", "Not on form"})
        if bad or v.isna().any():
            raise SocdataError(
                f"table5: column {dom!r} has value(s) {bad or ['<missing>']}; rule: each plan "
                "domain is Yes, No or Not on form. Validate the extract first "
                "(socdata.validate_extract(df, 'plans'))."
            )
        for col in [*areas, OVERALL]:
            sel = pd.Series(True, index=plans.index) if col == OVERALL else plans["area"] == col
            g = v[sel]
            k = int((g == "Yes").sum())
            on_form = int((g != "Not on form").sum())
            den = len(g) if not_on_form == "as_no" else on_form
            note = ""
            if not_on_form == "exclude" and on_form == 0:
                note = "Not on form"
                rows.append(_row("table5", label, col, "n", np.nan, np.nan, 0, np.nan, note))
                rows.append(_row("table5", label, col, "pct", np.nan, np.nan, 0, np.nan, note))
                continue
            if not_on_form == "exclude" and on_form < len(g):
                note = (
                    f"base: the {on_form} of {len(g)} plans whose form has this domain "
                    f"({len(g) - on_form} 'Not on form' left out)"
                )
            elif not_on_form == "as_no" and on_form < len(g):
                note = f"{len(g) - on_form} plan(s) 'Not on form' counted as No"
            pv, ex = _pct(k, den)
            rows.append(_row("table5", label, col, "n", k, k, den, k, note))
            rows.append(_row("table5", label, col, "pct", pv, k, den, ex, note))
    return _frame(rows)


def domains_text(plans: pd.DataFrame) -> pd.DataFrame:
    """Section 4.1.1: how many domains each area's plan form has (``text_4_1_1_domains``).

    ``Areas whose plans had 18 domains`` counts areas with no domain ``Not on form`` on
    every plan; ``Domains on the form of the remaining area`` is the number of domains on
    the form of the one area with fewer (missing when several areas have fewer).
    """
    _require(plans, ("area", *DOMAIN_LABELS), "plans", "domains_text")
    on_form = {
        area: sum(int((g[d].astype("string") != "Not on form").any()) for d in DOMAIN_LABELS)
        for area, g in plans.groupby("area")
    }
    full = [a for a, n in on_form.items() if n == len(DOMAIN_LABELS)]
    fewer = {a: n for a, n in on_form.items() if n < len(DOMAIN_LABELS)}
    tid = "text_4_1_1_domains"
    rows = [
        _row(
            tid,
            f"Areas whose plans had {len(DOMAIN_LABELS)} domains",
            OVERALL,
            "n",
            len(full),
            len(full),
            len(on_form),
            len(full),
        )
    ]
    if len(fewer) == 1:
        ((area, n),) = fewer.items()
        rows.append(
            _row(
                tid,
                "Domains on the form of the remaining area",
                OVERALL,
                "n",
                n,
                n,
                np.nan,
                n,
                area,
            )
        )
    else:
        rows.append(
            _row(
                tid,
                "Domains on the form of the remaining area",
                OVERALL,
                "n",
                np.nan,
                np.nan,
                np.nan,
                np.nan,
                f"{len(fewer)} areas have fewer than {len(DOMAIN_LABELS)} domains",
            )
        )
    return _frame(rows)
