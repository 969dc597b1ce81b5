"""The declared expectations and their checker, on small results written by the tests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from critmin.errors import SourceError
from critmin.schema import TABLES
from critmin.sources.base import ReadResult, SourceInfo, frame
from critmin.sources.expectations import (
    Anomaly,
    Bounds,
    Code,
    Expectation,
    Repeated,
    Shape,
    Signed,
    Values,
    Where,
    Words,
    check,
    expectation_of,
)
from critmin.values import parse_value, parsed_columns

INFO = SourceInfo("unit", "Unit test source", "Tests", "Tests (2026)", "CC0", vintage=2025)
FILE = "pub/salient.csv"


def salient_rows(cells: list[tuple[int, str, str, str]]) -> list[dict]:
    """(row, statistic, detail, raw) -> salient rows of commodity gallium, year 2024."""
    return [
        {
            "vintage": 2025, "commodity_id": "gallium", "form": None, "year": 2024, "statistic": statistic,
            "detail": detail, **parsed_columns(parse_value(raw)), "estimated": False, "unit": "metric tons",
            "notes": None, "source_id": "unit", "source_file": FILE, "source_row": row,
        }
        for row, statistic, detail, raw in cells
    ]


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    (tmp_path / "pub").mkdir()
    (tmp_path / FILE).write_text("x\n", encoding="utf-8")
    return tmp_path


def result(data_dir: Path, cells) -> ReadResult:
    return ReadResult(INFO, [data_dir / FILE], {"salient": frame("salient", salient_rows(cells))})


def test_garbled_number_is_an_error_naming_file_row_and_field(data_dir):
    res = result(data_dir, [(2, "imports", "Imports_t", "1,200"), (3, "nir", "NIR_pct", "1OO")])
    with pytest.raises(SourceError) as exc:
        check(res, Expectation(tables={"salient": Values(field="{detail}")}), data_dir)
    e = exc.value
    assert (e.file, e.row, e.field, e.found) == (FILE, 3, "NIR_pct", "1OO")


def test_documented_words_pass_only_in_their_field(data_dir):
    words = Values(words=(Words(r"variable, depending on .+", Where(statistic="price")),))
    ok = result(data_dir, [(2, "price", "Price_dt", "Variable, depending on type of product")])
    assert len(check(ok, Expectation(tables={"salient": words}), data_dir).tables["salient"]) == 1
    bad = result(data_dir, [(2, "imports", "Imports_t", "Variable, depending on type of product")])
    with pytest.raises(SourceError, match="not a number"):
        check(bad, Expectation(tables={"salient": words}), data_dir)


def test_negative_numbers_only_where_signed(data_dir):
    res = result(data_dir, [(2, "production", "USprod_t", "-60000")])
    with pytest.raises(SourceError) as exc:
        check(res, Expectation(), data_dir)
    assert "negative" in str(exc.value) and exc.value.row == 2
    signed = Values(signed=(Signed(Where(detail=re.compile(r"^Shipments_Gov_")), "stockpile change"),))
    ok = result(data_dir, [(2, "other", "Shipments_Gov_t", "−76")])  # Unicode minus, as USGS writes it
    assert check(ok, Expectation(tables={"salient": signed}), data_dir).tables["salient"]["value"].iloc[0] == -76


def test_bounds_and_codes(data_dir):
    rules = Values(bounds=(Bounds(0, 100, Where(statistic="nir")),), codes=(Code("net_exporter", Where(statistic="nir")),))
    assert len(check(result(data_dir, [(2, "nir", "NIR_pct", "E"), (3, "nir", "NIR_Refined_pct", ">95")]), Expectation(tables={"salient": rules}), data_dir).tables["salient"]) == 2
    with pytest.raises(SourceError, match="outside"):
        check(result(data_dir, [(2, "nir", "NIR_pct", "120")]), Expectation(tables={"salient": rules}), data_dir)
    with pytest.raises(SourceError, match="net exporter"):
        check(result(data_dir, [(2, "production", "USprod_t", "E")]), Expectation(tables={"salient": rules}), data_dir)


def test_known_anomaly_is_kept_with_its_reason(data_dir):
    exp = Expectation(anomalies=(Anomaly(FILE, 2, "published as -4", Where(detail="Imports_t")),))
    out = check(result(data_dir, [(2, "imports", "Imports_t", "-4")]), exp, data_dir).tables["salient"].iloc[0]
    assert out["value"] == -4 and "published as -4" in out["notes"]
    with pytest.raises(SourceError):  # the anomaly is for that cell only
        check(result(data_dir, [(3, "imports", "Imports_t", "-4")]), exp, data_dir)


def test_duplicate_key_names_both_rows(data_dir):
    res = result(data_dir, [(2, "imports", "Imports_t", "10"), (7, "imports", "Imports_t", "10")])
    with pytest.raises(SourceError) as exc:
        check(res, Expectation(), data_dir)
    assert f"{FILE} row 2 and {FILE} row 7" in str(exc.value)


def test_declared_repeat_is_dropped_and_counted_but_a_differing_one_fails(data_dir):
    exp = Expectation(repeated=(Repeated(FILE, 3, 2, "listed twice"),))
    out = check(result(data_dir, [(2, "imports", "Imports_t", "10"), (3, "imports", "Imports_t", "10")]), exp, data_dir)
    assert len(out.tables["salient"]) == 1 and sum(out.skipped.values()) == 1
    assert out.file_rows == {FILE: 2}  # the repeated row was read
    with pytest.raises(SourceError, match="differs"):
        check(result(data_dir, [(2, "imports", "Imports_t", "10"), (3, "imports", "Imports_t", "11")]), exp, data_dir)


def test_missing_expected_files_are_all_named(data_dir):
    exp = Expectation(files=(FILE, "pub/a_salient.csv", "pub/b_salient.csv"))
    with pytest.raises(SourceError) as exc:
        check(result(data_dir, [(2, "imports", "Imports_t", "10")]), exp, data_dir)
    assert "2 expected file(s) missing" in str(exc.value) and "pub/b_salient.csv" in str(exc.value)


def test_shapes_rows_distinct_covers_last_and_acceptance(data_dir):
    res = result(data_dir, [(2, "imports", "Imports_t", "10"), (3, "exports", "Exports_t", "1")])
    assert check(res, Expectation(shapes=(Shape(FILE, rows=2, covers={"year": (2024,)}, last={"statistic": "exports"}),)), data_dir).file_rows == {FILE: 2}
    for shape, words in [
        (Shape(FILE, rows=5), "2 data rows read"),
        (Shape(FILE, rows=(3, 9)), "2 data rows read"),
        (Shape(FILE, distinct={"commodity_id": 2}), "1 distinct commodity_id"),
        (Shape(FILE, covers={"year": (2023, 2024)}), "year [2023] missing"),
        (Shape(FILE, last={"statistic": "nir"}), "last row read (row 3)"),
        (Shape("pub/*_world.csv", rows=1), "no file of this name"),
    ]:
        with pytest.raises(SourceError, match=re.escape(words)):
            check(res, Expectation(shapes=(shape,)), data_dir)
    warned: list[str] = []
    check(res, Expectation(shapes=(Shape(FILE, rows=5),)), data_dir, accept_row_changes=True, warn=warned.append)
    assert warned and "accepted" in warned[0]


def test_rows_of_another_source_id_are_reported(data_dir):
    res = result(data_dir, [(2, "imports", "Imports_t", "10")])
    res.tables["salient"]["source_id"] = "someone-else"
    warned: list[str] = []
    check(res, Expectation(), data_dir, warn=warned.append)
    assert warned and "someone-else" in warned[0]


def test_every_table_has_a_key():
    assert [name for name, t in TABLES.items() if not t.key] == []
    for t in TABLES.values():
        assert set(t.key) <= set(t.columns), t.name


def test_every_registered_reader_declares_its_expectations():
    from critmin.snapshot.build import _reader
    from critmin.sources import READERS

    undeclared = [spec for spec in READERS if expectation_of(_reader(spec)) is None]
    assert undeclared == []
    for spec in READERS:
        exp = expectation_of(_reader(spec))
        assert exp.files, spec  # every reader names the files it must find
        for name in exp.tables:
            assert name in TABLES, (spec, name)


def test_an_infinite_number_is_an_error(data_dir):
    res = result(data_dir, [(2, "imports", "Imports_t", "10")])
    res.tables["salient"].loc[0, ["value", "low", "high"]] = float("inf")
    with pytest.raises(SourceError, match="not a finite number"):
        check(res, Expectation(), data_dir)


def test_a_rule_naming_a_column_the_table_lacks_is_a_declaration_error(data_dir):
    res = result(data_dir, [(2, "imports", "Imports_t", "10")])
    with pytest.raises(ValueError, match="statistc"):
        check(res, Expectation(tables={"salient": Values(bounds=(Bounds(0, 100, Where(statistc="nir")),))}), data_dir)
    with pytest.raises(ValueError, match="pct_rank"):
        check(res, Expectation(tables={"salient": Values(bounds=(Bounds(0, 100, columns=("pct_rank",)),))}), data_dir)


def test_a_declared_anomaly_that_is_gone_is_reported(data_dir):
    warned: list[str] = []
    exp = Expectation(anomalies=(Anomaly(FILE, 9, "published as -4"),))
    check(result(data_dir, [(2, "imports", "Imports_t", "10")]), exp, data_dir, warn=warned.append)
    assert len(warned) == 1 and "row 9" in warned[0] and "corrected" in warned[0]
