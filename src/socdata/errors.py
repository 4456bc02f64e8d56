"""Exception and warning classes used across socdata.

Every user-facing error names what went wrong, where (file, row, column, value when it is
safe to show), which rule was applied, and what to try instead.  Errors never carry person
rows; identifier and date-of-birth values are masked unless a caller opts in.

Examples
--------
>>> import socdata
>>> from socdata import errors
>>> try:
...     socdata.read_extract("no-such-file.csv", "service")
... except errors.SocdataError as exc:
...     print(type(exc).__name__)
ExtractReadError
"""

from __future__ import annotations


class SocdataError(Exception):
    """Base class for every error raised deliberately by socdata."""


class ExtractReadError(SocdataError):
    """The file cannot be read as a table at all (missing, empty, not a table, no such sheet).

    ``socdata validate`` maps this to exit code 2.
    """


class UsageError(SocdataError):
    """A command-line argument or an option file cannot be used (exit code 2).

    Also raised for file-system problems with an output path: it names an existing file or
    an input, its folder is missing or read-only.
    """


class OutputPathError(UsageError):
    """An output path would overwrite an input or a file socdata did not write (exit 2)."""


class ExtractValidationError(SocdataError):
    """Strict validation found rows that break the schema.

    Parameters
    ----------
    message
        Readable summary grouped by rule, capped in length.
    result
        The :class:`socdata.validate.ValidationResult` holding valid and rejected rows.
    """

    def __init__(self, message: str, result: object | None = None) -> None:
        super().__init__(message)
        self.result = result


class SchemaError(SocdataError):
    """A schema file under ``data/schemas`` is malformed or disagrees with its pandera model."""


class EstimationError(SocdataError):
    """An estimator cannot run on the data it was given (say why and what to relax)."""


class DiDInputError(EstimationError, ValueError):
    """The panel given to a DiD estimator breaks a rule: a named column missing or not
    numeric, duplicate unit-period rows, a unit-level column that changes within a unit.

    Raised by the one DiD input encoder (``socdata.did._encode``) for every estimator.
    """


class AttGtInputError(DiDInputError):
    """The data or options given to :func:`socdata.did.att_gt` break a rule."""


class MatchingError(EstimationError):
    """Matching cannot proceed, e.g. the comparator pool is too small for the ratio/caliper."""


class DisclosureError(SocdataError):
    """An output would break disclosure control and the caller asked for it to be enforced."""


class SocdataWarning(UserWarning):
    """Base class for socdata warnings (excluded rows, rules outside the service's range...)."""


class ExcludedRowsWarning(SocdataWarning):
    """Rows were excluded from an analysis; the message gives the count and the reason."""


class DataQualityWarning(SocdataWarning):
    """A value is allowed but unusual (e.g. age at referral outside the service's 11-18)."""


class SmallClusterWarning(SocdataWarning):
    """Cluster-robust inference with too few clusters for the usual formula to be trusted."""


class SocdataDeprecationWarning(DeprecationWarning):
    """A public interface will change; the message says what to use instead."""


def caller_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning point at the first frame outside socdata.

    Call it where the warning is issued: ``warnings.warn(msg, Category,
    stacklevel=caller_stacklevel())``.  However deep the helper that warns (keyword
    wrappers, split estimator steps), the warning names the user's file and line, so
    ``-W error`` filters and the printed location mean the user's call.
    """
    import os
    import sys

    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frame = sys._getframe(1)  # the function that warns (stacklevel=1)
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame = frame.f_back
        level += 1
    return level
