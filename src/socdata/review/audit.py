"""Run every consistency check on a published-figures table.

The input is the tidy format of ``data/published/`` (columns :data:`PUBLISHED_COLUMNS`);
tags in ``note`` (``{total}``, ``{base}``, ``{n=..}``, ``{k=..}``, ``{key=..}``,
``{le=..}``, ``{notpart}``) carry the inferences a check needs (see
``data/published/README.md``). :func:`audit` returns an :class:`AuditResult` whose
``findings`` frame has one row per check made, plus one ``cannot check`` row for each
figure no check applies to.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pandas as pd

from socdata.paths import published_dir
from socdata.provenance import FlowLog, Provenance
from socdata.published import PUBLISHED_COLUMNS, PUBLISHED_MEASURES
from socdata.results import Result, order_tidy
from socdata.review._audit_checks import (
    _bound_checks,
    _common_denominator_checks,
    _Ctx,
    _duplicate_checks,
    _figure_checks,
    _overall_checks,
    _percent_total_checks,
    _range_checks,
    _sum_checks,
    _unchecked_reason,
)
from socdata.review.checks import (
    VERDICTS,
    Check,
)
from socdata.review.errors import PublishedFiguresError
from socdata.review.rounding import check_rounding, parse_number

#: Allowed values of ``measure``.
MEASURES = PUBLISHED_MEASURES
#: Tags read from ``note``.
TAGS: tuple[str, ...] = ("total", "base", "n", "k", "key", "le", "notpart")
#: Columns of :attr:`AuditResult.findings`.
FINDING_COLUMNS: tuple[str, ...] = (
    "id",
    "check",
    "verdict",
    "source",
    "table_id",
    "row_label",
    "column_label",
    "measure",
    "locator",
    "printed",
    "recomputed",
    "denominator",
    "explanation",
    "rule",
    "file",
    "note",
)
_TAG_RE = re.compile(r"\{(" + "|".join(TAGS) + r")(?:=([^{}]*))?\}")


def parse_tags(note: str) -> dict[str, str]:
    """Tags of a note: ``"{n=84} {total}"`` -> ``{"n": "84", "total": ""}``."""
    return {m.group(1): (m.group(2) or "").strip() for m in _TAG_RE.finditer(str(note or ""))}


def _where(file: str, row: int) -> str:
    return f"{file}, row {row + 2}" if file else f"row {row + 2}"


def read_published(source: pd.DataFrame | str | Path, *, file: str = "") -> pd.DataFrame:
    """Read and validate a published-figures table (a frame, a CSV file or a folder of CSVs).

    Returns a copy with every column as text and a ``file`` column. Raises
    :class:`~socdata.review.errors.PublishedFiguresError` naming the file, row, column, value
    and rule for anything the audit cannot use.
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.is_dir():
            files = sorted(path.glob("*.csv"))
            if not files:
                raise PublishedFiguresError(f"{path}: folder has no .csv files to audit")
            return pd.concat([read_published(f) for f in files], ignore_index=True)
        if not path.exists():
            raise PublishedFiguresError(
                f"{path}: no such file; give a CSV in the format of data/published/ "
                "(see socdata.paths.published_dir())"
            )
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise PublishedFiguresError(f"{path}: cannot be read as CSV ({exc})") from exc
        return read_published(frame, file=path.name)
    if not isinstance(source, pd.DataFrame):
        raise PublishedFiguresError(
            f"published must be a DataFrame, a CSV path or a folder; got {type(source).__name__}"
        )
    frame = source.copy()
    label = file or (str(frame["file"].iloc[0]) if "file" in frame and len(frame) else "")
    missing = [c for c in PUBLISHED_COLUMNS if c not in frame.columns]
    if missing:
        raise PublishedFiguresError(
            f"{label or 'published figures'}: missing column(s) {missing}; columns present: "
            f"{list(frame.columns)[:12]}. The format is: {', '.join(PUBLISHED_COLUMNS)}"
        )
    frame = frame.fillna("")
    for c in PUBLISHED_COLUMNS:
        frame[c] = frame[c].astype(str).str.strip()
    if "file" not in frame.columns:
        frame["file"] = file
    frame = frame.reset_index(drop=True)
    problems = []
    for i, r in frame.iterrows():
        where = _where(r["file"], int(i))  # type: ignore[arg-type]
        if r["measure"] not in MEASURES:
            problems.append(
                f"{where}, column 'measure': {r['measure']!r} is not one of {', '.join(MEASURES)}"
            )
        elif r["measure"] != "fraction" and r["value"] not in ("", "-"):
            if parse_number(r["value"]) is None:
                problems.append(
                    f"{where}, column 'value': {r['value']!r} is not a number (measure "
                    f"{r['measure']!r}); print words under measure 'fraction', missing as '-'"
                )
        if not r["table_id"]:
            problems.append(f"{where}, column 'table_id': empty; every figure needs a table id")
        den = r["denominator_as_printed"]
        if den and parse_number(den) is None:
            problems.append(f"{where}, column 'denominator_as_printed': {den!r} is not a number")
    if problems:
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise PublishedFiguresError("; ".join(problems[:10]) + more)
    return frame


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class AuditResult(Result):
    """Findings of :func:`audit`.

    Attributes
    ----------
    findings
        One row per check (columns :data:`FINDING_COLUMNS`); verdicts in
        :data:`~socdata.review.checks.VERDICTS`.
    rounding
        The rounding rule used.
    """

    findings: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    rounding: str = "half_up"

    @property
    def n_inconsistent(self) -> int:
        """Number of findings with verdict ``inconsistent``."""
        return int((self.findings["verdict"] == "inconsistent").sum())

    def counts(self) -> pd.Series:
        """Number of findings by verdict (all four verdicts, zeros included)."""
        return self.findings["verdict"].value_counts().reindex(list(VERDICTS), fill_value=0)

    def tidy(self) -> pd.DataFrame:
        """Findings with the standard tidy columns first.

        ``term`` is the finding id, ``estimate`` the printed number when it is one, ``n``
        the denominator used; the statistical columns are empty (a finding is not an
        estimate). The finding columns follow.
        """
        f = self.findings
        out = pd.DataFrame(
            {
                "term": f["id"],
                "estimate": pd.to_numeric(
                    f["printed"].str.rstrip("%").str.replace(",", ""), errors="coerce"
                ),
                "n": f["denominator"],
            }
        )
        out = pd.concat([out, f.drop(columns=["id"])], axis=1)
        return order_tidy(out)

    def _summary_body(self) -> str:
        c = self.counts()
        lines = [
            f"{len(self.findings)} findings: "
            + ", ".join(f"{int(c[v])} {v}" for v in VERDICTS)
            + f" (rounding rule: {self.rounding})"
        ]
        for v in ("inconsistent", "rounding", "cannot check"):
            sub = self.findings[self.findings["verdict"] == v]
            if sub.empty:
                continue
            lines += ["", f"{v.upper()} ({len(sub)})"]
            for r in sub.itertuples(index=False):
                label = " / ".join(x for x in (r.table_id, r.row_label, r.column_label) if x)
                lines.append(f"- [{r.id}] {label} ({r.locator}): printed {r.printed}")
                if v != "cannot check":
                    lines.append(f"    {r.explanation}")
        return "\n".join(lines)


