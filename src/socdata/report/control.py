"""The output-control layer: every released number is derived from protected counts.

:mod:`socdata.report.disclosure` decides which counts may be published (primary and
secondary suppression, rounding).  This module makes everything *else* that is released
consistent with those protected counts, so that no combination of released figures gives
an exact count back:

* **statistics derived from counts** (percentages and their intervals) are recomputed
  from the *released* (rounded) numerator and denominator, not from the exact ones: a
  percentage and a Wilson interval computed from exact counts, printed next to rounded
  counts, pin the exact pair (e.g. rounded 25/25 with 88% and 71-96 leaves only 23/26);
* **counts in model outputs** (``n``, ``n_clusters``, degrees of freedom, and any
  ``n_*`` column) are rounded like every other count, and a model with fewer residual
  degrees of freedom than ``safe_dof_threshold`` is not released;
* **counts in text** (statements, notes, warnings shown in the report) are rounded and
  small counts masked by :func:`control_text`; :func:`count_formatter` gives the same rule
  to code that writes text from counts;
* **one registry of protected cells per run** (:class:`Registry`): a cell suppressed in
  one table is suppressed in every other table of the run that shows the same population
  (tables declare it with ``population=``).

On the bundled synthetic extracts the rule set is ``none`` and nothing here changes a
number.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from socdata.report.rule_sets import (
    PROPORTION_MEASURES,
    RuleSet,
    get_rule_set,
    round_to_base,
)
from socdata.rounding import round_half_up
from socdata.words import fraction_word_for

__all__ = [
    "MASK",
    "Registry",
    "control_count_column",
    "control_model_frame",
    "control_survival_curve",
    "control_text",
    "count_formatter",
    "model_count_columns",
    "rederive_proportions",
    "wilson_limits",
]

#: What a masked small count reads as in text (ONS convention: "c", confidential).
MASK = "[c]"

#: Columns of model outputs that are counts of people, clusters or degrees of freedom.
_MODEL_COUNT_NAMES = frozenset(
    {"n", "nobs", "n_obs", "clusters", "n_clusters", "df", "df_resid", "dof", "n_units"}
)
_MODEL_COUNT_PATTERN = re.compile(r"^(n_.+|.+_n|n_clusters.*|df_.+)$")
_DOF_NAMES = ("df_resid", "df", "dof")

#: An integer standing alone in text (not part of a decimal, a date, a time, a code such
#: as ``R07``, a percentage, or a negative number).
_INTEGER = re.compile(r"(?<![\w.:/\-+])(\d+)(?![\w.:%]|/\d|-\d)")
_FRACTION = re.compile(r"(?:(\d+(?:\.\d+)?)%\s*)?\((\d+)\s*/\s*(\d+)\)")
_YEAR = range(1900, 2101)
_PARAMETER = re.compile(r"\b(?!n\b)[A-Za-z_]{2,}=$")


def wilson_limits(k: float, n: float, conf_level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for ``k`` of ``n``, as percentages.

    >>> [round(v, 1) for v in wilson_limits(20, 25)]
    [60.9, 91.1]
    """
    if not n or n <= 0:
        return (math.nan, math.nan)
    from socdata.distributions import norm

    z = float(norm.ppf(0.5 + conf_level / 2))
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (100 * max(0.0, centre - half), 100 * min(1.0, centre + half))


def _round_count(v: float, rules: RuleSet) -> float | None:
    """A released count: ``None`` when it must be masked, else rounded to the base."""
    if rules.is_small(v):
        return None
    return round_to_base(v, rules.rounding_base) if rules.rounding_base > 1 else v


def count_formatter(rules: str | RuleSet) -> Callable[[float], str]:
    """Return ``fmt(count) -> str`` that writes a count in text as the rule set allows.

    Counts ``1 .. threshold-1`` read ``[c]``; others are rounded to the rounding base.
    Under ``none`` counts are written as they are.

    >>> fmt = count_formatter("soceis-default-v1")
    >>> fmt(153), fmt(7), fmt(0)
    ('155', '[c]', '0')
    """
    rules = get_rule_set(rules)

    def fmt(v: float) -> str:
        v = float(v)
        if not rules.enabled:
            return str(int(v)) if v.is_integer() else str(v)
        r = _round_count(v, rules)
        return MASK if r is None else str(int(r))

    return fmt


