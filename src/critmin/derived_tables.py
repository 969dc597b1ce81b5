"""Tables the build derives from the vocabularies and the other tables."""

from __future__ import annotations

import pandas as pd

from critmin.vocab import commodities as vc
from critmin.vocab import countries as vk


def commodities_table(critical_lists: pd.DataFrame) -> pd.DataFrame:
    """The catalogue: every canonical commodity, its group members and list memberships.

    A group entry (rare earths, platinum-group metals) is on a list when any member is.
    """
    on = {}
    for (cid, year), flag in critical_lists.set_index(["commodity_id", "list_year"])["on_list"].items():
        on[(cid, int(year))] = bool(flag)
    rows = []
    for c in vc.catalogue().values():
        members = list(vc.members(c.commodity_id))
        row = {
            "commodity_id": c.commodity_id,
            "name": c.name,
            "symbol": c.symbol or None,
            "group_id": c.group_id or None,
            "is_group": c.is_group,
            "kind": c.kind,
            "mcs_chapter": c.mcs_chapter or None,
            "members": members,
            "note": c.note or None,
        }
        for year in (2018, 2022, 2025):
            flags = [on.get((m, year)) for m in [c.commodity_id, *members]]
            known = [f for f in flags if f is not None]
            row[f"on_list_{year}"] = any(known) if known else False
        rows.append(row)
    cols = ["commodity_id", "name", "symbol", "group_id", "is_group", "kind", "mcs_chapter", "members",
            "on_list_2018", "on_list_2022", "on_list_2025", "note"]
    return pd.DataFrame(rows, columns=cols)


_ISO3_COLUMNS = ("country_iso3", "partner_iso3", "iso3", "leading_country_iso3", "exporter_iso3", "importer_iso3")


def countries_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every ISO3 code that occurs in any table, with its name and group flags."""
    codes: set[str] = set()
    for df in tables.values():
        for col in _ISO3_COLUMNS:
            if col in df.columns:
                codes.update(x for x in df[col].dropna().unique() if x)
        if "import_sources_iso3" in df.columns:
            for lst in df["import_sources_iso3"].dropna():
                codes.update(x for x in lst if x)
    for members in vk.groups().values():
        codes.update(members)
    g = vk.groups()
    rows = [
        {
            "iso3": code,
            "name": vk.country_name(code),
            "g7": code in g["G7"],
            "usmca": code in g["USMCA"],
            "feoc": code in g["FEOC"],
            "eu27": code in g["EU27"],
        }
        for code in sorted(codes)
    ]
    return pd.DataFrame(rows, columns=["iso3", "name", "g7", "usmca", "feoc", "eu27"])
