"""What the readers of the USGS Mineral Commodity Summaries (MCS) data releases share.

The MCS 2023, 2024 and 2025 data releases name their files after a five-letter commodity
code (``mcs2024-lithi_world.csv``, ``MCS2024-bismu_salient.csv``, ``mcs2023tellu_salient.csv``,
``mcs2025-lithium_salient.csv``); :func:`parse_file_name` splits such a name into release
year, commodity code and kind, and :func:`commodity_for_code` maps the code to a canonical
commodity with :func:`critmin.vocab.commodities.mcs_file_codes` (an unknown code fails).

:func:`read_mcs_csv` reads one of their CSV files (UTF-8 with a byte-order mark, CRLF line
ends): every cell is stripped, blank lines are counted (the readers report them in
``ReadResult.skipped``), and a row that is shorter than the header's named columns or that
has text beyond the header is an error, which is how a truncated file shows up. A file cut
exactly at a line end cannot be told from a shorter one.

:func:`release_inventory` gives the files each per-commodity part of a release must have
(``usgs_mcs_files.csv``, beside this module: release, part, file, data rows). It records the
releases as published (SOURCES.md §1a-1c: 77 world files in 2023 and 2024, 85 salient files
in each of 2023-2025); a salient file has one row per year of the release (five), except the
three MCS2024 salient files in the world-table layout, which are not read (0 rows). The
readers declare these as :class:`~critmin.sources.expectations.Expectation` files and
shapes, so a missing or shortened file fails the build naming it.

The citations come from ``../shared/data/SOURCES.md``, not from the files' FGDC metadata:
the world-data XML files of all three releases put the MCS2023 DOI (P9WCYUI6) in
``<onlink>``, a USGS metadata error.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from critmin.errors import SourceError, UnmappedNameError
from critmin.sources.base import SourceInfo, read_text
from critmin.sources.expectations import Bounds, Shape, Signed, Values, Where, Words
from critmin.vocab.commodities import CommodityRef, mcs_file_codes

PUBLISHER = "U.S. Geological Survey, National Minerals Information Center"
RESERVES_MEASURE = "reserves"
LICENCE = "Public domain (U.S. Government work); no use constraints"


@dataclass(frozen=True)
class Release:
    """One MCS data release: its citation and where its files are."""

    vintage: int
    citation: str
    doi: str
    published: str
    notes: str = ""

    @property
    def folder(self) -> str:
        return f"usgs_mcs{self.vintage}"

    @property
    def reserves_year(self) -> int:
        """MCS reserves are as of the year before the release (MCS2025: ``RESERVES_2024``)."""
        return self.vintage - 1

    @property
    def estimated_year(self) -> int:
        """The last year of a release's salient table, the one the metadata calls estimated."""
        return self.vintage - 1


RELEASES: dict[int, Release] = {
    2023: Release(
        2023,
        "National Minerals Information Center, 2023, U.S. Geological Survey Mineral Commodity Summaries "
        "2023 Data Release: U.S. Geological Survey data release, https://doi.org/10.5066/P9WCYUI6",
        "10.5066/P9WCYUI6",
        "2023-01-31",
    ),
    2024: Release(
        2024,
        "National Minerals Information Center, 2024, USGS Mineral Commodity Summaries 2024 Data Release "
        "(ver. 2.0, March 2024): U.S. Geological Survey data release, https://doi.org/10.5066/P144BA54",
        "10.5066/P144BA54",
        "2024-01-31",
        "Version 2.0 of 2024-03-05 (world files of barite, bauxite, boron, chromium, clays, diatomite, "
        "germanium, PGM, potash, silver, silicon, soda ash, titanium minerals, zinc, zirconium revised).",
    ),
    2025: Release(
        2025,
        "National Minerals Information Center, 2025, Mineral Commodity Summaries 2025 Data Release: "
        "U.S. Geological Survey data release, https://doi.org/10.5066/P13XCP3R",
        "10.5066/P13XCP3R",
        "2025-01-31",
        "ScienceBase item 677eaf95d34e760b392c4970.",
    ),
}

_XML_DOI_NOTE = (
    "The FGDC metadata XML of the world files puts the MCS2023 DOI (P9WCYUI6) in <onlink> for every "
    "release; that is a USGS metadata error, the DOI here is the release's own."
)


_INVENTORY = Path(__file__).with_name("usgs_mcs_files.csv")


