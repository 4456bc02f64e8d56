"""``socdata reproduce``: validate the extracts, run the notebooks, write the report.

The main job of the package.  On the bundled synthetic extracts it regenerates the June
2023 evaluation's tables and figures; on a folder of real extracts it does the same with
disclosure control on by default and swimmer plots (which show individual records) off
unless asked for.

Steps, each reported through ``progress``:

1. classify the data folder (bundled synthetic or real) and fix the disclosure rule set;
2. validate every extract present (:func:`socdata.report.validation_summary`);
3. run every ``notebooks/NN_*.py`` in NN order with papermill, parameters ``data_dir``,
   ``out_dir``, ``disclosure`` and ``swimmer_plots`` injected; executed copies (with
   outputs) go to ``out_dir/notebooks/``;
4. compare the regenerated tables with the published figures (``socdata.compare``) and
   collect the audit of the published figures (``socdata.review``) when those modules
   exist;
5. write ``report.html`` and ``manifest.json``.

Examples
--------
>>> from socdata import reproduce
>>> notebooks = reproduce.list_notebooks()
>>> all(p.suffix == ".py" for p in notebooks)
True
>>> from socdata.report import get_rule_set
>>> rules = get_rule_set("soceis-default-v1")
>>> reproduce.mask_small_numbers("3 of 40 referrals", rules)
'[c] of 40 referrals'
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import importlib.util
import json
import os
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from socdata.errors import SocdataError
from socdata.paths import notebooks_dir, synthetic_dir
from socdata.provenance import Provenance, hash_file, package_version
from socdata.report.disclosure import DisclosureOffWarning, RuleSet, get_rule_set
from socdata.report.html import ReportInputs, build_report
from socdata.report.manifest import write_manifest
from socdata.report.synthetic import data_kind, input_files
from socdata.report.tables import DATA_KIND_ENV, DISCLOSURE_ENV
from socdata.report.validation import ValidationSummary, summary_as_mapping, validation_summary
from socdata.results import Result, order_tidy

__all__ = [
    "KERNEL_NAME",
    "NotebookRun",
    "ReproduceError",
    "ReproduceRun",
    "list_notebooks",
    "mask_small_numbers",
    "reproduce",
]

#: Name of the Jupyter kernel registered (temporarily) for the running interpreter.
KERNEL_NAME = "socdata-reproduce"

_NOTEBOOK = re.compile(r"^(\d{2})_[A-Za-z0-9_]+\.py$")

#: Output files and folders owned by a run; cleared at the start of the next run.
_OWNED = (("tables", "*.csv"), ("figures", "*.png"), ("notebooks", "*.ipynb"))
_OWNED_FILES = ("report.html", "manifest.json", "comparison.csv", "audit.csv")


class ReproduceError(SocdataError):
    """``socdata reproduce`` cannot start (bad folder, unknown option, no kernel)."""


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
            f"socdata reproduce: {'OK' if self.ok else 'FAILED'} in {self.seconds:.1f} s",
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


def list_notebooks(folder: str | Path | None = None) -> list[Path]:
    """The notebooks ``reproduce`` runs: ``NN_name.py`` files, in NN then name order."""
    folder = Path(folder) if folder is not None else notebooks_dir()
    found = [p for p in folder.glob("*.py") if _NOTEBOOK.match(p.name)]
    return sorted(found, key=lambda p: (int(p.name[:2]), p.name))


def _select(notebooks: Iterable[str] | None, available: list[Path]) -> list[Path]:
    if notebooks is None:
        return available
    wanted = [str(n) for n in notebooks]
    chosen = []
    for w in wanted:
        hits = [p for p in available if w in (p.name, p.stem, p.name[:2])]
        if not hits:
            raise ReproduceError(
                f"no notebook {w!r}; available: {', '.join(p.name for p in available)}"
            )
        chosen.extend(h for h in hits if h not in chosen)
    return sorted(chosen, key=lambda p: (int(p.name[:2]), p.name))


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def _kernel(workdir: Path) -> Iterator[str]:
    """Register a kernel for *this* interpreter in a private folder for the run.

    The notebooks must run in the environment where socdata is installed; a machine's
    ``python3`` kernelspec may point at another interpreter, and a fresh machine may have
    none.  The spec lives in a temporary folder put first on ``JUPYTER_PATH``; connection
    files and the IPython profile live there too, so a read-only home folder or a user's
    IPython start-up scripts cannot break or change the run.
    """
    if importlib.util.find_spec("ipykernel") is None:
        raise ReproduceError(
            "ipykernel is not installed, so notebooks cannot run; install it with "
            "`python -m pip install ipykernel` (it comes with `pip install jupyter`)"
        )
    spec_dir = workdir / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [
            sys.executable,
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
            "--IPKernelApp.log_level=CRITICAL",
        ],
        "display_name": f"Python ({sys.executable})",
        "language": "python",
        "metadata": {"debugger": False},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    path = os.pathsep.join(filter(None, [str(workdir), os.environ.get("JUPYTER_PATH")]))
    runtime = workdir / "runtime"
    ipython = workdir / "ipython"  # a private profile: no user start-up scripts in the run
    runtime.mkdir(parents=True, exist_ok=True)
    ipython.mkdir(parents=True, exist_ok=True)
    env = {"JUPYTER_PATH": path, "JUPYTER_RUNTIME_DIR": str(runtime), "IPYTHONDIR": str(ipython)}
    with _environment(env):
        yield KERNEL_NAME


def _clear_previous(out_dir: Path) -> int:
    n = 0
    for sub, pattern in _OWNED:
        for p in (out_dir / sub).glob(pattern):
            p.unlink()
            n += 1
    for name in _OWNED_FILES:
        p = out_dir / name
        if p.is_file():
            p.unlink()
            n += 1
    return n


def _run_notebook(
    path: Path,
    out_dir: Path,
    parameters: dict[str, Any],
    kernel: str,
    workdir: Path,
    cell_timeout: int,
) -> NotebookRun:
    import jupytext
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    nb = jupytext.read(path)
    parameters = _declared(nb, parameters)
    # the notebook may carry no (or another) kernelspec: run it on this interpreter
    nb.metadata["kernelspec"] = {"name": kernel, "language": "python", "display_name": "Python 3"}
    nb.metadata.setdefault("language_info", {"name": "python"})
    source = workdir / f"{path.stem}.ipynb"
    nbformat.write(nb, source)
    output = out_dir / "notebooks" / f"{path.stem}.ipynb"
    output.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    error = None
    try:
        import nbclient.exceptions as nbx

        execution_errors: tuple[type[BaseException], ...] = (
            PapermillExecutionError,
            nbx.CellTimeoutError,
            nbx.DeadKernelError,
        )
    except ImportError:  # pragma: no cover - nbclient comes with papermill
        execution_errors = (PapermillExecutionError,)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            papermill.execute_notebook(
                str(source),
                str(output),
                parameters=parameters,
                kernel_name=kernel,
                language="python",
                progress_bar=False,
                log_output=False,
                cwd=str(out_dir),
                execution_timeout=cell_timeout,
            )
    except PapermillExecutionError as exc:
        evalue = str(exc.evalue).strip().splitlines()
        first = evalue[0] if evalue else ""
        error = f"cell {exc.exec_count or exc.cell_index}: {exc.ename}: {first}"[:500]
    except execution_errors as exc:
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:300]}"
    seconds = time.perf_counter() - t0
    return NotebookRun(
        name=path.name,
        status="ok" if error is None else "failed",
        seconds=seconds,
        error=error,
        output=output if output.exists() else None,
        warnings=_notebook_warnings(output) if output.exists() else (),
    )


_WARNING_LINE = re.compile(r"\b([A-Z]\w*Warning): (.+)$")


def _notebook_warnings(path: Path) -> tuple[str, ...]:
    """``Category: message`` of every warning printed to stderr by an executed notebook."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    found: list[str] = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") != "stream" or out.get("name") != "stderr":
                continue
            for line in str(out.get("text", "")).splitlines():
                m = _WARNING_LINE.search(line)
                if m:
                    text = f"{m.group(1)}: {m.group(2).strip()}"
                    if text not in found:
                        found.append(text)
    return tuple(found)


