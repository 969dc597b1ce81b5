"""The register file format, its validation and the user folder (critmin.register)."""

from __future__ import annotations

import datetime as dt
import textwrap

import pandas as pd
import pytest

from critmin import register as rg
from critmin.analysis import tracker as tr
from critmin.analysis.tracker import Day, Entry

SNAPSHOT = [
    Entry("CN-2025-57", tr.MEASURE, title="No. 57", country_iso3="CHN", effective=Day(dt.date(2025, 11, 8)),
          status="suspended", origin="snapshot:test"),
    Entry("CN-2024-46-US", tr.MEASURE, title="No. 46", country_iso3="CHN", effective=Day(dt.date(2024, 12, 3)),
          status="suspended", origin="snapshot:test"),
]


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return p


GOOD_YAML = """
format: critmin-register/1
entries:
  - id: CN-2026-99
    kind: status
    applies_to: [CN-2025-57]
    status: extended
    date: 2026-11-05
    until: 2027-11-10
    title: MOFCOM Announcement 2026 No. 99
    source_url: https://example.org/99
    verification: corroborated
  - id: ID-2027-NI
    kind: measure
    country: Indonesia
    materials: [nickel ore]
    type: Export quota
    effective: 2027-01-01
    end: 2027-12-31
    source_url: https://example.org/ni
    verification: unverified
  - id: WATCH-1
    kind: date
    date: 2027-03
    title: A month to watch
    category: us_policy
    source_url: https://example.org/w
    verification: secondary
"""


def test_yaml_file_gives_entries_with_their_fields(tmp_path):
    entries = rg.load_file(write(tmp_path, "mine.yaml", GOOD_YAML), SNAPSHOT)
    by = {e.entry_id: e for e in entries}
    ext = by["CN-2026-99"]
    assert (ext.kind, ext.status, ext.until.date, ext.applies_to) == ("status", "extended", dt.date(2027, 11, 10), ("CN-2025-57",))
    ni = by["ID-2027-NI"]
    assert ni.country_iso3 == "IDN" and ni.commodity_ids == ("nickel",) and ni.end.date == dt.date(2027, 12, 31)
    assert by["WATCH-1"].date.precision == "month"
    assert ext.origin == "user:mine.yaml" and ext.origin_row == 3  # the line where the entry starts


def test_csv_file_with_lists_separated_by_semicolons(tmp_path):
    p = write(tmp_path, "mine.csv", """
        id,kind,applies_to,status,date,until,title,source_url,verification
        CN-2026-98,status,CN-2025-57;CN-2024-46-US,extended,2026-11-05,2027-11-27,No. 98,https://example.org/98,secondary
    """)
    (e,) = rg.load_file(p, SNAPSHOT)
    assert e.applies_to == ("CN-2025-57", "CN-2024-46-US") and e.origin_row == 2


