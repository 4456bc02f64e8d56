"""The steps of a run around the notebooks: validating, comparing with the published
figures, auditing them, and masking free text for the report.  (The output folder is
claimed and its previous outputs removed by :mod:`socdata.run_folders`.)

The heavy modules (validation, the comparison, the audit) are imported inside the steps,
not at the top: ``reproduce`` starts the notebook kernels first, and these imports then
run while the kernels start (measured in ``benchmarks/bench_reproduce.py``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from socdata.errors import SocdataError
from socdata.io.options import ReadOptions
from socdata.pipeline.context import POLICE_KINDS
from socdata.pipeline.results import NotebookRun
from socdata.report.control import control_text
from socdata.report.disclosure import RuleSet
from socdata.report.validation import ValidationSummary
from socdata.safe_output import write_csv

__all__ = [
    "all_tables",
    "audit_step",
    "compare_step",
    "judge_printed_step",
    "mask_small_numbers",
    "published_run",
    "validate_step",
    "warm_step",
]

Say = Callable[[str], Any]


def validate_step(
    data_dir: Path, say: Say, read_options: ReadOptions | None = None
) -> ValidationSummary:
    """Validate every extract in ``data_dir`` and say one line per extract."""
    from socdata.pipeline.shared import validated_once
    from socdata.report.validation import validation_summary

    options = read_options.to_mapping() if read_options else None
    validation = validation_summary(
        data_dir,
        read_options=read_options,
        # kept in this process's cache, which the notebooks' kernels receive
        validate=lambda kind, _path: validated_once(data_dir, kind, read_options=options),
    )
    for rec in validation.extracts.to_dict(orient="records"):
        if rec["status"] == "absent":
            continue
        detail = (
            f"{rec['valid']} valid, {rec['rejected']} rejected, {rec['unparseable']} unparseable"
            if rec["status"] in ("valid", "rows rejected")
            else rec["message"] or rec["status"]
        )
        say(f"      {rec['kind']:<15} {rec['file']:<22} {rec['status']}: {detail}")
    for n in validation.notes:
        say(f"      note: {n}")
    return validation


def warm_step(ctx: Any, validation: ValidationSummary) -> None:
    """Build, in this process, what several notebooks share, while the kernels start.

    The police person-month panel (:meth:`RunContext.police_panel`, validated against its
    schema as it is built) goes to the kernels with the validated extracts
    (:mod:`socdata.pipeline.handoff`).  It is built only when the three police extracts
    are valid; otherwise the notebook that asks for it builds it and shows why it fails.
    """
    status = dict(zip(validation.extracts["kind"], validation.extracts["status"], strict=True))
    if all(status.get(k) == "valid" for k in POLICE_KINDS):
        with contextlib.suppress(SocdataError):  # the notebook raises it with its context
            ctx.police_panel()


def all_tables(tables_dir: Path) -> pd.DataFrame:
    """Every tidy table a run wrote under ``tables_dir``, stacked."""
    frames = []
    for p in sorted(tables_dir.glob("*.csv")):
        f = pd.read_csv(p)
        if {"table_id", "row_label", "column_label", "measure", "value"} <= set(f.columns):
            frames.append(f)
    if not frames:
        return pd.DataFrame(columns=["table_id", "row_label", "column_label", "measure", "value"])
    return pd.concat(frames, ignore_index=True)


def compare_step(out_dir: Path) -> tuple[pd.DataFrame, Path]:
    """Compare the run's tables with the published figures; write ``comparison.csv``."""
    from socdata.soceis.compare import compare_published  # imports describe (scipy): ~1.5 s

    comparison = compare_published(all_tables(out_dir / "tables")).frame
    path = out_dir / "comparison.csv"
    write_csv(comparison, path, float_format="%.12g")
    return comparison, path


def audit_step(out_dir: Path) -> pd.DataFrame:
    """Audit the published figures against their own arithmetic; write ``audit.csv``.

    The findings of :func:`socdata.review.audit_bundled`, computed once for the audit and
    the comparison (:func:`socdata.soceis.compare.printed_findings`).
    """
    from socdata.soceis.compare import printed_findings

    audit = printed_findings()
    write_csv(audit, out_dir / "audit.csv", float_format="%.12g")
    return audit


def judge_printed_step() -> None:
    """Judge the printed figures before the run's tables exist (while the notebooks run).

    :func:`socdata.soceis.compare.compare_published` first has the review engine judge every
    printed figure; that verdict depends on the printed figures alone and is cached by their
    content, so :func:`compare_step` after the notebooks only matches the run's tables
    (about 0.5 s instead of 3 s; ``benchmarks/bench_reproduce.py``).
    """
    from socdata.soceis.compare import compare_published

    compare_published(
        pd.DataFrame(columns=["table_id", "row_label", "column_label", "measure", "value"])
    )


def mask_small_numbers(text: str, rules: RuleSet) -> str:
    """Control the counts in free text (warnings, errors) before the report shows it.

    One implementation: :func:`socdata.report.control.control_text` (counts rounded to
    the base, 1 to threshold-1 masked, fractions' percentages recomputed).
    """
    return control_text(text, rules)


def published_run(run: NotebookRun, rules: RuleSet) -> dict[str, Any]:
    """A notebook run as the report and manifest show it (free text masked)."""
    d = run.to_dict()
    d["warnings"] = [mask_small_numbers(w, rules) for w in run.warnings]
    if d["error"]:
        d["error"] = mask_small_numbers(d["error"], rules)
    return d
