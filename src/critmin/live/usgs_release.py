"""Download a USGS Mineral Commodity Summaries (MCS) data release from ScienceBase.

USGS publishes each year's MCS data as a ScienceBase catalog item (a "data release").
:func:`fetch_mcs_release` reads the item's JSON, downloads its files, unzips the zip
archives and lays the files out as the project's readers expect
(``../shared/data/SOURCES.md`` section 1), in ``dest_dir/usgs_mcs<year>/``:

=====================================================  ==========================================
file (as listed on the item, or inside a zip)          goes to
=====================================================  ==========================================
``MCS<year>_Commodities_Data.csv`` (2026 onwards),     ``usgs_mcs<year>/`` (the release root)
its metadata XML, version history, other files
``*World_Data*``, ``mcs<year>-<code>_world.csv``       ``world/``
``*Salient*`` zips, ``mcs<year>-<code>_salient.csv``,  ``salient/``
``mcs<year>-<code>_meta.xml``
``MCS<year>_Fig*``, ``MCS<year>_T<n>_*``,              ``industry_trends/``
``*Industry_Trends*``
=====================================================  ==========================================

A file inside a zip goes where its own name says; a name that says nothing (a metadata
XML in a salient zip) follows the zip. Folders inside zips are flattened; ``__MACOSX/``
entries and hidden files are ignored; a member whose path escapes the target (``../``,
absolute paths) is an error. Zips nested one level deep are unpacked too.

Safety
------
* Every file's size is checked against the catalogue's ``size``, and its checksum when
  the catalogue gives one (``{"type": "MD5", "value": ...}``).
* The release is assembled in a temporary folder beside the target and swapped in only
  when every file has arrived and passed its checks; a failure leaves an existing
  ``usgs_mcs<year>/`` untouched and removes the temporary folder.
* For 2026 onwards the long-format file's header is checked
  (:func:`check_mcs_long_header`).

Known item ids are in :data:`KNOWN_ITEMS`; for another year pass ``item_id``, the
24-character id at the end of the release's ScienceBase address. Only files attached to
the item itself are fetched; releases that put each commodity in a child item (MCS 2024)
are not followed. Downloaded files are never committed: build a snapshot from them with
``critmin data build --source-dir dest_dir``.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Mapping

from critmin.errors import CritminError, SourceError
from critmin.live import http
from critmin.sources.base import SourceInfo
from critmin import folders

#: ScienceBase catalog item of each year's MCS data release.
KNOWN_ITEMS: dict[int, str] = {2025: "677eaf95d34e760b392c4970", 2026: "696a75d5d4be0228872d3bf8"}
ITEM_URL = "https://www.sciencebase.gov/catalog/item/{item_id}?format=json"

#: Columns of the long-format file (MCS 2026); the 11th is renamed each year.
LONG_HEADER: tuple[str, ...] = (
    "MCS chapter", "Section", "Commodity", "Country", "Statistics", "Statistics_detail",
    "Unit", "Year", "Value", "Notes", "Is critical mineral 2025", "Other notes",
)
_FLAG_INDEX = 10
_FLAG_RE = re.compile(r"^Is critical mineral (\d{4})$")
_ITEM_ID_RE = re.compile(r"^[0-9a-f]{24}$")

ROOT, WORLD, SALIENT, TRENDS = "", "world", "salient", "industry_trends"


def source_info(year: int) -> SourceInfo:
    """Manifest entry for the MCS data release of ``year``."""
    dois = {2023: "10.5066/P9WCYUI6", 2024: "10.5066/P144BA54", 2025: "10.5066/P13XCP3R", 2026: "10.5066/P1WKQ63T"}
    doi = dois.get(year, "")
    return SourceInfo(
        source_id=f"usgs_mcs{year}",
        title=f"Mineral Commodity Summaries {year} Data Release",
        publisher="U.S. Geological Survey, National Minerals Information Center",
        citation=f"National Minerals Information Center, {year}, Mineral Commodity Summaries {year} Data Release: "
        + (f"https://doi.org/{doi}" if doi else "U.S. Geological Survey data release (ScienceBase)"),
        licence="U.S. Government work, public domain (CC0 1.0)",
        vintage=year,
        doi=doi,
        url=f"https://www.sciencebase.gov/catalog/item/{KNOWN_ITEMS[year]}" if year in KNOWN_ITEMS else "",
    )


@dataclass(frozen=True)
class ReleaseFile:
    """One file listed on a ScienceBase item."""

    name: str
    url: str
    size: int | None
    checksum: http.Checksum | None


def route(name: str, year: int, fallback: str = ROOT) -> str:
    """The sub-folder (``""``, ``world``, ``salient``, ``industry_trends``) a file goes to."""
    low = PurePosixPath(name).name.casefold()
    if re.match(rf"^mcs{year}_(fig\d+|t\d+)_", low) or "industry_trends" in low or "industry trends" in low:
        return TRENDS
    if "world_data" in low or re.search(r"_world\.(csv|xml)$", low) or low.startswith("world"):
        return WORLD
    if "salient" in low and not re.match(rf"^mcs{year}_t\d+_", low):
        return SALIENT
    if re.search(r"_meta\.xml$", low) and fallback == ROOT:
        return ROOT
    return fallback


def item_url(item_id: str) -> str:
    return ITEM_URL.format(item_id=item_id)


def resolve_item_id(year: int, item_id: str | None = None) -> str:
    """The ScienceBase item of ``year``'s release: ``item_id`` if given, else a known one.

    Raises
    ------
    CritminError
        No item is known for ``year`` and none was given, or ``item_id`` is malformed.
    """
    if item_id is None:
        if year not in KNOWN_ITEMS:
            known = ", ".join(f"{y}" for y in sorted(KNOWN_ITEMS))
            raise CritminError(
                f"no ScienceBase item is known for the MCS {year} data release (known: {known}); "
                "pass item_id, the 24-character id at the end of the release's ScienceBase address "
                "(https://www.sciencebase.gov/catalog/item/<id>)"
            )
        return KNOWN_ITEMS[year]
    item_id = item_id.strip().lower()
    if not _ITEM_ID_RE.match(item_id):
        raise CritminError(f"item_id {item_id!r} is not a ScienceBase item id (24 hexadecimal characters)")
    return item_id


def release_files(item: Any, url: str, year: int) -> list[ReleaseFile]:
    """The files of a ScienceBase item JSON, validated.

    Raises
    ------
    SourceError
        The JSON is not an item, is for another year (by its title), or lists no usable
        files; a file entry lacks ``name`` or ``url``, has an unsafe name, or a bad
        ``size`` or ``checksum``.
    """
    if not isinstance(item, Mapping):
        raise SourceError(url, "not a ScienceBase item", expected="a JSON object with a 'files' list")
    title = str(item.get("title") or "")
    if title and str(year) not in title:
        raise SourceError(url, f"the item is titled {title!r}, which does not name {year}", field="title", expected=f"the MCS {year} data release")
    entries = item.get("files")
    if not isinstance(entries, list) or not entries:
        raise SourceError(url, "the item lists no files", field="files", expected="a non-empty 'files' list")
    out: list[ReleaseFile] = []
    seen: set[str] = set()
    for n, entry in enumerate(entries, start=1):
        where = f"files[{n - 1}]"
        if not isinstance(entry, Mapping):
            raise SourceError(url, "file entry is not an object", field=where)
        name = str(entry.get("name") or "").strip()
        file_url = str(entry.get("url") or entry.get("downloadUri") or "").strip()
        if not name or not file_url:
            raise SourceError(url, "file entry lacks a name or url", field=where, found={k: entry.get(k) for k in ("name", "url")})
        if "/" in name or "\\" in name or name in (".", "..") or name.startswith("."):
            raise SourceError(url, "unsafe file name", field=f"{where}.name", found=name, expected="a plain file name")
        if name.casefold() in seen:
            raise SourceError(url, "file listed twice", field=f"{where}.name", found=name)
        seen.add(name.casefold())
        size = entry.get("size")
        if size is not None:
            if isinstance(size, bool) or not isinstance(size, (int, float, str)) or not str(size).strip().isdigit():
                raise SourceError(url, "size is not a whole number of bytes", field=f"{where}.size", found=size)
            size = int(str(size).strip())
        try:
            checksum = http.Checksum.parse(entry.get("checksum"))
        except ValueError as exc:
            raise SourceError(url, str(exc), field=f"{where}.checksum") from None
        out.append(ReleaseFile(name, file_url, size, checksum))
    return out


def check_mcs_long_header(path: Path, year: int | None = None) -> int:
    """Check that ``path`` is an MCS long-format file (2026 layout) and return its list year.

    The header must be, column for column, ``MCS chapter,Section,Commodity,Country,
    Statistics,Statistics_detail,Unit,Year,Value,Notes,Is critical mineral <YYYY>,Other
    notes``: the flag column names the critical-minerals list it refers to (2025 in MCS
    2026; a later release names the list in force, so any year from 2018 up to ``year``
    is accepted). A UTF-8 byte-order mark, cp1252 or UTF-8 encoding and CRLF line ends are
    fine; cells are compared after stripping spaces.

    Returns
    -------
    int
        The year of the critical-minerals list in the flag column.

    Raises
    ------
    SourceError
        Missing or empty file, undecodable header, or a header that differs, naming the
        first column that does.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceError(path, "file not found", expected="an MCS long-format CSV (MCS<year>_Commodities_Data.csv)")
    with open(path, "rb") as fh:
        first = fh.readline(1 << 16)
    if first.startswith(b"\xef\xbb\xbf"):
        first = first[3:]
    if not first.strip():
        raise SourceError(path, "file is empty", row=1, expected="the MCS long-format header")
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = first.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise SourceError(path, f"cannot decode the header ({exc.reason})", row=1, expected="a UTF-8 or cp1252 text file") from None
    header = [c.strip() for c in next(csv.reader(io.StringIO(text)))]
    expected = ", ".join(LONG_HEADER[:_FLAG_INDEX] + ("Is critical mineral <YYYY>",) + LONG_HEADER[_FLAG_INDEX + 1 :])
    if len(header) != len(LONG_HEADER):
        raise SourceError(path, f"header has {len(header)} columns, the MCS long format {len(LONG_HEADER)}", row=1, expected=expected, found=header)
    for i, (found, want) in enumerate(zip(header, LONG_HEADER), start=1):
        if i - 1 == _FLAG_INDEX:
            m = _FLAG_RE.match(found)
            if m is None:
                raise SourceError(path, f"column {i} is not the critical-mineral flag", row=1, field=found, expected="'Is critical mineral <YYYY>'")
            list_year = int(m.group(1))
            upper = year if year is not None else 2100
            if not 2018 <= list_year <= upper:
                raise SourceError(path, f"column {i} names the list of {list_year}", row=1, field=found, expected=f"a US critical-minerals list year from 2018 to {upper}")
        elif found != want:
            raise SourceError(path, f"column {i} differs from the MCS long format", row=1, field=found, expected=repr(want))
    return list_year


