"""Vectorised implementations of the cross-field and cross-row rule checks.

Each check takes a canonical, typed frame (every column of the schema present, see
:meth:`SchemaSpec.empty_frame`) and returns :class:`Failure` records: which rows break the
rule, the column blamed, the value shown and a message that says what is wrong and what to
do.  The same functions back the validator (:mod:`socdata.validate`) and the pandera model's
dataframe checks (:mod:`socdata.schemas.pandera_model`), so the two cannot disagree.

Cells that are empty (or were unparseable and so are missing in the typed frame) never
break a cross-field rule: their own problem is reported by the column rules instead.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import pandas as pd

from socdata.dates import completed_years
from socdata.schemas.failures import (
    MASK,
    Failure,
    Formatter,
    failure,
    no_value,
    per_column,
    rows_text,
)
from socdata.schemas.spec import RuleSpec, SchemaSpec

__all__ = ["MASK", "Failure", "Formatter", "evaluate_rule", "passes"]


def _condition(frame: pd.DataFrame, when: dict) -> tuple[np.ndarray, Callable[[int], str]]:
    col = when["column"]
    s = frame[col]
    notna = s.notna().to_numpy()
    if "in" in when:
        mask = s.isin(list(when["in"])).to_numpy() & notna
    elif "not_in" in when:
        mask = ~s.isin(list(when["not_in"])).to_numpy() | ~notna
    elif when.get("notnull"):
        mask = notna
    else:  # isnull
        mask = ~notna
    values = s.to_numpy(dtype=object)

    def describe(i: int) -> str:
        v = values[i]
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            return f"{col} is empty"
        if when.get("notnull"):
            return f"{col} is given"
        return f"{col} is '{v}'"

    return mask, describe


def _age_years(dob: pd.Series, at: pd.Series) -> pd.Series:
    """Completed years between two datetime Series (NA where either is missing)."""
    return completed_years(dob, at)


def evaluate_rule(
    rule: RuleSpec,
    frame: pd.DataFrame,
    spec: SchemaSpec,
    rows: np.ndarray,
    fmt: Formatter,
    *,
    run_date: pd.Timestamp | str | None = None,
) -> list[Failure]:
    """Evaluate one cross-field or cross-row rule.

    Parameters
    ----------
    rule
        The rule (its ``check`` must not be one of the column checks).
    frame
        Canonical typed frame, positionally aligned with ``rows``.
    spec
        The schema the rule belongs to.
    rows
        Source row number of each frame row (used in messages that list other rows).
    fmt
        Value formatter (masks identifiers and dates of birth).
    run_date
        The day of the run, for ``not_in_future`` (default today).

    Returns
    -------
    list of Failure
    """
    fn = _CHECKS.get(rule.check)
    if fn is None:
        raise ValueError(f"{rule.id}: {rule.check} is a column or file check, not a frame check")
    if rule.check == "not_in_future":
        today = pd.Timestamp(run_date if run_date is not None else pd.Timestamp.today())
        fn = functools.partial(fn, run_date=today.normalize())
    return fn(rule, frame.reset_index(drop=True), spec, np.asarray(rows), fmt)


def passes(rule: RuleSpec, frame: pd.DataFrame, spec: SchemaSpec) -> pd.Series:
    """Boolean Series, True for rows that satisfy the rule (used by the pandera model)."""
    full = frame.copy()
    for c in spec.columns:
        if c.name not in full:
            full[c.name] = pd.Series(np.nan, index=full.index, dtype=c.pandas_dtype)
    ok = np.ones(len(full), dtype=bool)
    rows = np.arange(2, len(full) + 2)
    for f in evaluate_rule(rule, full, spec, rows, Formatter(show_identifiers=True)):
        ok[f.positions] = False
    return pd.Series(ok, index=frame.index)


# --------------------------------------------------------------------------- checks


def _unique(rule, frame, spec, rows, fmt):
    cols = list(rule.params["columns"])
    sub = frame[cols]
    complete = sub.notna().all(axis=1).to_numpy()
    dup = sub.duplicated(keep=False).to_numpy() & complete
    if not dup.any():
        return []
    pos = np.flatnonzero(dup)
    keys = sub.iloc[pos].groupby(cols, sort=False, dropna=False).ngroup().to_numpy()
    groups: dict[int, list[int]] = {}
    for p, k in zip(pos, keys, strict=True):
        groups.setdefault(k, []).append(p)
    label = ", ".join(cols)
    values, messages = [], []
    for p, k in zip(pos, keys, strict=True):
        shown = ", ".join(fmt(c, frame.at[p, c]) for c in cols)
        values.append(", ".join(fmt.plain(c, frame.at[p, c]) for c in cols))
        messages.append(
            f"{label} {shown} is not unique: it appears on rows "
            f"{rows_text(rows[groups[k]])}; give each row its own {label} or remove the duplicate"
        )
    return [failure(rule, cols[-1], pos, values, messages)]


def _order(rule, frame, spec, rows, fmt):
    cols = list(rule.params["columns"])
    out = []
    chain = " <= ".join(cols)
    prev = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    prev_name = pd.Series("", index=frame.index, dtype=object)
    for col in cols:
        cur = frame[col]
        bad = (cur < prev).to_numpy() & cur.notna().to_numpy() & prev.notna().to_numpy()
        if bad.any():
            pos = np.flatnonzero(bad)
            values = [fmt.plain(col, cur.iat[p]) for p in pos]
            messages = [
                f"{col} {fmt(col, cur.iat[p])} is before {prev_name.iat[p]} "
                f"{fmt(prev_name.iat[p], prev.iat[p])}; dates must run {chain}"
                for p in pos
            ]
            out.append(failure(rule, col, pos, values, messages))
        has = cur.notna()
        prev = prev.where(~has, cur)
        prev_name = prev_name.where(~has, col)
    return out


def _not_after(rule, frame, spec, rows, fmt):
    ref = rule.params["reference"]
    r = frame[ref]

    def bad(col):
        cur = frame[col]
        return (cur > r).to_numpy() & cur.notna().to_numpy() & r.notna().to_numpy()

    def message(col, p):
        return (
            f"{col} {fmt(col, frame[col].iat[p])} is after {ref} {fmt(ref, r.iat[p])}; "
            f"correct the date or the {ref}"
        )

    return per_column(rule, frame, fmt, bad, message)


def _requires_when(rule, frame, spec, rows, fmt):
    cond, describe = _condition(frame, rule.params["when"])
    when = rule.params["when"]["column"]

    def message(col, p):
        return f"{col} is missing although {describe(p)}; fill in {col} or correct {when}"

    return per_column(
        rule, frame, fmt, lambda col: cond & frame[col].isna().to_numpy(), message, value=no_value
    )


def _forbids_when(rule, frame, spec, rows, fmt):
    cond, describe = _condition(frame, rule.params["when"])
    when = rule.params["when"]["column"]

    def message(col, p):
        return (
            f"{col} {fmt(col, frame[col].iat[p])} is given although {describe(p)}; remove it "
            f"or correct {when}"
        )

    return per_column(rule, frame, fmt, lambda col: cond & frame[col].notna().to_numpy(), message)


def _at_least_one(rule, frame, spec, rows, fmt):
    cols = list(rule.params["columns"])
    names = " or ".join(cols)
    return per_column(
        rule,
        frame,
        fmt,
        lambda col: frame[cols].isna().all(axis=1).to_numpy(),
        lambda col, p: f"{names}: none is given; give at least one",
        columns=cols[:1],
        value=no_value,
    )


def _age_columns(rule, frame):
    age_col = rule.params.get("age_column", "age_at_referral")
    dob_col = rule.params.get("dob_column", "date_of_birth")
    at_col = rule.params.get("at_column", "referral_date")
    return age_col, dob_col, at_col


def _age_range(rule, frame, spec, rows, fmt):
    age_col, dob_col, at_col = _age_columns(rule, frame)
    lo, hi = rule.params["min"], rule.params["max"]
    given = frame[age_col].astype("Int64")
    computed = _age_years(frame[dob_col], frame[at_col])
    age = given.fillna(computed)
    bad = (age.notna() & ((age < lo) | (age > hi))).fillna(False).to_numpy(dtype=bool)
    if not bad.any():
        return []
    pos = np.flatnonzero(bad)
    from_given = given.notna().to_numpy()
    suffix = (
        "; check the date of birth and referral date"
        if rule.severity == "error"
        else " (row kept; check it)"
    )
    what = "outside" if rule.severity == "error" else "outside the service's usual"
    values, messages, cols = [], [], []
    for p in pos:
        a = int(age.iat[p])
        if from_given[p]:
            values.append(str(a))
            messages.append(f"age at referral {a} is {what} {lo}-{hi}{suffix}")
            cols.append(age_col)
        else:
            values.append(fmt.plain(dob_col, frame[dob_col].iat[p]))
            messages.append(
                f"age at referral computed from {dob_col} {fmt(dob_col, frame[dob_col].iat[p])} "
                f"is {a}, {what} {lo}-{hi}{suffix}"
            )
            cols.append(dob_col)
    out = []
    for col in dict.fromkeys(cols):
        sel = [i for i, c in enumerate(cols) if c == col]
        out.append(
            failure(rule, col, pos[sel], [values[i] for i in sel], [messages[i] for i in sel])
        )
    return out


def _age_matches_dob(rule, frame, spec, rows, fmt):
    age_col, dob_col, at_col = _age_columns(rule, frame)
    given = frame[age_col].astype("Int64")
    computed = _age_years(frame[dob_col], frame[at_col])
    bad = (given.notna() & computed.notna() & (given != computed)).fillna(False)

    def message(col, p):
        return (
            f"{age_col} {int(given.iat[p])} disagrees with {dob_col} "
            f"{fmt(dob_col, frame[dob_col].iat[p])} (age {int(computed.iat[p])} at {at_col} "
            f"{fmt(at_col, frame[at_col].iat[p])}); correct one of them"
        )

    return per_column(
        rule,
        frame,
        fmt,
        lambda col: bad.to_numpy(dtype=bool),
        message,
        columns=[age_col],
        value=lambda col, p: str(int(given.iat[p])),
    )


def _fits(rule, frame, spec, rows, fmt):
    col, dep, mapping = rule.params["column"], rule.params["depends_on"], rule.params["mapping"]
    expected = frame[dep].map(dict(mapping))
    cur = frame[col]

    def message(col, p):
        return (
            f"{col} {fmt(col, cur.iat[p])} does not fit {dep} {fmt(dep, frame[dep].iat[p])} "
            f"(expected '{expected.iat[p]}'); correct the index or the {dep}"
        )

    bad = (cur.notna() & expected.notna() & (cur != expected)).to_numpy(dtype=bool)
    return per_column(rule, frame, fmt, lambda c: bad, message, columns=[col])


def _consistent_within(rule, frame, spec, rows, fmt):
    by = list(rule.params["by"])
    indicator = rule.params.get("indicator")
    keyed = frame[by].notna().all(axis=1)
    if not keyed.any():
        return []
    key = frame.loc[keyed, by].groupby(by, sort=False).ngroup()
    out = []
    for col in rule.params["columns"]:
        vals = frame.loc[keyed, col]
        if indicator is not None:
            vals = vals.where(vals.isna(), vals == indicator)
        n = vals.groupby(key).transform("nunique")
        bad_idx = n.index[(n > 1).to_numpy()]
        if len(bad_idx) == 0:
            continue
        pos = np.asarray(bad_idx, dtype=int)
        group_rows: dict[int, list[int]] = {}
        for p in pos:
            group_rows.setdefault(key.at[p], []).append(p)
        by_text = ", ".join(by)
        values, messages = [], []
        for p in pos:
            g = group_rows[key.at[p]]
            who = ", ".join(fmt(b, frame.at[p, b]) for b in by)
            values.append(fmt.plain(col, frame.at[p, col]))
            if indicator is None:
                distinct = sorted(
                    {fmt(col, frame.at[q, col]) for q in g if not pd.isna(frame.at[q, col])}
                )
                messages.append(
                    f"{col} differs between rows of the same {by_text} {who}: "
                    f"{', '.join(distinct)} on rows {rows_text(rows[g])}; "
                    "make them agree"
                )
            else:
                messages.append(
                    f"{col} is '{indicator}' on some rows of {by_text} {who} but not on others "
                    f"(rows {rows_text(rows[g])}); '{indicator}' must hold for all or none"
                )
        out.append(failure(rule, col, pos, values, messages))
    return out


def _values_when(rule, frame, spec, rows, fmt):
    cond, describe = _condition(frame, rule.params["when"])
    col = rule.params["column"]
    cur = frame[col]
    if "not_in" in rule.params:
        bad_val = cur.isin(list(rule.params["not_in"])).to_numpy()
    else:
        bad_val = ~cur.isin(list(rule.params["in"])).to_numpy()
    bad = cond & bad_val & cur.notna().to_numpy()

    def message(col, p):
        return f"{col} {fmt(col, cur.iat[p])} is not allowed when {describe(p)}; correct it"

    return per_column(rule, frame, fmt, lambda c: bad, message, columns=[col])


def _month_matches(rule, frame, spec, rows, fmt):
    col, date_col = rule.params["column"], rule.params["date_column"]
    month = frame[col]
    from_date = frame[date_col].dt.strftime("%Y-%m")
    bad = (month.notna() & from_date.notna() & (month != from_date)).to_numpy(dtype=bool)

    def message(col, p):
        return (
            f"{col} {fmt(col, month.iat[p])} disagrees with {date_col} "
            f"{fmt(date_col, frame[date_col].iat[p])}; correct one of them"
        )

    return per_column(rule, frame, fmt, lambda c: bad, message, columns=[col])


def _not_in_future(rule, frame, spec, rows, fmt, *, run_date):
    def bad(col):
        cur = frame[col]
        # a date-time on the run day itself is not in the future
        return (cur.notna() & (cur >= run_date + pd.Timedelta(days=1))).to_numpy(dtype=bool)

    def message(col, p):
        return (
            f"{col} {fmt(col, frame[col].iat[p])} is after the run date "
            f"{run_date:%Y-%m-%d} (a date in the future); correct the year"
        )

    return per_column(rule, frame, fmt, bad, message)


def _not_long_before(rule, frame, spec, rows, fmt):
    ref, years = rule.params["reference"], int(rule.params["years"])
    r = frame[ref]
    limit = r - pd.DateOffset(years=years)

    def bad(col):
        cur = frame[col]
        return (cur.notna() & r.notna() & (cur < limit)).to_numpy(dtype=bool)

    def message(col, p):
        return (
            f"{col} {fmt(col, frame[col].iat[p])} is more than {years} years before "
            f"{ref} {fmt(ref, r.iat[p])}; correct the year"
        )

    return per_column(rule, frame, fmt, bad, message)


_CHECKS: dict[str, Callable[..., list[Failure]]] = {
    "not_in_future": _not_in_future,
    "not_long_before": _not_long_before,
    "month_matches": _month_matches,
    "unique": _unique,
    "order": _order,
    "not_after": _not_after,
    "requires_when": _requires_when,
    "forbids_when": _forbids_when,
    "at_least_one": _at_least_one,
    "age_range": _age_range,
    "age_matches_dob": _age_matches_dob,
    "fits": _fits,
    "consistent_within": _consistent_within,
    "values_when": _values_when,
}
