"""The notebooks a run executes: finding them, choosing them, preparing their parameters.

A notebook is a jupytext ``NN_name.py`` file under ``notebooks/``.  It declares its
parameters in a cell tagged ``parameters``; the pipeline injects the run context after it
(as papermill does, so the executed copy shows exactly what the notebook was given).
"""

from __future__ import annotations

import pprint
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from socdata.paths import notebooks_dir
from socdata.pipeline.context import ReproduceError, RunContext

__all__ = [
    "PARAMETER",
    "list_notebooks",
    "notebook_parameters",
    "notebook_warnings",
    "prepare_notebook",
    "select_notebooks",
]

#: The parameter through which a notebook receives the run context.
PARAMETER = "run_context"

_NOTEBOOK = re.compile(r"^(\d{2})_[A-Za-z0-9_]+\.py$")


def list_notebooks(folder: str | Path | None = None) -> list[Path]:
    """The notebooks ``reproduce`` runs: ``NN_name.py`` files, in NN then name order."""
    folder = Path(folder) if folder is not None else notebooks_dir()
    found = [p for p in folder.glob("*.py") if _NOTEBOOK.match(p.name)]
    return sorted(found, key=lambda p: (int(p.name[:2]), p.name))


def select_notebooks(wanted: Iterable[str] | None, available: list[Path]) -> list[Path]:
    """The notebooks named in ``wanted`` (file names, stems or ``NN`` prefixes), in NN order.

    Raises
    ------
    ReproduceError
        A name matches no notebook.
    """
    if wanted is None:
        return available
    chosen: list[Path] = []
    for w in (str(n) for n in wanted):
        hits = [p for p in available if w in (p.name, p.stem, p.name[:2])]
        if not hits:
            raise ReproduceError(
                f"no notebook {w!r}; available: {', '.join(p.name for p in available)}"
            )
        chosen.extend(h for h in hits if h not in chosen)
    return sorted(chosen, key=lambda p: (int(p.name[:2]), p.name))


def _declared(nb: Any) -> set[str] | None:
    cell = next(
        (
            c
            for c in nb.cells
            if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])
        ),
        None,
    )
    if cell is None:
        return None
    return set(re.findall(r"^([A-Za-z_]\w*)\s*(?::[^=]*)?=", cell.source, flags=re.M))


def notebook_parameters(nb: Any, ctx: RunContext) -> dict[str, Any]:
    """What to inject into ``nb``: the run context, or its resolved values.

    A notebook that declares ``run_context`` receives the context alone.  One that does
    not (a user's own notebook) receives the resolved settings under the classic names
    ``data_dir``, ``out_dir``, ``disclosure`` (a rule set name, never ``"auto"``) and
    ``swimmer_plots`` (a bool), as far as it declares them; ``data_dir`` and ``out_dir``
    always.
    """
    declared = _declared(nb)
    if declared is not None and PARAMETER in declared:
        return {PARAMETER: ctx.to_mapping()}
    classic = {
        "data_dir": str(ctx.data_dir),
        "out_dir": str(ctx.out_dir),
        "disclosure": ctx.rules.name,
        "swimmer_plots": ctx.swimmer_plots,
    }
    return {
        k: v
        for k, v in classic.items()
        if k in ("data_dir", "out_dir") or (declared is not None and k in declared)
    }


def _injected_cell(parameters: Mapping[str, Any]) -> Any:
    import nbformat

    lines = ["# Parameters injected by socdata reproduce"]
    lines += [
        f"{k} = {pprint.pformat(v, width=88, sort_dicts=False)}" for k, v in parameters.items()
    ]
    return nbformat.v4.new_code_cell("\n".join(lines), metadata={"tags": ["injected-parameters"]})


def prepare_notebook(path: Path, ctx: RunContext, kernel_name: str) -> Any:
    """Read a jupytext notebook, point it at ``kernel_name`` and inject the run context.

    The injected cell (tagged ``injected-parameters``, as papermill tags it) follows the
    ``parameters`` cell, or opens the notebook when there is none.
    """
    import jupytext  # ~1 s to import: only once the kernels are starting

    nb = jupytext.read(path)
    nb.metadata["kernelspec"] = {
        "name": kernel_name,
        "language": "python",
        "display_name": "Python 3",
    }
    nb.metadata.setdefault("language_info", {"name": "python"})
    at = next(
        (
            i + 1
            for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])
        ),
        0,
    )
    nb.cells.insert(at, _injected_cell(notebook_parameters(nb, ctx)))
    return nb


_WARNING_LINE = re.compile(r"\b([A-Z]\w*Warning): (.+)$")


def notebook_warnings(nb: Mapping[str, Any] | Any) -> tuple[str, ...]:
    """``Category: message`` of every warning an executed notebook printed to stderr, once."""
    found: list[str] = []
    for cell in nb["cells"]:
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
