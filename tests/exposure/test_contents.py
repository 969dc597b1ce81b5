"""The content library: every figure sourced, stoichiometry from atomic weights, BatPaC packs."""

from __future__ import annotations

import pandas as pd
import pytest

from critmin.exposure import contents as c


@pytest.mark.parametrize(
    "formula, element, expected",
    [
        # hand computation with IUPAC 2021 abridged atomic weights
        ("GaAs", "Ga", 69.723 / (69.723 + 74.922)),
        ("GaN", "Ga", 69.723 / (69.723 + 14.007)),
        ("WC", "W", 183.84 / (183.84 + 12.011)),
        ("Sb2O3", "Sb", 2 * 121.76 / (2 * 121.76 + 3 * 15.999)),
        ("LiFePO4", "Li", 6.94 / (6.94 + 55.845 + 30.974 + 4 * 15.999)),
        ("Nd2Fe14B", "Nd", 2 * 144.24 / (2 * 144.24 + 14 * 55.845 + 10.81)),
        ("LiOH(H2O)", "Li", 6.94 / (6.94 + 2 * 15.999 + 3 * 1.008)),
    ],
)
def test_mass_fraction(formula, element, expected):
    assert c.mass_fraction(formula, element) == pytest.approx(expected, rel=1e-12)


def test_published_compositions_agree():
    # Nd2Fe14B: 26.7% rare earth by mass in the ideal phase (a figure the literature repeats)
    assert c.mass_fraction("Nd2Fe14B", "Nd") == pytest.approx(0.267, abs=5e-4)
    # GaAs is 48.2% gallium by mass
    assert c.mass_fraction("GaAs", "Ga") == pytest.approx(0.482, abs=5e-4)


def test_formula_errors():
    with pytest.raises(ValueError):
        c.mass_fraction("GaAs", "N")
    with pytest.raises(ValueError):
        c.parse_formula("Li(OH")
    with pytest.raises(ValueError):
        c.mass_fraction("XyZ", "Xy")


def test_every_figure_has_a_source_and_a_fraction_range():
    lib = c.content_library(battery_contents=pd.DataFrame(columns=["chemistry", "material", "commodity_id", "value", "notes", "source_row"]))
    assert (lib["source_id"] != "").all() and lib["citation"].str.contains("http").all()
    assert ((lib["low"] >= 0) & (lib["low"] <= lib["high"]) & (lib["high"] <= 1)).all()
    # the NdFeB total spans both sources (30-32 wt%)
    nd = lib[(lib.product_id == "ndfeb-magnet") & (lib.commodity_id == "rare-earths")].iloc[0]
    assert (nd.low, nd.high) == (0.30, 0.32) and nd.source_id == "yang2017;metals2023ndfeb"
    # cathode stoichiometry sums below 1 (oxygen is not a mineral in the library)
    nmc = lib[lib.product_id == "nmc811-cam"]
    assert 0.6 < nmc["low"].sum() < 0.7
    assert set(c.not_covered()["product"]) >= {"platinum-group-metal catalysts", "tantalum capacitors"}


def test_battery_packs_from_the_snapshot_table():
    bc = pd.DataFrame({"chemistry": ["NMC 811", "NMC 811", "NMC 811"], "material": ["Lithium", "Stainless steel", "Cobalt"],
                       "commodity_id": ["lithium", None, "cobalt"], "value": [0.1, 0.3, None],
                       "notes": ["Li", "alloy", "Co"], "source_row": [2, 3, 4]})
    lib = c.battery_library(bc)
    assert list(lib["product_id"]) == ["li-ion-pack-nmc-811"]
    assert lib.iloc[0]["basis"] == "per_kwh" and lib.iloc[0]["low"] == 0.1


def test_the_shipped_library_has_batpac_packs():
    lib = c.content_library()
    assert lib[lib["basis"] == "per_kwh"]["product_id"].nunique() == 21
    summary = c.library_summary(lib)
    assert summary["sources"] >= 5 and summary["figures"] > 200
