"""``socdata reproduce``: validate the extracts, run the notebooks, write the report.

The main job of the package.  On the bundled synthetic extracts it regenerates the June
2023 evaluation's tables and figures; on a folder of real extracts it does the same with
disclosure control on by default and swimmer plots (which show individual records) off
unless asked for.

Steps, each reported through ``progress``:

1. resolve the run context once (:class:`~socdata.pipeline.context.RunContext`: data
   kind, disclosure rule set, swimmer plots, version);
2. validate every extract present (:func:`socdata.report.validation_summary`);
3. run every ``notebooks/NN_*.py`` on warm kernels (:mod:`socdata.pipeline.execute`),
   each receiving the run context; executed copies go to ``out_dir/notebooks/``;
4. compare the regenerated tables with the published figures and audit those figures;
5. write ``report.html`` and ``manifest.json``.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from socdata.io.options import ReadOptions
from socdata.paths import notebooks_dir
from socdata.pipeline.context import ReproduceError, RunContext
from socdata.pipeline.execute import NotebookSession
from socdata.pipeline.handoff import CacheHandoff
from socdata.pipeline.notebooks import list_notebooks, select_notebooks
from socdata.pipeline.results import NotebookRun, ReproduceRun
from socdata.pipeline.shared import clear_shared, export_shared
from socdata.pipeline.steps import (
    audit_step,
    compare_step,
    judge_printed_step,
    published_run,
    validate_step,
    warm_step,
)
from socdata.provenance import Provenance, hash_file
from socdata.report.disclosure import RuleSet
from socdata.report.synthetic import input_files
from socdata.run_folders import check_data_folder, claim_output_folder, record_outputs

__all__ = ["DEFAULT_JOBS", "reproduce"]

#: Kernels run at once by default.  Measured on a 2-core machine
#: (benchmarks/bench_reproduce.py): one warm kernel running the notebooks in turn is
#: as fast as two and uses half the memory.
DEFAULT_JOBS = 1


#: Python's thread switch interval while this process works beside its notebooks (seconds;
#: Python's default is 0.005).  The thread driving the kernels waits for the GIL after each
#: message; at the default it waited up to 5 ms each time while the audit ran, which
#: stalled the notebooks for the audit's whole duration (18.1 s -> 14.6 s for the run,
#: benchmarks/bench_reproduce.py).
SWITCH_INTERVAL = 1e-4


@contextlib.contextmanager
def _responsive_kernel_thread() -> Iterator[None]:
    old = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


def _check_options(ctx: RunContext, jobs: int) -> None:
    # the output folder against the data and notebooks folders: run_folders.claim_output_folder
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ReproduceError(f"jobs must be a whole number >= 1, not {jobs!r}")


def _say_context(ctx: RunContext, say: Callable[[str], Any]) -> list[str]:
    notes: list[str] = []
    say(
        f"[1/5] Data: {ctx.data_dir} -> {ctx.label.upper() if not ctx.synthetic else ctx.label}"
        " data"
    )
    say(f"      {ctx.data_reason}")
    say(
        f"      socdata {ctx.version}; disclosure rule set: {ctx.rules.name}; "
        f"swimmer plots: {'on' if ctx.swimmer_plots else 'off'}"
    )
    if ctx.disclosure_off_on_real:
        say(f"      WARNING: {ctx.disclosure_off_message}")
        notes.append(ctx.disclosure_off_message)
    if ctx.swimmer_plots and not ctx.synthetic:
        notes.append(
            "Swimmer plots were drawn from real data on request: each bar is one young person."
        )
    return notes


def _say_done(say: Callable[[str], Any]) -> Callable[[NotebookRun], None]:
    def done(run: NotebookRun) -> None:
        if run.status == "ok":
            say(f"      {run.name}: ok in {run.seconds:.1f} s")
        else:
            say(f"      {run.name}: FAILED after {run.seconds:.1f} s: {run.error}")

    return done


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def _prepare(
    data_dir: str | Path | None,
    out_dir: str | Path,
    say: Callable[[str], Any],
    *,
    notebooks: Iterable[str] | None,
    jobs: int,
    overwrite: bool,
    **context: Any,
) -> tuple[RunContext, list[Path], Any, list[str]]:
    """Check the data folder and the options, resolve the run context once, choose the
    notebooks, then claim the output folder (nothing is written before these checks)."""
    if data_dir is not None:
        check_data_folder(data_dir)  # fail fast: before any output or notebook
    ctx = RunContext.resolve(data_dir, out_dir, warn=True, **context)
    _check_options(ctx, jobs)
    chosen = select_notebooks(notebooks, list_notebooks(notebooks_dir()))
    folder = claim_output_folder(
        out_dir, data_dir=ctx.data_dir, protected=[notebooks_dir()], overwrite=overwrite
    )
    notes = _say_context(ctx, say)
    if folder.removed:
        say(
            f"      removed {len(folder.removed)} output file(s) of a previous run in {ctx.out_dir}"
        )
    if folder.foreign:
        say(f"      --overwrite: {len(folder.foreign)} file(s) not written by socdata kept")
    return ctx, chosen, folder, notes


def _validate_and_run(
    ctx: RunContext,
    chosen: list[Path],
    say: Callable[[str], Any],
    notes: list[str],
    jobs: int,
    cell_timeout: int,
    fresh_kernels: bool,
    *,
    n_inputs: int,
) -> tuple[Any, list[NotebookRun], Any]:
    """Steps 2 and 3: validate while the kernels start, hand the kernels the validated
    extracts and the police panel, run the notebooks and, meanwhile, audit the printed
    figures.  Returns the validation, the notebook runs and the audit."""
    n_kernels = max(1, min(jobs, len(chosen)))
    with (
        tempfile.TemporaryDirectory(prefix="socdata-run-") as private,
        NotebookSession(
            ctx.out_dir, jobs=n_kernels, cell_timeout=cell_timeout, fresh_kernels=fresh_kernels
        ) as session,
    ):
        say(f"[2/5] Validating {n_inputs} input file(s)")
        validation = validate_step(ctx.data_dir, say, ctx.read_options)
        notes.extend(validation.notes)
        say(f"[3/5] Running {len(chosen)} notebook(s) on {n_kernels} kernel(s)")
        # notebook 00 shows this validation instead of validating every extract again, and
        # every kernel receives the validated rows (in memory) instead of reading the files
        nb_ctx = ctx.with_validation(validation, Path(private))
        warm_step(nb_ctx, validation)  # the shared police panel, while the kernels start
        with CacheHandoff(export_shared()) as handoff:
            clear_shared()
            running = session.submit(chosen, nb_ctx, _say_done(say), prelude=handoff.code())
            with _responsive_kernel_thread():
                audit = audit_step(ctx.out_dir)  # independent of the notebooks: meanwhile
                judge_printed_step()  # the comparison's verdicts on the printed figures
            return validation, running.result(), audit


def reproduce(
    data_dir: str | Path | None = None,
    out_dir: str | Path = "out",
    *,
    disclosure: str | RuleSet = "auto",
    notebooks: Iterable[str] | None = None,
    swimmer_plots: bool | str = "auto",
    progress: Callable[[str], Any] | None = print,
    cell_timeout: int = 900,
    jobs: int = DEFAULT_JOBS,
    fresh_kernels: bool = False,
    overwrite: bool = False,
    read_options: ReadOptions | None = None,
) -> ReproduceRun:
    """Validate the extracts, run the notebooks and write the report.

    Parameters
    ----------
    data_dir
        Folder of extracts named ``<kind>.csv`` (or ``.xlsx``/``.parquet``); ``None``
        uses the bundled synthetic extracts.
    out_dir
        Output folder; created if needed.  socdata lists the files it writes there in
        ``.socdata-outputs.json`` and removes only those (unchanged) at the start of the next
        run, so no stale table survives and no other file is touched.  A folder holding
        files socdata did not write is refused unless ``overwrite=True``; the data folder
        (or a folder inside or around it) is always refused
        (:func:`socdata.run_folders.claim_output_folder`).
    disclosure
        ``"auto"`` (``none`` on the bundled synthetic extracts, ``soceis-default-v1``
        otherwise), ``"none"``, a rule set name (``socdata.report.RULE_SETS``) or a
        :class:`~socdata.report.disclosure.RuleSet`.
    notebooks
        Run only these notebooks (file names, stems or ``NN`` prefixes); default all.
    swimmer_plots
        ``"auto"`` draws swimmer plots (individual records) on synthetic data only;
        ``True`` draws them on any data, ``False`` never.
    progress
        Called with one line per step (``None`` for silence).
    cell_timeout
        Seconds one notebook cell may run before the notebook is failed.
    jobs
        Kernels running at once.  Each kernel is started once and runs notebook after
        notebook (its namespace and settings reset in between), so start-up and imports
        are paid ``jobs`` times, not once per notebook.  Notebooks are started in NN
        order; with more than one job a notebook must not read another's outputs.
    fresh_kernels
        Start a new kernel for every notebook (slower, full isolation).
    overwrite
        Write into a folder that holds files socdata did not write (they are kept, never
        deleted; a file with the name of an output is replaced).
    read_options
        Column maps and sheets by extract kind (``--column-map``, ``--sheet``), used by the
        validation step and, through the run context, by every notebook's
        :func:`socdata.read_extract`.

    Returns
    -------
    ReproduceRun
        Check :attr:`ReproduceRun.ok`: a failing notebook does not raise; the run goes on
        with the other notebooks, writes the report (marked failed) and the manifest, and
        reports the notebook, cell and error.

    Raises
    ------
    ReproduceError
        An option is unknown, or no kernel can run.
    UsageError
        The data folder does not exist or holds no extract (checked before anything runs).
    OutputPathError
        The output folder is a file, overlaps the data folder, cannot be written, or holds
        files socdata did not write (without ``overwrite``).
    """
    say = progress or (lambda _msg: None)
    t_start = time.perf_counter()
    ctx, chosen, folder, notes = _prepare(
        data_dir,
        out_dir,
        say,
        notebooks=notebooks,
        jobs=jobs,
        overwrite=overwrite,
        disclosure=disclosure,
        swimmer_plots=swimmer_plots,
        read_options=read_options,
    )
    inputs = {p.name: hash_file(p) for p in input_files(ctx.data_dir)}

    validation, runs, audit = _validate_and_run(
        ctx, chosen, say, notes, jobs, cell_timeout, fresh_kernels, n_inputs=len(inputs)
    )

    say("[4/5] Comparing with the published figures (audit of them done meanwhile)")
    comparison, comparison_path = compare_step(ctx.out_dir)
    counts = comparison["status"].value_counts().to_dict() if "status" in comparison else {}
    say("      " + ", ".join(f"{k}: {v}" for k, v in counts.items()))

    say("[5/5] Writing report.html and manifest.json")
    run = _finish(
        ctx,
        chosen,
        runs,
        validation,
        comparison,
        comparison_path,
        audit,
        notes,
        inputs,
        t_start,
        say,
    )
    record_outputs(folder)
    return run


def _finish(
    ctx: RunContext,
    chosen: list[Path],
    runs: list[NotebookRun],
    validation: Any,
    comparison: Any,
    comparison_path: Path,
    audit: Any,
    notes: list[str],
    inputs: dict[str, str],
    t_start: float,
    say: Callable[[str], Any],
) -> ReproduceRun:
    from socdata.report.html import ReportInputs, build_report  # after the kernels started
    from socdata.report.manifest import write_manifest
    from socdata.report.validation import summary_as_mapping

    published = [published_run(r, ctx.rules) for r in runs]
    parameters = {
        "data_dir": str(ctx.data_dir),
        "out_dir": str(ctx.out_dir),
        "disclosure": ctx.rules.name,
        "swimmer_plots": ctx.swimmer_plots,
    }
    report_path = build_report(
        ctx.out_dir,
        ReportInputs(
            synthetic=ctx.synthetic,
            data_reason=ctx.data_reason,
            rules=ctx.rules,
            validation=validation,
            notebooks=published,
            comparison=comparison,
            audit=audit,
            notes=tuple(notes),
            parameters=parameters,
            started=ctx.started,
            version=ctx.version,
        ),
    )
    from socdata.report.output_request import write_output_request

    request = write_output_request(ctx.out_dir, ctx.rules, synthetic=ctx.synthetic)
    notes.append(f"output-checking request (ACRO format): {request.name}/results.json")
    status = "ok" if all(r.status == "ok" for r in runs) else "failed"
    manifest_path = write_manifest(
        ctx.out_dir,
        inputs=inputs,
        parameters={**parameters, "notebooks": [p.name for p in chosen]},
        notebooks=published,
        started=ctx.started,
        finished=_now(),
        extra={
            "data": {"synthetic": ctx.synthetic, "reason": ctx.data_reason},
            "disclosure": {
                "rule_set": ctx.rules.name,
                "description": ctx.rules.describe(),
                "parameters": ctx.rules.acro_parameters(),
            },
            "validation": summary_as_mapping(validation, ctx.rules),
            "notes": notes,
            "status": status,
        },
    )
    seconds = time.perf_counter() - t_start
    run = ReproduceRun(
        out_dir=ctx.out_dir,
        data_dir=ctx.data_dir,
        synthetic=ctx.synthetic,
        disclosure=ctx.rules.name,
        swimmer_plots=ctx.swimmer_plots,
        validation=validation,
        notebooks=tuple(runs),
        report=report_path,
        manifest=manifest_path,
        tables=tuple(sorted((ctx.out_dir / "tables").glob("*.csv"))),
        figures=tuple(sorted((ctx.out_dir / "figures").glob("*.png"))),
        comparison=comparison_path,
        notes=tuple(notes),
        seconds=seconds,
        provenance=Provenance(
            function="socdata.reproduce.reproduce",
            parameters=parameters,
            inputs=inputs,
            notes=tuple(notes),
            version=ctx.version,
        ),
    )
    say(
        f"Done in {seconds:.1f} s: {len(run.tables)} tables, {len(run.figures)} figures, "
        f"{ctx.out_dir / 'report.html'}"
    )
    for nb in run.failed:
        say(f"FAILED: notebook {nb.name}: {nb.error} (executed copy: {nb.output})")
    return run
