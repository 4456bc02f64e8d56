"""Dates and date-times as suppliers write them, parsed strictly (no roll-over).

Accepted: date cells from spreadsheets, ISO ``yyyy-mm-dd[ hh:mm[:ss]]``, day-first
``dd/mm/yyyy[ hh:mm[:ss]]`` (also with ``-`` or ``.``), ``1 Jun 2021``, and Excel serial
numbers.  Every component is checked against its range before a date is built, so
``26/02/2020 25:61``, ``23:99`` or ``31/02/2021`` are rejected instead of rolling over into
another day.
"""

from __future__ import annotations

import datetime as _dt
import re

import numpy as np
import pandas as pd

from socdata.io.cells import MISSING_TOKENS, is_missing, on_uniques

__all__ = ["date_problem", "month_first_hint", "parse_dates"]

_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
#: Excel serial numbers accepted as dates: 1900-03-01 (61) to 2100-12-31 (73415).
_SERIAL_MIN, _SERIAL_MAX = 61, 73415

_ISO_RE = (
    r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?$"
)
_UK_RE = (
    r"^(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})"
    r"(?:[T ,]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?$"
)
_NAMED_RE = (
    r"^(?P<d>\d{1,2})[ -](?P<mon>[A-Za-z]{3,9})[ -](?P<y>\d{4})"
    r"(?:[T ,]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?$"
)
_SERIAL_RE = r"^\d+(?:\.\d+)?$"
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}


_LIMITS = (
    ("m", 1, 12, "month"),
    ("d", 1, 31, "day"),
    ("H", 0, 23, "hour"),
    ("M", 0, 59, "minute"),
    ("S", 0, 59, "second"),
)


def _assemble(parts: pd.DataFrame) -> pd.Series:
    """Build timestamps from text components, strictly.

    Each component must lie in its range (hour 0-23, minute and second 0-59, month 1-12);
    an impossible day (31/02/2021) is refused by pandas.  Nothing rolls over: ``25:61`` is
    not read as 02:01 the next day.
    """
    cols = {"year": parts["y"], "month": parts["m"], "day": parts["d"]}
    for key, name in (("H", "hour"), ("M", "minute"), ("S", "second")):
        if key in parts:
            cols[name] = pd.to_numeric(parts[key], errors="coerce").fillna(0)
    frame = pd.DataFrame({k: pd.to_numeric(v, errors="coerce") for k, v in cols.items()})
    ok = pd.Series(True, index=frame.index)
    for _key, lo, hi, name in _LIMITS:
        if name in frame:
            ok &= frame[name].between(lo, hi)
    frame = frame.where(ok, np.nan)
    # to_datetime on components: impossible dates (31/02/2021) become NaT
    return pd.to_datetime(frame, errors="coerce")


def date_problem(value: object) -> str:
    """Why a cell is not a date (or date-time): the component out of range, or the form.

    Used for messages about cells :func:`parse_dates` refused, e.g.
    ``"hour 25 is outside 0-23"`` or ``"31/02/2021 is not a day of the calendar"``.
    """
    text = str(value).strip()
    for pattern in (_ISO_RE, _UK_RE, _NAMED_RE):
        m = re.match(pattern, text)
        if not m:
            continue
        parts = m.groupdict()
        if parts.get("mon") is not None:
            month = _MONTHS.get(parts["mon"].casefold())
            if month is None:
                return f"{parts['mon']!r} is not a month name"
            parts["m"] = str(month)
        found = []
        for key, lo, hi, name in _LIMITS:
            v = parts.get(key)
            if v is not None and not lo <= int(v) <= hi:
                found.append(f"{name} {int(v)} is outside {lo}-{hi}")
        if found:
            return "; ".join(found) + " (nothing rolls over into the next day or month)"
        return "that day does not exist in the calendar"
    if re.fullmatch(_SERIAL_RE, text):
        return f"an Excel serial date must lie in {_SERIAL_MIN}-{_SERIAL_MAX} (1900-2100)"
    if re.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2}", text):
        return "a two-digit year is ambiguous; write the year in full"
    return "the form is not one socdata reads"


