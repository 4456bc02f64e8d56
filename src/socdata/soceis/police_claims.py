"""The claims of the March 2024 summary's police section, and where their printed figures are.

Each :class:`Claim` points at its row of ``data/published/soceis_march2024.csv`` or
``aff_submission_2024.csv``; :func:`printed_figure` reads it. No printed number is written
here: change the transcription in ``data/published`` and the statements follow.

Examples
--------
>>> from socdata.soceis.police_claims import printed_figure
>>> printed_figure("march2024_police", "Identified in police data", "pct").value
'77'
"""

from __future__ import annotations

import dataclasses
import functools

import pandas as pd

from socdata.errors import SocdataError
from socdata.paths import published_dir
from socdata.review import read_published

__all__ = ["CLAIMS", "MAIN_OFFENCES", "MID_TEENS", "Claim", "Printed", "printed_figure"]

_SOURCE_MARCH = "March 2024 executive summary, Outcomes: Rates of offending and missing episodes"
_SOURCE_AFC = "Action for Children submission (missing children in Wales, 2024)"
_FILES = {"march2024": "soceis_march2024.csv", "aff": "aff_submission_2024.csv"}

#: "In their mid-teens": aged 14, 15 or 16 (completed years) at referral.
MID_TEENS = (14, 16)
#: The harmonised offence categories of "violence, public order, drug offences or
#: possession of a weapon".
MAIN_OFFENCES = frozenset(
    {"Violence against the person", "Public order", "Drug offences", "Possession of weapons"}
)


# --------------------------------------------------------------------------------------
# the printed figures
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Printed:
    """One printed figure: ``value`` and ``denominator`` as printed (text), its locator."""

    value: str
    denominator: str
    locator: str

    @property
    def number(self) -> int:
        """The value as a whole number (counts and percentages)."""
        return int(float(self.value.replace(",", "")))

    @property
    def base(self) -> int:
        """The printed denominator as a whole number."""
        return int(float(self.denominator.replace(",", "")))


@functools.lru_cache(maxsize=1)
def _published() -> pd.DataFrame:
    files = [read_published(published_dir() / f) for f in _FILES.values()]
    return pd.concat(files, ignore_index=True)


def printed_figure(table_id: str, row_label: str, measure: str) -> Printed:
    """The printed figure of ``data/published`` at ``table_id``, ``row_label``, ``measure``.

    Raises
    ------
    SocdataError
        No such figure, or more than one.
    """
    pub = _published()
    hit = pub[
        (pub["table_id"] == table_id)
        & (pub["row_label"] == row_label)
        & (pub["measure"] == measure)
    ]
    if len(hit) != 1:
        raise SocdataError(
            f"data/published: {len(hit)} rows for table_id={table_id!r}, "
            f"row_label={row_label!r}, measure={measure!r}; the police statements need exactly "
            "one (check the transcription in data/published)"
        )
    r = hit.iloc[0]
    return Printed(str(r["value"]), str(r["denominator_as_printed"]), str(r["locator"]))


# --------------------------------------------------------------------------------------
# the claims
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Claim:
    """One claim of the printed text and where its printed figure is.

    ``figure`` is ``(table_id, row_label, measure)`` of its row in ``data/published``
    (``None`` for a claim that prints no figure, e.g. "a reduction"); ``statement`` and
    ``printed_as`` are filled with that row's ``{value}`` and ``{denominator}`` (and
    ``{pct}``, the row of the same label with measure ``pct``). ``kind`` says how the claim
    is regenerated.
    """

    statement_id: str
    statement: str
    figure: tuple[str, str, str] | None
    kind: str
    printed_as: str = "{value}"
    source: str = _SOURCE_MARCH

    def printed(self) -> Printed:
        """The printed figure (raises :class:`SocdataError` for a claim without one)."""
        if self.figure is None:
            raise SocdataError(f"{self.statement_id}: this claim prints no figure")
        return printed_figure(*self.figure)

    def _fill(self, template: str) -> str:
        if self.figure is None:
            return template
        p = self.printed()
        pct = (
            printed_figure(self.figure[0], self.figure[1], "pct").value
            if "{pct}" in template
            else ""
        )
        return template.format(value=p.value, denominator=p.denominator, pct=pct)

    def text(self) -> str:
        """The statement, with the printed figures in it."""
        return self._fill(self.statement)

    def printed_text(self) -> str:
        """What the claim prints, in lower case (``"most"``, ``"77% (190/248)"``)."""
        return self._fill(self.printed_as).lower()


