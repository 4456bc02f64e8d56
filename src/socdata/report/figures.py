"""Saving figures reproducibly: PNG at a fixed resolution, without a timestamp."""

from __future__ import annotations

import re
from pathlib import Path

from socdata.errors import SocdataError

__all__ = ["FIGURE_DPI", "save_figure"]

#: Resolution of every PNG written by the report.
FIGURE_DPI = 150

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _check_name(name: str, what: str) -> str:
    name = str(name)
    if name.endswith((".png", ".csv")):
        name = name[:-4]
    if not _NAME.match(name):
        raise SocdataError(
            f"{what} {name!r} is not a safe file name: use letters, digits, '_', '-' and '.', "
            "e.g. 'table4_case_status'"
        )
    return name


def save_figure(fig, out_dir: str | Path, *, name: str) -> Path:
    """Write a matplotlib figure to ``out_dir/figures/<name>.png``.

    Parameters
    ----------
    fig
        A :class:`matplotlib.figure.Figure`; it is neither modified nor closed.
    out_dir
        Output folder of the run (``figures/`` is created inside it).
    name
        File name without extension (letters, digits, ``_``, ``-``, ``.``).

    Returns
    -------
    pathlib.Path
        The PNG written.  It is written at :data:`FIGURE_DPI` dots per inch, without the
        software or creation-time metadata, so reruns produce the same bytes.
    """
    name = _check_name(name, "figure name")
    folder = Path(out_dir) / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    fig.savefig(
        path,
        format="png",
        dpi=FIGURE_DPI,
        bbox_inches="tight",
        metadata={"Software": None},
    )
    return path
