"""The U.S. Lists of Critical Minerals of 2018, 2022 and 2025.

File
----
``us_critical_minerals_list/us_critical_minerals_2018_2022_2025.csv`` (COMPILED by the critmin
data team from the Federal Register notices; no publisher issues the lists as a table; see
SOURCES.md section 2). UTF-8, CRLF, 63 rows: the 60 minerals of the 2025 list and three that
were only on the 2018 list (helium, strontium, osmium). Header::

    mineral,symbol,group,on_2018_list,name_or_group_on_2018_list,on_2022_list,on_2025_list,
    added_in_2025,usgs_mcs_chapter,note

What the reader produces
------------------------
``critical_lists``: one row per mineral and list year (2018, 2022, 2025), 189 rows.

* ``on_list`` from the ``on_<year>_list`` flag (``0`` / ``1``; anything else is an error).
* ``name_on_list``: for 2018 the entry as it was listed (``Aluminum (bauxite)``, or for a member
  of a group entry the compiler's text "via 'rare earth elements group'" / "via 'platinum
  group metals' group"); for 2022 and 2025 the mineral's name when on the list. Null when not
  on the list.
* ``group``: ``REE`` or ``PGM`` for members of the rare-earth and platinum-group entries.
  The 2018 list named these two groups as one entry each; 2022 and 2025 list the elements.
  Yttrium is counted inside the 2018 REE group (SOURCES.md: assumed, not verified against the
  2018 final notice); scandium was listed on its own.
* ``added``: 2018 null (the first list); 2022 true for minerals on the 2022 list but not on
  2018 (nickel, zinc); 2025 the ``added_in_2025`` flag (boron, copper, lead, metallurgical
  coal, phosphate, potash, rhenium, silicon, silver, uranium). The reader checks that the
  flag agrees with the two lists and fails if not.
* ``commodity_id`` by :func:`critmin.vocab.commodities.resolve_commodity` ("Metallurgical
  coal" and "Uranium" are in the vocabulary although USGS MCS does not cover them).
* ``usgs_mcs_chapter`` (join key to the MCS2026 ``MCS chapter``) and ``symbol`` are not schema
  columns; the chapter is checked in the tests.

Counts the tests verify: 60 on the 2025 list, 50 on 2022, 35 entries on 2018 when the REE and
PGM groups count as one entry each (54 rows flagged for 2018).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from critmin.errors import SourceError
from critmin.sources.base import ReadResult, SourceInfo, frame, relative_to_data
from critmin.sources.expectations import Expectation, Shape, expects
from critmin.sources.usgs_mcs2026 import clean_text, read_complete_csv
from critmin.vocab.commodities import resolve_commodity

SOURCE_ID = "us_critical_minerals_lists"
RELATIVE_PATH = "us_critical_minerals_list/us_critical_minerals_2018_2022_2025.csv"
ENCODING = "utf-8-sig"
COLUMNS = (
    "mineral",
    "symbol",
    "group",
    "on_2018_list",
    "name_or_group_on_2018_list",
    "on_2022_list",
    "on_2025_list",
    "added_in_2025",
    "usgs_mcs_chapter",
    "note",
)
LIST_YEARS = (2018, 2022, 2025)
GROUPS = frozenset({"REE", "PGM"})

INFO = SourceInfo(
    source_id=SOURCE_ID,
    title="U.S. Lists of Critical Minerals 2018, 2022 and 2025 (compiled table)",
    publisher="U.S. Department of the Interior and U.S. Geological Survey (Federal Register); table compiled by the critmin data team",
    citation=(
        "U.S. Department of the Interior, 2018, Final List of Critical Minerals 2018: Federal Register, v. 83, no. 97, "
        "p. 23295-23296 (83 FR 23295, 2018-05-18). "
        "U.S. Geological Survey, 2022, 2022 Final List of Critical Minerals: Federal Register, v. 87, no. 37, p. 10381-10382 "
        "(87 FR 10381, 2022-02-24, FR Doc. 2022-04027). "
        "U.S. Geological Survey, 2025, Final 2025 List of Critical Minerals: Federal Register, 2025-11-07, FR Doc. 2025-19813."
    ),
    licence="Public domain (U.S. Government works); the compiled table is distributed under the project licence (MIT)",
    vintage=2025,
    url="https://www.federalregister.gov/d/2025-19813",
    published="2025-11-07",
    notes=(
        "COMPILED from the notices: the 2022 list from the IEA policy database entry and the identical 2021 draft "
        "(86 FR 62199); the 2018 list from the draft of 35 in 83 FR 7065, identical to the final list; the 2025 list from "
        "summaries quoting FR Doc. 2025-19813 (full list of 60 names). Not verified here: the 2018 final notice itself and "
        "the 2018 membership of yttrium (assumed inside the rare-earth group; scandium was listed on its own)."
    ),
)


def _flag(cells: dict[str, str], column: str, *, file: str, row: int) -> bool:
    value = cells[column]
    if value not in {"0", "1"}:
        raise SourceError(file, "list flag is not 0 or 1", row=row, field=column, found=value, expected="0 or 1")
    return value == "1"


#: SOURCES.md §2: 63 rows, one per mineral.
EXPECTED = Expectation(
    files=(RELATIVE_PATH,),
    shapes=(Shape(RELATIVE_PATH, rows=63, distinct={"commodity_id": 63}, doc="SOURCES.md §2: 63 rows, one mineral each"),),
)


@expects(EXPECTED)
def read_critical_lists(data_dir: Path) -> ReadResult:
    """Read the compiled critical-minerals lists into ``critical_lists``.

    Parameters
    ----------
    data_dir
        The raw-data folder holding ``us_critical_minerals_list/``.

    Returns
    -------
    ReadResult
        Manifest entry ``us_critical_minerals_lists`` and one row per mineral and list year.
    """
    path = data_dir / RELATIVE_PATH
    rel = relative_to_data(path, data_dir)
    _, rows, blank = read_complete_csv(path, ENCODING, required=COLUMNS)
    skipped: Counter = Counter()
    if blank:
        skipped["blank line"] += blank
    seen: dict[str, int] = {}
    out: list[dict[str, object]] = []
    for n, raw in rows:
        cells = {k: clean_text(v) for k, v in raw.items()}
        mineral = cells["mineral"]
        commodity_id = resolve_commodity(mineral, file=rel, row=n, field="mineral").commodity_id
        if commodity_id in seen:
            raise SourceError(rel, f"mineral listed twice (also on row {seen[commodity_id]})", row=n, field="mineral", found=mineral, expected="one row per mineral")
        seen[commodity_id] = n
        group = cells["group"]
        if group and group not in GROUPS:
            raise SourceError(rel, "unknown group", row=n, field="group", found=group, expected=f"blank or one of {sorted(GROUPS)}")
        on = {year: _flag(cells, f"on_{year}_list", file=rel, row=n) for year in LIST_YEARS}
        added_2025 = _flag(cells, "added_in_2025", file=rel, row=n)
        if added_2025 != (on[2025] and not on[2022]):
            raise SourceError(
                rel, "added_in_2025 disagrees with the 2022 and 2025 flags", row=n, field="added_in_2025", found=cells["added_in_2025"],
                expected="1 exactly when on the 2025 list and not on the 2022 list",
            )
        name_2018 = cells["name_or_group_on_2018_list"]
        if on[2018] and not name_2018:
            raise SourceError(rel, "on the 2018 list without the name it was listed under", row=n, field="name_or_group_on_2018_list", expected="the 2018 entry's name")
        names = {2018: name_2018 if on[2018] else None, 2022: mineral if on[2022] else None, 2025: mineral if on[2025] else None}
        added = {2018: None, 2022: on[2022] and not on[2018], 2025: added_2025}
        for year in LIST_YEARS:
            out.append(
                {
                    "commodity_id": commodity_id,
                    "list_year": year,
                    "on_list": on[year],
                    "name_on_list": names[year],
                    "group": group or None,
                    "added": added[year],
                    "note": cells["note"] or None,
                    "source_id": SOURCE_ID,
                    "source_file": rel,
                    "source_row": n,
                }
            )
    return ReadResult(info=INFO, files=[path], tables={"critical_lists": frame("critical_lists", out)}, skipped=skipped)