def control_text(text: str, rules: str | RuleSet) -> str:
    """Round the counts in free text and mask small ones, as the rule set says.

    ``"81% (153/190)"`` becomes ``"82% (155/190)"``: a fraction's counts are rounded and its
    percentage recomputed from the rounded counts, so the pair cannot be recovered from
    the percentage.  Every other standalone whole number is treated as a count (rounded,
    or ``[c]`` when 1-9), except four-digit years 1900-2100, numbers inside codes
    (``R07``), decimals, dates, times and percentages.  Text is never as safe as a
    controlled table: keep counts out of free text where you can.

    >>> control_text("81% (153/190); 39 of 190 engagers not analysed; t(333)", "soceis-default-v1")
    '82% (155/190); 40 of 190 engagers not analysed; t(335)'
    >>> control_text("Dundee 10->11 and 7 others, since 2020-02-26", "soceis-default-v1")
    'Dundee 10->10 and [c] others, since 2020-02-26'
    """
    rules = get_rule_set(rules)
    if not rules.enabled or not isinstance(text, str) or not text:
        return text
    fmt = count_formatter(rules)

    def fraction(m: re.Match[str]) -> str:
        k, n = float(m.group(2)), float(m.group(3))
        rk, rn = _round_count(k, rules), _round_count(n, rules)
        if rk is None or rn is None or rn == 0:
            inner = f"({fmt(k)}/{fmt(n)})"
            return inner if m.group(1) is None else f"{MASK}% {inner}"
        if m.group(1) is None:
            return f"({int(rk)}/{int(rn)})"
        pct = round_half_up(100 * rk / rn, 0)
        return f"{int(pct)}% ({int(rk)}/{int(rn)})"

    def integer(m: re.Match[str]) -> str:
        before = m.string[max(0, m.start() - 24) : m.start()]
        if _PARAMETER.search(before):  # a setting such as anticipation=1, not a count
            return m.group(1)
        v = int(m.group(1))
        if v in _YEAR and len(m.group(1)) == 4:
            return m.group(1)
        return fmt(v)

    parts = []
    last = 0
    for m in _FRACTION.finditer(text):
        parts.append(_INTEGER.sub(integer, text[last : m.start()]))
        parts.append(fraction(m))
        last = m.end()
    parts.append(_INTEGER.sub(integer, text[last:]))
    return "".join(parts)


def rederive_proportions(out: pd.DataFrame, rules: RuleSet, conf_level: float = 0.95) -> None:
    """Recompute released percentages and their limits from released counts (in place).

    For every proportion cell still shown whose ``numerator`` and ``denominator`` were
    released, the value becomes ``100 * numerator / denominator`` of the *released*
    (rounded) counts and ``conf_low``/``conf_high`` the Wilson limits for those counts, to
    the rule set's decimals.  Cells whose counts were not released lose their interval.
    Proportions on a 0-1 scale (``fraction``, ``proportion``) are recomputed on that scale.
    """
    if not rules.enabled or "numerator" not in out or "denominator" not in out:
        return
    measure = out["measure"].astype(str).str.strip().str.lower()
    status = out["disclosure_status"].astype(str)
    value = pd.to_numeric(out["value"], errors="coerce").astype(float)
    num = pd.to_numeric(out["numerator"], errors="coerce").astype(float)
    den = pd.to_numeric(out["denominator"], errors="coerce").astype(float)
    has_ci = "conf_low" in out and "conf_high" in out
    lows = pd.to_numeric(out["conf_low"], errors="coerce").astype(float) if has_ci else None
    highs = pd.to_numeric(out["conf_high"], errors="coerce").astype(float) if has_ci else None
    rows = measure.isin(PROPORTION_MEASURES) & ~status.str.startswith("suppressed")
    for i in out.index[rows]:
        scale = 100.0 if measure[i] == "pct" else 1.0
        dec = rules.pct_decimals + (0 if scale == 100.0 else 2)
        if pd.isna(num[i]) or pd.isna(den[i]) or den[i] <= 0:
            if has_ci:  # an interval without released counts narrows the exact pair
                lows[i] = highs[i] = np.nan
            continue
        value[i] = round_half_up(scale * num[i] / den[i], dec)
        status[i] = "derived from released counts"
        if "fraction_word" in out:  # a word chosen on the exact share would narrow it
            out.at[i, "fraction_word"] = (
                fraction_word_for(int(num[i]), int(den[i])) if num[i] <= den[i] else None
            )
        if has_ci and not (pd.isna(lows[i]) and pd.isna(highs[i])):
            lo, hi = wilson_limits(num[i], den[i], conf_level)
            lows[i] = round_half_up(lo * scale / 100, dec)
            highs[i] = round_half_up(hi * scale / 100, dec)
    out["value"] = value
    out["disclosure_status"] = status
    if has_ci:
        out["conf_low"], out["conf_high"] = lows, highs