#: Parameters every notebook receives, declared or not.
_REQUIRED_PARAMETERS = ("data_dir", "out_dir")


def _declared(nb: Any, parameters: dict[str, Any]) -> dict[str, Any]:
    """The parameters a notebook declares in its ``parameters`` cell (plus the required).

    Injecting a parameter a notebook does not declare only makes papermill warn; the
    notebook would ignore it anyway.
    """
    cell = next(
        (
            c
            for c in nb.cells
            if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])
        ),
        None,
    )
    if cell is None:
        return dict(parameters)
    declared = set(re.findall(r"^([A-Za-z_]\w*)\s*(?::[^=]*)?=", cell.source, flags=re.M))
    return {k: v for k, v in parameters.items() if k in declared or k in _REQUIRED_PARAMETERS}


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


def _published_run(run: NotebookRun, rules: RuleSet) -> dict[str, Any]:
    d = run.to_dict()
    d["warnings"] = [mask_small_numbers(w, rules) for w in run.warnings]
    if d["error"]:
        d["error"] = mask_small_numbers(d["error"], rules)
    return d


def _say_done(say: Callable[[str], Any], run: NotebookRun, indent: str) -> None:
    if run.status == "ok":
        say(f"{indent}ok in {run.seconds:.1f} s")
    else:
        say(f"{indent}FAILED after {run.seconds:.1f} s: {run.error}")


