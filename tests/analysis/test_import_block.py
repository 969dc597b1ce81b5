"""Audit defect (issue 9, item 8): the import-source block chosen for the risk methods must be
the one the published net import reliance describes (copper: refined copper, not "matte, ash
and precipitate" without Chile; zirconium: ores and concentrates, not compounds; titanium:
the form whose reliance is used, not pigment)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from critmin.analysis import inputs as I
from critmin.analysis.dependency import best_published  # the published form with the highest reliance (was inputs._pick_nir)


def _share_rows(cid, form, shares, source="usgs_mcs2026"):
    return [
        {"vintage": 2026, "commodity_id": cid, "form": form, "partner_iso3": iso, "partner_name": name,
         "partner_kind": "country" if iso else "other", "period": "2021-24", "value": float(v), "qualifier": "exact",
         "low": float(v), "high": float(v), "raw": str(v), "notes": None, "source_id": source}
        for iso, name, v in shares
    ]


def _nir_row(cid, form, value, sources):
    return {"vintage": 2026, "commodity_id": cid, "form": form, "published_name": f"{cid.upper()}, {form}", "year": 2025,
            "rank": 1, "value": float(value), "qualifier": "exact", "low": float(value), "high": float(value),
            "raw": str(value), "import_sources": sources, "import_sources_iso3": None, "sources_period": "2021-24",
            "notes": None, "source_id": "usgs_mcs2026_trends"}


COPPER = pd.DataFrame(
    _share_rows("copper", "Copper content of matte, ash, and precipitate",
                [("CAN", "Canada", 52), ("BEL", "Belgium", 24), ("JPN", "Japan", 9), ("ESP", "Spain", 6), (None, "Other countries", 9)])
    + _share_rows("copper", "Refined copper",
                  [("CHL", "Chile", 68), ("CAN", "Canada", 16), ("PER", "Peru", 7), ("MEX", "Mexico", 6), (None, "Other countries", 3)])
    + _share_rows("copper", "Copper content of scrap", [("CAN", "Canada", 45), ("MEX", "Mexico", 43), (None, "Other countries", 12)])
)
COPPER_NIR = pd.DataFrame([_nir_row("copper", "refined", 57, ["Chile", "Canada", "Peru", "Mexico"])])


def test_copper_block_is_refined_copper():
    picked = I._pick_import_shares(COPPER, best_published(COPPER_NIR))["copper"]
    assert picked["form"] == "Refined copper"
    assert dict((iso, iv.low) for iso, iv in picked["shares"] if iso)["CHL"] == pytest.approx(0.68)


def test_zirconium_block_is_ores_not_compounds():
    shares = pd.DataFrame(
        _share_rows("zirconium", "Zirconium, compounds", [("CHN", "China", 41), ("ZAF", "South Africa", 31), ("FRA", "France", 12),
                                                          ("AUS", "Australia", 10), (None, "Other countries", 6)])
        + _share_rows("zirconium", "Zirconium ores and concentrates", [("ZAF", "South Africa", 48), ("AUS", "Australia", 35),
                                                                       ("SEN", "Senegal", 15), (None, "Other countries", 2)])
    )
    nir = pd.DataFrame([_nir_row("zirconium", "ores and concentrates", 25, ["South Africa", "Australia", "Senegal"])])
    assert I._pick_import_shares(shares, best_published(nir))["zirconium"]["form"] == "Zirconium ores and concentrates"


def test_real_blocks_follow_the_published_reliance(raw_data_dir: Path):
    from critmin.sources.usgs_mcs2026 import read_mcs2026
    from critmin.sources.usgs_mcs_trends import read_mcs2026_trends

    a, b = read_mcs2026(raw_data_dir), read_mcs2026_trends(raw_data_dir)
    shares = pd.concat([a.tables["import_shares"], b.tables["import_shares"]], ignore_index=True)
    nir = b.tables["nir"]
    picked = I._pick_import_shares(shares, best_published(nir))
    cu = dict((iso, iv.low) for iso, iv in picked["copper"]["shares"] if iso)
    assert "CHL" in cu and cu["CHL"] == pytest.approx(0.68)
    assert "refined" in picked["copper"]["form"].lower()
    assert "ores and concentrates" in picked["zirconium"]["form"].lower()
    # titanium: the reliance used is the sponge metal's (highest), so its sources are the sponge's
    ti_form = best_published(nir)["titanium"]["form"]
    assert "sponge" in ti_form.lower() and "sponge" in picked["titanium"]["form"].lower()
    assert "pigment" not in picked["titanium"]["form"].lower()
    # nickel: the published reliance is for primary nickel (Fig. 3), not scrap
    ni = dict((iso, iv.low) for iso, iv in picked["nickel"]["shares"] if iso)
    assert ni.get("NOR") == pytest.approx(0.11)
