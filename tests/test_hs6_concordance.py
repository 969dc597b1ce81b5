"""Tests of the HS1992 concordance of BACI's mineral products (vocab/hs6_concordance.csv)."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest

from critmin.errors import SourceError
from critmin.vocab import hs6_concordance as hc
from critmin.vocab.commodities import catalogue

HEADER = ",".join(hc.COLUMNS)


def test_every_baci_code_is_mapped(raw_data_dir: Path):
    conn = sqlite3.connect(f"file:{(raw_data_dir / 'cepii_baci' / 'baci.db').as_posix()}?mode=ro&immutable=1", uri=True)
    codes = {f"{k:06d}" for (k,) in conn.execute("SELECT DISTINCT k FROM baci_trade")}
    conn.close()
    assert len(codes) == 74
    assert codes == set(hc.entries())


def test_invariants_of_every_row():
    for e in hc.entries().values():
        if e.has_factor:
            # content tonnes never exceed gross tonnes
            assert 0 < e.factor_low <= e.factor_high <= 1, e.hs6
            assert e.content_basis, e.hs6
        else:
            assert e.factor_basis == "none" and e.note, e.hs6
        if e.mixed:
            # a mixed code is never one mineral's figure: only a group may read it
            assert e.commodity_id is None or catalogue()[e.commodity_id].is_group, e.hs6
            for m in e.members:
                if m != e.commodity_id:
                    assert e.hs6 not in hc.codes_for(m), (e.hs6, m)
        if e.scope == "out_of_scope":
            assert e.stages == {"fuel"} and e.commodity_id is None


def test_fuels_mapped_as_out_of_scope():
    for code in ("270111", "270112", "270119", "270210", "270220", "270900", "271111", "271121"):
        assert hc.entry(code).scope == "out_of_scope"
    assert hc.codes_for("metallurgical-coal") == []  # 270112 mixes coking and steam coal


def test_stoichiometric_factors():
    li2co3 = hc.entry("283691")
    assert li2co3.factor_low == pytest.approx(2 * 6.94 / (2 * 6.94 + 12.011 + 3 * 15.999), abs=1e-4)
    assert li2co3.factor_basis == "stoichiometry" and "Li2CO3" in li2co3.formula
    lioh = hc.entry("282520")
    assert lioh.factor_low == pytest.approx(6.94 / (6.94 + 2 * 15.999 + 3 * 1.008), abs=1e-4)  # LiOH.H2O
    assert lioh.factor_high == pytest.approx(2 * 6.94 / (2 * 6.94 + 15.999), abs=1e-4)  # Li2O
    assert hc.entry("283030").factor_low == pytest.approx(112.41 / (112.41 + 32.06), abs=1e-4)


def test_mixed_codes_and_groups():
    assert hc.entry("284690").mixed and set(hc.entry("284690").members) == {"rare-earths", "scandium", "yttrium"}
    assert hc.codes_for("rare-earths", "processing") == ["280530", "284690"]
    assert hc.codes_for("neodymium") == [] and hc.codes_for("yttrium") == []
    assert hc.entry("261690").commodity_id is None and hc.entry("280450").commodity_id is None
    assert hc.codes_for("tellurium") == [] and hc.codes_for("boron") == ["252890"]
    assert hc.codes_for("cerium") == ["284610"]


def test_stage_mixed_code():
    g = hc.entry("250410")
    assert g.stage_mixed and g.stages == {"mine", "processing"}
    assert hc.codes_for("graphite", "processing") == ["250410"]
    assert hc.codes_for("graphite", "processing", include_stage_mixed=False) == []
    assert hc.codes_for("graphite", "mine") == ["250410", "250490"]


def _parse(rows: list[str]):
    return hc.parse(io.StringIO("\n".join([HEADER, *rows]) + "\n"))


GOOD = "283691,Lithium carbonate,in_scope,lithium,0,lithium,processing,lithium carbonate,Li,0.1879,0.1879,stoichiometry,Li2CO3,"


def test_parse_good_row():
    assert _parse([GOOD])["283691"].factor_low == 0.1879


@pytest.mark.parametrize(
    "row, field",
    [
        (GOOD.replace("lithium,0,lithium", "unobtainium,0,unobtainium"), "members"),
        (GOOD.replace("0.1879,0.1879", "1.2,1.2"), "factor_low"),
        (GOOD.replace("0.1879,0.1879", "0.3,0.2"), "factor_low"),
        (GOOD.replace("0.1879,0.1879", "0.1879,"), "factor_high"),
        (GOOD.replace("stoichiometry", "none"), "factor_basis"),
        (GOOD.replace(",processing,", ",smelting,"), "stage"),
        (GOOD.replace("283691", "28369"), "hs6"),
        (GOOD.replace("lithium,0,lithium", "lithium,1,lithium;cobalt"), "commodity_id"),
    ],
)
def test_parse_bad_row_names_line_and_field(row, field):
    with pytest.raises(SourceError) as err:
        _parse([row])
    assert err.value.row == 2 and err.value.field == field and "hs6_concordance.csv" in str(err.value)


def test_parse_duplicate_code():
    with pytest.raises(SourceError, match="duplicate"):
        _parse([GOOD, GOOD])


def test_unknown_code_lookup():
    with pytest.raises(KeyError, match="080510"):
        hc.entry(80510)
