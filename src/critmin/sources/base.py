"""What every reader shares: the result type, safe file reading, row building.

A reader is a function ``read(data_dir: Path) -> ReadResult``. It knows one publisher's
layout and quirks and nothing downstream does. It raises
:class:`~critmin.errors.SourceError` (file, row, field, what was expected) on anything it
does not recognise, and never drops a row silently: a row it deliberately leaves out
(a footnote line, a blank spacer) is counted in ``ReadResult.skipped`` with the reason.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd

from critmin.errors import SourceError
from critmin.schema import TABLES
from critmin.values import Parsed, parsed_columns


@dataclass(frozen=True)
class SourceInfo:
    """One manifest entry: what the data is and how to cite it."""

    source_id: str
    title: str
    publisher: str
    citation: str
    licence: str
    vintage: int | None = None
    doi: str = ""
    url: str = ""
    published: str = ""
    notes: str = ""


@dataclass
class ReadResult:
    info: SourceInfo
    files: list[Path]
    tables: dict[str, pd.DataFrame]
    skipped: Counter = field(default_factory=Counter)
    #: data rows read per file (relative path), filled by the build's checks
    file_rows: dict[str, int] = field(default_factory=dict)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def require_file(path: Path) -> Path:
    if not path.is_file():
        raise SourceError(path, "file not found", expected="the publisher's file at this path (see ../shared/data/SOURCES.md)")
    return path


def read_text(path: Path, encoding: str) -> str:
    """Read a whole text file in the publisher's encoding, failing with a clear error.

    ``utf-8-sig`` removes a byte-order mark; a file that does not decode names the byte
    offset and the line where decoding failed.
    """
    data = require_file(path).read_bytes()
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(
            path,
            f"cannot decode byte 0x{data[exc.start]:02x} at offset {exc.start} as {encoding}",
            row=line,
            expected=f"a text file in {encoding}",
        ) from None


def read_csv_rows(path: Path, encoding: str, *, required: Iterable[str] = ()) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """Header and ``(row_number, row)`` pairs of a CSV file, all cells as stripped strings.

    Row numbers are 1-based with the header as row 1, as a spreadsheet shows them.
    Duplicate or blank header names get a suffix (``Signing_date``, ``Signing_date.1``),
    and a row with more cells than the header is an error unless the extra cells are empty
    (publishers leave trailing commas).
    """
    text = read_text(path, encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header_raw = next(reader)
    except StopIteration:
        raise SourceError(path, "file is empty", row=1, expected="a header row") from None
    header: list[str] = []
    seen: Counter = Counter()
    for i, name in enumerate(h.strip() for h in header_raw):
        base = name or f"_blank{i}"
        header.append(base if seen[base] == 0 else f"{base}.{seen[base]}")
        seen[base] += 1
    missing = [c for c in required if c not in header]
    if missing:
        raise SourceError(path, f"missing column(s) {missing}", row=1, field=missing[0], expected=f"a header with {list(required)}", found=header_raw)

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for n, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
                raise SourceError(path, f"row has {len(cells)} cells but the header has {len(header)}", row=n, expected="no cells beyond the header")
            cells = [c.strip() for c in cells[: len(header)]] + [""] * (len(header) - len(cells))
            yield n, dict(zip(header, cells))

    return header, rows()


def value_fields(parsed: Parsed) -> dict[str, object]:
    return parsed_columns(parsed)


def frame(table: str, rows: list[dict[str, object]]) -> pd.DataFrame:
    """Build a DataFrame with exactly the columns of ``table``, in schema order.

    A key a row lacks becomes null; a key the schema does not know is an error, so a typo
    in a reader fails at once.
    """
    schema = TABLES[table]
    cols = list(schema.columns)
    for r in rows[:1]:
        unknown = set(r) - set(cols)
        if unknown:
            raise KeyError(f"{table}: unknown column(s) {sorted(unknown)}")
    return pd.DataFrame.from_records(rows, columns=cols)


def relative_to_data(path: Path, data_dir: Path) -> str:
    try:
        return path.relative_to(data_dir).as_posix()
    except ValueError:
        return path.as_posix()
