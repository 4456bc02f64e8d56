"""Seeded synthetic extracts of every kind.

* :func:`random_extract` - valid random rows of any kind (for tests and examples);
* :func:`write_bundled` - writes the bundled ``data/synthetic/<kind>.csv`` files and their
  ``manifest.json``, taking ``service``/``plans``/``participants`` from
  :func:`socdata.soceis.synthetic.generate`, the ``police_*`` kinds from
  :func:`socdata.datasets.police.generate` (generators calibrated to the published
  figures) and the linked-cohort kinds (``vulnerability``, ``nrm``, ``missing_detail``,
  ``arrest_outcomes``, ``assessments``, ``linkage_identifiers``) from
  :func:`socdata.datasets.linked.generate`.

Every bundled file is synthetic: no real person is in it.

Examples
--------
>>> from socdata import datasets
>>> frame = datasets.random_extract("participants", n=3, seed=2)
>>> len(frame)
3
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from socdata.datasets.random import random_extract
from socdata.errors import SocdataError
from socdata.paths import synthetic_dir
from socdata.provenance import hash_file
from socdata.safe_output import write_csv
from socdata.schemas import EXTRACT_KINDS, KINDS, load_spec

__all__ = [
    "BUNDLED_KINDS",
    "DEFAULT_SIZES",
    "LINKED_KINDS",
    "random_extract",
    "to_csv",
    "write_bundled",
]

#: Kinds of the linked synthetic cohort (:func:`socdata.datasets.linked.generate`).
LINKED_KINDS: tuple[str, ...] = (
    "vulnerability",
    "nrm",
    "missing_detail",
    "arrest_outcomes",
    "assessments",
    "linkage_identifiers",
)


#: Kinds written by :func:`write_bundled`, with the generator that supplies them.
def _generator_of(kind: str) -> str:
    if kind.startswith("police_"):
        return "socdata.datasets.police.generate"
    if kind in LINKED_KINDS:
        return "socdata.datasets.linked.generate"
    return "socdata.soceis.synthetic.generate"


BUNDLED_KINDS: Mapping[str, str] = {kind: _generator_of(kind) for kind in EXTRACT_KINDS}


def _generators() -> dict[str, Callable[[int], Mapping[str, pd.DataFrame]]]:
    """The calibrated generators, imported on first use (they read data/published)."""
    from socdata.datasets import linked, police
    from socdata.soceis import synthetic

    return {
        "socdata.soceis.synthetic.generate": synthetic.generate,
        "socdata.datasets.police.generate": police.generate,
        "socdata.datasets.linked.generate": linked.generate,
    }


#: Sizes of the bundled kinds in the report (223 referrals, 40 plans, 248 engagers with a
#: comparator pool), e.g. for :func:`random_extract` stand-ins of the same size.
DEFAULT_SIZES: Mapping[str, int] = {
    "service": 223,
    "plans": 40,
    "participants": 72,
    "police_persons": 1240,
    "police_events": 4000,
    "police_missing": 600,
    "vulnerability": 271,
    "nrm": 70,
    "missing_detail": 243,
    "arrest_outcomes": 5800,
    "assessments": 7100,
    "linkage_identifiers": 1300,
}


def to_csv(frame: pd.DataFrame, path: str | Path, kind: str) -> Path:
    """Write a canonical frame as a CSV that the readers accept.

    Dates are written ISO (``yyyy-mm-dd``), date-times ``yyyy-mm-dd hh:mm:ss``, whole
    numbers without decimals, missing values as empty cells; UTF-8, ``\\n`` line endings.
    """
    spec = load_spec(kind)
    out = pd.DataFrame(index=frame.index)
    for c in spec.columns:
        if c.name not in frame:
            continue
        s = frame[c.name]
        if c.dtype == "date":
            out[c.name] = pd.to_datetime(s).dt.strftime("%Y-%m-%d")
        elif c.dtype == "datetime":
            out[c.name] = pd.to_datetime(s).dt.strftime("%Y-%m-%d %H:%M:%S")
        elif c.dtype == "integer":
            out[c.name] = s.astype("Int64").astype(str).replace("<NA>", "")
        else:
            out[c.name] = s
    extra = [col for col in frame.columns if col not in spec.names]
    if extra:
        raise SocdataError(
            f"{kind} frame has columns the schema lacks: {', '.join(extra)}; "
            "rename them to canonical names or drop them before writing"
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(out, path, lineterminator="\n", na_rep="")  # formula cells neutralised
    return path


def write_bundled(out_dir: str | Path | None = None, seed: int = 20230601) -> dict[str, Path]:
    """Write every bundled synthetic extract and ``manifest.json``.

    Parameters
    ----------
    out_dir
        Folder to write (default: :func:`socdata.paths.synthetic_dir`, i.e. ``data/synthetic``).
    seed
        Seed passed to every generator.

    Returns
    -------
    dict
        ``{kind: path}`` of the CSV files, plus ``"manifest"``.

    Raises
    ------
    SocdataError
        A generated extract does not validate (a bug in its generator: the bundled files
        must always validate).
    """
    out = Path(out_dir) if out_dir is not None else synthetic_dir()
    out.mkdir(parents=True, exist_ok=True)
    from socdata.validate import validate_extract

    frames: dict[str, pd.DataFrame] = {}
    generate = _generators()
    for name in dict.fromkeys(BUNDLED_KINDS.values()):
        got = generate[name](seed)
        frames.update({k: f for k, f in got.items() if BUNDLED_KINDS.get(k) == name})
    missing = [k for k in BUNDLED_KINDS if k not in frames]
    if missing:
        raise SocdataError(
            f"the generators did not supply the kind(s) {missing} (expected from "
            f"{sorted({BUNDLED_KINDS[k] for k in missing})})"
        )
    generators = dict(BUNDLED_KINDS)
    paths: dict[str, Path] = {}
    problems = []
    for kind in BUNDLED_KINDS:
        path = to_csv(frames[kind], out / f"{kind}.csv", kind)
        res = validate_extract(path, kind)
        if res.n_rejected:
            problems.append(f"{kind}: {res.n_rejected} rows rejected\n{res.describe()}")
        elif len(res.warnings):
            warnings.warn(
                f"{kind}: {len(res.warnings)} data-quality warnings in the bundled extract",
                stacklevel=2,
            )
        paths[kind] = path
    if problems:
        raise SocdataError("generated extracts do not validate:\n" + "\n".join(problems))
    manifest = {
        "synthetic": True,
        "note": "Synthetic data generated by code; no real person is in these files.",
        "generator": "socdata.datasets.write_bundled",
        "seed": seed,
        "generators": generators,
        "schema_versions": {k: load_spec(k).version for k in BUNDLED_KINDS},
        "files": {p.name: hash_file(p) for p in paths.values()},
    }
    mpath = out / "manifest.json"
    mpath.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    paths["manifest"] = mpath
    return paths


def _kinds_check() -> None:  # pragma: no cover - import-time sanity for developers
    missing = [k for k in BUNDLED_KINDS if k not in KINDS]
    if missing:
        raise SocdataError(f"bundled kinds without a schema file: {missing}")
