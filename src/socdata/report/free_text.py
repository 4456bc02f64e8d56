"""Free text (warnings, notes, explanations) on its way into the report and manifest."""

from __future__ import annotations

import re

from socdata.report.disclosure import RuleSet

__all__ = ["mask_small_numbers"]

_INTEGER = re.compile(r"(?<![\w.\-])(\d+)(?![\w.\-])")


def mask_small_numbers(text: str, rules: RuleSet) -> str:
    """Replace whole numbers ``1 <= n < threshold`` in free text by ``[c]``.

    Warnings and notes are free text (``"3 of 57 engagers not analysed"``); under a rule
    set other than ``none`` their small counts are masked before they reach the report
    or the manifest.  Larger numbers are left as they are (they may be years or ids of
    rules), so free text is never as safe as a controlled table.
    """
    if not rules.enabled or rules.threshold <= 1:
        return text

    def repl(m: re.Match[str]) -> str:
        n = int(m.group(1))
        return "[c]" if 0 < n < rules.threshold else m.group(1)

    return _INTEGER.sub(repl, text)
