"""Jupyter kernels for a run: one private kernelspec, and warm kernels reused across notebooks.

Starting a kernel and importing pandas, scipy, matplotlib and socdata costs about three
seconds; paid once per notebook it was most of ``socdata reproduce``.  A
:class:`WarmKernel` is started once and runs notebook after notebook; before each one its
user namespace, warnings filters, matplotlib settings, pandas options and working folder
are put back to how a fresh kernel has them, while imported modules stay loaded.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_async

from socdata.pipeline.context import ReproduceError

__all__ = ["KERNEL_NAME", "WarmKernel", "import_nbformat", "kernelspec"]

#: Name of the Jupyter kernel registered (temporarily) for the running interpreter.
KERNEL_NAME = "socdata-reproduce"

#: Run once when a kernel starts: remember what a fresh kernel looks like.
_WARM_UP = """
import sys as _sys, types as _types, warnings as _warnings
_state = _types.ModuleType("_socdata_kernel_state")
_state.filters = list(_warnings.filters)
_state.path = list(_sys.path)
_state.names = set(get_ipython().user_ns)
_sys.modules["_socdata_kernel_state"] = _state
del _sys, _types, _warnings, _state
"""

#: Run before each notebook: a fresh namespace and settings, modules kept.  The
#: namespace is emptied by hand: ``%reset`` also runs a full garbage collection, which
#: with scipy and pandas loaded costs ~0.2 s a notebook.
_RESET = """
def _socdata_reset():
    import os, sys, warnings
    state = sys.modules["_socdata_kernel_state"]
    ns = get_ipython().user_ns
    for name in [n for n in ns if n not in state.names]:
        del ns[name]
    ns["Out"].clear()
    ns.update({{"_": "", "__": "", "___": ""}})
    warnings.resetwarnings()
    warnings.filters.extend(state.filters)
    sys.path[:] = state.path
    if "matplotlib" in sys.modules:
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")
        sys.modules["matplotlib"].rc_file_defaults()
    os.chdir({cwd!r})