def month_first_hint(values: pd.Series) -> str | None:
    """A file-level hint when a column's slash dates look month-first (US format).

    Returns a sentence when at least one ``a/b/yyyy`` value has ``a <= 12 < b`` (valid only
    month-first) and none has ``b <= 12 < a`` (valid only day-first); otherwise ``None``.
    Such a column is still read day-first (nothing is guessed): the hint tells the supplier
    that values such as ``03/04/2021`` may mean 4 March, not 3 April.
    """
    text = pd.Series(pd.unique(values.dropna().astype(str).str.strip()))
    parts = text.str.extract(r"^(\d{1,2})[/.-](\d{1,2})[/.-]\d{4}\b").dropna().astype(int)
    if parts.empty:
        return None
    a, b = parts[0], parts[1]
    us_only = int(((a <= 12) & (b > 12) & (b <= 31)).sum())
    uk_only = int(((b <= 12) & (a > 12)).sum())
    if us_only and not uk_only:
        ex = text[((a <= 12) & (b > 12)).reindex(text.index, fill_value=False)].iloc[0]
        return (
            f"dates look month-first (US format): {us_only} distinct value(s) such as {ex!r} "
            "are valid only as month/day; socdata reads dd/mm/yyyy, so 03/04/2021 is read as "
            "3 April. Export the dates as dd/mm/yyyy or yyyy-mm-dd"
        )
    return None


def parse_dates(values: pd.Series, *, with_time: bool = False) -> tuple[pd.Series, np.ndarray]:
    """Parse dates (or date-times) written in any of the accepted forms.

    Accepted: date cells from spreadsheets (``datetime``/``Timestamp``), ISO
    ``yyyy-mm-dd[ hh:mm[:ss]]``, day-first ``dd/mm/yyyy[ hh:mm[:ss]]`` (also with ``-`` or
    ``.``), ``1 Jun 2021``, and Excel serial numbers 61-73415 (1900-03-01 to 2100-12-31),
    numeric or as text.  Month-first (US) dates are never assumed: ``06/13/2021`` is invalid.

    Parameters
    ----------
    values
        Raw cells.
    with_time
        Keep the time of day; otherwise values are floored to the date.

    Returns
    -------
    parsed, bad
        ``datetime64[ns]`` Series (NaT where missing or bad) and the mask of non-missing
        cells that could not be parsed.
    """
    n = len(values)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if n == 0:
        return out, np.zeros(0, dtype=bool)
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        parsed = pd.to_datetime(values, errors="coerce")
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_localize(None)
        out = parsed.astype("datetime64[ns]")
        return (out if with_time else out.dt.floor("D")), np.zeros(n, dtype=bool)
    return on_uniques(values, lambda u: _parse_dates_core(u, with_time=with_time))


def _parse_dates_core(values: pd.Series, *, with_time: bool) -> tuple[pd.Series, np.ndarray]:
    n = len(values)
    missing = is_missing(values, tokens=MISSING_TOKENS)
    obj = values.astype(object).to_numpy()
    kind = np.full(n, "", dtype=object)
    for i, v in enumerate(obj):
        if missing[i]:
            continue
        if isinstance(v, (pd.Timestamp, _dt.datetime, _dt.date, np.datetime64)):
            kind[i] = "dt"
        elif isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
            kind[i] = "num"
        else:
            kind[i] = "str"
    result = np.full(n, np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
    sel = kind == "dt"
    if sel.any():
        result[sel] = pd.to_datetime(pd.Series(obj[sel]), errors="coerce").to_numpy(
            dtype="datetime64[ns]"
        )
    serial = np.full(n, np.nan)
    sel = kind == "num"
    if sel.any():
        serial[sel] = np.asarray(obj[sel], dtype=float)
    sel = kind == "str"
    if sel.any():
        text = pd.Series(obj[sel]).map(lambda s: str(s).strip())
        idx = np.flatnonzero(sel)
        done = np.zeros(len(text), dtype=bool)
        for pattern in (_ISO_RE, _UK_RE, _NAMED_RE):
            parts = text.str.extract(pattern)
            hit = parts["y"].notna().to_numpy() & ~done
            if not hit.any():
                continue
            parts = parts[hit]
            if "mon" in parts:
                parts = parts.assign(m=parts.pop("mon").str.casefold().map(_MONTHS))
            result[idx[hit]] = _assemble(parts).to_numpy(dtype="datetime64[ns]")
            done |= hit
        is_serial = text.str.fullmatch(_SERIAL_RE).to_numpy(dtype=bool) & ~done
        if is_serial.any():
            serial[idx[is_serial]] = text[is_serial].astype(float).to_numpy()
    has_serial = ~np.isnan(serial)
    if has_serial.any():
        s = serial[has_serial]
        good = (s >= _SERIAL_MIN) & (s < _SERIAL_MAX + 1)
        days = np.where(good, s, 0.0)
        stamps = _EXCEL_EPOCH + pd.to_timedelta(np.round(days * 86400), unit="s")
        vals = stamps.to_numpy(dtype="datetime64[ns]")
        vals[~good] = np.datetime64("NaT", "ns")
        result[has_serial] = vals
    out = pd.Series(result, index=values.index, dtype="datetime64[ns]")
    if not with_time:
        out = out.dt.floor("D")
    bad = ~missing & out.isna().to_numpy()
    return out, bad
