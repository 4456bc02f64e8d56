"""Writing outputs safely: no live formulas in CSV/XLSX, no raw control characters on a terminal.

Every CSV or XLSX file socdata writes goes through :func:`write_csv` or :func:`write_xlsx`:

* **CSV injection** (OWASP rule): a text cell that starts with ``=``, ``+``, ``-``, ``@``,
  a TAB or a carriage return is executed as a formula when the file is opened in Excel or
  LibreOffice (``=HYPERLINK(...)``, ``+cmd|...``, ``@SUM(...)``).  Such cells get a leading
  apostrophe, which spreadsheets show as text.  Numbers are never touched: numeric columns
  keep their dtype, and a text cell that is a plain number (``-3``, ``+1.5``, ``-2e-3``) is
  not a formula and stays as it is, so negative numbers survive;
* the file is written to a temporary file beside the target and renamed into place, so a
  failed write (a full disk, a read-only folder) never leaves half a file or destroys the
  previous one;
* the target is checked first (:func:`check_output_file`): never an input of the run, never
  a folder, never in a folder that does not exist, and an existing file is replaced only
  when the caller says it may be.

Text that socdata echoes to a terminal from a supplier's file goes through
:func:`escape_terminal`: escape sequences (``ESC[2J``...), carriage returns, other control
characters and bidirectional overrides are shown as ``\\x1b``-style escapes.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from socdata.errors import OutputPathError

__all__ = [
    "FORMULA_PREFIXES",
    "check_output_file",
    "escape_terminal",
    "neutralise_formulas",
    "neutralise_text",
    "write_csv",
    "write_xlsx",
]

#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?")

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def neutralise_text(value: Any) -> Any:
    """``"'" + value`` when ``value`` is text a spreadsheet would run as a formula.

    Non-text values, and text that is a plain number (``"-3"``, ``"+1.5"``), are returned
    unchanged.

    Examples
    --------
    >>> neutralise_text("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> neutralise_text("-3"), neutralise_text(-3), neutralise_text("Cardiff")
    ('-3', -3, 'Cardiff')
    """
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_PREFIXES)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose formula-leading text cells and headers are neutralised.

    Only text columns (object or string dtype) are scanned; numeric, boolean and date
    columns are returned as they are.  The input frame is not modified.
    """
    out = frame.copy()
    for j in range(frame.shape[1]):
        s = frame.iloc[:, j]
        if pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype):
            out.isetitem(j, s.map(neutralise_text, na_action="ignore"))
    out.columns = [neutralise_text(c) for c in frame.columns]
    return out


def escape_terminal(text: object) -> str:
    """Text safe to print: control characters and bidi overrides shown as escapes.

    Newlines and tabs are kept; everything else below U+0020, DEL, the C1 controls and the
    bidirectional overrides (U+202A-U+202E, U+2066-U+2069) becomes ``\\xNN`` / ``\\uNNNN``.

    Examples
    --------
    >>> escape_terminal("Cardiff\\x1b[2J")
    'Cardiff\\\\x1b[2J'
    """
    return _CONTROL.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}"
        ),
        str(text),
    )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _has_cr(frame: pd.DataFrame) -> bool:
    for j in range(frame.shape[1]):
        s = frame.iloc[:, j]
        if pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype):
            if s.map(lambda v: isinstance(v, str) and "\r" in v, na_action="ignore").any():
                return True
    return "\r" in "".join(map(str, frame.columns))


def check_output_file(
    path: str | Path,
    *,
    inputs: Iterable[str | Path] = (),
    what: str = "output",
    replace: bool | Callable[[Path], bool] = False,
) -> Path:
    """Check that ``path`` may be written; return it.

    Parameters
    ----------
    path
        The file to write.
    inputs
        Files (or folders) the run reads: the output may not be one of them, nor lie in
        one of the folders.
    what
        How the user named the path, for messages (``"--report"``).
    replace
        Whether an existing file may be replaced: ``True``, ``False``, or a function of the
        path (e.g. "it is a report socdata wrote before").

    Raises
    ------
    OutputPathError
        The path is an input or inside an input folder, is a folder, its folder does not
        exist, or it exists and may not be replaced.
    """
    path = Path(path)
    for inp in inputs:
        inp = Path(inp)
        if _same_file(path, inp) or path.resolve() == inp.resolve():
            raise OutputPathError(
                f"{what} {path} is an input of this run; socdata never writes over its "
                "input: choose another file name"
            )
        if inp.is_dir() and path.resolve().is_relative_to(inp.resolve()):
            raise OutputPathError(
                f"{what} {path} is inside the data folder {inp}; socdata never writes into "
                "its data folder: choose a file elsewhere"
            )
    if path.is_dir():
        raise OutputPathError(f"{what} {path} is a folder; give a file name, e.g. {path / 'x.csv'}")
    if not path.parent.is_dir():
        raise OutputPathError(
            f"{what} {path}: the folder {path.parent} does not exist; create it first or "
            "choose another place"
        )
    if path.exists():
        ok = replace(path) if callable(replace) else replace
        if not ok:
            raise OutputPathError(
                f"{what} {path} already exists and was not written by socdata; choose another "
                "file name (socdata does not overwrite files it did not write)"
            )
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def _atomic(path: Path, what: str, mode: str = "w"):
    """Write through a temporary file in the same folder, renamed into place at the end."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputPathError(
            f"{what} {path}: cannot write in {path.parent} ({exc.strerror or exc}); "
            "choose a folder you can write to"
        ) from None
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputPathError(f"{what} {path}: cannot be written ({exc.strerror or exc})") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def write_csv(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    inputs: Iterable[str | Path] = (),
    what: str = "output",
    replace: bool | Callable[[Path], bool] = True,
    **to_csv: Any,
) -> Path:
    """Write ``frame`` as CSV with formula-leading cells neutralised (the one CSV writer).

    Parameters
    ----------
    frame
        The table; not modified.
    path
        Target file (checked with :func:`check_output_file`).
    inputs, what, replace
        As for :func:`check_output_file` (default: an existing file may be replaced, as
        the folder-level checks of the caller already decided).
    **to_csv
        Passed to :meth:`pandas.DataFrame.to_csv` (``index=False`` by default).

    Returns
    -------
    pathlib.Path
    """
    path = check_output_file(path, inputs=inputs, what=what, replace=replace)
    to_csv.setdefault("index", False)
    safe = neutralise_formulas(frame)
    if "\r" not in to_csv.get("lineterminator", os.linesep) and _has_cr(safe):
        # the csv module quotes a cell only for the characters of the line terminator: a
        # bare CR inside a cell would otherwise be written unquoted and split the record
        to_csv["lineterminator"] = "\r\n"
    with _atomic(path, what) as tmp:
        safe.to_csv(tmp, **to_csv)
    return path


def write_xlsx(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    sheet: str = "Sheet1",
    inputs: Iterable[str | Path] = (),
    what: str = "output",
    replace: bool | Callable[[Path], bool] = True,
) -> Path:
    """Write ``frame`` to an XLSX workbook with formula-leading cells neutralised.

    openpyxl stores any text starting with ``=`` as a formula, so neutralising matters even
    more here than in CSV.
    """
    path = check_output_file(path, inputs=inputs, what=what, replace=replace)
    safe = neutralise_formulas(frame)
    with _atomic(path, what) as tmp:
        safe.to_excel(tmp, sheet_name=sheet, index=False, engine="openpyxl")
    return path
