"""Errors raised by :mod:`socdata.review`."""

from __future__ import annotations

from socdata.errors import SocdataError


class PublishedFiguresError(SocdataError):
    """A published-figures table or a check's arguments cannot be used as given.

    The message names the file, row, column, value and rule, and suggests a fix.
    ``socdata audit`` maps it to exit code 2.
    """
