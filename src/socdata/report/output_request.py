"""The output-checking request: a SACRO/ACRO ``results.json`` beside the outputs of a run.

A trusted research environment releases outputs only after an output checker approves
them.  ``socdata reproduce`` writes ``OUT/output_request/`` in the format of ACRO (the
SACRO project's checker used by UK TREs, ``acro.record.Records.finalise_json``): one
record per released table and figure, with its status (``pass``, ``fail`` or ``review``),
the checks run on it (``sdc``), a summary, and comments for the checker; the files sit
beside ``results.json`` so that SACRO-Viewer (or ``acro.record.load_records``) opens the
folder as it is.

The checks here are *independent* of the control that produced the tables: they read the
written CSV files and look for what an output checker looks for (counts below the
threshold, counts off the rounding base, zeros, unrounded model counts), so a bug in the
control shows up as a ``fail`` rather than passing silently.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from socdata.report.control import Registry, model_count_columns
from socdata.report.disclosure import RuleSet

__all__ = ["ACRO_FORMAT_VERSION", "check_table", "write_output_request"]

#: ACRO version whose ``results.json`` layout this writer follows (``load_records``
#: refuses a file whose ``version`` differs from the installed ACRO's).
ACRO_FORMAT_VERSION = "1.0.2"

_COUNT_COLUMNS = ("numerator", "denominator", "n")

#: What each figure shows, for the checker (name prefix -> comment).
_FIGURE_NOTES = {
    "swimmer": (
        "fail",
        "one bar per young person (individual-level records): not for release from a "
        "secure setting; drawn only when --swimmer-plots was given",
    ),
    "duration_km": (
        "review",
        "Kaplan-Meier curve drawn from the controlled survival table: every released step "
        "is backed by at least survival_safe_threshold people (events grouped otherwise)",
    ),
    "did_event_study": (
        "review",
        "event-study coefficients and intervals from did_event_study.csv (controlled model "
        "output; estimates at the precision of their standard errors)",
    ),
    "love": ("review", "standardised mean differences from matching_balance.csv"),
}


def _sdc(threshold_cells: list, off_base: list, zeros: list, suppressed: bool) -> dict:
    return {
        "summary": {
            "suppressed": suppressed,
            "negative": 0,
            "missing": 0,
            "threshold": len(threshold_cells),
            "p-ratio": 0,
            "nk-rule": 0,
            "all-values-are-same": 0,
            "rounding": len(off_base),
            "zeros": len(zeros),
        },
        "cells": {
            "negative": [],
            "missing": [],
            "threshold": threshold_cells,
            "p-ratio": [],
            "nk-rule": [],
            "all-values-are-same": [],
            "rounding": off_base,
            "zeros": zeros,
        },
    }


def _count_cells(frame: pd.DataFrame) -> list[tuple[int, str, float]]:
    """(row, column, value) of every released count in a written table."""
    cells = []
    measure = (
        frame["measure"].astype(str).str.lower()
        if "measure" in frame
        else pd.Series("", index=frame.index)
    )
    for i in frame.index:
        if measure[i] == "n" and "value" in frame:
            cells.append((i, "value", frame.at[i, "value"]))
    cols = [c for c in _COUNT_COLUMNS if c in frame]
    if "measure" not in frame:
        cols = list(dict.fromkeys([*cols, *model_count_columns(frame)]))
    for c in cols:
        for i in frame.index:
            cells.append((i, c, frame.at[i, c]))
    out = []
    for i, c, v in cells:
        v = pd.to_numeric(pd.Series([v]), errors="coerce").iloc[0]
        if not pd.isna(v):
            out.append((int(i), str(c), float(v)))
    return out


def check_table(frame: pd.DataFrame, rules: RuleSet) -> tuple[str, dict, str]:
    """Check one written table as an output checker would.

    Returns
    -------
    tuple
        ``(status, sdc, summary)``: ``fail`` when a count is below the threshold or off the
        rounding base, ``review`` when zeros are shown (ACRO counts zeros as disclosive by
        default; here the checker decides), ``pass`` otherwise.
    """
    counts = _count_cells(frame)
    small = [[i, c] for i, c, v in counts if rules.is_small(v)]
    off = [
        [i, c] for i, c, v in counts if rules.rounding_base > 1 and v % rules.rounding_base != 0
    ]
    zeros = [[i, c] for i, c, v in counts if v == 0]
    status_col = frame.get("disclosure_status")
    suppressed = bool(
        status_col is not None and status_col.astype(str).str.startswith("suppressed").any()
    )
    if small or off:
        status = "fail"
        summary = f"fail; threshold: {len(small)} cells; rounding: {len(off)} cells"
    elif zeros and not rules.zeros_are_disclosive:
        status = "review"
        summary = f"review; {len(zeros)} zero count(s) shown: check they are structural"
    else:
        status = "pass"
        summary = "pass" + ("; suppression applied" if suppressed else "")
    return status, _sdc(small, off, zeros, suppressed), summary


def _figure_record(path: Path, rules: RuleSet, synthetic: bool) -> tuple[str, str]:
    for prefix, (status, note) in _FIGURE_NOTES.items():
        if path.stem.startswith(prefix):
            if synthetic:
                return "review", f"bundled synthetic data (no real person); {note}"
            return status, note
    return "review", "figure drawn from the run's controlled tables"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_output_request(
    out_dir: str | Path,
    rules: RuleSet,
    *,
    synthetic: bool,
    comments: dict[str, str] | None = None,
    folder: str = "output_request",
) -> Path:
    """Write ``out_dir/<folder>/results.json`` (ACRO format) for every table and figure.

    Parameters
    ----------
    out_dir
        Output folder of the run (``tables/*.csv``, ``figures/*.png``, ``report.html``).
    rules
        The rule set in force (written into every record's ``properties``).
    synthetic
        Whether the run used the bundled synthetic extracts (said in every comment).
    comments
        Researcher's comments by output name (table id or figure file stem).
    folder
        Name of the request folder inside ``out_dir``.

    Returns
    -------
    pathlib.Path
        The folder written (``results.json``, the files, ``checksums/``).
    """
    out_dir = Path(out_dir)
    dest = out_dir / folder
    dest.mkdir(parents=True, exist_ok=True)
    comments = dict(comments or {})
    when = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    context = (
        "bundled synthetic extracts: no real person; disclosure control off"
        if synthetic
        else f"real extracts; rule set {rules.name}"
    )
    params = rules.acro_parameters()
    records: dict[str, Any] = {}

    def add(kind: str, name: str, status: str, sdc: dict, summary: str, file: Path) -> None:
        uid = f"output_{len(records)}"
        shutil.copyfile(file, dest / file.name)
        note = [context, *([comments[name]] if name in comments else [])]
        records[uid] = {
            "uid": uid,
            "status": status,
            "type": kind,
            "properties": {"name": name, "rule_set": rules.name, **params},
            "files": [{"name": file.name, "sdc": sdc}],
            "outcome": {},
            "command": f"socdata reproduce ({kind}: {name})",
            "summary": summary,
            "timestamp": when,
            "comments": note,
            "exception": "",
            "fair": {},
        }

    conflicts = Registry(out_dir).conflicts()
    for path in sorted((out_dir / "tables").glob("*.csv")):
        frame = pd.read_csv(path)
        if synthetic or not rules.enabled:
            status, sdc, summary = "pass", _sdc([], [], [], False), "pass; synthetic data"
            if not synthetic:
                status, summary = "fail", "fail; disclosure control switched off on real data"
        else:
            status, sdc, summary = check_table(frame, rules)
            if path.stem in conflicts:
                cells = conflicts[path.stem]
                status = "fail"
                summary = (
                    f"fail; {len(cells)} cell(s) shown here are suppressed in "
                    f"{sorted({t for _r, _c, t in cells})}"
                )
        add("table", path.stem, status, sdc, summary, path)
    for path in sorted((out_dir / "figures").glob("*.png")):
        status, note = _figure_record(path, rules, synthetic)
        comments.setdefault(path.stem, note)
        add("custom", path.stem, status, _sdc([], [], [], False), status, path)
    report = out_dir / "report.html"
    if report.exists():
        comments.setdefault("report", "the run's report: every number in it comes from the tables")
        add("custom", "report", "review", _sdc([], [], [], False), "review", report)
    results = {
        "version": ACRO_FORMAT_VERSION,
        "tool": {
            "@type": "SoftwareApplication",
            "name": "socdata (ACRO results format)",
            "url": "https://github.com/AI-SDC/ACRO",
            "version": ACRO_FORMAT_VERSION,
        },
        "results": records,
    }
    (dest / "results.json").write_text(
        json.dumps(results, indent=4, default=_json_default), encoding="utf-8"
    )
    sums = dest / "checksums"
    sums.mkdir(exist_ok=True)
    for f in dest.iterdir():
        if f.is_file():
            (sums / f"{f.name}.txt").write_text(_sha256(f), encoding="utf-8")
    return dest


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