@pytest.mark.parametrize("entry, line_field, text", [
    ("  - {id: X1, kind: rumour, source_url: 'https://a.b', verification: secondary}", "field 'kind'", "unknown kind"),
    ("  - {id: X1, kind: date, date: 2026-13-01, title: t, source_url: 'https://a.b', verification: secondary}", "field 'date'", "not a date"),
    ("  - {id: X1, kind: date, date: 2026-07-01, title: t, source_url: 'https://a.b'}", "field 'verification'", "required field missing"),
    ("  - {id: X1, kind: date, date: 2026-07-01, title: t, source_url: 'https://a.b', verification: sure}", "field 'verification'", "unknown verification level"),
    ("  - {id: X1, kind: date, date: 2026-07-01, title: t, source_url: 'ftp://a', verification: secondary}", "field 'source_url'", "not a web address"),
    ("  - {id: X1, kind: date, date: 2026-07-01, title: t, source_url: 'https://a.b', verification: secondary, colour: red}", "field 'colour'", "field not used"),
    ("  - {id: X1, kind: status, applies_to: [CN-2025-57], status: lifted, date: 2026-07-01, until: 2026-08-01, source_url: 'https://a.b', verification: secondary}", "field 'until'", "has no end date"),
    ("  - {id: X1, kind: status, applies_to: [CN-2025-57], status: suspended, date: 2026-07-01, source_url: 'https://a.b', verification: secondary}", "field 'until'", "needs the date"),
    ("  - {id: X1, kind: status, applies_to: [CN-2025-57], status: extended, date: 2026-07-01, until: 2026-06-01, source_url: 'https://a.b', verification: secondary}", "field 'until'", "ends before it starts"),
    ("  - {id: X1, kind: status, applies_to: [CN-1999-1], status: lifted, date: 2026-07-01, source_url: 'https://a.b', verification: secondary}", "field 'applies_to'", "names no measure"),
    ("  - {id: X1, kind: measure, country: Atlantis, materials: [gallium], type: ban, effective: 2026-01-01, source_url: 'https://a.b', verification: secondary}", "field 'country'", "unknown country"),
    ("  - {id: X1, kind: measure, country: China, materials: [unobtainium], type: ban, effective: 2026-01-01, source_url: 'https://a.b', verification: secondary}", "field 'materials'", "not mapped"),
    ("  - {id: X1, kind: measure, country: China, materials: [gallium], type: ban, source_url: 'https://a.b', verification: secondary}", "field 'effective'", "needs a date"),
    ("  - {id: CN-2025-57, kind: date, date: 2026-07-01, title: t, source_url: 'https://a.b', verification: secondary}", "field 'id'", "already in the register"),
])
def test_each_problem_names_file_row_and_field(tmp_path, entry, line_field, text):
    p = write(tmp_path, "bad.yaml", "format: critmin-register/1\nentries:\n" + entry + "\n")
    entries, problems = rg.check_file(p, SNAPSHOT)
    assert problems, "a bad entry must be reported"
    message = str(problems[0])
    assert str(p) in message and "row 3" in message and line_field in message and text in message
    with pytest.raises(rg.RegisterError, match=text):
        rg.load_file(p, SNAPSHOT)


def test_all_problems_are_listed_not_only_the_first(tmp_path):
    p = write(tmp_path, "bad.csv", """
        id,kind,date,title,source_url,verification
        A,date,2026-07-01,ok,https://a.b,secondary
        B,date,July 2026,bad date,https://a.b,secondary
        A,date,2026-08-01,duplicate,https://a.b,secondary
        C,date,2026-09-01,no source,,secondary
    """)
    _, problems = rg.check_file(p)
    found = {(pr.row, pr.field) for pr in problems}
    assert {(3, "date"), (4, "id"), (5, "source_url")} <= found


@pytest.mark.parametrize("text, message", [
    ("entries: []\n", "unknown format"),
    ("format: critmin-register/1\nentries: {a: 1}\n", "no list of entries"),
    ("format: critmin-register/1\nentries: [\n", "not valid YAML"),
    ("- just a list\n", "not a mapping"),
])
def test_malformed_files(tmp_path, text, message):
    _, problems = rg.check_file(write(tmp_path, "x.yaml", text))
    assert any(message in str(p) for p in problems)


def test_unknown_csv_column_and_file_type(tmp_path):
    _, problems = rg.check_file(write(tmp_path, "x.csv", "id,kind,colour\nA,date,red\n"))
    assert "unknown column" in str(problems[0]) and "row 1" in str(problems[0])
    _, problems = rg.check_file(write(tmp_path, "x.txt", "id\n"))
    assert "unknown file type" in str(problems[0])


