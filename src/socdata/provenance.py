"""Provenance: input fingerprints, parameters, and a flow log of rows in and out.

Every result and every output written by ``socdata reproduce`` carries a
:class:`Provenance`: the package version, the function that produced it, a hash of each
input file or frame, every parameter, and a CONSORT-style flow log in which each step says
how many rows (or people) went in, how many came out, and why the others were excluded.

Examples
--------
>>> from socdata.provenance import FlowLog
>>> log = FlowLog().add("valid referrals", 223, 220, {"referral date missing": 3})
>>> log.to_frame()[["step", "n_in", "n_out"]].iloc[0].tolist()
['valid referrals', 223, 220]
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def package_version() -> str:
    """Version of socdata: ``socdata.__version__`` (semantic versioning)."""
    from socdata import __version__

    return __version__


def hash_file(path: str | Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file's bytes, read in chunks."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return f"{algorithm}:{h.hexdigest()}"


#: Columns at least this long are fingerprinted from a run-length or periodic encoding of
#: their values when it is at least 8 times shorter (a unit identifier repeated over its
#: months, a cohort, a period cycling through the same months): the digest still covers
#: every value, and a 48-million-row panel hashes in about half the time.  Shorter columns
#: are hashed as they are (their digests are those of earlier versions).
COMPACT_MIN_ROWS = 1 << 20


def _compact(arr: np.ndarray) -> bytes | None:
    """A tagged run-length (``rle``) or periodic (``per``) encoding of a long 1-d numeric
    array when it is at least 8 times shorter than the array, else ``None``.

    Values are compared by their bits (NaN equals NaN); the tag and the lengths make the
    encoding one-to-one, so equal digests still mean equal values.  Whether to encode is
    decided from the values alone (first on the first 65,536, then on all), so the same
    column always gives the same digest.
    """
    n = len(arr)
    if arr.ndim != 1 or n < COMPACT_MIN_ROWS or arr.dtype.itemsize not in (1, 2, 4, 8):
        return None
    bits = arr.view(f"u{arr.dtype.itemsize}")
    head = bits[: 1 << 16]
    if np.count_nonzero(head[1:] != head[:-1]) < len(head) // 8:
        starts = np.concatenate([[0], np.flatnonzero(bits[1:] != bits[:-1]) + 1])
        if len(starts) * 8 <= n:
            lengths = np.diff(np.append(starts, n)).astype(np.int64)
            return (
                b"rle\x00"
                + np.int64(len(starts)).tobytes()
                + bits[starts].tobytes()
                + lengths.tobytes()
            )
    again = np.flatnonzero(head[1:] == head[0])
    period = int(again[0]) + 1 if len(again) else 0
    if period and n % period == 0 and period * 8 <= n:
        block = bits[:period]
        if bool((bits.reshape(-1, period) == block).all()):
            return b"per\x00" + np.array([period, n // period], np.int64).tobytes() + block.tobytes()
    return None


def _column_bytes(values: pd.Series | pd.Index) -> bytes | memoryview:
    """The raw bytes of a column: numeric buffers as they are, anything else hashed by pandas."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        cats = "|".join(
            map(str, values.categories if isinstance(values, pd.Index) else values.cat.categories)
        )
        codes = values.codes if isinstance(values, pd.Index) else values.cat.codes.to_numpy()
        return cats.encode() + memoryview(np.ascontiguousarray(codes).view(np.uint8)).tobytes()
    if dtype.kind in "biufmM" and not pd.api.types.is_extension_array_dtype(dtype):
        arr = np.ascontiguousarray(values.to_numpy())
        compact = _compact(arr)
        return compact if compact is not None else memoryview(arr.view(np.uint8))
    hashed = pd.util.hash_pandas_object(values, index=False).to_numpy()
    return memoryview(np.ascontiguousarray(hashed).view(np.uint8))


