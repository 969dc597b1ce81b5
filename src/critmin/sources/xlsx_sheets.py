"""Fast, uniform reading of the publishers' ``.xlsx`` workbooks.

The xlsx files are the slow part of the snapshot build, so this module reads them with
`python-calamine <https://pypi.org/project/python-calamine/>`_ (a Rust reader, five to
seven times faster than ``openpyxl`` on these files) when it is installed, and falls back
to ``openpyxl`` in read-only mode otherwise. Both engines give the same rows:

* every sheet starts at cell A1, so ``rows[i]`` is sheet row ``i + 1`` (provenance rows
  are spreadsheet row numbers); all rows have the same width, and the sheet ends at its
  last row and column holding a value;
* an empty cell is ``None`` (calamine reports ``''``, openpyxl ``None``);
* numbers are ``float`` or ``int`` as the engine gives them (calamine gives ``1900.0``
  where openpyxl gives ``1900``); text is ``str``; dates are ``datetime``.

Measured on the raw files in ``../shared/data`` (2 cores, best of three runs, whole
workbook): USITC imports 0.40 s (openpyxl) vs 0.07 s (calamine), USITC exports 0.41 s vs
0.07 s, Pink Sheet 0.31 s vs 0.05 s, WGI workbook 0.63 s vs 0.12 s, MYB rare earths 0.05 s
vs 0.004 s, each DS140 workbook 0.01 s vs 0.001 s.

A file that is not a readable workbook (truncated, not a zip archive) or lacks a sheet
raises :class:`~critmin.errors.SourceError` naming the file and the sheet.
"""

from __future__ import annotations

import math
import warnings
import zipfile
from pathlib import Path

from critmin.errors import SourceError
from critmin.sources.base import require_file
from critmin.values import Qualifier, parse_value, parsed_columns

try:  # optional accelerator: ``pip install python-calamine``
    import python_calamine as _calamine
except ImportError:  # pragma: no cover - exercised only without the accelerator
    _calamine = None

Row = list[object]


class Workbook:
    """An opened workbook: its sheet names and the rows of any sheet, from A1."""

    def __init__(self, path: Path, *, engine: str | None = None) -> None:
        self.path = Path(path)
        require_file(self.path)
        self.engine = engine or ("calamine" if _calamine is not None else "openpyxl")
        if self.engine == "calamine" and _calamine is None:
            raise ValueError("python-calamine is not installed")
        try:
            if self.engine == "calamine":
                self._book = _calamine.CalamineWorkbook.from_path(str(self.path))
                self.sheet_names: list[str] = list(self._book.sheet_names)
            else:
                import openpyxl

                with warnings.catch_warnings():  # "no default style", print areas: harmless
                    warnings.simplefilter("ignore", UserWarning)
                    self._book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
                self.sheet_names = list(self._book.sheetnames)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise self._unreadable(exc) from None
        except Exception as exc:  # calamine raises its own CalamineError family
            if _calamine is not None and isinstance(exc, _calamine.CalamineError):
                raise self._unreadable(exc) from None
            raise

    def _unreadable(self, exc: BaseException) -> SourceError:
        return SourceError(
            self.path,
            f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})",
            expected="an intact Office Open XML workbook (is the file truncated?)",
        )

    def require_sheet(self, sheet: str) -> None:
        if sheet not in self.sheet_names:
            raise SourceError(self.path, "sheet not found", field=sheet, expected=f"a sheet named {sheet!r}", found=self.sheet_names)

    def rows(self, sheet: str) -> list[Row]:
        """All rows of ``sheet`` from A1; ``rows[i]`` is spreadsheet row ``i + 1``."""
        self.require_sheet(sheet)
        try:
            if self.engine == "calamine":
                raw = self._book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
                return _trim([[None if c == "" else c for c in r] for r in raw])
            ws = self._book[sheet]
            ws.reset_dimensions()  # the stored dimension tag of DataWeb exports is wrong
            return _trim([[None if (c is None or c == "") else c for c in r] for r in ws.iter_rows(values_only=True)])
        except SourceError:
            raise
        except Exception as exc:
            raise SourceError(self.path, f"cannot read sheet ({type(exc).__name__}: {exc})", field=sheet, expected="a readable worksheet") from None

    def close(self) -> None:
        close = getattr(self._book, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> "Workbook":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _trim(rows: list[Row]) -> list[Row]:
    """Drop empty rows and columns past the last value; pad rows to one width.

    openpyxl returns formatted but empty rows and columns past the data, calamine stops
    at the last cell holding something: after this both give the same rows.
    """
    while rows and all(c is None for c in rows[-1]):
        rows.pop()
    width = max((max((j for j, c in enumerate(r) if c is not None), default=-1) + 1 for r in rows), default=0)
    return [(r + [None] * (width - len(r)))[:width] for r in rows]


def cell_text(value: object) -> str:
    """A cell as stripped text ('' for an empty cell); ``1900.0`` becomes ``'1900'``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\u00a0", " ").strip()


def cell_int(value: object) -> int | None:
    """A whole number cell (``1993``, ``1993.0``, ``'1993'``) as int, else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def cell_values(cell: object, *, estimated: bool = False, revised: bool = False) -> dict[str, object]:
    """The five value columns (value, qualifier, low, high, raw) of one cell.

    A plain number takes a fast path (most cells of the large workbooks are numbers);
    everything else goes through :func:`critmin.values.parse_value`. ``raw`` is the cell as
    text, without a spurious ``.0`` on whole numbers.
    """
    if isinstance(cell, (int, float)) and not isinstance(cell, bool) and math.isfinite(cell):
        v = float(cell)
        qualifier = Qualifier.ESTIMATED if estimated else Qualifier.REVISED if revised else Qualifier.EXACT
        return {"value": v, "qualifier": qualifier.value, "low": v, "high": v, "raw": cell_text(cell)}
    parsed = parse_value(cell, estimated=estimated, revised=revised)
    return {**parsed_columns(parsed), "raw": parsed.raw}
