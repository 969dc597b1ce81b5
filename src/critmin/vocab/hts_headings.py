"""HTS 4-digit headings and the critmin commodities they contain.

``hts_headings.csv`` lists the 25 headings of the USITC DataWeb query that critmin ships
(SOURCES.md §5a) with the publisher's description, the commodity ids the heading contains
(``;``-separated) and a note. Several headings are *mixed*: 2805 reports rare-earth
metals together with alkali and alkaline-earth metals and mercury, 8505 holds all magnets,
7202 all ferroalloys, 8112 ten different metals, 2825 and 2836 many oxides and carbonates.
For these the note starts with ``MIXED heading`` and an HS4 total must not be read as a
figure for any one commodity; the ids only say which commodities the heading covers.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from critmin.vocab.commodities import catalogue


@dataclass(frozen=True, slots=True)
class HtsHeading:
    hts4: str
    description: str
    commodity_ids: tuple[str, ...]
    note: str

    @property
    def mixed(self) -> bool:
        """True when the heading mixes critmin commodities with other goods."""
        return self.note.startswith("MIXED")


@cache
def hts_headings() -> dict[str, HtsHeading]:
    """Every heading of ``hts_headings.csv`` by its four-digit code."""
    out: dict[str, HtsHeading] = {}
    with resources.files("critmin.vocab").joinpath("hts_headings.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            ids = tuple(i for i in r["commodity_ids"].split(";") if i)
            unknown = [i for i in ids if i not in catalogue()]
            if unknown:
                raise ValueError(f"hts_headings.csv: heading {r['hts4']} names unknown commodity id(s) {unknown}")
            if r["hts4"] in out:
                raise ValueError(f"hts_headings.csv: heading {r['hts4']} listed twice")
            out[r["hts4"]] = HtsHeading(r["hts4"], r["description"], ids, r["note"])
    return out
