"""Is a data folder the bundled synthetic extracts?  (Decides the disclosure default.)

The bundled synthetic extracts carry ``data/synthetic/manifest.json`` (written by
``socdata.datasets.write_bundled``)::

    {"synthetic": true, "files": {"service.csv": "sha256:...", ...}}

A folder (wherever it is) is *bundled synthetic* iff that bundled manifest says
``"synthetic": true`` and every input file in the folder is listed in it with a matching
hash.  A manifest inside the folder being classified is ignored.  Anything else (a file edited by
hand, an extra file, no manifest) is treated as real data: disclosure control on by
default, swimmer plots off unless asked for.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from socdata.io import EXTRACT_SUFFIXES, extract_files
from socdata.paths import synthetic_dir
from socdata.provenance import hash_file

__all__ = ["INPUT_SUFFIXES", "DataKind", "data_kind", "input_files", "is_bundled_synthetic"]

#: File suffixes read as extracts (declared once, in :mod:`socdata.io`).
INPUT_SUFFIXES: tuple[str, ...] = EXTRACT_SUFFIXES

#: Extract files in a folder (not recursive, sorted, hidden files and the manifest excluded).
input_files = extract_files


@dataclasses.dataclass(frozen=True)
class DataKind:
    """Whether a folder holds the bundled synthetic extracts, and why (not)."""

    synthetic: bool
    reason: str

    @property
    def label(self) -> str:
        """``"synthetic"`` or ``"real"``."""
        return "synthetic" if self.synthetic else "real"


def data_kind(data_dir: str | Path | None, *, reference: str | Path | None = None) -> DataKind:
    """Classify ``data_dir`` as the bundled synthetic extracts or real data.

    Parameters
    ----------
    data_dir
        Folder of extracts; ``None`` means the bundled ``socdata.paths.synthetic_dir()``.
    reference
        Folder whose ``manifest.json`` is authoritative (default: the bundled synthetic
        folder).  A ``manifest.json`` inside ``data_dir`` itself is never trusted, so a
        folder of real extracts cannot switch disclosure control off by carrying one.

    Returns
    -------
    DataKind
        Synthetic iff the reference manifest says ``"synthetic": true`` and every extract
        file in ``data_dir`` is listed there with the same sha256.
    """
    bundled = synthetic_dir()
    d = Path(data_dir) if data_dir is not None else bundled
    manifest = Path(reference if reference is not None else bundled) / "manifest.json"
    if not manifest.is_file():
        return DataKind(False, f"no synthetic manifest at {manifest}: treated as real data")
    try:
        meta = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return DataKind(False, f"{manifest} is not readable JSON ({exc}): treated as real data")
    if not isinstance(meta, dict) or meta.get("synthetic") is not True:
        return DataKind(False, f"{manifest} does not say synthetic: true; treated as real data")
    listed = meta.get("files") or {}
    files = input_files(d)
    if not files:
        return DataKind(False, f"no extract files in {d}: treated as real data")
    for p in files:
        want = listed.get(p.name)
        if want is None:
            return DataKind(
                False, f"{p.name} is not one of the bundled synthetic files: treated as real data"
            )
        if hash_file(p) != want:
            return DataKind(
                False,
                f"{p.name} differs from the bundled synthetic file (sha256): treated as real data",
            )
    return DataKind(True, f"every file matches the bundled synthetic manifest ({len(files)} files)")


def is_bundled_synthetic(data_dir: str | Path | None) -> bool:
    """Shorthand for ``data_kind(data_dir).synthetic``."""
    return data_kind(data_dir).synthetic
