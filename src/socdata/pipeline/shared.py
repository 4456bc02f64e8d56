"""What the steps and notebooks of one run share: each extract validated once, the police
person-month panel built once.

``socdata reproduce`` validates every extract in its own process while the kernels start
(:func:`validated_once`), then builds the police person-month panel that notebooks 20, 30
and 40 use (:func:`socdata.pipeline.steps.warm_step`).  :func:`shared` keeps each such
result in memory, keyed by what it was built from (the files' identity, size and
modification time, the read options); :func:`export_shared` and :func:`import_shared` hand
them to each kernel (:mod:`socdata.pipeline.handoff`, over a local connection), so no
notebook validates a file or builds the panel again.  Nothing is written to disk: the
results hold person-level rows.  A notebook run on its own fills its kernel's cache itself.

Each caller receives its own deep copy (a notebook that changes its frame cannot change what
the next one gets), and the warnings the computation emitted the first time are emitted again
on every hit, so each notebook's output shows the same warnings as if it had done the work.
An exception is never cached.

Examples
--------
>>> from socdata.pipeline.shared import clear_shared, shared
>>> calls = []
>>> def build():
...     calls.append(1)
...     return {"n": 3}
>>> shared(("demo",), build), shared(("demo",), build), len(calls)
({'n': 3}, {'n': 3}, 1)
>>> clear_shared()
"""

from __future__ import annotations

import copy
import dataclasses
import json
import warnings
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "MAX_ENTRIES",
    "clear_shared",
    "export_shared",
    "file_key",
    "import_shared",
    "read_extract_once",
    "shared",
    "validated_once",
]

T = TypeVar("T")

#: Results kept at once (least recently used dropped first).  A run needs about ten.
MAX_ENTRIES = 32


@dataclasses.dataclass(frozen=True)
class _Entry:
    value: Any
    warnings: tuple[warnings.WarningMessage, ...]


_CACHE: OrderedDict[Hashable, _Entry] = OrderedDict()


def file_key(path: str | Path) -> tuple[str, int, int, int]:
    """What identifies a file's content for the cache: its resolved path, inode, size and
    modification time (nanoseconds).  A file rewritten in place gets a new key."""
    p = Path(path).resolve()
    st = p.stat()
    return (str(p), st.st_ino, st.st_size, st.st_mtime_ns)


def clear_shared() -> None:
    """Forget every shared result (frees the memory)."""
    _CACHE.clear()


def export_shared() -> bytes:
    """Every shared result of this process, with its warnings, pickled.

    ``socdata reproduce`` validates the extracts in its own process while the kernels
    start, then hands them this (:mod:`socdata.pipeline.handoff`, in memory only), so no
    notebook validates a file again.
    """
    import pickle

    return pickle.dumps(
        [
            (key, e.value, [(w.message, w.category, w.filename, w.lineno) for w in e.warnings])
            for key, e in _CACHE.items()
        ],
        protocol=pickle.HIGHEST_PROTOCOL,
    )


def import_shared(payload: bytes) -> int:
    """Add what :func:`export_shared` gave (in another process of the same run) to this
    process's shared results; returns how many were added."""
    import pickle

    items = pickle.loads(payload)  # written by this run's own process
    for key, value, caught in items:
        _CACHE[key] = _Entry(value, tuple(warnings.WarningMessage(*w) for w in caught))
    while len(_CACHE) > MAX_ENTRIES:
        _CACHE.popitem(last=False)
    return len(items)


def _replay(caught: tuple[warnings.WarningMessage, ...]) -> None:
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno or 0)


def shared(key: Hashable, build: Callable[[], T]) -> T:
    """``build()``, computed once per process for ``key``; a deep copy on every call.

    Parameters
    ----------
    key
        Everything the result depends on (hashable), e.g. ``("police_panel", file_key(a),
        ...)``.
    build
        Computes the result; its warnings are recorded and emitted again on every call.

    Returns
    -------
    object
        A deep copy of the result (``copy.deepcopy``; a DataFrame's own deep copy).
    """
    return copy.deepcopy(_cached(key, build))


