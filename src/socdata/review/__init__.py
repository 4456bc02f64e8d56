"""Consistency checks of published figures (for reviewers).

Can 63% be a share of 15 children? Do the parts add up to the printed total? Does
"two-thirds" describe 19 of 30? :func:`audit` runs every check on a table of published
figures in the format of ``data/published/`` and returns findings with a verdict (``ok``,
``inconsistent``, ``rounding`` or ``cannot check``) and the arithmetic. The checks are also
available one by one.

Examples
--------
>>> from socdata.review import check_percentage, fraction_word_for, percentage_granularity
>>> percentage_granularity(63, 15).verdict
'inconsistent'
>>> fraction_word_for(19, 30) is None
True
"""

from socdata.review.audit import (
    FINDING_COLUMNS,
    MEASURES,
    PUBLISHED_COLUMNS,
    AuditResult,
    audit,
    audit_bundled,
    parse_tags,
    read_published,
)
from socdata.review.checks import (
    RULES,
    VERDICTS,
    Check,
    check_bound,
    check_fraction_word,
    check_overall,
    check_percent_total,
    check_percentage,
    check_range,
    check_sum,
    check_whole_count,
    common_denominators,
    duplicate_figures,
    grim,
    percentage_granularity,
    possible_denominators,
    possible_numerators,
    rounded_denominator,
)
from socdata.review.errors import PublishedFiguresError
from socdata.review.rounding import ROUNDING_RULES, round_share
from socdata.words import WordMeaning, fraction_word_for, word_interval

__all__ = [
    "FINDING_COLUMNS",
    "MEASURES",
    "PUBLISHED_COLUMNS",
    "ROUNDING_RULES",
    "RULES",
    "VERDICTS",
    "AuditResult",
    "Check",
    "PublishedFiguresError",
    "WordMeaning",
    "audit",
    "audit_bundled",
    "check_bound",
    "check_fraction_word",
    "check_overall",
    "check_percent_total",
    "check_percentage",
    "check_range",
    "check_sum",
    "check_whole_count",
    "common_denominators",
    "duplicate_figures",
    "fraction_word_for",
    "grim",
    "parse_tags",
    "percentage_granularity",
    "possible_denominators",
    "possible_numerators",
    "read_published",
    "round_share",
    "rounded_denominator",
    "word_interval",
]
