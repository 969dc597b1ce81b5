"""The build refuses the publishers' real files when they are garbled, shortened, duplicated or missing.

Each test copies the raw-data folder as a farm of symbolic links, replaces one file by a
damaged copy (one cell, one line, a missing file), and runs the snapshot build with the
readers concerned. Before the build checked its expectations, every one of these passed
with exit 0 and a wrong snapshot (issue 8, items 2 and 3).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from critmin import snapshot
from critmin.errors import SnapshotError, SourceError

pytestmark = pytest.mark.rawdata

LISTS = "critmin.sources.critical_lists:read_critical_lists"


def farm(raw: Path, dest: Path, replace: dict[str, bytes | None]) -> Path:
    """``dest`` mirroring ``raw`` with symlinks, except the files in ``replace`` (None = left out)."""
    dest.mkdir()
    touched_dirs = {Path(p).parents[i].as_posix() for p in replace for i in range(len(Path(p).parts) - 1)}

    def mirror(src: Path, out: Path, rel: str) -> None:
        for child in src.iterdir():
            r = f"{rel}/{child.name}" if rel else child.name
            if r in replace:
                if replace[r] is not None:
                    (out / child.name).write_bytes(replace[r])
            elif r in touched_dirs:
                (out / child.name).mkdir()
                mirror(child, out / child.name, r)
            else:
                (out / child.name).symlink_to(child)

    mirror(raw, dest, "")
    return dest


def with_cell(raw: Path, rel: str, row: int, column: str, text: str, encoding: str) -> bytes:
    """The file's bytes with one cell (spreadsheet row, header = 1) replaced."""
    data = (raw / rel).read_bytes().decode(encoding)
    lines = data.splitlines(keepends=True)
    header = next(csv.reader([lines[0].lstrip("\ufeff")]))
    cells = next(csv.reader([lines[row - 1]]))
    cells[[h.strip() for h in header].index(column)] = text
    ending = lines[row - 1][len(lines[row - 1].rstrip("\r\n")):]
    buf = io.StringIO()
    csv.writer(buf, lineterminator=ending).writerow(cells)
    lines[row - 1] = buf.getvalue()
    return "".join(lines).encode(encoding)


def build(data: Path, out: Path, *readers: str) -> dict:
    return snapshot.build(data, out, readers=(LISTS, *readers))


GARBLED = [
    # (reader, file, encoding, row, column, what the error names as the field)
    ("critmin.sources.usgs_mcs_trends:read_mcs2025_trends", "usgs_mcs2025/industry_trends/MCS2025_Fig2_Net_Import_Reliance.csv", "utf-8", 2, "Net_Import_Reliance_pct_2024", "Net_Import_Reliance_pct_2024"),
    ("critmin.sources.usgs_mcs_world:read_mcs2025_world", "usgs_mcs2025/world/MCS2025_World_Data.csv", "utf-8", 372, "PROD_2023", "production 2023"),
    ("critmin.sources.usgs_mcs_world:read_mcs2023_world", "usgs_mcs2023/world/mcs2023-lithi_world.csv", "utf-8", 3, "Prod_t_2021", "production 2021"),
    ("critmin.sources.usgs_mcs_salient:read_mcs2024_salient", "usgs_mcs2024/salient/mcs2024-galli_salient.csv", "utf-8", 2, "Imports_Metalkg", "Imports_Metalkg"),
    ("critmin.sources.usgs_mcs2026:read_mcs2026", "usgs_mcs2026/MCS2026_Commodities_Data.csv", "cp1252", 2, "Value", "Value"),
    ("critmin.sources.usgs_mcs_trends:read_mcs2026_trends", "usgs_mcs2026/industry_trends/MCS2026_Fig3_Major_Import_Sources.csv", "utf-8", 2, "Percent", "Percent"),
    ("critmin.sources.usgs_mcs_trends:read_mcs2025_trends", "usgs_mcs2025/industry_trends/MCS2025_T5_Critical_Minerals_Salient.csv", "utf-8", 3, "Secondary_prod", "secondary_production"),
]


@pytest.mark.parametrize("reader,rel,encoding,row,column,field", GARBLED, ids=[g[1].split("/")[-1] for g in GARBLED])
def test_a_garbled_number_fails_the_build_naming_file_row_and_field(raw_data_dir, tmp_path, reader, rel, encoding, row, column, field):
    data = farm(raw_data_dir, tmp_path / "raw", {rel: with_cell(raw_data_dir, rel, row, column, "1OO", encoding)})
    with pytest.raises(SourceError) as exc:
        build(data, tmp_path / "snap", reader)
    e = exc.value
    assert e.file == rel and e.row == row and field in (e.field or "") and e.found == "1OO"
    assert not (tmp_path / "snap").exists()


def test_a_garbled_number_in_a_ds140_workbook_fails(raw_data_dir, tmp_path):
    import openpyxl

    rel = "usgs_ds140/ds140-lithium-2021.xlsx"
    book = openpyxl.load_workbook(raw_data_dir / rel)
    sheet = book.worksheets[0]
    sheet.cell(row=10, column=2).value = "1OO"  # production, 1904
    buf = io.BytesIO()
    book.save(buf)
    data = farm(raw_data_dir, tmp_path / "raw", {rel: buf.getvalue()})
    with pytest.raises(SourceError) as exc:
        build(data, tmp_path / "snap", "critmin.sources.usgs_ds140:read_ds140")
    assert exc.value.file == rel and exc.value.row == 10 and exc.value.found == "1OO"