def _run_parallel(
    chosen: list[Path],
    out_dir: Path,
    parameters: dict[str, Any],
    kernel: str,
    workdir: Path,
    cell_timeout: int,
    jobs: int,
    say: Callable[[str], Any],
) -> list[NotebookRun]:
    """Run notebooks in ``jobs`` worker processes, started in NN order.

    Each notebook still gets its own kernel; workers are spawned (not forked) so no
    ZeroMQ state is shared.  Results come back in NN order whatever order they finish in.
    """
    import concurrent.futures as cf
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    results: dict[Path, NotebookRun] = {}
    with cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        futures = {}
        for i, nb in enumerate(chosen, start=1):
            say(f"      ({i}/{len(chosen)}) {nb.name} queued")
            fut = pool.submit(_run_notebook, nb, out_dir, parameters, kernel, workdir, cell_timeout)
            futures[fut] = nb
        for fut in cf.as_completed(futures):
            nb = futures[fut]
            results[nb] = fut.result()
            _say_done(say, results[nb], indent=f"      {nb.name}: ")
    return [results[nb] for nb in chosen]


def _all_tables(tables_dir: Path) -> pd.DataFrame:
    frames = []
    for p in sorted(tables_dir.glob("*.csv")):
        f = pd.read_csv(p)
        if {"table_id", "row_label", "column_label", "measure", "value"} <= set(f.columns):
            frames.append(f)
    if not frames:
        return pd.DataFrame(columns=["table_id", "row_label", "column_label", "measure", "value"])
    return pd.concat(frames, ignore_index=True)


def _as_frame(obj: Any) -> pd.DataFrame:
    if isinstance(obj, pd.DataFrame):
        return obj
    for attr in ("frame", "findings", "to_frame", "tidy"):  # the full table before tidy()
        val = getattr(obj, attr, None)
        if callable(val):
            val = val()
        if isinstance(val, pd.DataFrame):
            return val
    if isinstance(obj, list | tuple):
        return pd.DataFrame(
            [dataclasses.asdict(x) if dataclasses.is_dataclass(x) else x for x in obj]
        )
    raise TypeError(f"cannot show {type(obj).__name__} as a table")


def _optional(module: str, name: str, what: str, notes: list[str]) -> Callable[..., Any] | None:
    """``module.name`` if this version of socdata has it, else ``None`` and a note.

    Only the absence of the module itself, or of the name in it, degrades; an import
    error *inside* an existing module (a broken dependency) surfaces.
    """
    import importlib

    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        notes.append(f"{what} not available: {module} is not part of this version of socdata")
        return None
    func = getattr(mod, name, None)
    if func is None:
        notes.append(f"{what} not available: {module}.{name} does not exist in this version")
    return func


def _compare(out_dir: Path, notes: list[str]) -> tuple[pd.DataFrame | None, Path | None]:
    compare_published = _optional(
        "socdata.compare", "compare_published", "comparison with the published figures", notes
    )
    if compare_published is None:
        return None, None
    comparison = _as_frame(compare_published(_all_tables(out_dir / "tables")))
    path = out_dir / "comparison.csv"
    comparison.to_csv(path, index=False, float_format="%.12g")
    return comparison, path


def _audit(out_dir: Path, notes: list[str]) -> pd.DataFrame | None:
    audit_bundled = _optional(
        "socdata.review", "audit_bundled", "audit of the published figures", notes
    )
    if audit_bundled is None:
        return None
    audit = _as_frame(audit_bundled())
    audit.to_csv(out_dir / "audit.csv", index=False, float_format="%.12g")
    return audit