def audit(
    published: pd.DataFrame | str | Path,
    *,
    rounding: str = "half_up",
    decimals: int | None = None,
) -> AuditResult:
    """Run every consistency check on published figures.

    Parameters
    ----------
    published
        A frame, CSV file or folder of CSVs in the format of ``data/published/``.
    rounding
        Rounding rule assumed for printed percentages and means: ``"half_up"`` (default),
        ``"half_even"`` or ``"truncate"``.
    decimals
        Decimal places of printed percentages; ``None`` (default) reads them from each
        printed value.

    Returns
    -------
    AuditResult
        ``findings``: one row per check (``id, check, verdict, ..., printed, recomputed,
        explanation, rule``); figures no check applies to get one ``cannot check`` row.

    Examples
    --------
    >>> res = audit_bundled()
    >>> res.n_inconsistent > 0
    True
    """
    check_rounding(rounding)
    files = {}
    if isinstance(published, (str, Path)):
        p = Path(published)
        if p.is_file():
            files = {"published": p}
    frame = read_published(published)
    frame["_num"] = frame.apply(
        lambda r: None if r["measure"] == "fraction" else parse_number(r["value"]), axis=1
    )
    frame["_tags"] = frame["note"].map(parse_tags)
    ctx = _Ctx(frame=frame, rounding=rounding, decimals=decimals)
    for _, g in frame.groupby(["file", "table_id"], sort=False):
        _figure_checks(ctx, g)
        _common_denominator_checks(ctx, g)
        _range_checks(ctx, g)
        _sum_checks(ctx, g)
        _percent_total_checks(ctx, g)
        _overall_checks(ctx, g)
    _bound_checks(ctx)
    _duplicate_checks(ctx)
    unchecked = [i for i in frame.index if i not in ctx.involved]
    for i in unchecked:
        r = frame.loc[i]
        ctx.add(
            i,
            Check(
                "none",
                "cannot check",
                r["value"] + ("%" if r["measure"] == "pct" else ""),
                "",
                _unchecked_reason(r),
            ),
        )
    out = pd.DataFrame(ctx.rows)
    if out.empty:
        out = pd.DataFrame(columns=["_row", *FINDING_COLUMNS])
    out = out.sort_values("_row", kind="stable").reset_index(drop=True)
    stems = out["file"].map(lambda s: Path(s).stem if s else "published")
    out["id"] = [
        f"{s}-{i:03d}" for s, i in zip(stems, out.groupby(stems).cumcount() + 1, strict=True)
    ]
    out["denominator"] = out["denominator"].astype("Int64")
    out = out[list(FINDING_COLUMNS)]
    n_checked = len(frame) - len(unchecked)
    flow = FlowLog().add(
        "figures with at least one applicable check",
        len(frame),
        n_checked,
        excluded={"no check applies (reported as 'cannot check')": len(unchecked)},
        unit="figures",
    )
    prov = Provenance.build(
        "socdata.review.audit",
        parameters={"rounding": rounding, "decimals": decimals},
        frames={"published": frame[list(PUBLISHED_COLUMNS)]} if not files else None,
        files=files or None,
        n_in=len(frame),
        n_out=n_checked,
        flow=flow,
        notes=(
            f"Percentages and means are assumed rounded by {rounding}"
            + (f" to {decimals} d.p." if decimals is not None else " to the printed decimals."),
            "Rules and worked examples: docs/explanation/review-checks.md.",
        ),
    )
    return AuditResult(provenance=prov, findings=out, rounding=rounding)


def audit_bundled(*, rounding: str = "half_up", decimals: int | None = None) -> AuditResult:
    """Audit every CSV in :func:`socdata.paths.published_dir` together.

    Auditing the files together also compares figures printed in more than one document
    (``{key=...}`` tags across files), e.g. the number of young people engaged.
    """
    return audit(published_dir(), rounding=rounding, decimals=decimals)
