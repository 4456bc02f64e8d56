"""``manifest.json``: what a ``socdata reproduce`` run read, did and wrote."""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from socdata.provenance import hash_file, package_version

__all__ = ["MANIFEST_VERSION", "environment_versions", "write_manifest"]

#: Version of the manifest layout (bumped when keys change meaning).
MANIFEST_VERSION = 1

_KEY_PACKAGES = (
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "linearmodels",
    "matplotlib",
    "pandera",
    "nbclient",
    "jupytext",
)


def environment_versions() -> dict[str, str]:
    """Versions of Python, the platform and the packages that change numbers."""
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in _KEY_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover - optional
            out[name] = "not installed"
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


def write_manifest(
    out_dir: str | Path,
    *,
    inputs: Mapping[str, str],
    parameters: Mapping[str, Any],
    notebooks: Sequence[Mapping[str, Any]],
    started: str,
    finished: str,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``out_dir/manifest.json``.

    Parameters
    ----------
    out_dir
        Output folder of the run.
    inputs
        ``{file name: "sha256:..."}`` of every input file.
    parameters
        The run's parameters (data folder, disclosure rule set, ...).
    notebooks
        One mapping per notebook: ``name``, ``status``, ``seconds``, ``error``.
    started, finished
        UTC ISO 8601 timestamps.
    extra
        More top-level keys (data kind, validation counts, notes).

    Returns
    -------
    pathlib.Path
        The manifest.  Outputs (``tables/``, ``figures/``, ``comparison.csv``,
        ``report.html`` is excluded because it embeds the manifest's time) are listed with
        their sha256 so a reviewer can check a copy.
    """
    out_dir = Path(out_dir)
    outputs = {}
    for sub, pattern in (("tables", "*.csv"), ("figures", "*.png")):
        for p in sorted((out_dir / sub).glob(pattern)):
            outputs[f"{sub}/{p.name}"] = hash_file(p)
    if (out_dir / "comparison.csv").is_file():
        outputs["comparison.csv"] = hash_file(out_dir / "comparison.csv")
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "socdata_version": package_version(),
        "python_version": sys.version.split()[0],
        "started_utc": started,
        "finished_utc": finished,
        "parameters": _jsonable(parameters),
        "inputs": dict(inputs),
        "notebooks": _jsonable(list(notebooks)),
        "outputs": outputs,
        "environment": environment_versions(),
        **_jsonable(dict(extra or {})),
    }
    path = out_dir / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path
