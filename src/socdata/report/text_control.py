"""Output control of free text: counts printed in words, warnings and model labels.

Tables are controlled cell by cell; text is not a table, yet warnings ("39 of 190
engagers not analysed"), statements ("81% (153/190)", "Dundee 10->11") and model labels
("t(333)") print counts of people.  :func:`control_text` finds the forms in which socdata
prints counts and replaces each count by its released form: ``0`` stays, ``1`` to
``threshold - 1`` becomes ``<threshold``, any other count is rounded to the rounding base.
A percentage printed with its fraction is recomputed from the rounded fraction.

Numbers in other forms (a year, "12-month windows", a decimal such as "median age 15.2")
are not counts and are left alone: free text is therefore only as safe as the forms it
uses, which is why tables, not sentences, carry numbers in socdata's outputs.
"""

from __future__ import annotations

import re

from socdata.rounding import round_to_base

__all__ = ["COUNT_NOUNS", "control_count", "control_text"]

#: Nouns after which a whole number is a count of people (or of their records).
COUNT_NOUNS = (
    "young people",
    "people",
    "persons",
    "person",
    "engagers",
    "engager",
    "comparators",
    "comparator",
    "referrals",
    "referred",
    "children",
    "participants",
    "records",
    "rows",
    "cases",
    "clusters",
    "matched",
    "individuals",
    "episodes",
    "events",
    "arrests",
    "offences",
)

_PCT_FRACTION = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)%\s*\((\d+)\s*/\s*(\d+)\)")
_PAIR = re.compile(r"(?<![\w./])(\d+)(\s*(?:/|->|→| of )\s*)(\d+)(?![\w./])(?! areas)")
_N_EQ = re.compile(r"\b(n\s*=\s*)(\d+)\b", re.IGNORECASE)
_T_DF = re.compile(r"\b(t\(|df\s*=\s*|dof\s*=\s*)(\d+)")
_PAREN = re.compile(r"(?<![\w.])\((\d+)(?=\)|\s)")
_NOUN = re.compile(
    r"(?<![\w.\-])(\d+)(\s+(?:" + "|".join(re.escape(n) for n in COUNT_NOUNS) + r"))\b",
    re.IGNORECASE,
)


def control_count(value: int, threshold: int, rounding_base: int) -> str:
    """The released form of one count: ``0``, ``<threshold`` or the rounded count."""
    if 0 < value < threshold:
        return f"<{threshold}"
    return str(int(round_to_base(value, rounding_base)))


def control_text(text: str, rules) -> str:
    """Replace every count printed in ``text`` by its released form under ``rules``.

    Parameters
    ----------
    text
        Free text (a warning, a statement, a label).
    rules
        A :class:`~socdata.report.disclosure.RuleSet`; under ``none`` the text is returned
        unchanged.

    Examples
    --------
    >>> from socdata.report.disclosure import DEFAULT_RULE_SET as R
    >>> control_text("39 of 190 engagers not analysed", R)
    '40 of 190 engagers not analysed'
    >>> control_text("81% (153/190); Dundee 10->11; t(333); 3 people", R)
    '82% (155/190); Dundee 10->10; t(335); <10 people'
    """
    if not getattr(rules, "enabled", False) or not isinstance(text, str):
        return text
    thr, base = int(rules.threshold), int(rules.rounding_base)

    def cc(s: str) -> str:
        return control_count(int(s), thr, base)

    def pct_fraction(m: re.Match[str]) -> str:
        k, n = int(m.group(2)), int(m.group(3))
        if (0 < k < thr) or (0 < n - k < thr):
            return f"share not shown (n={cc(m.group(3))})"
        rk, rn = round_to_base(k, base), round_to_base(n, base)
        pct = f"{100 * rk / rn:.0f}%" if rn else "n/a"
        return f"{pct} ({int(rk)}/{int(rn)})"

    text = _PCT_FRACTION.sub(pct_fraction, text)

    def pair(m: re.Match[str]) -> str:
        if m.group(2).strip() == "/" and any(1900 <= int(g) <= 2100 for g in m.group(1, 3)):
            return m.group(0)  # a date (03/2024), not a fraction
        return f"{cc(m.group(1))}{m.group(2)}{cc(m.group(3))}"

    text = _PAIR.sub(pair, text)
    text = _N_EQ.sub(lambda m: f"{m.group(1)}{cc(m.group(2))}", text)
    text = _T_DF.sub(lambda m: f"{m.group(1)}{cc(m.group(2))}", text)
    text = _PAREN.sub(lambda m: f"({cc(m.group(1))}", text)
    text = _NOUN.sub(lambda m: f"{cc(m.group(1))}{m.group(2)}", text)
    return text