def hash_frame(
    frame: pd.DataFrame,
    algorithm: str = "sha256",
    *,
    columns: Iterable[str | None] | None = None,
) -> str:
    """Order-sensitive fingerprint of a frame's column names, dtypes and values.

    Numeric and date columns are hashed from their raw buffers (no per-cell Python work, so
    48 million rows take about a second); text and nullable columns go through pandas'
    value hashing first.  With ``columns``, only those columns (in that order, duplicates
    and ``None`` skipped) are fingerprinted, e.g. the columns an estimator reads; without,
    every column and the index.  It identifies an input; it is not a security measure.

    Examples
    --------
    >>> a = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
    >>> hash_frame(a) == hash_frame(a.copy())
    True
    >>> hash_frame(a) == hash_frame(a.assign(x=[2, 1]))
    False
    >>> hash_frame(a, columns=["x"]) == hash_frame(a.assign(y=["c", "d"]), columns=["x"])
    True
    """
    h = hashlib.new(algorithm)
    cols = (
        list(frame.columns)
        if columns is None
        else list(dict.fromkeys(c for c in columns if c is not None))
    )
    h.update(repr((len(frame), [str(c) for c in cols])).encode())
    for col in cols:
        values = frame[col]
        h.update(str(col).encode() + b"\x00" + str(values.dtype).encode())
        h.update(_column_bytes(values))
    if columns is None:
        h.update(b"\x00index\x00")
        h.update(
            _column_bytes(
                frame.index.to_series(index=range(len(frame)))
                if isinstance(frame.index, pd.MultiIndex)
                else frame.index
            )
        )
    return f"{algorithm}:{h.hexdigest()}"


class FrameFingerprint:
    """:func:`hash_frame` of some columns, computed in a background thread once started.

    hashlib and numpy release the GIL, so an estimator can fingerprint its input while it
    computes: :meth:`start` when the route that needs the digest is known, :meth:`result`
    (which starts it if needed) to wait for the digest.

    >>> fp = FrameFingerprint(pd.DataFrame({"x": [1, 2]}), ["x"])
    >>> fp.result() == hash_frame(pd.DataFrame({"x": [1, 2]}), columns=["x"])
    True
    """

    def __init__(self, frame: pd.DataFrame, columns: Iterable[str | None]) -> None:
        self._frame = frame
        self._columns = list(columns)
        self._future: Future | None = None

    def start(self) -> FrameFingerprint:
        """Start hashing in a background thread (once); returns ``self``."""
        if self._future is None:
            pool = ThreadPoolExecutor(max_workers=1)
            self._future = pool.submit(hash_frame, self._frame, columns=self._columns)
            pool.shutdown(wait=False)
        return self

    def result(self) -> str:
        """The digest (starts hashing if it has not started, then waits)."""
        return self.start()._future.result()  # type: ignore[union-attr]


@dataclasses.dataclass(frozen=True)
class FlowStep:
    """One step of a flow log: rows (or people) in, rows out, and the excluded by reason."""

    step: str
    n_in: int
    n_out: int
    unit: str = "rows"
    excluded: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        n_excl = sum(n for _, n in self.excluded)
        if self.n_in - self.n_out != n_excl:
            raise ValueError(
                f"flow step {self.step!r}: {self.n_in} in - {self.n_out} out = "
                f"{self.n_in - self.n_out}, but exclusions add up to {n_excl}; "
                "every exclusion must be counted with its reason"
            )


