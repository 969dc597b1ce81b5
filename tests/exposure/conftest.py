"""Shared fixtures of the exposure tests: a small knowledge base and library written here."""

from __future__ import annotations

import pandas as pd
import pytest

from critmin.exposure.exposure import KnowledgeBase
from critmin.exposure.upstream import FixedShares

HEADER = ("part_id,parent_id,quantity,description,material,mass_kg,content_fraction,energy_kwh,supplier,"
          "supplier_country,origin_mine,origin_processing,hts_code,unit_value_usd,annual_volume,originating,net_cost_usd")


def write_bill(tmp_path, lines, name="bill.csv"):
    p = tmp_path / name
    p.write_text(HEADER + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return p


@pytest.fixture
def tiny_kb() -> KnowledgeBase:
    controls = pd.DataFrame([
        {"measure_id": "CN-GA", "country_iso3": "CHN", "commodity_id": "gallium", "control_type": "licensing",
         "status": "active", "effective_date": None},
        {"measure_id": "OLD", "country_iso3": "CHN", "commodity_id": "cobalt", "control_type": "quota",
         "status": "lifted", "effective_date": None},
    ])
    return KnowledgeBase(wgi={"CHN": -0.5, "AUS": 1.5, "USA": 1.0, "JPN": 1.2}, wgi_info={"release": "test", "year": 2023},
                         feoc=frozenset({"CHN", "RUS"}), groups={"G7": frozenset({"USA", "JPN"}), "FEOC": frozenset({"CHN", "RUS"}),
                                                                  "USMCA": frozenset({"USA", "CAN", "MEX"})},
                         export_controls=controls, commodity_group={"neodymium": "rare-earths"},
                         group_members={"rare-earths": ("neodymium",)},
                         agreements=pd.DataFrame({"country_iso3": ["AUS"]}), production=pd.DataFrame())


@pytest.fixture
def fixed_shares() -> FixedShares:
    return FixedShares({("gallium", "processing"): {"CHN": 0.9, "JPN": 0.1},
                        ("cobalt", "mine"): {"COD": 0.7, "AUS": 0.2},  # 10% unassigned
                        ("cobalt", "processing"): {"CHN": 0.8, "FIN": 0.2}})