def _resolve_rules(disclosure: str | RuleSet, synthetic: bool) -> RuleSet:
    if isinstance(disclosure, RuleSet):
        return disclosure
    name = "auto" if disclosure is None else str(disclosure).strip()
    if name == "auto":
        from socdata.report.disclosure import DEFAULT_RULE_SET

        return get_rule_set("none") if synthetic else DEFAULT_RULE_SET
    try:
        return get_rule_set(name)
    except SocdataError as exc:
        raise ReproduceError(str(exc)) from None


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def reproduce(
    data_dir: str | Path | None = None,
    out_dir: str | Path = "out",
    *,
    disclosure: str | RuleSet = "auto",
    notebooks: Iterable[str] | None = None,
    swimmer_plots: bool | str = "auto",
    progress: Callable[[str], Any] | None = print,
    cell_timeout: int = 900,
    jobs: int = 1,
) -> ReproduceRun:
    """Validate the extracts, run the notebooks and write the report.

    Parameters
    ----------
    data_dir
        Folder of extracts named ``<kind>.csv`` (or ``.xlsx``/``.parquet``); ``None``
        uses the bundled synthetic extracts.
    out_dir
        Output folder; created if needed.  Files a previous run wrote there (``tables/*.csv``,
        ``figures/*.png``, ``notebooks/*.ipynb``, ``report.html``, ``manifest.json``,
        ``comparison.csv``, ``audit.csv``) are removed first, so no stale table survives.
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
        Notebooks run at once, each in its own kernel.  ``1`` (default) runs them one
        after the other in NN order; with more, they are started in NN order, so a
        notebook must not read another notebook's outputs.

    Returns
    -------
    ReproduceRun
        Check :attr:`ReproduceRun.ok`: a failing notebook does not raise; the run goes on
        with the other notebooks, writes the report (marked failed) and the manifest, and
        reports the notebook, cell and error.

    Raises
    ------
    ReproduceError
        The data folder does not exist, an option is unknown, or no kernel can run.
    """
    say = progress or (lambda _msg: None)
    t_start = time.perf_counter()
    started = _now()
    data_path = Path(data_dir) if data_dir is not None else synthetic_dir()
    if not data_path.is_dir():
        raise ReproduceError(
            f"data folder {data_path} does not exist; pass --data with the folder that holds "
            "service.csv etc., or leave it out to use the bundled synthetic extracts"
        )
    data_path = data_path.resolve()
    out_path = Path(out_dir).resolve()
    nb_folder = notebooks_dir().resolve()
    if out_path == nb_folder or out_path == data_path:
        raise ReproduceError(
            f"--out {out_path} is the notebooks or data folder; choose a separate folder, "
            "e.g. --out out"
        )
    if not isinstance(jobs, int) or jobs < 1:
        raise ReproduceError(f"jobs must be a whole number >= 1, not {jobs!r}")
    if swimmer_plots not in ("auto", True, False):
        raise ReproduceError(f"swimmer_plots must be 'auto', True or False, not {swimmer_plots!r}")
    available = list_notebooks(nb_folder)
    chosen = _select(notebooks, available)

    kind = data_kind(data_path)
    rules = _resolve_rules(disclosure, kind.synthetic)
    swimmers = kind.synthetic if swimmer_plots == "auto" else bool(swimmer_plots)
    notes: list[str] = []
    say(f"[1/5] Data: {data_path} -> {'bundled synthetic' if kind.synthetic else 'REAL'} data")
    say(f"      {kind.reason}")
    say(f"      disclosure rule set: {rules.name}; swimmer plots: {'on' if swimmers else 'off'}")
    if not rules.enabled and not kind.synthetic:
        msg = (
            "DISCLOSURE CONTROL IS OFF on data that are not the bundled synthetic extracts: "
            "outputs may identify people; do not share them outside the secure environment"
        )
        warnings.warn(msg, DisclosureOffWarning, stacklevel=2)
        say(f"      WARNING: {msg}")
        notes.append(msg)
    if swimmers and not kind.synthetic:
        notes.append(
            "Swimmer plots were drawn from real data on request: each bar is one young person."
        )

    out_path.mkdir(parents=True, exist_ok=True)
    n_cleared = _clear_previous(out_path)
    if n_cleared:
        say(f"      removed {n_cleared} output file(s) of a previous run in {out_path}")
    inputs = {p.name: hash_file(p) for p in input_files(data_path)}

    say(f"[2/5] Validating {len(inputs)} input file(s)")
    validation = validation_summary(data_path)
    for rec in validation.extracts.to_dict(orient="records"):
        if rec["status"] == "absent":
            continue
        detail = (
            f"{rec['valid']} valid, {rec['rejected']} rejected"
            if rec["status"] in ("valid", "rows rejected")
            else rec["message"] or rec["status"]
        )
        say(f"      {rec['kind']:<15} {rec['file']:<22} {rec['status']}: {detail}")
    for n in validation.notes:
        say(f"      note: {n}")
        notes.append(n)

    parameters = {
        "data_dir": None if data_dir is None else str(data_path),
        "out_dir": str(out_path),
        "disclosure": rules.name,
        "swimmer_plots": swimmers,
    }
    say(f"[3/5] Running {len(chosen)} notebook(s) from {nb_folder}")
    runs: list[NotebookRun] = []
    env = {
        DISCLOSURE_ENV: rules.name,
        DATA_KIND_ENV: "synthetic" if kind.synthetic else "real",
        "MPLBACKEND": "Agg",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    with tempfile.TemporaryDirectory(prefix="socdata-reproduce-") as tmp:
        work = Path(tmp)
        with _environment(env), _kernel(work / "jupyter") as kernel:
            if jobs == 1:
                for i, nb in enumerate(chosen, start=1):
                    say(f"      ({i}/{len(chosen)}) {nb.name} ...")
                    run = _run_notebook(nb, out_path, parameters, kernel, work, cell_timeout)
                    runs.append(run)
                    _say_done(say, run, indent="            ")
            else:
                runs = _run_parallel(
                    chosen, out_path, parameters, kernel, work, cell_timeout, jobs, say
                )

    say("[4/5] Comparing with the published figures and auditing them")
    n_notes = len(notes)
    with _environment(env):
        comparison, comparison_path = _compare(out_path, notes)
        audit = _audit(out_path, notes)
    for n in notes[n_notes:]:
        say(f"      note: {n}")
    if comparison is not None and "status" in comparison:
        counts = comparison["status"].value_counts().to_dict()
        say("      " + ", ".join(f"{k}: {v}" for k, v in counts.items()))

    say("[5/5] Writing report.html and manifest.json")
    published_runs = [_published_run(r, rules) for r in runs]
    report_path = build_report(
        out_path,
        ReportInputs(
            synthetic=kind.synthetic,
            data_reason=kind.reason,
            rules=rules,
            validation=validation,
            notebooks=published_runs,
            comparison=comparison,
            audit=audit,
            notes=tuple(notes),
            parameters=parameters,
            started=started,
            version=package_version(),
        ),
    )
    finished = _now()
    manifest_path = write_manifest(
        out_path,
        inputs=inputs,
        parameters={**parameters, "notebooks": [p.name for p in chosen]},
        notebooks=published_runs,
        started=started,
        finished=finished,
        extra={
            "data": {"synthetic": kind.synthetic, "reason": kind.reason},
            "disclosure": {"rule_set": rules.name, "description": rules.describe()},
            "validation": summary_as_mapping(validation, rules),
            "notes": notes,
            "status": "ok" if all(r.status == "ok" for r in runs) else "failed",
        },
    )
    seconds = time.perf_counter() - t_start
    run = ReproduceRun(
        out_dir=out_path,
        data_dir=data_path,
        synthetic=kind.synthetic,
        disclosure=rules.name,
        swimmer_plots=swimmers,
        validation=validation,
        notebooks=tuple(runs),
        report=report_path,
        manifest=manifest_path,
        tables=tuple(sorted((out_path / "tables").glob("*.csv"))),
        figures=tuple(sorted((out_path / "figures").glob("*.png"))),
        comparison=comparison_path,
        notes=tuple(notes),
        seconds=seconds,
        provenance=Provenance(
            function="socdata.reproduce.reproduce",
            parameters=parameters,
            inputs=inputs,
            notes=tuple(notes),
        ),
    )
    say(
        f"Done in {seconds:.1f} s: {len(run.tables)} tables, {len(run.figures)} figures, "
        f"{out_path / 'report.html'}"
    )
    if not run.ok:
        for nb in run.failed:
            say(f"FAILED: notebook {nb.name}: {nb.error} (executed copy: {nb.output})")
    return run