def test_add_stores_a_copy_in_the_user_folder_and_only_when_valid(tmp_path):
    folder = tmp_path / "register"
    good = write(tmp_path, "mine.yaml", GOOD_YAML)
    dest, entries = rg.add_file(good, SNAPSHOT, user_folder=folder)
    assert dest == folder / "mine.yaml" and dest.read_bytes() == good.read_bytes() and len(entries) == 3
    assert not list(folder.glob(".*.tmp"))
    with pytest.raises(Exception, match="exists already"):
        rg.add_file(good, SNAPSHOT, user_folder=folder)
    rg.add_file(good, SNAPSHOT, user_folder=folder, replace=True)  # its own ids do not collide with themselves
    # a second file may not reuse an id, and a bad file writes nothing
    clash = write(tmp_path, "other.yaml", GOOD_YAML)
    with pytest.raises(rg.RegisterError, match="already in the register"):
        rg.add_file(clash, SNAPSHOT, user_folder=folder)
    assert sorted(p.name for p in folder.iterdir()) == ["mine.yaml"]
    # the whole register now holds the user's entries after the built-in ones
    whole = rg.register(SNAPSHOT, user_folder=folder)
    assert [e.origin for e in whole][-3:] == ["user:mine.yaml"] * 3
    assert any(e.origin == "builtin" for e in whole)


def test_a_stored_file_that_stops_validating_names_itself(tmp_path):
    folder = tmp_path / "register"
    rg.add_file(write(tmp_path, "mine.yaml", GOOD_YAML), SNAPSHOT, user_folder=folder)
    with pytest.raises(rg.RegisterError, match=r"mine\.yaml.*names no measure"):
        rg.register(SNAPSHOT[1:], user_folder=folder)  # CN-2025-57 gone from the snapshot


def test_builtin_register_is_valid_and_every_date_is_sourced():
    entries = rg.builtin_entries()
    assert entries and all(e.source_url and e.source_url.startswith("https://") for e in entries)
    assert all(e.verification in tr.VERIFICATION and e.verification_note for e in entries)
    by = {e.entry_id: e for e in entries}
    assert by["CN-2025-70"].until.date == dt.date(2026, 11, 10)
    assert by["CN-2025-72"].until.date == dt.date(2026, 11, 27) and "clause 2" in by["CN-2025-72"].part
    assert by["US-232-PCMDP-180-DAYS"].date.date == dt.date(2026, 1, 14) + dt.timedelta(days=180)


def test_snapshot_entries_from_tables():
    ec = pd.DataFrame([
        {"measure_id": "CN-2024-46-US", "country_iso3": "CHN", "commodity_id": c, "materials": m,
         "control_type": "Ban", "year": 2024, "announced_date": pd.Timestamp("2024-12-03"),
         "effective_date": pd.Timestamp("2024-12-03"), "status": "suspended",
         "scope_notes": "Instrument: MOFCOM Announcement 2024 No. 46. Country as published: China (to United States).",
         "source_url": "http://x", "verification_note": "effective date from MOFCOM-page summary; suspension date secondary",
         "source_id": "s", "source_row": 6}
        for c, m in [("gallium", "Gallium"), ("germanium", "Germanium")]
    ] + [{"measure_id": "USGS-T4-COD-1", "country_iso3": "COD", "commodity_id": "cobalt", "materials": "Cobalt",
          "control_type": "Export quota", "year": 2025, "announced_date": pd.NaT, "effective_date": pd.NaT,
          "status": "active", "scope_notes": None, "source_url": None, "verification_note": None,
          "source_id": "usgs", "source_row": 15}])
    ag = pd.DataFrame([{"country_iso3": "PHL", "agreement": "Reciprocal Trade Framework", "signing_date": pd.NaT,
                        "focus_area": "Nickel. [Signed 2025-02; the day is not published.]", "source_url": "https://u",
                        "source_id": "usgs", "source_row": 9}])
    by = {e.entry_id: e for e in rg.snapshot_entries(ec, ag)}
    us = by["CN-2024-46-US"]
    assert us.target_iso3 == "USA" and us.commodity_ids == ("gallium", "germanium") and us.verification == "secondary"
    assert us.title == "MOFCOM Announcement 2024 No. 46: Gallium; Germanium"
    cod = by["USGS-T4-COD-1"]
    assert cod.effective == Day(dt.date(2025, 1, 1), "year") and cod.verification == "official"
    phl = by["MCS2026-T5-9"]
    assert phl.date == Day(dt.date(2025, 2, 1), "month") and phl.partners == ("PHL",)
