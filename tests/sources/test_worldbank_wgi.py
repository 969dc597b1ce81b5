"""Tests of the WGI reader: the real files, and small files written for every quirk."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from critmin.errors import SourceError, UnmappedNameError
from critmin.sources.worldbank_wgi import (
    DATABANK_FILE,
    FOLDER,
    LONG_FILE,
    RELEASE_DATABANK,
    RELEASE_LONG,
    read_wgi,
)
from critmin.sources.xlsx_sheets import Workbook
from tests.sources import one_row as _one

LONG_HEADER = "country,wgi_code,indicator,year,estimate,std_err,num_sources,pct_rank,pct_rank_lower,pct_rank_upper"
DATABANK_HEADER = "Country Name,Country Code,Series Name,Series Code,2022 [YR2022],2023 [YR2023]"
DATABANK_FOOTER = ",,,,,\n,,,,,\n,,,,,\nData from database: Worldwide Governance Indicators,,,,,\nLast Updated: 11/05/2024,,,,,\n"


# ---------------------------------------------------------------- real files


@pytest.fixture(scope="module")
def real(raw_data_dir: Path):
    return read_wgi(raw_data_dir)




def test_real_row_counts(real):
    gov = real.tables["governance"]
    by_release = gov.groupby("release").size().to_dict()
    # 214 economies x 6 indicators x 24 years; 214 x 5 series x 15 years (2009-2023)
    assert by_release == {RELEASE_LONG: 30816, RELEASE_DATABANK: 16050}
    long = gov[gov.release == RELEASE_LONG]
    assert long.estimate.notna().sum() == 29705  # SOURCES.md: 29,705 rows with an estimate
    assert set(long.indicator) == {"VA", "PV", "GE", "RQ", "RL", "CC"}
    databank = gov[gov.release == RELEASE_DATABANK]
    assert set(databank.indicator) == {"CC", "GE", "PV", "RQ", "VA"}  # no Rule of Law
    assert databank.year.min() == 2009 and databank.year.max() == 2023
    assert databank.iso3.nunique() == 214
    assert dict(real.skipped) == {"wgi-2024-databank: blank line": 3, "wgi-2024-databank: footer line": 2}


def test_real_published_values(real):
    gov = real.tables["governance"]
    china_rl = _one(gov, release=RELEASE_LONG, iso3="CHN", indicator="RL", year=2022)
    assert china_rl.estimate == pytest.approx(-0.041444)
    assert china_rl.std_err == pytest.approx(0.164239)
    assert china_rl.num_sources == 10
    assert china_rl.pct_rank == pytest.approx(52.8302)
    assert (china_rl.pct_rank_lower, china_rl.pct_rank_upper) == pytest.approx((41.0377, 57.0755))
    # WGI's own code ZAR is DR Congo
    drc = _one(gov, release=RELEASE_LONG, iso3="COD", indicator="GE", year=2022)
    assert drc.estimate == pytest.approx(-1.74592)
    # the DataBank extract (September 2024 release)
    assert _one(gov, release=RELEASE_DATABANK, iso3="CHN", indicator="CC", year=2023).estimate == pytest.approx(-0.00537010468542576)
    assert _one(gov, release=RELEASE_DATABANK, iso3="CHL", indicator="VA", year=2009).estimate == pytest.approx(1.01689624786377)
    # '..' cells stay rows with no estimate: American Samoa VA 2014
    asm = _one(gov, release=RELEASE_DATABANK, iso3="ASM", indicator="VA", year=2014)
    assert asm.estimate is None or asm.estimate != asm.estimate  # null, never 0


def test_real_wgi_codes_are_mapped(real):
    long = real.tables["governance"]
    long = long[long.release == RELEASE_LONG]
    iso3 = set(long.iso3)
    for code in ("AND", "ROU", "COD", "TLS", "XKX", "PSE", "ANT"):
        assert code in iso3
    for wgi_only in ("ADO", "ROM", "ZAR", "TMP", "KSV", "WBG"):
        assert wgi_only not in iso3


def test_real_provenance(real, raw_data_dir):
    gov = real.tables["governance"]
    row = _one(gov, release=RELEASE_LONG, iso3="CHN", indicator="RL", year=2022)
    assert row.source_file == f"{FOLDER}/{LONG_FILE}"
    with open(raw_data_dir / FOLDER / LONG_FILE, encoding="utf-8", newline="") as fh:
        lines = list(csv.reader(fh))
    assert lines[row.source_row - 1][:4] == ["China", "CHN", "RL", "2022"]
    assert gov.source_id.eq("worldbank-wgi").all()


def test_real_long_csv_agrees_with_the_workbook(real, raw_data_dir):
    """The derived long CSV must repeat the official workbook cell for cell (sample)."""
    gov = real.tables["governance"]
    long = gov[gov.release == RELEASE_LONG].set_index(["iso3", "indicator", "year"])
    sheets = {"RL": "RuleofLaw", "GE": "GovernmentEffectiveness", "PV": "Political StabilityNoViolence"}
    with Workbook(raw_data_dir / FOLDER / "wgidataset_2023update_1996-2022.xlsx") as book:
        checked = 0
        for indicator, sheet in sheets.items():
            rows = book.rows(sheet)
            years, heads = rows[13], rows[14]
            assert heads[0] == "Country/Territory" and heads[2] == "Estimate"
            for r in rows[15:]:
                if r[1] not in ("CHN", "ZAR", "CHL", "ADO"):
                    continue
                iso3 = {"ZAR": "COD", "ADO": "AND"}.get(r[1], r[1])
                for j in range(2, len(heads), 6):
                    year = int(years[j])
                    cell = r[j]
                    ours = long.loc[(iso3, indicator, year)].estimate
                    if cell == "#N/A":
                        assert ours != ours  # NaN / NA
                    else:
                        assert ours == pytest.approx(float(cell), abs=5e-6)
                        assert long.loc[(iso3, indicator, year)].num_sources == int(r[j + 2])
                    checked += 1
    assert checked == 3 * 4 * 24


# ---------------------------------------------------------------- fixtures


def _write(folder: Path, *, long_lines: list[str] | None = None, databank: str | None = None, encoding: str = "utf-8") -> Path:
    d = folder / FOLDER
    d.mkdir(parents=True, exist_ok=True)
    if long_lines is None:
        long_lines = _panel()
    (d / LONG_FILE).write_text(LONG_HEADER + "\n" + "\n".join(long_lines) + "\n", encoding=encoding)
    if databank is None:
        databank = _databank()
    (d / DATABANK_FILE).write_text(databank, encoding=encoding)
    return folder


def _panel(codes=("CHN", "ZAR"), estimate="0.5") -> list[str]:
    out = []
    for code in codes:
        for ind in ("VA", "PV", "GE", "RQ", "RL", "CC"):
            for year in (2021, 2022):
                out.append(f"X,{code},{ind},{year},{estimate},0.2,7,55.5,40.1,60.2")
    return out


def _databank(rows: list[str] | None = None, footer: str = DATABANK_FOOTER) -> str:
    rows = rows or [
        '"Korea, Rep.",KOR,Control of Corruption: Estimate,CC.EST,0.6,0.65',
        "China,CHN,Political Stability and Absence of Violence/Terrorism: Estimate,PV.EST,-0.45,..",
    ]
    return DATABANK_HEADER + "\n" + "\n".join(rows) + "\n" + footer


def test_fixture_codes_quirks_and_missing_cells(tmp_path):
    lines = _panel()
    lines[0] = "Aruba,CHN,VA,2021,,,,,,"  # a row with no figures stays a row
    lines[1] = "X,CHN,VA,2022,4.7059e-05,#N/A,1,..,0,100"  # scientific notation and codes
    res = read_wgi(_write(tmp_path, long_lines=lines))
    gov = res.tables["governance"]
    long = gov[gov.release == RELEASE_LONG]
    assert len(long) == 24 and set(long.iso3) == {"CHN", "COD"}
    empty = long[(long.iso3 == "CHN") & (long.indicator == "VA") & (long.year == 2021)].iloc[0]
    assert empty.isna()[["estimate", "std_err", "num_sources", "pct_rank"]].all()
    sci = long[(long.iso3 == "CHN") & (long.indicator == "VA") & (long.year == 2022)].iloc[0]
    assert sci.estimate == pytest.approx(4.7059e-05)
    assert sci.std_err != sci.std_err and sci.pct_rank != sci.pct_rank
    assert sci.pct_rank_lower == 0.0  # a published 0 stays 0
    databank = gov[gov.release == RELEASE_DATABANK]
    assert len(databank) == 4
    kor = databank[(databank.iso3 == "KOR") & (databank.year == 2023)].iloc[0]
    assert kor.estimate == pytest.approx(0.65) and kor.indicator == "CC"
    chn = databank[(databank.iso3 == "CHN") & (databank.year == 2023)].iloc[0]
    assert chn.estimate != chn.estimate  # '..' -> null, not 0
    assert res.skipped["wgi-2024-databank: footer line"] == 2


def test_fixture_byte_order_mark_is_accepted(tmp_path):
    folder = _write(tmp_path)
    p = folder / FOLDER / LONG_FILE
    p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes())
    assert len(read_wgi(folder).tables["governance"]) == 24 + 4


def test_fixture_unknown_code_fails(tmp_path):
    lines = _panel(codes=("CHN", "QQQ"))
    with pytest.raises(UnmappedNameError) as err:
        read_wgi(_write(tmp_path, long_lines=lines))
    assert err.value.row == 14 and err.value.field == "wgi_code" and LONG_FILE in err.value.file


def test_fixture_unknown_databank_code_fails(tmp_path):
    databank = _databank(["Nowhere,ZZZ,Control of Corruption: Estimate,CC.EST,0.1,0.2"])
    with pytest.raises(UnmappedNameError) as err:
        read_wgi(_write(tmp_path, databank=databank))
    assert err.value.row == 2 and DATABANK_FILE in err.value.file


def test_fixture_missing_column_fails(tmp_path):
    folder = _write(tmp_path)
    p = folder / FOLDER / LONG_FILE
    text = p.read_text().replace("pct_rank_upper", "upper")
    p.write_text(text)
    with pytest.raises(SourceError, match="missing column") as err:
        read_wgi(folder)
    assert err.value.field == "pct_rank_upper"


def test_fixture_truncated_long_csv_fails(tmp_path):
    folder = _write(tmp_path)
    p = folder / FOLDER / LONG_FILE
    p.write_bytes(p.read_bytes()[:-25])  # cut in the middle of the last line
    with pytest.raises(SourceError, match="line break"):
        read_wgi(folder)


def test_fixture_incomplete_panel_fails(tmp_path):
    lines = _panel()[:-3]  # three rows lost, file still ends with a newline
    with pytest.raises(SourceError, match="incomplete panel"):
        read_wgi(_write(tmp_path, long_lines=lines))


def test_fixture_text_in_a_number_column_fails(tmp_path):
    lines = _panel()
    lines[5] = "X,CHN,GE,2022,high,0.2,7,55.5,40.1,60.2"
    with pytest.raises(SourceError, match="not a number") as err:
        read_wgi(_write(tmp_path, long_lines=lines))
    assert err.value.row == 7 and err.value.field == "estimate"


def test_fixture_databank_without_footer_is_truncated(tmp_path):
    with pytest.raises(SourceError, match="Last Updated"):
        read_wgi(_write(tmp_path, databank=_databank(footer="")))


def test_fixture_databank_unexpected_series_fails(tmp_path):
    databank = _databank(["China,CHN,Control of Corruption: Standard Error,CC.STD.ERR,0.1,0.2"])
    with pytest.raises(SourceError, match="unexpected series") as err:
        read_wgi(_write(tmp_path, databank=databank))
    assert err.value.field == "Series Code"


def test_fixture_databank_wrong_encoding_fails(tmp_path):
    folder = _write(tmp_path)
    p = folder / FOLDER / DATABANK_FILE
    p.write_bytes(p.read_bytes().replace(b"Korea, Rep.", "C\xf4te d'Ivoire".encode("cp1252")))
    with pytest.raises(SourceError, match="cannot decode"):
        read_wgi(folder)


def test_fixture_missing_file_fails(tmp_path):
    folder = _write(tmp_path)
    (folder / FOLDER / DATABANK_FILE).unlink()
    with pytest.raises(SourceError, match="file not found"):
        read_wgi(folder)
