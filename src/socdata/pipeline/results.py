"""What a ``socdata reproduce`` run did: one :class:`NotebookRun` per notebook and the
:class:`ReproduceRun` of the whole run (a frozen result with ``tidy()`` and ``summary()``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd

from socdata.report.validation import ValidationSummary
from socdata.results import Result, order_tidy

__all__ = ["NotebookRun", "ReproduceRun"]


@dataclasses.dataclass(frozen=True)
class NotebookRun:
    """One executed notebook.

    Attributes
    ----------
    name
        File name, e.g. ``"10_tables_1_2.py"``.
    status
        ``"ok"`` or ``"failed"``.
    seconds
        Wall-clock duration.
    error
        For a failure: the cell and the error (``"cell 4: KeyError: 'area'"``).
    output
        Executed notebook with outputs (under ``out_dir/notebooks``).
    warnings
        Warnings the notebook printed (``ExcludedRowsWarning: ...``, disclosure warnings),
        each once, so that every exclusion reaches the report.
    """

    name: str
    status: str
    seconds: float
    error: str | None = None
    output: Path | None = None
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly mapping (for the manifest and the report)."""
        return {
            "name": self.name,
            "status": self.status,
            "seconds": round(self.seconds, 2),
            "error": self.error,
            "output": str(self.output) if self.output else None,
            "warnings": list(self.warnings),
        }


@dataclasses.dataclass(frozen=True)
class ReproduceRun(Result):
    """What a :func:`reproduce` run did.

    Attributes
    ----------
    out_dir, data_dir
        Output and input folders.
    synthetic
        Whether the inputs are the unmodified bundled synthetic extracts.
    disclosure
        Name of the disclosure rule set applied.
    swimmer_plots
        Whether notebooks were asked to draw swimmer plots.
    validation
        Validation counts per extract.
    notebooks
        Each notebook run, in order.
    report, manifest
        Paths of ``report.html`` and ``manifest.json``.
    tables, figures
        Files written under ``tables/`` and ``figures/``.
    comparison
        Path of ``comparison.csv`` (``None`` when the comparison is unavailable).
    notes
        Notes also printed at the top of the report.
    seconds
        Duration of the whole run.
    provenance
        Inputs hashed, parameters, version (inherited from :class:`socdata.results.Result`).
    """

    out_dir: Path
    data_dir: Path
    synthetic: bool
    disclosure: str
    swimmer_plots: bool
    validation: ValidationSummary
    notebooks: tuple[NotebookRun, ...]
    report: Path
    manifest: Path
    tables: tuple[Path, ...]
    figures: tuple[Path, ...]
    comparison: Path | None
    notes: tuple[str, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        """Whether every notebook ran without error."""
        return all(nb.status == "ok" for nb in self.notebooks)

    @property
    def failed(self) -> tuple[NotebookRun, ...]:
        """The notebooks that failed."""
        return tuple(nb for nb in self.notebooks if nb.status != "ok")

    def tidy(self) -> pd.DataFrame:
        """One row per notebook: ``term`` = notebook, ``estimate`` = seconds, then
        ``status`` and ``error``."""
        frame = pd.DataFrame(
            {
                "term": [nb.name for nb in self.notebooks],
                "estimate": [round(nb.seconds, 2) for nb in self.notebooks],
                "status": [nb.status for nb in self.notebooks],
                "error": [nb.error or "" for nb in self.notebooks],
            }
        )
        return order_tidy(frame)

    def summary(self) -> str:
        """Short readable account of the run."""
        lines = [
            f"socdata reproduce: {'OK' if self.ok else 'FAILED'} in {self.seconds:.1f} s "
            f"(socdata {self.provenance.version})",
            f"data: {self.data_dir} ({'bundled synthetic' if self.synthetic else 'real'})",
            f"disclosure rule set: {self.disclosure}",
            f"notebooks: {sum(nb.status == 'ok' for nb in self.notebooks)}/"
            f"{len(self.notebooks)} ok",
            f"tables: {len(self.tables)}, figures: {len(self.figures)}",
            f"report: {self.report}",
            f"manifest: {self.manifest}",
        ]
        lines.extend(f"FAILED {nb.name}: {nb.error}" for nb in self.failed)
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()