_socdata_reset()
"""


#: Modules a kernel imports while it starts, in parallel with the main process (the
#: notebooks import them anyway; importing them once per kernel is the saving).  Not
#: pandera (``socdata.derive.panel``): the police panel is built and validated in the main
#: process and handed over (:func:`socdata.pipeline.steps.warm_step`).
PRELOAD = (
    "pandas",
    "matplotlib.pyplot",
    "socdata.report",
    "socdata.derive",
    "socdata.describe",
    "socdata.describe.case_files",
    "socdata.matching",
    "socdata.did",
    "socdata.soceis.tables",
    "socdata.soceis.comparator",
    "socdata.plots.swimmer",
)


def import_nbformat() -> Any:
    """Import :mod:`nbformat` (and :mod:`nbclient`) without building an unused grammar.

    nbformat imports :mod:`jsonschema`, whose optional IRI format checker
    (``rfc3987_syntax``) compiles an Earley grammar at import: about 1.8 s, most of the
    main process's own start-up in ``socdata reproduce``.  The notebook schema uses no IRI
    format, so when jsonschema is not loaded yet it is imported with that one optional
    module unavailable (as on an installation without it); jsonschema then simply offers
    no ``iri`` format check in this process.  Measured in ``benchmarks/bench_reproduce.py``.
    """
    if "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # ImportError
        try:
            import nbformat
        finally:
            if sys.modules.get("rfc3987_syntax", 0) is None:
                del sys.modules["rfc3987_syntax"]
    import nbclient  # noqa: F401
    import nbformat

    return nbformat


def kernelspec(workdir: Path) -> tuple[str, dict[str, str]]:
    """Register a kernel for *this* interpreter in a private folder for the run.

    The notebooks must run in the environment where socdata is installed; a machine's
    ``python3`` kernelspec may point at another interpreter, and a fresh machine may have
    none.  The spec lives in ``workdir``; connection files and the IPython profile live
    there too, so a read-only home folder or a user's IPython start-up scripts cannot
    break or change the run.  The kernel imports :data:`PRELOAD` while it starts.
    Returns the kernel name and where its files are; the environment the kernel needs
    is in the spec (this process's environment is untouched).

    Raises
    ------
    ReproduceError
        ipykernel is not installed.
    """
    if importlib.util.find_spec("ipykernel") is None:
        raise ReproduceError(
            "ipykernel is not installed, so notebooks cannot run; install it with "
            "`python -m pip install ipykernel` (it comes with `pip install jupyter`)"
        )
    spec_dir = workdir / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    runtime = workdir / "runtime"
    ipython = workdir / "ipython"
    runtime.mkdir(parents=True, exist_ok=True)
    ipython.mkdir(parents=True, exist_ok=True)
    env = {
        "IPYTHONDIR": str(ipython),
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "MPLBACKEND": "Agg",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    preload = (
        "import importlib as _il\n"
        f"for _m in {PRELOAD!r}:\n"
        "    try:\n        _il.import_module(_m)\n    except ImportError:\n        pass\n"
        "del _il, _m"
    )
    spec = {
        "argv": [
            sys.executable,
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
            "--IPKernelApp.log_level=CRITICAL",
            f"--IPKernelApp.exec_lines={[preload]!r}",
        ],
        "display_name": f"Python ({sys.executable})",
        "language": "python",
        "metadata": {"debugger": False},
        "env": env,
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return KERNEL_NAME, {"kernel_dirs": str(workdir / "kernels"), "runtime": str(runtime)}


class WarmKernel:
    """One kernel that runs several notebooks in turn.

    Parameters
    ----------
    spec
        What :func:`kernelspec` yielded.
    cwd
        Working folder of every notebook (the run's output folder).
    cell_timeout
        Seconds one cell may run.

    Notes
    -----
    Between notebooks the user namespace, warnings filters, ``sys.path``, matplotlib
    settings and open figures and the working folder are reset; imported modules (and
    module-level caches) are kept.  A notebook that changes other global state (pandas
    options, the legacy global NumPy seed) must do so in a ``with`` block or undo it.
    """

    def __init__(self, spec: tuple[str, dict[str, str]], cwd: Path, cell_timeout: int) -> None:
        from jupyter_client.kernelspec import KernelSpecManager

        name, where = spec
        self.name = name
        self.cwd = Path(cwd)
        self._where = where
        self._ksm = KernelSpecManager(kernel_dirs=[where["kernel_dirs"]])
        self._ksm.ensure_native_kernel = False
        self._timeout = cell_timeout
        self._prelude: str | None = None
        self.client: Any = None

    async def start(self) -> None:
        """Start the kernel process and its client, and record its fresh state."""
        km = AsyncKernelManager(kernel_name=self.name, kernel_spec_manager=self._ksm)
        km.connection_file = str(Path(self._where["runtime"]) / f"kernel-{id(km)}.json")
        await km.start_kernel(cwd=str(self.cwd))
        # nbclient imports nbformat and jsonschema: only once the kernel is starting
        nbformat = import_nbformat()
        from nbclient import NotebookClient

        self.client = NotebookClient(
            nbformat.v4.new_notebook(),
            km=km,
            timeout=self._timeout,
            kernel_name=self.name,
            resources={"metadata": {"path": str(self.cwd)}},
        )
        await self.client.async_start_new_kernel_client()
        if self._prelude:
            await self._run_code(self._prelude)
        await self._run_code(_WARM_UP)

    async def set_prelude(self, code: str) -> None:
        """Run ``code`` in the kernel now and again after every restart, before its fresh
        state is recorded (e.g. :meth:`socdata.pipeline.handoff.CacheHandoff.code`)."""
        self._prelude = code
        await self._run_code(code)

    async def _run_code(self, code: str) -> None:
        assert self.client is not None
        import nbformat

        cell = nbformat.v4.new_code_cell(code)
        self.client.nb = nbformat.v4.new_notebook(cells=[cell])
        await self.client.async_execute_cell(cell, 0, store_history=False)

    async def run(self, nb: Any) -> Any:
        """Reset the kernel to a fresh state, then execute ``nb`` in place.

        Raises what :meth:`nbclient.NotebookClient.async_execute_cell` raises
        (``CellExecutionError``, ``CellTimeoutError``, ``DeadKernelError``); ``nb`` then
        holds the outputs up to the failing cell.
        """
        assert self.client is not None
        client = self.client
        await self._run_code(_RESET.format(cwd=str(self.cwd)))
        client.nb = nb
        client.reset_execution_trackers()
        msg_id = await ensure_async(client.kc.kernel_info())
        info = await client.async_wait_for_reply(msg_id)
        if info is not None and "language_info" in info["content"]:
            nb.metadata["language_info"] = info["content"]["language_info"]
        for index, cell in enumerate(nb.cells):
            await client.async_execute_cell(
                cell, index, execution_count=client.code_cells_executed + 1
            )
        return nb

    async def restart(self) -> None:
        """Replace a dead or stuck kernel by a fresh one."""
        await self.shutdown()
        await self.start()

    async def shutdown(self) -> None:
        """Stop the client channels and the kernel process."""
        if self.client is None:
            return
        client, self.client = self.client, None
        if client.kc is not None:
            client.kc.stop_channels()
        if client.km is not None and client.km.has_kernel:
            await client.km.shutdown_kernel(now=True)
