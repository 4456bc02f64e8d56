"""Executing the notebooks of a run on warm kernels, and saving the executed copies.

A :class:`NotebookSession` starts its kernels in the background the moment it opens, so
kernel start-up and the kernels' imports (:data:`~socdata.pipeline.kernel.PRELOAD`)
overlap with the main process's own work (validation, imports, the audit).  Each of the
``jobs`` kernels takes the next notebook until none is left (the first kernel from the front
of the NN order, the second from the back), so a run pays start-up and imports ``jobs``
times instead of once per notebook, and neighbouring notebooks share a kernel's cache
(:mod:`socdata.pipeline.shared`).  ``fresh_kernels=True``
restarts the kernel before every notebook instead (full isolation, the slow way).  Every
executed notebook is written to ``out_dir/notebooks/``, with its outputs up to the failing
cell when it fails.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from socdata.pipeline.context import ReproduceError, RunContext
from socdata.pipeline.kernel import WarmKernel, kernelspec
from socdata.pipeline.notebooks import notebook_warnings, prepare_notebook
from socdata.pipeline.results import NotebookRun

__all__ = ["NotebookSession", "run_notebooks"]


def _failing_cell(nb: Any) -> tuple[int, str]:
    """1-based position of the failing cell among the notebook's own code cells, and its
    first line (the injected-parameters cell is not counted)."""
    k = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or "injected-parameters" in cell.metadata.get("tags", []):
            continue
        k += 1
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")
            return k, first.strip()[:80]
    return 0, ""


def _error_text(exc: BaseException, nb: Any) -> str:
    from nbclient.exceptions import CellExecutionError

    if isinstance(exc, CellExecutionError):
        index, first = _failing_cell(nb)
        evalue = str(exc.evalue).strip().splitlines()
        where = f"cell {index} ({first})" if index else "a cell"
        return f"{where}: {exc.ename}: {evalue[0] if evalue else ''}"[:500]
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300] if text else ''}"


async def _one(kernel: WarmKernel, path: Path, nb: Any, output: Path) -> NotebookRun:
    import nbformat
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    t0 = time.perf_counter()
    error = None
    try:
        await kernel.run(nb)
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        error = _error_text(exc, nb)
        if not isinstance(exc, CellExecutionError):
            await kernel.restart()  # dead or still busy: the next notebook gets a new one
    seconds = time.perf_counter() - t0
    nbformat.write(nb, output)
    return NotebookRun(
        name=path.name,
        status="ok" if error is None else "failed",
        seconds=seconds,
        error=error,
        output=output,
        warnings=notebook_warnings(nb),
    )


class NotebookSession:
    """Kernels for one run, started in the background when the session opens.

    Parameters
    ----------
    cwd
        Working folder of the notebooks (the run's output folder; must exist).
    jobs
        Kernels running at once.
    cell_timeout
        Seconds one cell may run before its notebook is failed.
    fresh_kernels
        Restart the kernel before every notebook (slower; no state can leak between
        notebooks).

    Notes
    -----
    Use it as a context manager; :meth:`submit` hands it the notebooks.
    """

    def __init__(
        self, cwd: Path, *, jobs: int = 1, cell_timeout: int = 900, fresh_kernels: bool = False
    ) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="socdata-reproduce-")
        spec = kernelspec(Path(self._tmp.name))
        self._fresh = fresh_kernels
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._kernels = [WarmKernel(spec, cwd, cell_timeout) for _ in range(max(1, jobs))]
        self._started = [self._call(k.start()) for k in self._kernels]

    def _call(self, coro: Any) -> concurrent.futures.Future[Any]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    async def _worker(
        self,
        kernel: WarmKernel,
        started: concurrent.futures.Future[Any],
        queue: collections.deque[tuple[int, Path, Any]],
        results: dict[int, NotebookRun],
        ctx: RunContext,
        on_done: Callable[[NotebookRun], Any],
        from_end: bool = False,
        prelude: str | None = None,
    ) -> None:
        try:
            await asyncio.wrap_future(started)
        except Exception as exc:
            raise ReproduceError(
                f"the Jupyter kernel for the notebooks did not start ({type(exc).__name__}: "
                f"{exc}); check that ipykernel works: `{sys.executable} -m ipykernel --version`"
            ) from exc
        if prelude:
            await kernel.set_prelude(prelude)
        first = True
        while queue:
            i, path, nb = queue.pop() if from_end else queue.popleft()
            if self._fresh and not first:
                await kernel.restart()
            first = False
            output = ctx.out_dir / "notebooks" / f"{path.stem}.ipynb"
            results[i] = await _one(kernel, path, nb, output)
            on_done(results[i])

    async def _run_all(
        self,
        chosen: Sequence[tuple[Path, Any]],
        ctx: RunContext,
        on_done: Callable[[NotebookRun], Any],
        prelude: str | None,
    ) -> list[NotebookRun]:
        (ctx.out_dir / "notebooks").mkdir(parents=True, exist_ok=True)
        # kernels take notebooks from both ends of the NN order (the first from the front,
        # the second from the back, ...): neighbours, which tend to read the same extracts
        # (20, 30 and 40 the police panel), mostly share a kernel and its cache
        queue = collections.deque((i, path, nb) for i, (path, nb) in enumerate(chosen))
        results: dict[int, NotebookRun] = {}
        await asyncio.gather(
            *(
                self._worker(k, s, queue, results, ctx, on_done, j % 2 == 1, prelude)
                for j, (k, s) in enumerate(zip(self._kernels, self._started, strict=True))
            )
        )
        return [results[i] for i in range(len(chosen))]

    def submit(
        self,
        chosen: Sequence[Path],
        ctx: RunContext,
        on_done: Callable[[NotebookRun], Any] = lambda run: None,
        *,
        prelude: str | None = None,
    ) -> concurrent.futures.Future[list[NotebookRun]]:
        """Start executing ``chosen`` under ``ctx``; the future gives one
        :class:`~socdata.pipeline.results.NotebookRun` per notebook, in the order given.
        A failing notebook does not stop the others.  ``prelude`` is code each kernel runs
        first (and after every restart), e.g. receiving the run's validated extracts
        (:class:`~socdata.pipeline.handoff.CacheHandoff`)."""
        # read and parameterise the notebooks here, not in the kernels' thread: that thread
        # then only drives the kernels (importing jupytext there stalled the first notebook)
        prepared = [(p, prepare_notebook(p, ctx, self._kernels[0].name)) for p in chosen]
        return self._call(self._run_all(prepared, ctx, on_done, prelude))

    def close(self) -> None:
        """Shut the kernels down and remove the session's temporary files."""
        try:
            for k in self._kernels:
                with contextlib.suppress(Exception):  # a kernel may be gone already
                    self._call(k.shutdown()).result(timeout=60)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()
            self._tmp.cleanup()

    def __enter__(self) -> NotebookSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_notebooks(
    chosen: Sequence[Path],
    ctx: RunContext,
    *,
    jobs: int = 1,
    cell_timeout: int = 900,
    fresh_kernels: bool = False,
    on_done: Callable[[NotebookRun], Any] = lambda run: None,
) -> list[NotebookRun]:
    """Execute ``chosen`` under ``ctx`` and save them to ``ctx.out_dir / "notebooks"``.

    Parameters
    ----------
    chosen
        Notebook files, in the order they are started.
    ctx
        The run context every notebook receives.
    jobs, cell_timeout, fresh_kernels
        As for :class:`NotebookSession`.
    on_done
        Called with each :class:`~socdata.pipeline.results.NotebookRun` as it finishes.

    Returns
    -------
    list of NotebookRun
        In the order of ``chosen``.
    """
    if not chosen:
        return []
    jobs = min(jobs, len(chosen))
    with NotebookSession(
        ctx.out_dir, jobs=jobs, cell_timeout=cell_timeout, fresh_kernels=fresh_kernels
    ) as session:
        return session.submit(chosen, ctx, on_done).result()