def release_inventory(vintage: int, part: str) -> tuple[tuple[str, ...], tuple[Shape, ...]]:
    """Expected files of a release's ``world`` or ``salient`` part, and a shape per file.

    Salient files must cover every year of the release (the five years before it).
    """
    files, shapes = [], []
    years = tuple(range(vintage - 5, vintage))
    with open(_INVENTORY, encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            if int(r["vintage"]) != vintage or r["part"] != part:
                continue
            rows = int(r["rows"])
            files.append(r["file"])
            covers = {"year": years} if part == "salient" and rows else {}
            doc = f"MCS{vintage} {part} file as published (critmin/sources/usgs_mcs_files.csv)"
            shapes.append(Shape(r["file"], rows=rows, covers=covers, doc=doc))
    if not files:
        raise ValueError(f"no inventory of MCS{vintage} {part} files")
    return tuple(files), tuple(shapes)


def release(vintage: int) -> Release:
    try:
        return RELEASES[vintage]
    except KeyError:
        raise ValueError(f"no MCS data release {vintage} is known; known: {sorted(RELEASES)}") from None


def source_info(vintage: int, part: str, notes: str = "") -> SourceInfo:
    """The manifest entry of one part (``world`` or ``salient``) of one release."""
    rel = release(vintage)
    titles = {
        "world": "world mine and refinery production, capacity and reserves by country",
        "salient": "U.S. salient statistics by commodity",
    }
    return SourceInfo(
        source_id=f"usgs_mcs{vintage}_{part}",
        title=f"Mineral Commodity Summaries {vintage} Data Release: {titles[part]}",
        publisher=PUBLISHER,
        citation=rel.citation,
        licence=LICENCE,
        vintage=vintage,
        doi=rel.doi,
        url=f"https://doi.org/{rel.doi}",
        published=rel.published,
        notes=" ".join(n for n in (rel.notes, _XML_DOI_NOTE if part == "world" else "", notes) if n),
    )


_FILE_RE = re.compile(
    r"^mcs(?P<vintage>\d{4})-?(?P<code>[a-z][a-z0-9-]*?)_(?P<kind>world|salient)\.(?P<ext>csv|xlsx)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class McsFileName:
    vintage: int
    code: str
    kind: str
    ext: str


def parse_file_name(path: Path) -> McsFileName | None:
    """``MCS2024-bismu_world.csv`` -> (2024, ``bismu``, ``world``, ``csv``); None if not an MCS file."""
    m = _FILE_RE.match(path.name)
    if m is None:
        return None
    return McsFileName(int(m["vintage"]), m["code"].lower(), m["kind"].lower(), m["ext"].lower())


def commodity_for_code(code: str, path: Path) -> CommodityRef:
    """The commodity of an MCS file code, or :class:`UnmappedNameError` naming the file."""
    ref = mcs_file_codes().get(code)
    if ref is None:
        raise UnmappedNameError(
            path,
            "unknown MCS commodity code in the file name",
            field="file name",
            found=code,
            expected="a code in critmin/vocab/mcs_file_codes.csv",
        )
    return ref


def list_mcs_files(folder: Path, kind: str, vintage: int) -> list[Path]:
    """The release's ``*_world`` or ``*_salient`` files in ``folder``, sorted by name (case-insensitively)."""
    if not folder.is_dir():
        raise SourceError(folder, "folder not found", expected=f"the MCS{vintage} {kind} files (see ../shared/data/SOURCES.md)")
    found = []
    for p in folder.iterdir():
        name = parse_file_name(p)
        if name is None or name.kind != kind:
            continue
        if name.vintage != vintage:
            raise SourceError(p, "file of another release in this folder", field="file name", found=p.name, expected=f"mcs{vintage}-<code>_{kind}.csv")
        found.append(p)
    if not found:
        raise SourceError(folder, f"no {kind} files found", expected=f"files named mcs{vintage}-<code>_{kind}.csv")
    return sorted(found, key=lambda p: p.name.lower())


def is_release_label(cell: str, vintage: int) -> bool:
    """``MCS2024`` or ``MCS 2024`` (spaces inside happen) names release ``vintage``."""
    return re.sub(r"\s+", "", cell).upper() == f"MCS{vintage}"


@dataclass
class CsvTable:
    """A CSV file as read: stripped header, non-blank rows with their 1-based row numbers."""

    path: Path
    header: list[str]
    rows: list[tuple[int, list[str]]]
    blank_rows: int

    @property
    def named_columns(self) -> int:
        """Number of columns up to and including the last one with a name."""
        named = [i for i, h in enumerate(self.header) if h]
        return named[-1] + 1 if named else 0


def read_mcs_csv(path: Path) -> CsvTable:
    """Read an MCS CSV (UTF-8, optional BOM), failing clearly on anything malformed.

    Row numbers are records as a spreadsheet shows them (header = 1). Cells are stripped
    of spaces, including no-break spaces. Blank lines are counted, not returned.
    """
    text = read_text(path, "utf-8-sig")
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise SourceError(path, "file is empty", row=1, expected="a header row") from None
    except csv.Error as exc:
        raise SourceError(path, f"malformed CSV header: {exc}", row=1) from None
    table = CsvTable(path, header, [], 0)
    width = table.named_columns
    n = 1
    try:
        for n, cells in enumerate(reader, start=2):
            cells = [c.strip() for c in cells]
            if not any(cells):
                table.blank_rows += 1
                continue
            if len(cells) > len(header) and any(cells[len(header):]):
                raise SourceError(path, f"row has {len(cells)} cells but the header has {len(header)}", row=n, expected="no cells beyond the header")
            if len(cells) < width:
                raise SourceError(
                    path,
                    f"row has {len(cells)} cells but the header names {width} columns (file truncated?)",
                    row=n,
                    expected=f"{width} cells",
                )
            cells = cells[: len(header)] + [""] * (len(header) - len(cells))
            table.rows.append((n, cells))
    except csv.Error as exc:
        raise SourceError(path, f"malformed CSV (file truncated inside a quoted cell?): {exc}", row=n + 1) from None
    return table


# --- value domains shared by the MCS readers (declared for critmin.sources.expectations) ----------

#: Words the MCS world tables print in a number cell (SOURCES.md §1a and §1d: reserves
#: "Large", "Moderate", "Included in World total", "Included with Other countries"; the
#: titanium tables of 2023-2024 put rutile "Included with ilmenite"). Any other text in a
#: production, capacity or reserves cell is an error.
MCS_WORLD_WORDS: tuple[Words, ...] = (
    Words(
        r'(?:very )?(?:large|moderate|small)(?: to (?:very )?(?:large|moderate|small))?|categorized as "large"',
        Where(measure=RESERVES_MEASURE),
        "reserves described in words in the MCS world tables (SOURCES.md §1a, §1d)",
    ),
    Words(
        r"included (?:in|with) .{1,60}",
        None,
        "a figure counted in another row ('Included in World total', 'Included with ilmenite'; SOURCES.md §1a)",
    ),
)

#: The world tables' figures are quantities: the FGDC metadata give every production,
#: capacity and reserves column the range domain 0 to 10^9 (e.g. ``mcs2023-timin_meta.xml``);
#: the checker's default (no negatives) holds; the field names the measure and year.
MCS_WORLD_VALUES = Values(words=MCS_WORLD_WORDS, field="{measure} {year}")

#: Net import reliance: a percentage of apparent consumption (0-100) or ``E`` (allowed in NIR
#: fields by :data:`critmin.sources.expectations.NIR_FIELDS`).
NIR_BOUNDS = Bounds(0, 100, Where(statistic="nir"), doc="net import reliance as a percentage of apparent consumption")

#: Where the MCS salient metadata allow negative figures.
MCS_SALIENT_SIGNED: tuple[Signed, ...] = (
    Signed(
        Where(detail=re.compile(r"^(?:Shipments_(?:Gov|Concentrate|Other)_|Shipments from Government stockpile)")),
        "shipments from the Government stockpile are the change in inventory: 'If negative, increase in inventory' "
        "(the metadata of Shipments_Gov_* in every release, e.g. mcs2023-niobi_meta.xml, and of tungsten's "
        "Shipments_Concentrate_t and Shipments_Other_t; MCS2026 'Shipments from Government stockpile')",
    ),
    Signed(
        Where(commodity_id="thorium", statistic="consumption"),
        "'The apparent consumption calculation for thorium compounds results in a negative value' (mcs2023-thori_meta.xml)",
    ),
)

#: Prices the publisher gives in words (dimension stone, gemstones).
MCS_PRICE_WORDS = Words(
    r"variable, depending on .{1,80}",
    Where(statistic="price"),
    "a price published as 'Variable, depending on type of product' (dimension stone) or '... size, type, and quality' (gemstones)",
)
