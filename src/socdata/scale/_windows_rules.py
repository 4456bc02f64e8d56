"""Rules of a windows table checked by the engine before any rate is computed (private).

:func:`socdata.scale.police.before_after_windows` sums a windows table (one row per engager
and window, the layout of :func:`socdata.derive.police.referral_windows`) with ``GROUP BY``;
a damaged table would be summed silently (SQL sums skip ``NULL``, a repeated window is
added twice, a person without an ``after`` row would count with no after window).  One
aggregate query, written in SQL that DuckDB and Spark both run, counts the rows and people
breaking each rule and takes an example person (masked in the message); any breach is one
:class:`~socdata.errors.SocdataError` listing every rule broken, so a supplier can fix
them all at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from socdata.errors import SocdataError
from socdata.scale._sql import ansi_quote

__all__ = ["check_windows", "windows_rules_sql"]

_INF = "CAST('Infinity' AS DOUBLE)"


def _bad_number(q: Callable[[str], str], col: str, whole: bool) -> str:
    """SQL: the value is missing, not a number, infinite, negative (or not whole)."""
    x = f"CAST({q(col)} AS DOUBLE)"
    cond = f"{q(col)} IS NULL OR isnan({x}) OR {x} = {_INF} OR {x} < 0"
    return cond + (f" OR {x} <> floor({x})" if whole else "")


def _row_rules(q: Callable[[str], str], measures: Sequence[str]) -> list[tuple[str, str, str]]:
    """(name, SQL condition on a row, rule text) of every row-level rule."""
    w = q("window")
    rules = [
        (
            "window",
            f"{w} IS NULL OR {w} NOT IN ('before', 'after')",
            "column 'window' is 'before' or 'after'",
        ),
        ("full", f"{q('full')} IS NULL", "column 'full' is true or false on every row"),
        (
            "observed_days",
            _bad_number(q, "observed_days", whole=False),
            "column 'observed_days' is a number >= 0 on every row",
        ),
    ]
    for j, m in enumerate(measures):
        rules.append(
            (
                f"m{j}",
                _bad_number(q, m, whole=True),
                f"column {m!r} is a whole count >= 0 on every row",
            )
        )
    return rules


def windows_rules_sql(
    measures: Sequence[str], quote: Callable[[str], str] = ansi_quote
) -> tuple[str, list[tuple[str, str]]]:
    """The query (over a table named ``src``) and the (name, rule) of each count it returns.

    Per rule the query returns the number of rows (or people) breaking it and the smallest
    breaking person id as text.
    """
    q = quote
    rules = _row_rules(q, measures)
    inner = [
        "CAST(person_id AS STRING) AS pid",
        f"sum(CASE WHEN {q('window')} = 'before' THEN 1 ELSE 0 END) AS nb",
        f"sum(CASE WHEN {q('window')} = 'after' THEN 1 ELSE 0 END) AS na",
        "count(DISTINCT CAST(area AS STRING)) AS n_area",
        "count(*) AS n_rows",
    ]
    inner += [f"sum(CASE WHEN {cond} THEN 1 ELSE 0 END) AS r_{name}" for name, cond, _ in rules]
    people = [
        ("nopid", "pid IS NULL", "n_rows", "every row has a person_id"),
        ("dup", "pid IS NOT NULL AND (nb > 1 OR na > 1)", "1", "one row per person and window"),
        (
            "lack",
            "pid IS NOT NULL AND (nb = 0 OR na = 0)",
            "1",
            "every person has a 'before' and an 'after' row",
        ),
        ("area", "n_area > 1", "1", "a person's area is the same in both windows"),
    ]
    outer, names = [], []
    for name, cond, weight, rule in people:
        outer += [
            f"sum(CASE WHEN {cond} THEN {weight} ELSE 0 END) AS n_{name}",
            f"min(CASE WHEN {cond} THEN pid END) AS e_{name}",
        ]
        names.append((name, rule))
    for name, _, rule in rules:
        outer += [
            f"sum(r_{name}) AS n_{name}",
            f"min(CASE WHEN r_{name} > 0 THEN pid END) AS e_{name}",
        ]
        names.append((name, rule))
    sql = f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(inner)} FROM src GROUP BY person_id)"
    return sql, names


def check_windows(
    fetch_one: Callable[[str], Sequence[object]],
    measures: Sequence[str],
    source: str,
    function: str,
    quote: Callable[[str], str] = ansi_quote,
) -> None:
    """Raise one :class:`SocdataError` naming every rule the windows table breaks.

    Parameters
    ----------
    fetch_one
        Runs a query over the table (named ``src``) and returns its single row.
    measures
        The count columns summed (``arrests``, ``offences``, ...).
    source, function
        The table's description and the calling function, for the message.
    quote
        How the engine quotes identifiers (``socdata.scale._sql.ansi_quote`` for DuckDB,
        ``backtick_quote`` for Spark).
    """
    from socdata.did._encode import mask_id

    sql, names = windows_rules_sql(measures, quote)
    row = list(fetch_one(sql))
    broken = []
    for i, (_, rule) in enumerate(names):
        n, example = row[2 * i], row[2 * i + 1]
        if n:
            people = names[i][0] in {"dup", "lack", "area"}
            unit = ("person" if n == 1 else "people") if people else ("row" if n == 1 else "rows")
            who = f", e.g. person {mask_id(example)}" if example is not None else ""
            broken.append(f"'{rule}': {int(n)} {unit}{who}")
    if broken:
        raise SocdataError(
            f"{function}: the windows table ({source}) breaks "
            + ("these rules" if len(broken) > 1 else "the rule")
            + ": "
            + "; ".join(broken)
            + ". Nothing was summed. Make the table with "
            "socdata.derive.police.referral_windows, or fix those rows."
        )