def _safe_member(member: str, zip_name: str) -> PurePosixPath | None:
    """The member's path, or ``None`` for folders, ``__MACOSX`` and hidden files."""
    name = member.replace("\\", "/")
    if name.endswith("/"):
        return None
    p = PurePosixPath(name)
    if p.is_absolute() or ".." in p.parts or re.match(r"^[A-Za-z]:", name):
        raise SourceError(zip_name, "zip member escapes the target folder", field=member, expected="relative member paths without '..'")
    if "__MACOSX" in p.parts or any(part.startswith(".") for part in p.parts):
        return None
    return p


def _extract(zip_path: Path, root: Path, year: int, fallback: str, placed: dict[Path, str], depth: int = 0) -> None:
    label = zip_path.name
    try:
        archive = zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile:
        raise SourceError(label, "not a valid zip archive", expected="a zip file as listed on ScienceBase") from None
    with archive:
        bad = archive.testzip()
        if bad is not None:
            raise SourceError(label, "corrupt member (CRC check failed)", field=bad, expected="an intact zip archive")
        for info in archive.infolist():
            member = _safe_member(info.filename, label)
            if member is None:
                continue
            sub = route(member.name, year, fallback)
            target = root / sub / member.name if sub else root / member.name
            if target in placed:
                raise SourceError(label, f"two files would both become {target.relative_to(root).as_posix()}", field=info.filename, expected=f"unique file names (first from {placed[target]})")
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            placed[target] = f"{label}:{info.filename}"
            if member.suffix.casefold() == ".zip":
                if depth >= 1:
                    raise SourceError(label, "zip nested more than two levels deep", field=info.filename)
                _extract(target, root, year, sub, placed, depth + 1)
                target.unlink()
                del placed[target]