_M = "march2024_police"
_AFC = "aff_cardiff_missing"
_WHO = (_M, "White, male and in their mid-teens", "fraction")
_DOWN = (_M, "Areas with fewer young people arrested and fewer offences after referral", "n")
_DRUGS = (_M, "Areas with a decline in drug-offence arrests", "n")
_AREAS = "{value} of {denominator} areas"

#: Every claim of the police section, in print order, then Action for Children's.
CLAIMS: tuple[Claim, ...] = (
    Claim("S01", "Most young people referred to the Service were white", _WHO, "white"),
    Claim("S02", "Most young people referred to the Service were male", _WHO, "male"),
    Claim("S03", "Young people referred were in their mid-teens", _WHO, "mid_teens",
          "mid-teens"),
    Claim("S04", "Around half were living in the most deprived areas of each city",
          (_M, "Living in the most deprived areas", "fraction"), "deprived"),
    Claim("S05", "Seventy-seven percent ({value}/{denominator}) of young people referred to "
          "the Service were identified in police administrative data",
          (_M, "Identified in police data", "n"), "found", "{pct}% ({value}/{denominator})"),
    Claim("S06", "Most young people were referred to the Service following arrest",
          (_M, "Referred following arrest", "fraction"), "after_arrest"),
    Claim("S07", "Over 70% of young people had multiple arrests recorded",
          (_M, "Multiple arrests recorded", "fraction"), "multiple_arrests"),
    Claim("S08", "The main offences were for violence, public order, drug offences or "
          "possession of a weapon", None, "offences", "violence, public order, drugs, weapons"),
    Claim("S09", "Following referral there was a reduction in the number of young people "
          "arrested for three of the four areas", _DOWN, "people_arrested_down", _AREAS),
    Claim("S10", "Following referral there was a reduction in the number of offences for "
          "three of the four areas", _DOWN, "offences_down", _AREAS),
    Claim("S11", "There was an increase in the number of arrests for one area",
          (_M, "Areas with an increase in arrests", "n"), "arrests_up", _AREAS),
    Claim("S12", "In two areas there was a decline in the number of arrests for drug offences",
          _DRUGS, "drug_arrests_down", _AREAS),
    Claim("S13", "In two areas there was a decline in the number of young people arrested "
          "for drug offences", _DRUGS, "people_drug_down", _AREAS),
    Claim("S14", "Reductions were also noted in the number of arrests for other types of "
          "offences", None, "other_arrests_down", "reduction"),
    Claim("S15", "Most young people had missing episodes prior to referral",
          (_M, "Missing episodes before referral", "fraction"), "missing_before"),
    Claim("S16", "Three quarters of young people had multiple missing episodes",
          (_M, "Multiple missing episodes", "fraction"), "multiple_missing"),
    Claim("S17", "Following engagement with the Service there was a reduction in the number "
          "of missing episodes", None, "missing_down", "reduction"),
    Claim("A01", "Cardiff: {value} missing incidents before referral to the service",
          (_AFC, "Missing incidents before referral", "n"), "cardiff_before",
          source=_SOURCE_AFC),
    Claim("A02", "Cardiff: {value} missing incidents after referral to the service",
          (_AFC, "Missing incidents after referral", "n"), "cardiff_after",
          source=_SOURCE_AFC),
    Claim("A03", "Cardiff: {value} young people supported from 2020 to 2023",
          (_AFC, "Young people supported 2020-2023", "n"), "cardiff_supported",
          source=_SOURCE_AFC),
    Claim("A04", "Cardiff: {value}% of the {denominator} young people had missing concerns "
          "noted", (_AFC, "Missing episodes noted", "pct"), "cardiff_concerns", "{value}%",
          source=_SOURCE_AFC),
)  # fmt: skip
