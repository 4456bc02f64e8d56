"""The output-checking request: a folder an output checker opens in SACRO-Viewer.

Trusted research environments release outputs only after an output checker has approved
them.  The SACRO project's tools (ACRO for researchers, SACRO-Viewer for checkers) share a
format: a folder holding ``results.json`` (every output with its status ``pass``, ``fail``
or ``review``, the checks run, their summary, the researcher's comments and requested
exceptions) and the output files themselves.  :func:`write_output_request` writes that
folder beside the outputs of ``socdata reproduce``, mirroring what ACRO's
``Records.finalise_json`` writes, so the checker's usual tools read it unchanged
(``acro.record.load_records(folder)``).

Status of each output:

* a table written through output control (``disclosure_status`` column) with no cell
  suppressed: ``pass``; with suppressed cells: ``review`` (ACRO's status for a table whose
  disclosive cells were suppressed);
* a table whose free-text columns hold numbers, or a figure: ``review`` (a person must
  look: disclosure control cannot read prose or pixels);
* a table without output control, or any output of a run with control off: ``fail``.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from socdata.report.disclosure import RuleSet, get_rule_set

__all__ = ["ACRO_FORMAT_VERSION", "OUTPUT_REQUEST_DIR", "write_output_request"]

#: ACRO release whose ``results.json`` layout is mirrored.  ``load_records`` refuses a
#: file whose ``version`` differs from the installed ACRO's, so the installed version is
#: written when ACRO is importable.
ACRO_FORMAT_VERSION = "1.0.2"
#: Folder (inside the run's output folder) holding the request.
OUTPUT_REQUEST_DIR = "output_request"

_TEXT_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")
_SDC_KEYS = ("negative", "missing", "threshold", "p-ratio", "nk-rule", "all-values-are-same")


def _acro_version() -> str:
    try:
        from importlib.metadata import version

        return version("acro")
    except Exception:
        return ACRO_FORMAT_VERSION


def _sdc(threshold_cells: list[list[int]], suppressed: bool) -> dict[str, Any]:
    summary: dict[str, Any] = dict.fromkeys(_SDC_KEYS, 0)
    summary["threshold"] = len(threshold_cells)
    summary["suppressed"] = suppressed
    cells: dict[str, list] = {k: [] for k in _SDC_KEYS}
    cells["threshold"] = threshold_cells
    return {"summary": summary, "cells": cells}


def _text_columns(frame: pd.DataFrame) -> list[str]:
    skip = {"table_id", "row_label", "column_label", "measure", "disclosure", "disclosure_status"}
    out = []
    for c in frame.columns:
        if c in skip or pd.api.types.is_numeric_dtype(frame[c]):
            continue
        if frame[c].astype("string").str.contains(_TEXT_NUMBER, na=False).any():
            out.append(str(c))
    return out


def _table_record(path: Path, rules: RuleSet) -> dict[str, Any]:
    frame = pd.read_csv(path, dtype_backend="numpy_nullable")
    checks = ["threshold", "rounding", "secondary suppression", "text numbers"]
    if "disclosure_status" not in frame:
        return {
            "status": "fail",
            "summary": "fail; not written through output control (no disclosure_status)",
            "checks": checks,
            "sdc": _sdc([], False),
            "outcome": pd.DataFrame({"disclosure_status": ["not controlled"]}),
        }
    status_col = frame["disclosure_status"].astype("string").fillna("")
    hidden = status_col.str.startswith("suppressed")
    col = frame.columns.get_loc("value") if "value" in frame else 0
    cells = [[int(i), int(col)] for i in frame.index[hidden]]
    text = _text_columns(frame)
    parts = []
    if not rules.enabled:
        verdict = "fail"
        parts.append(f"disclosure control off (rule set {rules.name})")
    else:
        verdict = "review" if cells or text else "pass"
        if cells:
            parts.append(f"threshold: {len(cells)} cells suppressed")
        if text:
            parts.append(f"text column(s) {text} hold numbers: check by hand")
    summary = "; ".join([verdict, *parts])
    return {
        "status": verdict,
        "summary": summary,
        "checks": checks,
        "sdc": _sdc(cells, bool(cells)),
        "outcome": pd.DataFrame({"disclosure_status": status_col.to_numpy(dtype=object)}),
    }


def _figure_record(path: Path, rules: RuleSet, figure_data: Path | None) -> dict[str, Any]:
    verdict = "fail" if not rules.enabled else "review"
    data = f"figure data {figure_data.name}" if figure_data else "no figure data written"
    return {
        "status": verdict,
        "summary": f"{verdict}; figure: an output checker must look at it ({data})",
        "checks": ["figure: manual review"],
        "sdc": _sdc([], False),
        "outcome": pd.DataFrame({"figure": [path.name]}),
    }


def _entry(
    uid: str, rec: dict[str, Any], kind: str, files: list[str], rules: RuleSet, comments: list[str]
) -> dict[str, Any]:
    return {
        "uid": uid,
        "status": rec["status"],
        "type": kind,
        "properties": {
            "method": "socdata reproduce",
            "rule_set": rules.name,
            "checks": rec["checks"],
        },
        "files": [{"name": f, "sdc": rec["sdc"]} for f in files],
        "outcome": json.loads(rec["outcome"].to_json()),
        "command": f"socdata reproduce ({kind} {uid})",
        "summary": rec["summary"],
        "timestamp": datetime.datetime.now().isoformat(),
        "comments": comments,
        "exception": "",
        "fair": {},
    }


def write_output_request(
    out_dir: str | Path,
    rules: str | RuleSet,
    *,
    comments: Mapping[str, str] | None = None,
    exceptions: Mapping[str, str] | None = None,
    folder: str = OUTPUT_REQUEST_DIR,
) -> Path:
    """Write the SACRO/ACRO output-checking request for a run's outputs.

    Parameters
    ----------
    out_dir
        Output folder of ``socdata reproduce`` (reads ``tables/*.csv`` and
        ``figures/*.png``; writes only inside ``out_dir/<folder>``).
    rules
        The rule set the run applied (written to ``results.json`` under ``rules`` in
        ACRO's vocabulary, and into every record's comments).
    comments
        Researcher's comment per output uid (table id or figure name).
    exceptions
        Requested exception per output uid (why a ``fail``/``review`` should be released).
    folder
        Name of the request folder.

    Returns
    -------
    pathlib.Path
        The request folder: ``results.json``, a copy of every output file and
        ``checksums/<file>.txt`` (SHA-256, as ACRO writes them).
    """
    rules = get_rule_set(rules)
    root = Path(out_dir)
    dest = root / folder
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    comments = dict(comments or {})
    exceptions = dict(exceptions or {})
    rule_note = f"rule set {rules.name}: {rules.describe()}"
    results: dict[str, Any] = {}
    tables = sorted((root / "tables").glob("*.csv"))
    table_stems = {p.stem for p in tables}
    for path in tables:
        shutil.copy2(path, dest / path.name)
        rec = _table_record(path, rules)
        note = [rule_note, *([comments[path.stem]] if path.stem in comments else [])]
        results[path.stem] = _entry(path.stem, rec, "table", [path.name], rules, note)
    for path in sorted((root / "figures").glob("*.png")):
        shutil.copy2(path, dest / path.name)
        data = f"figure_{path.stem}"
        fig_data = root / "tables" / f"{data}.csv" if data in table_stems else None
        rec = _figure_record(path, rules, fig_data)
        note = [rule_note, *([comments[path.stem]] if path.stem in comments else [])]
        uid = f"figure_{path.stem}" if path.stem in results else path.stem
        results[uid] = _entry(uid, rec, "custom", [path.name], rules, note)
    for uid, reason in exceptions.items():
        if uid in results:
            results[uid]["exception"] = reason
    payload = {
        "version": _acro_version(),
        "tool": {
            "@type": "SoftwareApplication",
            "name": "socdata (ACRO results.json layout)",
            "url": "https://github.com/AI-SDC/ACRO",
            "version": _acro_version(),
        },
        "rules": rules.to_acro(),
        "results": results,
    }
    with open(dest / "results.json", "w", encoding="utf-8", newline="") as fh:
        json.dump(payload, fh, indent=4, sort_keys=False)
    sums = dest / "checksums"
    sums.mkdir()
    for f in sorted(dest.iterdir()):
        if f.is_file():
            digest = hashlib.sha256(f.read_bytes()).hexdigest()
            (sums / f"{f.name}.txt").write_text(digest, encoding="utf-8")
    return dest