def fetch_mcs_release(
    year: int,
    dest_dir: Path,
    *,
    item_id: str | None = None,
    opener: http.Opener | None = None,
    policy: http.FetchPolicy = http.DEFAULT_POLICY,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Download the MCS data release of ``year`` into ``dest_dir/usgs_mcs<year>/``.

    Parameters
    ----------
    year
        Release year (MCS 2026 -> 2026).
    dest_dir
        Folder that holds one ``usgs_mcs<year>/`` folder per release, the layout
        ``critmin data build --source-dir`` reads.
    item_id
        ScienceBase item id, required for years not in :data:`KNOWN_ITEMS`.
    opener, policy, sleep
        See :func:`critmin.live.http.fetch_bytes`; tests pass a fake opener.
    progress
        Called with a short line per step (for a command-line display).

    Returns
    -------
    list of Path
        Every file now in ``dest_dir/usgs_mcs<year>/``, sorted.

    Raises
    ------
    CritminError
        Unknown year without ``item_id``.
    FetchError
        A request failed, or a file's size or checksum differs from the catalogue.
    SourceError
        The item JSON, a zip archive or the long-format header is not as expected.
    """
    say = progress or (lambda _msg: None)
    item = resolve_item_id(year, item_id)
    url = item_url(item)
    say(f"reading ScienceBase item {item}")
    files = release_files(http.fetch_json(url, opener=opener, policy=policy, sleep=sleep), url, year)
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / f"usgs_mcs{year}"
    folders.remove_stale(dest_dir, target.name)  # what a killed earlier fetch left, and an interrupted swap
    staging = folders.staging_dir(dest_dir, target.name)
    try:
        placed: dict[Path, str] = {}
        for f in files:
            sub = route(f.name, year)
            path = staging / sub / f.name if sub else staging / f.name
            size = f"{f.size:,} bytes" if f.size is not None else "size not listed"
            say(f"downloading {f.name} ({size})")
            http.download(f.url, path, expected_size=f.size, checksum=f.checksum, opener=opener, policy=policy, sleep=sleep)
            if path.suffix.casefold() == ".zip":
                say(f"unpacking {f.name}")
                _extract(path, staging, year, sub, placed)
                path.unlink()
            else:
                if path in placed:
                    raise SourceError(url, f"two files would both become {path.relative_to(staging).as_posix()}", field=f.name, expected=f"unique file names (first from {placed[path]})")
                placed[path] = f.name
        long_file = staging / f"MCS{year}_Commodities_Data.csv"
        if long_file.is_file():
            check_mcs_long_header(long_file, year)
        elif year >= 2026:
            raise SourceError(url, f"the release has no MCS{year}_Commodities_Data.csv", expected="the long-format data file the MCS 2026 readers use (SOURCES.md section 1d)", found=sorted(f.name for f in files))
        folders.swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    say(f"wrote {target}")
    return sorted(p for p in target.rglob("*") if p.is_file())