def control_count_column(values: pd.Series, rules: RuleSet) -> pd.Series:
    """A column of counts as released: 1 to threshold-1 blanked, others rounded."""
    col = pd.to_numeric(values, errors="coerce").astype(float)
    if not rules.enabled:
        return col
    small = (col > 0) & (col < rules.threshold)
    if rules.rounding_base > 1:
        col = col.map(lambda v: v if pd.isna(v) else round_to_base(v, rules.rounding_base))
    return col.mask(small)


def model_count_columns(frame: pd.DataFrame) -> list[str]:
    """Columns of a model-output frame that hold counts (``n``, ``n_*``, clusters, df)."""
    cols = []
    for c in frame.columns:
        name = str(c).strip().lower()
        if name in _MODEL_COUNT_NAMES or _MODEL_COUNT_PATTERN.match(name):
            if (
                pd.api.types.is_numeric_dtype(frame[c])
                or pd.to_numeric(frame[c], errors="coerce").notna().any()
            ):
                cols.append(c)
    return cols


def control_model_frame(
    frame: pd.DataFrame, rules: RuleSet, *, text_columns: Iterable[str] = ()
) -> pd.DataFrame:
    """Control the counts and text of a non-tidy frame (model estimates, statements).

    Rows whose residual degrees of freedom (``df_resid``/``df``/``dof``) are below the rule
    set's ``safe_dof_threshold`` lose every numeric value (ACRO's ``safe_dof_threshold``
    rule: a model that nearly fits the data reproduces it).  Text columns pass through
    :func:`control_text`.  Count columns are handled by
    :func:`~socdata.report.disclosure.apply_to_frame`, which the caller applies after this.
    """
    out = frame.copy()
    if not rules.enabled:
        return out
    for c in text_columns:
        if c in out:
            out[c] = out[c].map(lambda s: control_text(s, rules) if isinstance(s, str) else s)
    _round_to_uncertainty(out)
    dof_col = next((c for c in _DOF_NAMES if c in out), None)
    if dof_col is not None and rules.safe_dof_threshold:
        dof = pd.to_numeric(out[dof_col], errors="coerce")
        low = dof.notna() & (dof < rules.safe_dof_threshold)
        if low.any():
            numeric = [c for c in out.columns if pd.api.types.is_numeric_dtype(out[c])]
            out.loc[low, numeric] = np.nan
            out["dof_check"] = np.where(low, "fail: residual df under threshold", "pass")
    return out


def control_survival_curve(curves: pd.DataFrame, rules: str | RuleSet) -> pd.DataFrame:
    """A Kaplan-Meier curve safe to draw: every released step backed by enough people.

    ACRO's survival rule: a step of a released curve is the event of identifiable people
    when fewer than ``survival_safe_threshold`` share it.  Consecutive steps of each group
    are merged until each released step has at least that many events, the curve stops
    where fewer than that many people are still at risk, survival is given to two
    decimals, and the counts behind each step are rounded like any count.

    Parameters
    ----------
    curves
        ``group, time, at_risk, events, survival`` (as
        :attr:`socdata.describe.KaplanMeierResult.curves`).
    rules
        Rule set; under ``none`` the curve is returned as it is.

    Returns
    -------
    pandas.DataFrame
        ``group, time, survival, at_risk, events``: one row per released step (``time`` is
        the end of the merged interval).
    """
    rules = get_rule_set(rules)
    cols = ["group", "time", "survival", "at_risk", "events"]
    if not rules.enabled or curves.empty:
        return curves[cols].reset_index(drop=True)
    k = max(rules.survival_safe_threshold, 1)
    rows = []
    for group, c in curves.sort_values("time").groupby("group", sort=False):
        events = 0.0
        start_risk = None
        for r in c.itertuples():
            if r.at_risk < k:
                break
            start_risk = r.at_risk if start_risk is None else start_risk
            events += r.events
            if events >= k:
                rows.append(
                    {
                        "group": group,
                        "time": r.time,
                        "survival": round_half_up(float(r.survival), 2),
                        "at_risk": round_to_base(float(start_risk), rules.rounding_base),
                        "events": round_to_base(events, rules.rounding_base),
                    }
                )
                events, start_risk = 0.0, None
    return pd.DataFrame(rows, columns=cols)


