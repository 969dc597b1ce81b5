"""Errors that name the place in the input where something is wrong."""

from __future__ import annotations

from pathlib import Path


class CritminError(Exception):
    """Base class: every error critmin raises on purpose."""


class SourceError(CritminError):
    """A publisher's file does not look as expected.

    The message names the file, the row (1-based, as a spreadsheet or text editor shows
    it, header included), the field, and what was expected, so that a user can open the
    file and look.
    """

    def __init__(
        self,
        file: str | Path,
        message: str,
        *,
        row: int | None = None,
        field: str | None = None,
        expected: str | None = None,
        found: object = None,
    ) -> None:
        self.file = str(file)
        self.row = row
        self.field = field
        self.expected = expected
        self.found = found
        parts = [self.file]
        if row is not None:
            parts.append(f"row {row}")
        if field is not None:
            parts.append(f"field {field!r}")
        where = ", ".join(parts)
        text = f"{where}: {message}"
        if found is not None:
            text += f" (found {found!r})"
        if expected is not None:
            text += f"; expected {expected}"
        super().__init__(text)


class UnmappedNameError(SourceError):
    """A country or commodity name that no vocabulary entry maps."""


class SnapshotError(CritminError):
    """The normalised snapshot is missing, incomplete or fails its checksums."""


class UnknownCommodityError(CritminError, LookupError):
    """A user asked for a mineral critmin does not know."""


class InvalidRequestError(CritminError, ValueError):
    """A parameter critmin cannot use as given: an unknown country code, a stage or measure
    outside its closed set, a measure a mineral's codes cannot be given in. The REST API
    answers 422 (a bad parameter), where other :class:`CritminError` are 404 (data the
    snapshot does not have); the CLI exits 2."""
