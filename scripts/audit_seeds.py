"""Write the audited seeds to ``docs/findings/*.md``.

Usage::

    python scripts/audit_seeds.py            # write the pages
    python scripts/audit_seeds.py --check    # exit 1 if a page is out of date

The four documents are audited together (``socdata.review.audit_bundled``) so that a
figure printed in two documents is compared across them; each page lists the findings
anchored in its own document.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from socdata.review import audit_bundled
from socdata.review.render import findings_markdown

ROOT = Path(__file__).resolve().parents[1]
JUNE = """**In short.** Tables 1, 2 and 5 and the Table 4 counts are internally consistent
(every total, every Overall column, every percentage of Table 5 with its printed n). The
problems:

* section 3.2: the six referral reasons (154 + 28 + 16 + 12 + 5 + 8) add to 223, while the
  text says 222 young people had data;
* Table 3: 66% male cannot be a share of Dundee's 10 referrals (6/10 = 60%, 7/10 = 70%);
  the Overall 94% needs Dundee to be 7 or 8 of 10;
* Table 4, case status, Overall: Open 37% and Closed 63% are shares of 210 (open + closed),
  while the rest of the column divides by 223; the column adds to 106%;
* section 5.1: 30 closed Cardiff cases "where the young person engaged" exceeds the 57 - 31
  = 26 closed Cardiff cases of Table 4 that did not decline support; "Two-thirds (63%: 19)"
  of 30 is not two-thirds (19/30 = 63.3%; two-thirds of 30 is 20);
* section 5.1, open cases: the lead-in says 18, but 63% (10), 69% (11) and "over two-thirds"
  only work with 16 (10/16 = 62.5%, 11/16 = 68.75%); 82% (13) works with no n at all
  (13/16 = 81.25%, 13/15 = 86.7%);
* section 1.0 cites "10,613 victims ... 14.5 of whom were flagged": a count cannot be 14.5
  (probably 14.5% with the sign lost).

Table 4's Edinburgh total of 101% and Newcastle's closure reasons (30 + 53 + 8 + 10 = 101%) are
rounding: every part is correctly rounded. Whether the figures are read with half-up or
half-even rounding matters: 62.5% printed as 63 (Table 5, 5.1) and 52.5% printed as 53
(Table 4) are right under half-up only.

Checked by hand (no mechanical rule): the statements around Table 5 agree with it (most
prevalent domains emotional regulation 78%, thinking and behaviour 75%, relationships 63%;
peer mapping higher in Cardiff 85% and Dundee 100%; Edinburgh's most cited contextual
safeguarding 83% and education/employability 75%), and Cardiff's older referrals (mean 16)
versus Newcastle's (14). The report's cross-references are off: 3.2 cites Table 3 for
referral sources and Table 4 for referral reasons (Table 4 has sources, no table has
reasons), and 2.1.2/2.1.3 cite Appendix Tables 5, 6 and 7 for participants listed in Tables
6, 7 and 8. The executive summary's "77% reduction in offending" is 77% of 30 closed Cardiff
cases with reduced offending (section 5.1), not a 77% fall in offending."""

MARCH = """**In short.** The summary prints few checkable numbers. 77% (190/248) is right. Its
248 young people engaged "between July 2020 and January 2023" disagrees with the June 2023
report's 223 for the same period (the June report lacked Dundee's service data; the
summary does not say what changed). "Over 70%", "most", "around half" and "three quarters"
come without counts or bases and cannot be checked."""

AFF = """**In short.** The Flintshire percentages cannot be shares of the stated cohort of 15
children: 8 of the 13 (63%, 75%, 56%, 56%, 94%, 57%, 17%, 62%) are no whole number out of
15, and the smallest cohort that reproduces all 13 is 84. The Cardiff outcomes restate
section 5.1 of the June 2023 report and carry its problems: "Two-thirds" for 19 of 30, and
82% / 63% / 63% "of 18" open cases, which no count out of 18 gives. "Most of the 16-18 age
group" looks like a misreading of the report's "Most (16)" of 18 open cases. The 248
children agrees with the March 2024 summary but not with the June 2023 report's 223."""

JAY = """**In short.** The Jay Review's full report and its executive summary disagree on a
headline figure: the people arrested through the County Lines Programme in England and Wales
since 2019 are 15,623 in the full report (infographic, line 1641; text, lines 1714 and 2089)
and in the summary's own text (summary line 178), but 5,623 in the summary's infographic
(summary line 108), 10,000 fewer. The other infographic numbers of the summary are missing
from its text, so the lost "1" may be an extraction artefact; as printed, the two cannot
both hold. Two more figures fail their own arithmetic:

* NRM referrals of children by nation (line 2063): 6,657 + 348 + 306 + 110 = 7,421, not the
  7,432 the same sentence gives as their total (11 referrals unaccounted for);
* "an increase of 45% since 2021" (lines 1607, 1962 and 2063, summary line 80): with the
  5,468 referrals of 2021 printed on line 2063, the increase is 7,432 / 5,468 - 1 = 35.9%
  (36%, not 45%); 45% would need about 5,126 referrals in 2021 (7,432 / 1.45).

Checked and consistent: criminal exploitation as 42% of referrals (3,123 / 7,432 = 42.0%),
"over 40%" of those relating to county lines (1,280 / 3,123 = 41.0%), and Police Scotland's
236 concerns (167 + 69). Most national figures are cited counts without a base and cannot be
checked. The review's 70 "organisations or individuals" are the Action for Children
submission's "70 witnesses"."""

PAGES = {
    "soceis_june2023.csv": (
        "soceis_june2023.md",
        "Findings: SOCEIS evaluation report (June 2023)",
        JUNE,
    ),
    "soceis_march2024.csv": (
        "soceis_march2024.md",
        "Findings: SOCEIS evaluation executive summary (March 2024)",
        MARCH,
    ),
    "aff_submission_2024.csv": (
        "aff_submission_2024.md",
        "Findings: Action for Children submission (2024)",
        AFF,
    ),
    "jay_review_2024.csv": (
        "jay_review_2024.md",
        "Findings: the Jay Review of Criminally Exploited Children (March 2024)",
        JAY,
    ),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a page is out of date")
    args = parser.parse_args(argv)
    result = audit_bundled()
    out_dir = ROOT / "docs" / "findings"
    out_dir.mkdir(parents=True, exist_ok=True)
    stale = []
    for file, (page, title, intro) in PAGES.items():
        text = findings_markdown(result, file=file, title=title, intro=intro)
        path = out_dir / page
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path))
            continue
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print("out of date: " + ", ".join(stale) + " (run python scripts/audit_seeds.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
