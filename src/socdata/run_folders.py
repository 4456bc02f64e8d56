"""The folders of a ``socdata reproduce`` run: inputs checked first, outputs owned and listed.

* :func:`check_data_folder` stops a run at once when the data folder holds no extract of a
  known kind (an empty folder, or the wrong one), before any notebook runs;
* :func:`claim_output_folder` decides whether the run may write into ``--out``: a new or
  empty folder, or one holding only files that socdata wrote there before (listed with
  their sha256 in :data:`OWNERSHIP_FILE`).  A folder holding anything else is refused
  unless ``overwrite=True``, and even then nothing socdata did not write is ever deleted.
  The output folder may not be the data folder, lie inside it, or contain it;
* :func:`record_outputs` lists, at the end of the run, every file the run wrote.

Only files listed in the ownership file *and unchanged since* are removed by the next run
("stale outputs"); a file the user edited after the run is theirs again.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from pathlib import Path

from socdata.errors import OutputPathError, UsageError
from socdata.io import extract_files
from socdata.provenance import hash_file, package_version
from socdata.schemas import KINDS

__all__ = [
    "OWNERSHIP_FILE",
    "OutputFolder",
    "check_data_folder",
    "claim_output_folder",
    "record_outputs",
]

#: File in the output folder listing every file socdata wrote there (with its sha256).
OWNERSHIP_FILE = ".socdata-outputs.json"


@dataclasses.dataclass(frozen=True)
class OutputFolder:
    """An output folder claimed for a run.

    Attributes
    ----------
    path
        The folder (resolved).
    foreign
        ``{relative path: sha256}`` of files that were there and that socdata did not write
        (present only with ``overwrite=True``); they are never deleted or listed as outputs.
    removed
        Stale outputs of a previous run that were removed.
    created
        Whether the run created the folder.
    """

    path: Path
    foreign: dict[str, str]
    removed: tuple[str, ...] = ()
    created: bool = False


def check_data_folder(data_dir: str | Path) -> list[Path]:
    """The extract files of ``data_dir``; refuse an absent, empty or wrong folder at once.

    Raises
    ------
    UsageError
        No such folder, or no file named after an extract kind (``service.csv``...).
    """
    d = Path(data_dir)
    if not d.is_dir():
        what = "is a file, not a folder" if d.exists() else "does not exist"
        raise UsageError(
            f"data folder {d} {what}; pass --data with the folder that holds service.csv "
            "etc., or leave it out to use the bundled synthetic extracts"
        )
    files = extract_files(d)
    known = [p for p in files if p.stem.lower() in KINDS]
    if not known:
        others = sorted(p.name for p in d.iterdir() if not p.name.startswith("."))[:8]
        found = ", ".join(others) if others else "nothing"
        raise UsageError(
            f"data folder {d} holds no extract (found: {found}); name the files after their "
            f"kind ({', '.join(f'{k}.csv' for k in KINDS[:3])}, ...; .xlsx and .parquet "
            "also work) and pass that folder with --data"
        )
    return known


def _files(folder: Path) -> dict[str, Path]:
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.name != OWNERSHIP_FILE:
            out[p.relative_to(folder).as_posix()] = p
    return out


def _owned(folder: Path) -> dict[str, str]:
    f = folder / OWNERSHIP_FILE
    if not f.is_file():
        return {}
    try:
        meta = json.loads(f.read_text(encoding="utf-8"))
        files = meta.get("files", {})
        return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}
    except (OSError, ValueError, AttributeError):
        return {}


def _write_ownership(folder: Path, files: dict[str, str], status: str) -> None:
    body = {
        "written_by": "socdata reproduce",
        "socdata_version": package_version(),
        "status": status,
        "note": "files socdata wrote in this folder; the next run may replace only these",
        "files": dict(sorted(files.items())),
    }
    try:
        (folder / OWNERSHIP_FILE).write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise OutputPathError(
            f"--out {folder}: cannot write in this folder ({exc.strerror or exc}); choose a "
            "folder you can write to"
        ) from None


def _refuse_overlap(out: Path, data_dir: Path, protected: Iterable[Path]) -> None:
    if out == data_dir or out.is_relative_to(data_dir):
        raise OutputPathError(
            f"--out {out} is the data folder or inside it; socdata never writes into its data "
            "folder: choose a separate folder, e.g. --out out"
        )
    if data_dir.is_relative_to(out):
        raise OutputPathError(
            f"--out {out} contains the data folder {data_dir}; choose a separate folder for the "
            "outputs, e.g. --out out"
        )
    for p in protected:
        p = Path(p).resolve()
        if out == p or out.is_relative_to(p):
            raise OutputPathError(
                f"--out {out} is socdata's own folder {p}; choose a separate folder, e.g. --out out"
            )


def claim_output_folder(
    out_dir: str | Path,
    *,
    data_dir: str | Path,
    protected: Iterable[str | Path] = (),
    overwrite: bool = False,
) -> OutputFolder:
    """Check and prepare the output folder; remove the previous run's unchanged outputs.

    Parameters
    ----------
    out_dir
        The output folder (created when absent).
    data_dir
        The data folder of the run (the output folder may not overlap it).
    protected
        Other folders the output may not be (e.g. the notebooks folder).
    overwrite
        Write into a folder that holds files socdata did not write (they are kept).

    Raises
    ------
    OutputPathError
        The path is a file, overlaps the data folder, cannot be created or written, or holds
        files socdata did not write and ``overwrite`` is false.
    """
    given = Path(out_dir)
    if given.exists() and not given.is_dir():
        raise OutputPathError(
            f"--out {given} is an existing file, not a folder; give a folder name, e.g. --out out"
        )
    out = given.resolve()
    _refuse_overlap(out, Path(data_dir).resolve(), [Path(p) for p in protected])
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputPathError(
            f"--out {given}: cannot create the folder ({exc.strerror or exc}); choose a "
            "folder you can write to"
        ) from None
    owned = _owned(out)
    present = _files(out)
    ours = {rel for rel, p in present.items() if rel in owned and hash_file(p) == owned[rel]}
    foreign = {rel: hash_file(p) for rel, p in present.items() if rel not in ours}
    if foreign and not overwrite:
        shown = ", ".join(list(foreign)[:5]) + (" ..." if len(foreign) > 5 else "")
        raise OutputPathError(
            f"--out {given} holds {len(foreign)} file(s) that socdata did not write ({shown}); "
            "choose a new or empty folder, or pass --overwrite to write beside them (socdata "
            "never deletes files it did not write)"
        )
    _write_ownership(out, {rel: owned[rel] for rel in ours}, "running")
    removed = []
    for rel in sorted(ours):
        try:
            present[rel].unlink()
            removed.append(rel)
        except OSError as exc:
            raise OutputPathError(
                f"--out {given}: cannot remove the previous run's {rel} ({exc.strerror or exc})"
            ) from None
    _write_ownership(out, {}, "running")
    return OutputFolder(out, foreign, tuple(removed), created)


def record_outputs(folder: OutputFolder, *, status: str = "finished") -> dict[str, str]:
    """List every file the run wrote in the ownership file; return ``{relative path: sha256}``.

    Files that were there before the run and that socdata did not write (``--overwrite``)
    are left out unless the run replaced their content.
    """
    written = {}
    for rel, p in _files(folder.path).items():
        digest = hash_file(p)
        if folder.foreign.get(rel) == digest:
            continue
        written[rel] = digest
    _write_ownership(folder.path, written, status)
    return written
