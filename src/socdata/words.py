"""Fraction words ("two-thirds", "most", "over half") and what numbers they can describe.

One vocabulary for the whole package: :mod:`socdata.describe` uses it to *produce* a word
(only when it is true of the numbers) and :mod:`socdata.review` to *check* a printed one.

The vocabulary is declared once, in :data:`FRACTIONS`, :data:`QUALIFIERS` and
:data:`QUANTIFIERS`; :func:`word_interval` turns a phrase into the interval of exact shares
(in percent) it can truthfully describe, and :func:`fraction_word_for` goes the other way.

The rule, with its reasons (see ``docs/explanation/review-checks.md``):

* **A bare fraction** ("two-thirds", "two-fifths", "three quarters", "half") is true of a
  share within **2.5 percentage points** of the fraction, ends included. 2.5 points is the
  precision of a percentage rounded to the nearest 5, and it keeps the intervals of the
  common fractions (fifths, quarters, thirds, halves) from overlapping, so at most one
  fraction word fits any share (1/5 and 1/4 only touch at 22.5). Worked examples: 20/30 =
  66.7% is "two-thirds"; 19/30 = 63.3% is 3.3 points short, so it is *not*; 11/16 = 68.75%
  is.
* **"around / about / approximately / roughly" F**: within 5 points of F.
* **"over / more than" F**: strictly above F (no upper limit; "over two-thirds" of 16 is 11
  or more). **"just over" F**: above F by at most 5 points. **"at least" F**: F or more.
* **"under / less than / fewer than" F**: strictly below F; **"just under / nearly /
  almost" F**: below F by at most 5 points.
* **"most", "majority", "more than half"**: strictly more than 50%. **"vast majority"**:
  at least 80%. **"minority"**: under 50%. **"all"**: 100%; **"none"**: 0%; **"nearly all /
  almost all"**: 90% or more, below 100%.
* **Vague words** ("many", "some", "few", "several") have no agreed numerical meaning:
  checking them returns ``None`` (the audit reports "cannot check").

Percent phrases follow the same qualifiers: "over 70%" is true of shares above 70%.
"""

from __future__ import annotations

import dataclasses
import re
from fractions import Fraction

#: Exact fractions by name (several spellings each), value in percent.
FRACTIONS: dict[str, Fraction] = {
    "all": Fraction(100),
    "none": Fraction(0),
    "half": Fraction(50),
    "a half": Fraction(50),
    "one half": Fraction(50),
    "a third": Fraction(100, 3),
    "one third": Fraction(100, 3),
    "two thirds": Fraction(200, 3),
    "a quarter": Fraction(25),
    "one quarter": Fraction(25),
    "three quarters": Fraction(75),
    "a fifth": Fraction(20),
    "one fifth": Fraction(20),
    "two fifths": Fraction(40),
    "three fifths": Fraction(60),
    "four fifths": Fraction(80),
    "a tenth": Fraction(10),
    "one in ten": Fraction(10),
}

#: Canonical spelling returned by :func:`fraction_word_for` (ordered by value).
CANONICAL: tuple[tuple[str, Fraction], ...] = (
    ("none", Fraction(0)),
    ("a tenth", Fraction(10)),
    ("a fifth", Fraction(20)),
    ("a quarter", Fraction(25)),
    ("a third", Fraction(100, 3)),
    ("two-fifths", Fraction(40)),
    ("half", Fraction(50)),
    ("three-fifths", Fraction(60)),
    ("two-thirds", Fraction(200, 3)),
    ("three quarters", Fraction(75)),
    ("four-fifths", Fraction(80)),
    ("all", Fraction(100)),
)

#: Tolerance of a bare fraction word, in percentage points.
BARE_TOLERANCE = Fraction(5, 2)
#: Tolerance of "around F", "just over F", "nearly F", in percentage points.
LOOSE_TOLERANCE = Fraction(5)

#: Qualifier word -> kind of bound: around, above, just_above, at_least, below or
#: just_below (the table in the module docstring gives each rule).
QUALIFIERS: dict[str, str] = {
    "around": "around",
    "about": "around",
    "approximately": "around",
    "roughly": "around",
    "just over": "just_above",
    "just above": "just_above",
    "over": "above",
    "more than": "above",
    "above": "above",
    "at least": "at_least",
    "just under": "just_below",
    "nearly": "just_below",
    "almost": "just_below",
    "under": "below",
    "less than": "below",
    "fewer than": "below",
    "below": "below",
}

#: Quantifier words -> interval (low, high, low_closed, high_closed) in percent.
QUANTIFIERS: dict[str, tuple[Fraction, Fraction, bool, bool]] = {
    "most": (Fraction(50), Fraction(100), False, True),
    "majority": (Fraction(50), Fraction(100), False, True),
    "the majority": (Fraction(50), Fraction(100), False, True),
    "vast majority": (Fraction(80), Fraction(100), True, True),
    "the vast majority": (Fraction(80), Fraction(100), True, True),
    "minority": (Fraction(0), Fraction(50), True, False),
    "a minority": (Fraction(0), Fraction(50), True, False),
    "nearly all": (Fraction(90), Fraction(100), True, False),
    "almost all": (Fraction(90), Fraction(100), True, False),
}

#: Words with no agreed numerical meaning.
VAGUE: frozenset[str] = frozenset({"many", "some", "few", "a few", "several", "a number"})