def _cached(key: Hashable, build: Callable[[], T]) -> T:
    """The cached value itself (not a copy), its warnings emitted again: for callers that
    copy only the part they hand out."""
    entry = _CACHE.get(key)
    if entry is None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = build()
        entry = _Entry(value, tuple(caught))
        _CACHE[key] = entry
        while len(_CACHE) > MAX_ENTRIES:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    _replay(entry.warnings)
    return entry.value


def validated_once(
    data_dir: str | Path, kind: str, *, read_options: Mapping[str, Any] | None = None
) -> Any:
    """:func:`socdata.validate.validate_extract` of ``kind`` in ``data_dir``, once per process.

    The run's validation step (:func:`socdata.report.validation.validation_summary`) and
    every notebook's :func:`read_extract_once` share this one validation of each file.

    Parameters
    ----------
    data_dir
        Folder holding ``<kind>.csv`` (or ``.xlsx``, ``.parquet``).
    kind
        Extract kind.
    read_options
        The run's column maps and sheets as a mapping
        (:meth:`socdata.io.options.ReadOptions.to_mapping`); part of the key.

    Returns
    -------
    socdata.validate.ValidationResult
        A copy of the validation (``strict=False``: rows breaking a rule are in its
        rejections, not raised).
    """
    return copy.deepcopy(_validation(data_dir, kind, read_options))


def _validation(data_dir: str | Path, kind: str, read_options: Mapping[str, Any] | None) -> Any:
    from socdata.io import find_extract
    from socdata.io.options import ReadOptions
    from socdata.validate import validate_extract

    path = find_extract(Path(data_dir), kind)
    options = ReadOptions.from_mapping(read_options)
    key = (
        "validate_extract",
        kind,
        file_key(path),
        json.dumps(options.to_mapping(), sort_keys=True, default=str),
    )
    return _cached(
        key,
        lambda: validate_extract(
            path, kind, column_map=options.column_map(kind), sheet=options.sheet(kind)
        ),
    )


def read_extract_once(
    data_dir: str | Path,
    kind: str,
    *,
    read_options: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> Any:
    """:func:`socdata.read_extract` of ``kind`` in ``data_dir``, validated once per process.

    Parameters
    ----------
    data_dir
        Folder holding ``<kind>.csv`` (or ``.xlsx``, ``.parquet``).
    kind
        Extract kind.
    read_options
        The run's column maps and sheets as a mapping (part of the key: they change what is
        read).
    **kwargs
        As for :func:`socdata.read_extract`.  With ``strict`` alone (or nothing) the rows
        come from :func:`validated_once`, so the run's validation step and every notebook
        share one validation of the file; other keywords (``sheet``, ``column_map``,
        ``show_identifiers``) read the file on their own, once per key.

    Returns
    -------
    pandas.DataFrame
        A copy of the valid rows; ``strict`` (default true) raises
        :class:`~socdata.errors.ExtractValidationError` and ``strict=False`` warns, exactly
        as :func:`socdata.read_extract` does.
    """
    from socdata.io import find_extract
    from socdata.validate import read_extract
    from socdata.validate.read import valid_rows

    if set(kwargs) <= {"strict"}:
        # only the valid rows are copied out of the shared validation (not its rejections)
        result = _validation(data_dir, kind, read_options)
        strict = kwargs.get("strict", True)
        if strict and not result.ok:
            result = copy.deepcopy(result)  # the error carries its own copy
        return valid_rows(result, kind, strict=strict).copy(deep=True)
    path = find_extract(Path(data_dir), kind)
    key = (
        "read_extract",
        kind,
        file_key(path),
        json.dumps(read_options or {}, sort_keys=True, default=str),
        json.dumps(kwargs, sort_keys=True, default=str),
    )
    return shared(key, lambda: read_extract(path, kind, **kwargs))