_ESTIMATE_COLUMNS = ("estimate", "conf_low", "conf_high", "std_error")


def _round_to_uncertainty(out: pd.DataFrame) -> None:
    """Round estimates to two significant digits of their standard error (in place).

    An estimate printed to twelve digits is often an exact ratio of counts (an event-study
    coefficient of ``0.0059880239521`` is ``1/167``: the number of engagers); at the
    precision its uncertainty supports it no longer is.  Test statistics keep two
    decimals and p-values three.
    """
    if "std_error" in out:
        se = pd.to_numeric(out["std_error"], errors="coerce").astype(float)
    elif "conf_low" in out and "conf_high" in out:  # the width of a 95% interval ~ 3.92 SE
        lo = pd.to_numeric(out["conf_low"], errors="coerce").astype(float)
        hi = pd.to_numeric(out["conf_high"], errors="coerce").astype(float)
        se = (hi - lo).abs() / 3.92
    else:
        return
    for i in out.index:
        s = se[i]
        if pd.isna(s) or s <= 0:
            continue
        dec = int(max(0, 1 - math.floor(math.log10(s))))
        for c in _ESTIMATE_COLUMNS:
            if c in out and pd.notna(out.at[i, c]):
                out.at[i, c] = round_half_up(float(out.at[i, c]), dec)
    for c, dec in (("statistic", 2), ("p_value", 3)):
        if c in out:
            col = pd.to_numeric(out[c], errors="coerce").astype(float)
            out[c] = col.map(lambda v, d=dec: v if pd.isna(v) else round_half_up(v, d))


class Registry:
    """The run's registry of protected cells (``out_dir/control/registry.json``).

    Each table that declares a ``population`` (the people its counts are about, e.g.
    ``"service referrals"``) registers itself and its suppressed count cells under that
    name; a later table of the same population has the same cells suppressed, so that no
    released table gives back a cell another one hides.  A cell suppressed only in a
    *later* table cannot be withdrawn from an earlier file: :meth:`conflicts` finds such
    cells and the output-checking request marks the earlier table ``fail``.  The registry
    holds labels and statuses, never values.
    """

    def __init__(self, out_dir: str | Path) -> None:
        self.out_dir = Path(out_dir)
        self.path = self.out_dir / "control" / "registry.json"

    def _load(self) -> dict[str, dict[str, list]]:
        if not self.path.exists():
            return {}
        return json.loads(self.path.read_text(encoding="utf-8"))

    def protected(self, population: str) -> set[tuple[str, str]]:
        """(row_label, column_label) cells suppressed so far in ``population``."""
        entry = self._load().get(population, {})
        return {(r, c) for r, c, _table in entry.get("suppressed", [])}

    def register(self, population: str, table_id: str, cells: Iterable[tuple[str, str]]) -> None:
        """Record that ``table_id`` shows ``population`` and suppressed ``cells`` of it."""
        data = self._load()
        entry = data.setdefault(population, {"tables": [], "suppressed": []})
        if table_id not in entry["tables"]:
            entry["tables"].append(table_id)
        known = {tuple(x) for x in entry["suppressed"]}
        known |= {(str(r), str(c), table_id) for r, c in cells}
        entry["suppressed"] = sorted([list(x) for x in known])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")

    def conflicts(self) -> dict[str, list[tuple[str, str, str]]]:
        """Tables that show a count cell another table of their population suppressed.

        Returns ``{table_id: [(row_label, column_label, suppressed_in), ...]}``.
        """
        found: dict[str, list[tuple[str, str, str]]] = {}
        for entry in self._load().values():
            hidden = {(r, c): t for r, c, t in entry.get("suppressed", [])}
            for table_id in entry.get("tables", []):
                path = self.out_dir / "tables" / f"{table_id}.csv"
                if not path.exists():
                    continue
                frame = pd.read_csv(path)
                n = frame[frame["measure"].astype(str).str.lower() == "n"]
                shown = n[pd.to_numeric(n["value"], errors="coerce").notna()]
                for r, c in zip(
                    shown["row_label"].astype(str), shown["column_label"].astype(str), strict=True
                ):
                    if (r, c) in hidden and hidden[(r, c)] != table_id:
                        found.setdefault(table_id, []).append((r, c, hidden[(r, c)]))
        return found