@dataclasses.dataclass(frozen=True)
class WordMeaning:
    """What a fraction phrase means: an interval of shares (percent) and the rule in words."""

    phrase: str
    low: Fraction
    high: Fraction
    low_closed: bool
    high_closed: bool
    rule: str

    def contains(self, share: Fraction) -> bool:
        """Whether an exact share (percent) is described truthfully by the phrase."""
        lo_ok = share > self.low or (self.low_closed and share == self.low)
        hi_ok = share < self.high or (self.high_closed and share == self.high)
        return lo_ok and hi_ok

    def interval_text(self) -> str:
        """The interval, e.g. ``[64.17%, 69.17%]`` or ``(50%, 100%]``."""
        f = lambda x: f"{float(x):.2f}".rstrip("0").rstrip(".")  # noqa: E731
        return (
            f"{'[' if self.low_closed else '('}{f(self.low)}%, "
            f"{f(self.high)}%{']' if self.high_closed else ')'}"
        )


def normalise_phrase(phrase: str) -> str:
    """Lower-case, hyphens to spaces, single spaces, no trailing punctuation."""
    s = phrase.strip().lower().replace("\u2011", "-").replace("-", " ")
    s = re.sub(r"\s+", " ", s).strip(" .,:;")
    return s


def _fraction_value(text: str) -> tuple[Fraction, str] | None:
    if text in FRACTIONS:
        return FRACTIONS[text], text
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s?%", text)
    if m:
        return Fraction(m.group(1)), f"{m.group(1)}%"
    return None


def word_interval(phrase: str) -> WordMeaning | None:
    """The interval of shares a phrase can describe, or ``None`` if it has no agreed meaning.

    Examples
    --------
    >>> word_interval("Two-thirds").interval_text()
    '[64.17%, 69.17%]'
    >>> word_interval("Over two-thirds").contains(Fraction(1100, 16))
    True
    >>> word_interval("many") is None
    True
    """
    s = normalise_phrase(phrase)
    if s.startswith("the ") and s[4:] in FRACTIONS:
        s = s[4:]
    if s in QUANTIFIERS:
        lo, hi, lc, hc = QUANTIFIERS[s]
        m = WordMeaning(phrase, lo, hi, lc, hc, "")
        return dataclasses.replace(m, rule=f'"{s}" means a share in {m.interval_text()}')
    if s in VAGUE:
        return None
    bare = _fraction_value(s)
    if bare is not None:
        f, name = bare
        if name in ("all", "none"):
            return WordMeaning(phrase, f, f, True, True, f'"{name}" means exactly {f}%')
        if name.endswith("%"):
            tol = Fraction(1, 2)
            m = WordMeaning(phrase, f - tol, f + tol, True, False, "")
            return dataclasses.replace(m, rule=f'"{name}" printed alone means {m.interval_text()}')
        lo, hi = max(f - BARE_TOLERANCE, Fraction(0)), min(f + BARE_TOLERANCE, Fraction(100))
        m = WordMeaning(phrase, lo, hi, True, True, "")
        return dataclasses.replace(
            m, rule=f'"{name}" ({float(f):.2f}%) +/- 2.5 points: {m.interval_text()}'
        )
    for q in sorted(QUALIFIERS, key=len, reverse=True):
        if s.startswith(q + " "):
            rest = s[len(q) + 1 :]
            if rest.startswith("the "):
                rest = rest[4:]
            val = _fraction_value(rest)
            if val is None:
                return None
            f, name = val
            kind = QUALIFIERS[q]
            lo, hi, lc, hc = {
                "around": (f - LOOSE_TOLERANCE, f + LOOSE_TOLERANCE, True, True),
                "above": (f, Fraction(100), False, True),
                "just_above": (f, f + LOOSE_TOLERANCE, False, True),
                "at_least": (f, Fraction(100), True, True),
                "below": (Fraction(0), f, True, False),
                "just_below": (f - LOOSE_TOLERANCE, f, True, False),
            }[kind]
            m = WordMeaning(phrase, max(lo, Fraction(0)), min(hi, Fraction(100)), lc, hc, "")
            return dataclasses.replace(m, rule=f'"{q} {name}" means {m.interval_text()}')
    return None


def is_known_phrase(phrase: str) -> bool:
    """Whether the phrase is in the vocabulary (including the vague words)."""
    return word_interval(phrase) is not None or normalise_phrase(phrase) in VAGUE


def fraction_word_for(numerator: int, denominator: int) -> str | None:
    """A fraction word that is true of ``numerator / denominator``, or ``None``.

    Only exact fractions are offered (none, a tenth, a fifth, a quarter, a third,
    two-fifths, half, three-fifths, two-thirds, three quarters, four-fifths, all), under the
    rule of :func:`word_interval` (within 2.5 points; "all" and "none" exactly). When two
    fit, the nearer one is returned.

    Examples
    --------
    >>> fraction_word_for(20, 30)
    'two-thirds'
    >>> fraction_word_for(19, 30) is None
    True
    >>> fraction_word_for(12, 30)
    'two-fifths'
    """
    if denominator <= 0 or numerator < 0 or numerator > denominator:
        raise ValueError(
            f"need 0 <= numerator <= denominator and denominator > 0, got {numerator}/{denominator}"
        )
    share = Fraction(100 * numerator, denominator)
    best: tuple[Fraction, str] | None = None
    for name, value in CANONICAL:
        meaning = word_interval(name)
        assert meaning is not None  # vocabulary invariant, not user input
        if meaning.contains(share):
            dist = abs(share - value)
            if best is None or dist < best[0]:
                best = (dist, name)
    return None if best is None else best[1]