@dataclasses.dataclass(frozen=True)
class FlowLog:
    """An ordered, immutable list of :class:`FlowStep`."""

    steps: tuple[FlowStep, ...] = ()

    def add(
        self,
        step: str,
        n_in: int,
        n_out: int,
        excluded: Mapping[str, int] | None = None,
        unit: str = "rows",
    ) -> FlowLog:
        """Return a new log with one more step."""
        excl = tuple((str(k), int(v)) for k, v in (excluded or {}).items() if v)
        return FlowLog((*self.steps, FlowStep(step, int(n_in), int(n_out), unit, excl)))

    def to_frame(self) -> pd.DataFrame:
        """One row per step and exclusion reason."""
        rows: list[dict[str, Any]] = []
        for s in self.steps:
            rows.append(
                {
                    "step": s.step,
                    "unit": s.unit,
                    "n_in": s.n_in,
                    "n_out": s.n_out,
                    "excluded_reason": "",
                    "n_excluded": s.n_in - s.n_out,
                }
            )
            for reason, n in s.excluded:
                rows.append(
                    {
                        "step": s.step,
                        "unit": s.unit,
                        "n_in": pd.NA,
                        "n_out": pd.NA,
                        "excluded_reason": reason,
                        "n_excluded": n,
                    }
                )
        return pd.DataFrame(
            rows, columns=["step", "unit", "n_in", "n_out", "excluded_reason", "n_excluded"]
        )

    def __len__(self) -> int:
        return len(self.steps)


@dataclasses.dataclass(frozen=True)
class Provenance:
    """Where a result came from.

    Attributes
    ----------
    function
        Dotted name of the public function that produced the result.
    parameters
        Every parameter, as passed (after defaults were filled in).
    inputs
        Fingerprints of the inputs, e.g. ``{"data": "sha256:..."}``.
    n_in, n_out
        Rows in and rows used.
    flow
        Flow log of exclusions.
    notes
        Method notes printed in ``summary()`` (e.g. the variance estimator in words).
    version
        socdata version.
    created
        UTC timestamp (ISO 8601).
    """

    function: str
    parameters: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    inputs: Mapping[str, str] = dataclasses.field(default_factory=dict)
    n_in: int | None = None
    n_out: int | None = None
    flow: FlowLog = dataclasses.field(default_factory=FlowLog)
    notes: tuple[str, ...] = ()
    version: str = dataclasses.field(default_factory=package_version)
    created: str = dataclasses.field(
        default_factory=lambda: _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    )

    @classmethod
    def build(
        cls,
        function: str,
        *,
        parameters: Mapping[str, Any] | None = None,
        frames: Mapping[str, pd.DataFrame] | None = None,
        files: Mapping[str, str | Path] | None = None,
        n_in: int | None = None,
        n_out: int | None = None,
        flow: FlowLog | None = None,
        notes: Iterable[str] = (),
    ) -> Provenance:
        """Convenience constructor that fingerprints frames and files."""
        inputs: dict[str, str] = {}
        for name, frame in (frames or {}).items():
            inputs[name] = hash_frame(frame)
        for name, path in (files or {}).items():
            inputs[name] = hash_file(path)
        return cls(
            function=function,
            parameters=dict(parameters or {}),
            inputs=inputs,
            n_in=n_in,
            n_out=n_out,
            flow=flow or FlowLog(),
            notes=tuple(notes),
        )

    def with_notes(self, *notes: str) -> Provenance:
        """Return a copy with more method notes."""
        return dataclasses.replace(self, notes=self.notes + tuple(notes))

    def describe(self) -> str:
        """Multi-line text for ``summary()``."""
        lines = [f"Produced by {self.function} (socdata {self.version}, {self.created})"]
        if self.parameters:
            params = ", ".join(f"{k}={v!r}" for k, v in self.parameters.items())
            lines.append(f"Parameters: {params}")
        if self.n_in is not None:
            lines.append(f"Rows in: {self.n_in}; rows used: {self.n_out}")
        for s in self.flow.steps:
            excl = "; ".join(f"{r}: {n}" for r, n in s.excluded)
            lines.append(
                f"  {s.step}: {s.n_in} -> {s.n_out} {s.unit}"
                + (f" (excluded {excl})" if excl else "")
            )
        lines.extend(f"Note: {n}" for n in self.notes)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict."""
        d = dataclasses.asdict(self)
        d["parameters"] = {
            k: repr(v) if not isinstance(v, (int, float, str, bool, type(None))) else v
            for k, v in self.parameters.items()
        }
        return d