def test_negative_production_fails_the_build(raw_data_dir, tmp_path):
    rel = "usgs_mcs2025/world/MCS2025_World_Data.csv"
    data = farm(raw_data_dir, tmp_path / "raw", {rel: with_cell(raw_data_dir, rel, 372, "PROD_2023", "-60000", "utf-8")})
    with pytest.raises(SourceError, match="negative") as exc:
        build(data, tmp_path / "snap", "critmin.sources.usgs_mcs_world:read_mcs2025_world")
    assert exc.value.row == 372 and exc.value.found == "-60000"


def test_negative_imports_in_a_salient_file_fail_the_build(raw_data_dir, tmp_path):
    rel = "usgs_mcs2024/salient/mcs2024-galli_salient.csv"
    data = farm(raw_data_dir, tmp_path / "raw", {rel: with_cell(raw_data_dir, rel, 3, "Imports_GaAskg", "-208000", "utf-8")})
    with pytest.raises(SourceError, match="negative"):
        build(data, tmp_path / "snap", "critmin.sources.usgs_mcs_salient:read_mcs2024_salient")


def test_a_duplicated_line_fails_naming_both_rows(raw_data_dir, tmp_path):
    rel = "usgs_mcs2025/world/MCS2025_World_Data.csv"
    lines = (raw_data_dir / rel).read_bytes().splitlines(keepends=True)
    japan = lines[371]  # row 372: gallium, Japan, primary production
    assert b"Gallium" in japan and b"Japan" in japan
    data = farm(raw_data_dir, tmp_path / "raw", {rel: b"".join(lines[:372] + [japan] + lines[372:])})
    with pytest.raises(SourceError) as exc:
        build(data, tmp_path / "snap", "critmin.sources.usgs_mcs_world:read_mcs2025_world")
    assert f"{rel} row 372 and {rel} row 373" in str(exc.value)


def test_a_missing_salient_file_is_named(raw_data_dir, tmp_path):
    rel = "usgs_mcs2025/salient/mcs2025-galli_salient.csv"
    data = farm(raw_data_dir, tmp_path / "raw", {rel: None})
    with pytest.raises(SourceError) as exc:
        build(data, tmp_path / "snap", "critmin.sources.usgs_mcs_salient:read_mcs2025_salient")
    assert rel in str(exc.value) and "missing" in str(exc.value)


def test_mcs2026_cut_at_a_line_end_fails(raw_data_dir, tmp_path):
    rel = "usgs_mcs2026/MCS2026_Commodities_Data.csv"
    lines = (raw_data_dir / rel).read_bytes().splitlines(keepends=True)
    kept = lines[: 1 + 8886 - 4524]  # header and the first 4,362 rows: 4,524 rows lost, ends with CRLF
    assert kept[-1].endswith(b"\r\n")
    data = farm(raw_data_dir, tmp_path / "raw", {rel: b"".join(kept)})
    with pytest.raises((SourceError, SnapshotError)) as exc:
        build(data, tmp_path / "snap", "critmin.sources.usgs_mcs2026:read_mcs2026")
    assert "4,362" in str(exc.value) and "8,886" in str(exc.value)


@pytest.mark.parametrize(
    "reader,rel",
    [
        ("critmin.sources.usgs_mcs_world:read_mcs2023_world", "usgs_mcs2023/world/mcs2023-lithi_world.csv"),
        ("critmin.sources.usgs_mcs_salient:read_mcs2025_salient", "usgs_mcs2025/salient/mcs2025-galli_salient.csv"),
        ("critmin.sources.worldbank_wgi:read_wgi", "worldbank_wgi/wgi_databank_extract_2009-2023_5indicators.csv"),
    ],
)
def test_a_per_commodity_file_cut_at_a_line_end_fails(raw_data_dir, tmp_path, reader, rel):
    lines = (raw_data_dir / rel).read_bytes().splitlines(keepends=True)
    while not lines[-1].strip(b", \r\n"):
        lines.pop()  # trailing blank lines
    if rel.startswith("worldbank_wgi"):
        lines = lines[:-8] + lines[-5:]  # three data rows lost, the footer kept
    else:
        lines = lines[:-1]
    data = farm(raw_data_dir, tmp_path / "raw", {rel: b"".join(lines)})
    with pytest.raises((SourceError, SnapshotError)) as exc:
        build(data, tmp_path / "snap", reader)
    assert rel in str(exc.value)


def test_the_untouched_files_build(raw_data_dir, tmp_path):
    data = farm(raw_data_dir, tmp_path / "raw", {})
    m = build(data, tmp_path / "snap", "critmin.sources.usgs_mcs_world:read_mcs2025_world", "critmin.sources.usgs_mcs_trends:read_mcs2025_trends")
    assert m["tables"]["production"]["rows"] == 3275 and m["tables"]["nir"]["rows"] == 64
