"""The person-month panel's columns and schema (see :mod:`socdata.derive.panel`).

:data:`PERSON_MONTH_PANEL_SCHEMA` is the pandera schema every panel is checked against;
:data:`PANEL_SCHEMA_FILE` the same columns and ranges in the YAML format of
``data/schemas``.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from socdata.errors import ExtractValidationError
from socdata.paths import schemas_dir
from socdata.schemas.spec import TEXT_DTYPE

__all__ = ["PANEL_COLUMNS", "PANEL_SCHEMA_FILE", "PERSON_MONTH_PANEL_SCHEMA", "validate_panel"]

PANEL_COLUMNS: tuple[str, ...] = (
    "person_id",
    "group",
    "area",
    "police_force",
    "month",
    "cohort",
    "months_since_referral",
    "post",
    "treated",
    "exposure_days",
    "arrests",
    "offences",
    "missing_episodes",
    "drug_arrests",
)

#: The panel's schema in the YAML format of ``data/schemas`` (columns, types, ranges and the
#: rules that format can express; :data:`PERSON_MONTH_PANEL_SCHEMA` adds the rest).
PANEL_SCHEMA_FILE = schemas_dir() / "person_month_panel.yaml"

_COUNTS = ("arrests", "offences", "missing_episodes", "drug_arrests")
_GROUPS = ("Engager", "Comparator")


def _panel_checks() -> list[pa.Check]:
    def post_rule(df: pd.DataFrame) -> pd.Series:
        msr = df["months_since_referral"]
        expected = (msr.fillna(-1) >= 0).astype("int64")
        return (df["post"].astype("int64") == expected) & (msr.isna() == df["cohort"].isna())

    def msr_rule(df: pd.DataFrame) -> pd.Series:
        m, c = df["month"], df["cohort"]
        diff = (m.dt.year - c.dt.year) * 12 + (m.dt.month - c.dt.month)
        return df["cohort"].isna() | (diff == df["months_since_referral"])

    def exposure_rule(df: pd.DataFrame) -> pd.Series:
        return df["exposure_days"] <= df["month"].dt.days_in_month

    def drug_rule(df: pd.DataFrame) -> pd.Series:
        return df["drug_arrests"] <= df["arrests"]

    def scalar_if_ok(rule):
        # a scalar True when every row passes spares pandera a pass over the whole frame
        def check(df: pd.DataFrame):
            ok = rule(df).fillna(False).astype(bool)
            return True if ok.all() else ok

        check.__name__ = rule.__name__
        return check

    post_rule, msr_rule, exposure_rule, drug_rule = (
        scalar_if_ok(r) for r in (post_rule, msr_rule, exposure_rule, drug_rule)
    )
    return [
        pa.Check(
            post_rule,
            error="post is 1 exactly when months_since_referral >= 0, and "
            "months_since_referral is missing exactly when cohort is missing",
        ),
        pa.Check(msr_rule, error="months_since_referral equals month minus cohort in months"),
        pa.Check(exposure_rule, error="exposure_days is at most the days in the month"),
        pa.Check(drug_rule, error="drug_arrests is at most arrests"),
    ]


_count = pa.Column("int64", pa.Check.ge(0), nullable=False)


def _text(*checks: pa.Check) -> pa.Column:
    """A column of Python strings (checked in C: pandera's ``str`` maps every value)."""
    is_text = pa.Check(
        lambda s: pd.api.types.infer_dtype(s, skipna=False) == "string",
        error="every value is a text string",
    )
    return pa.Column(TEXT_DTYPE, [is_text, *checks], nullable=False)  # object or str (pandas 3)


#: Pandera schema of the person-month panel (kind ``person_month_panel``, version 1.0.0).
PERSON_MONTH_PANEL_SCHEMA = pa.DataFrameSchema(
    {
        "person_id": _text(),
        "group": _text(pa.Check.isin(_GROUPS)),
        "area": _text(),
        "police_force": _text(),
        "month": pa.Column(
            "datetime64[ns]",
            pa.Check(lambda s: s.dt.day == 1, error="month is a month start"),
            nullable=False,
        ),
        "cohort": pa.Column(
            "datetime64[ns]",
            pa.Check(lambda s: s.dt.day == 1, error="cohort is a month start", ignore_na=True),
            nullable=True,
        ),
        "months_since_referral": pa.Column("Int64", nullable=True),
        "post": pa.Column("int64", pa.Check.isin([0, 1]), nullable=False),
        "treated": pa.Column("int64", pa.Check.isin([0, 1]), nullable=False),
        "exposure_days": pa.Column("int64", pa.Check.in_range(0, 31), nullable=False),
        **{c: _count for c in _COUNTS},
    },
    checks=_panel_checks(),
    unique=["person_id", "month"],
    strict=True,
    ordered=True,
    name="person_month_panel",
    metadata={"version": "1.0.0"},
)


def validate_panel(panel: pd.DataFrame) -> pd.DataFrame:
    """Validate a person-month panel against :data:`PERSON_MONTH_PANEL_SCHEMA`.

    Parameters
    ----------
    panel
        Frame with the columns of :data:`PANEL_COLUMNS`.

    Returns
    -------
    pandas.DataFrame
        The panel, unchanged, when it is valid.

    Raises
    ------
    socdata.errors.ExtractValidationError
        Listing every failed rule (lazy validation) with up to five failing rows each.
    """
    try:
        PERSON_MONTH_PANEL_SCHEMA.validate(panel, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        lines = []
        for (col, check), grp in fc.groupby(["column", "check"], dropna=False, sort=False):
            where = "" if pd.isna(col) else f"column {col!r}: "
            rows = grp["index"].dropna().head(5).tolist()
            lines.append(f"- {where}{check} ({len(grp)} failures; first rows {rows})")
        raise ExtractValidationError(
            "person-month panel breaks its schema 'person_month_panel':\n"
            + "\n".join(lines)
            + "\nBuild panels with socdata.derive.panel.person_month_panel(), which "
            "guarantees these rules.",
        ) from None
    return panel
