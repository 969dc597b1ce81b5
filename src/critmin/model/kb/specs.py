"""Documented choices per mineral-stage market: which published series, on which basis, and why.

Where several published series compete (two price series, two producers' tables, a
stage published as shares only), the first entry is the **default**, named in the
market's assumptions with its alternatives; a user chooses another with
``calibrate_market(..., price_series=..., production_source=...)``.

Bases: every quantity and price of a market is in tonnes of ``basis`` and US dollars per
tonne of ``basis``. A price published on another basis enters only through a stated
stoichiometric conversion (``to_basis``, formula in ``conversion``); otherwise the market
is refused (:class:`~critmin.model.kb.inputs.KBBasisError`).

Stoichiometric factors use IUPAC standard atomic weights (W 183.84, O 15.999, Li 6.94,
C 12.011, V 50.942, Ge 72.630).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Mass units of price denominators, in kilograms (dry metric ton unit = 1% of a tonne).
PRICE_MASS_KG = {"dollars per metric ton unit": 10.0, "dollars per dry metric ton unit": 10.0}


@dataclass(frozen=True)
class PriceChoice:
    """One published price series and how it is put on the market's basis.

    ``match`` is a substring of the USGS salient ``detail`` (``source="salient"``), a World
    Bank Pink Sheet series id (``source="pinksheet"``, annual mean of the monthly values) or
    a USGS DS140 series id (``source="ds140"``, the year's unit value). ``basis`` is what the
    publisher's price is per; ``to_basis`` multiplies a price per tonne of ``basis`` into one
    per tonne of the market's basis (``conversion`` says how). ``stage`` is the stage the
    series prices (a mine market priced at a refined-metal price says so).
    """

    source: str
    match: str
    basis: str
    stage: str
    to_basis: float = 1.0
    conversion: str = ""
    unit: str | None = None  # override of the published unit word (metric ton units)
    note: str = ""


@dataclass(frozen=True)
class Spec:
    """What one mineral-stage market is built from (see the module docstring)."""

    mineral: str
    stage: str
    basis: str
    production: tuple[str, ...]
    prices: tuple[PriceChoice, ...]
    us_imports: tuple[str, ...] = ()
    us_exports: tuple[str, ...] = ()
    import_form: str | None = None
    data_mineral: str | None = None  # the knowledge base's id when it differs (aluminum mine -> bauxite)
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def kb_id(self) -> str:
        return self.data_mineral or self.mineral


def _salient(match, basis, stage, **kw) -> PriceChoice:
    return PriceChoice("salient", match, basis, stage, **kw)


def _pink(series, basis, stage, **kw) -> PriceChoice:
    return PriceChoice("pinksheet", series, basis, stage, **kw)


_W_IN_WO3 = 183.84 / (183.84 + 3 * 15.999)
_LI_IN_LI2CO3 = 2 * 6.94 / (2 * 6.94 + 12.011 + 3 * 15.999)
_V_IN_V2O5 = 2 * 50.942 / (2 * 50.942 + 5 * 15.999)
_GE_IN_GEO2 = 72.630 / (72.630 + 2 * 15.999)

WO3_TO_W = PriceChoice("salient", "tungsten trioxide", "W", "mine", to_basis=1 / _W_IN_WO3,
                       conversion=f"price per t WO3 / {_W_IN_WO3:.4f} (W in WO3 = 183.84/231.84)",
                       unit="dollars per dry metric ton unit",
                       note="a dry metric ton unit (mtu) is 10 kg of WO3 contained in concentrate")
LCE_TO_LI = PriceChoice("salient", "battery-grade lithium carbonate", "Li", "processing", to_basis=1 / _LI_IN_LI2CO3,
                        conversion=f"price per t Li2CO3 / {_LI_IN_LI2CO3:.4f} (Li in Li2CO3 = 13.88/73.89)",
                        note="USGS labels the series 'annual average-real'; taken as published")
V2O5_TO_V = PriceChoice("salient", "vanadium pentoxide", "V", "processing", to_basis=1 / _V_IN_V2O5,
                        conversion=f"price per t V2O5 / {_V_IN_V2O5:.4f} (V in V2O5 = 101.88/181.88)")
GEO2_TO_GE = PriceChoice("salient", "Germanium dioxide", "Ge", "processing", to_basis=1 / _GE_IN_GEO2,
                         conversion=f"price per t GeO2 / {_GE_IN_GEO2:.4f} (Ge in GeO2 = 72.63/104.63)")

#: Shares of processing output by country published by the EU CRM 2023 study, scaled to the
#: world mine output of the same content (the feed balance named in every such market).
EU = "eu_processing"

SPECS: tuple[Spec, ...] = (
    # ---------------------------------------------------------------- mine stage
    Spec("aluminum", "mine", "gross weight", ("usgs",), (_salient("free alongside ship", "gross weight", "mine"),),
         data_mineral="bauxite", extra={"salient_form": "bauxite"}, note="aluminum's mine stage is bauxite (USGS chapter BAUXITE AND ALUMINA), dry gross weight"),
    Spec("antimony", "mine", "Sb", ("usgs", "wmd"), (_salient("Price, metal", "Sb", "processing"),)),
    Spec("barite", "mine", "gross weight", ("usgs", "wmd"), (_salient("ground, ex-works", "gross weight", "processing"),)),
    Spec("boron", "mine", "gross weight", ("wmd",), (_salient("combined imports", "gross weight", "mine"),),
         note="USGS publishes boron by form without comparable totals; World Mining Data boron minerals (gross weight)"),
    Spec("chromium", "mine", "gross weight", ("usgs", "wmd"), (_salient("Chromite ore", "gross weight", "mine"),)),
    Spec("copper", "mine", "Cu", ("usgs", "wmd"),
         (_pink("pinksheet:COPPER", "Cu", "processing"), _salient("London Metal Exchange, grade A", "Cu", "processing"),
          _salient("COMEX, high-grade", "Cu", "processing"))),
    Spec("fluorspar", "mine", "gross weight", ("usgs", "wmd"),
         (_salient("Acid grade", "gross weight", "mine"), _salient("Metallurgical grade", "gross weight", "mine")),
         extra={"nir_imports": ("Imports for consumption: Total fluorspar imports",),
                "nir_exports": ("Exports, fluorspar, all grades",)}),
    Spec("graphite", "mine", "gross weight", ("usgs", "wmd"),
         (_salient("Flake", "gross weight", "mine"), _salient("Amorphous", "gross weight", "mine"),
          _salient("Lump and chip", "gross weight", "mine"))),
    Spec("lead", "mine", "Pb", ("usgs", "wmd"),
         (_pink("pinksheet:LEAD", "Pb", "processing"), _salient("North American", "Pb", "processing"))),
    Spec("manganese", "mine", "Mn", ("usgs", "wmd"),
         (_salient("manganese content, cost, insurance, and freight", "Mn", "mine", unit="dollars per metric ton unit",
                   note="USGS's unit word says 'dollars per metric ton' but the series is per metric ton unit "
                        "(10 kg) of manganese content, as its label states"),)),
    Spec("nickel", "mine", "Ni", ("usgs", "wmd"),
         (_pink("pinksheet:NICKEL", "Ni", "processing"), _salient("Dollars per metric ton", "Ni", "processing"))),
    Spec("phosphate", "mine", "gross weight", ("usgs",), (_salient("f.o.b. mine", "gross weight", "mine"),)),
    Spec("rare-earths", "mine", "REO", ("usgs", "wmd"),
         (PriceChoice("ds140", "ds140:rare-earths/rare-earths:unit-value-t", "REO", "processing",
                      note="USGS DS140 unit value of US apparent consumption of rare earths, REO equivalent; the last "
                           "year published is 2020"),
          _salient("Neodymium-praseodymium (NdPr) oxide", "NdPr oxide", "processing"),
          _salient("Mischmetal", "mischmetal", "processing")),
         us_exports=("Exports: Ores and compounds",),
         note="MCS publishes no price of rare-earth concentrates on the REO basis; the NdPr oxide and mischmetal "
              "prices are per kilogram of those products, not of REO, and are refused for this market"),
    Spec("silver", "mine", "Ag", ("usgs", "wmd"),
         (_pink("pinksheet:SILVER", "Ag", "processing"), _salient("bullion", "Ag", "processing"))),
    Spec("tin", "mine", "Sn", ("usgs", "wmd"),
         (_pink("pinksheet:Tin", "Sn", "processing"), _salient("London Metal Exchange (LME), cash", "Sn", "processing"))),
    Spec("titanium", "mine", "TiO2", ("usgs:Mine production: Ilmenite", "usgs:Mine production: Rutile", "wmd"),
         (_salient("Ilmenite, average unit value of imports", "gross weight", "mine"),
          _salient("Ilmenite and leucoxene", "gross weight", "mine")),
         note="USGS and World Mining Data publish titanium concentrates in TiO2 content; the published prices are per "
              "gross tonne of ilmenite or rutile of unstated grade, so the market is refused on its basis"),
    Spec("tungsten", "mine", "W", ("usgs", "wmd"), (WO3_TO_W,)),
    Spec("zinc", "mine", "Zn", ("usgs", "wmd"),
         (_pink("pinksheet:Zinc", "Zn", "processing"), _salient("London Metal Exchange (LME), cash", "Zn", "processing"))),
    Spec("zirconium", "mine", "gross weight", ("usgs", "wmd"),
         (_salient("Zircon, dollars per metric ton (gross weight): Imported", "gross weight", "mine"),
          _salient("Premium grade", "gross weight", "mine"))),
    # ---------------------------------------------------------------- processing stage
    Spec("aluminum", "processing", "Al", ("usgs", "wmd"),
         (_pink("pinksheet:ALUMINUM", "Al", "processing"), _salient("ingot, average U.S. market", "Al", "processing"))),
    Spec("antimony", "processing", "Sb", (EU,), (_salient("Price, metal", "Sb", "processing"),),
         us_imports=("Imports for consumption: Oxide", "Imports for consumption: Unwrought, powder"),
         us_exports=("Exports: Oxide", "Exports: Unwrought, powder")),
    Spec("beryllium", "mine", "Be", ("usgs",), (_salient("contained beryllium", "Be", "processing"),),
         us_imports=("Imports for consumption",), us_exports=("Exports",), import_form="All",
         note="USGS salient beryllium trade covers ores, metal, alloys and compounds in beryllium content"),
    Spec("beryllium", "processing", "Be", (EU,), (_salient("contained beryllium", "Be", "processing"),)),
    Spec("bismuth", "processing", "Bi", ("usgs",), (_salient("Price, average, dollars per pound", "Bi", "processing"),)),
    Spec("cobalt", "processing", "Co", (EU,),
         (_salient("London Metal Exchange (LME), cash", "Co", "processing"), _salient("U.S. spot, cathode", "Co", "processing"))),
    Spec("copper", "processing", "Cu", ("usgs",),
         (_pink("pinksheet:COPPER", "Cu", "processing"), _salient("London Metal Exchange, grade A", "Cu", "processing")),
         us_imports=("Imports for consumption: Refined",), us_exports=("Exports: Refined",), import_form="Refined copper"),
    Spec("gallium", "processing", "Ga", ("usgs", "wmd"), (_salient("average unit value of imports", "Ga", "processing"),),
         us_imports=("Imports for consumption: Metal",), import_form="Metal"),
    Spec("germanium", "processing", "Ge", ("wmd",), (_salient("Germanium metal", "Ge", "processing"), GEO2_TO_GE),
         us_imports=("Imports for consumption: Germanium metal", "Imports for consumption: Germanium dioxide"),
         us_exports=("Exports: Germanium metal", "Exports: Germanium dioxide"), import_form="Combined total"),
    Spec("indium", "processing", "In", ("usgs", "wmd"),
         (_salient("Rotterdam", "In", "processing"), _salient("U.S. warehouse", "In", "processing")),
         us_imports=("Imports for consumption",), import_form="All"),
    Spec("lead", "processing", "Pb", (EU,), (_pink("pinksheet:LEAD", "Pb", "processing"),),
         us_imports=("Imports for consumption: Refined metal, unwrought",), import_form="Refined metal"),
    Spec("lithium", "processing", "Li", (EU,), (LCE_TO_LI,)),
    Spec("magnesium", "processing", "Mg", ("usgs",),
         (_salient("U.S. spot Western", "Mg", "processing"), _salient("European free market", "Mg", "processing")),
         us_imports=("Imports for consumption",), us_exports=("Exports",), import_form="Magnesium metal (99.8% purity)"),
    Spec("nickel", "processing", "Ni", (EU,),
         (_pink("pinksheet:NICKEL", "Ni", "processing"), _salient("Dollars per metric ton", "Ni", "processing")),
         us_imports=("Imports: Primary",), us_exports=("Exports: Primary",), import_form="Primary nickel"),
    Spec("palladium", "processing", "Pd", (EU,), (_salient("Palladium", "Pd", "processing"),)),
    Spec("platinum", "processing", "Pt", (EU,),
         (_pink("pinksheet:PLATINUM", "Pt", "processing"), _salient("Platinum", "Pt", "processing"))),
    Spec("rhodium", "processing", "Rh", (EU,), (_salient("Rhodium", "Rh", "processing"),)),
    Spec("rhenium", "processing", "Re", ("wmd",), (_salient("Metal, 99.99% pure", "Re", "processing"),),
         us_imports=("Imports for consumption: Rhenium, unwrought and powders",), us_exports=("Exports",),
         import_form="Rhenium metal"),
    Spec("silicon", "processing", "Si", ("usgs:Silicon metal",), (_salient("Silicon metal", "Si", "processing"),),
         us_imports=("Imports for consumption: Silicon metal",), us_exports=("Exports: Silicon metal",),
         import_form="Silicon metal",
         note="silicon metal (the ferrosilicon series is another product, priced per pound of contained silicon)"),
    Spec("tellurium", "processing", "Te", ("usgs:Refinery production", "wmd"),
         (_salient("United States", "Te", "processing"), _salient("Europe", "Te", "processing")),
         us_imports=("Imports for consumption",), us_exports=("Exports",), import_form="All"),
    Spec("tin", "processing", "Sn", (EU,), (_pink("pinksheet:Tin", "Sn", "processing"),),
         us_imports=("Imports for consumption: Refined",), us_exports=("Exports: Refined",), import_form="Refined tin"),
    Spec("titanium", "processing", "Ti", ("usgs:Titanium sponge metal production",),
         (_salient("dollars per kilogram", "Ti", "processing"),), data_mineral="titanium",
         us_imports=("Imports for consumption",), us_exports=("Exports",), import_form="Titanium Sponge Metal",
         extra={"salient_form": "sponge metal"}),
    Spec("vanadium", "processing", "V", (EU,), (V2O5_TO_V,)),
    Spec("zinc", "processing", "Zn", (EU,), (_pink("pinksheet:Zinc", "Zn", "processing"),),
         us_imports=("Imports for consumption: Refined zinc",), us_exports=("Exports: Refined zinc",),
         import_form="Refined metal"),
)

#: Mineral-stages known not to calibrate, with exactly what is missing (checked by the registry,
#: which also reports every other failure in the calibration's own words).
MISSING: dict[tuple[str, str], str] = {
    ("neodymium", "processing"): "EU CRM 2023 gives shares of neodymium processing by country but no tonnage, and no "
                                 "cited NdPr share of separated REO is in the knowledge base: the separation stage "
                                 "calibrates in REO content only (kb:rare-earths:processing, kb:rare-earths)",
    ("praseodymium", "processing"): "EU CRM 2023 gives shares of praseodymium processing by country but no tonnage, "
                                    "and no cited NdPr share of separated REO is in the knowledge base: the separation "
                                    "stage calibrates in REO content only (kb:rare-earths:processing, kb:rare-earths)",
    ("graphite", "processing"): "no production of purified or spherical graphite by country (USGS and World Mining "
                                "Data publish mined graphite only) and HS1992 250410 mixes concentrate with purified "
                                "powder",
    ("manganese", "processing"): "no ferromanganese or electrolytic manganese price in the knowledge base (the MCS "
                                 "price is manganese ore, CIF China)",
    ("tungsten", "processing"): "no price of processed tungsten (APT) in the knowledge base; the MCS price is "
                                "concentrate",
    ("cobalt", "mine"): "no bilateral trade of cobalt ores and intermediates with a content basis (HS 2605 is not in "
                        "the concordance; 810510 mixes mattes with metal); the processing market carries cobalt",
    ("lithium", "mine"): "no bilateral trade of lithium minerals (spodumene is not a separate HS1992 code); the "
                         "processing market carries lithium",
    ("platinum", "mine"): "HS 261690 mixes gold and PGM ores; no bilateral trade of platinum at the mine stage",
    ("palladium", "mine"): "HS 261690 mixes gold and PGM ores; no bilateral trade of palladium at the mine stage",
}


#: Share of the refined-metal value of contained metal that smelters pay for concentrates, as a range:
#: "Typically, 85-98% of the value of the contained metals are paid for by the smelter" (Costmine,
#: "What miners need to know about smelter charges", Canadian Mining Journal, featured article,
#: https://canadianminingjournal.com/featured-article/what-miners-need-to-know-about-smelter-charges).
#: A linked chain prices its mine stage at this fraction of the refined price per tonne of content;
#: treatment and refining charges come on top and are not in the data, so the mine price is an
#: upper bound on what miners receive. The low and high corners of a linked chain take 85% and 98%.
PAYABLE = (0.85, 0.98)
PAYABLE_SOURCE = ("Costmine, 'What miners need to know about smelter charges', Canadian Mining Journal: 'Typically, "
                  "85-98% of the value of the contained metals are paid for by the smelter' (https://"
                  "canadianminingjournal.com/featured-article/what-miners-need-to-know-about-smelter-charges)")

#: Minerals whose mine and processing stages the registry tries to link into one chain
#: (:mod:`critmin.model.kb.linked`), with a documented reason where they cannot be.
CHAIN_CANDIDATES = ("aluminum", "antimony", "beryllium", "cobalt", "copper", "graphite", "lead", "lithium",
                    "manganese", "nickel", "palladium", "platinum", "rare-earths", "tin", "titanium", "tungsten",
                    "zinc")

#: Chains refused for a reason the calibration cannot see from the stage markets alone.
CHAIN_MISSING: dict[str, str] = {
    "aluminum": ("the mine stage is bauxite (gross weight) and the processing stage aluminium metal (Al): the alumina "
                 "stage between them, and its trade (Australia ships alumina, not bauxite, to smelters abroad), is not "
                 "in the data, and no cited bauxite-per-tonne-of-aluminium coefficient is in the knowledge base; "
                 "linking bauxite straight to metal would send Guinea's bauxite to smelters that buy alumina"),
    "titanium": ("the mine stage (ilmenite and rutile, TiO2 content) does not calibrate (prices per gross tonne of "
                 "unstated grade) and the processing stage is titanium sponge, made from titanium tetrachloride "
                 "whose trade is not in the data"),
}


#: Markets built by their own readers rather than from a :class:`Spec` (see :mod:`.rare_earths`).
SPECIAL = (("rare-earths", "processing"),)


def spec_for(mineral: str, stage: str) -> Spec | None:
    for s in SPECS:
        if s.mineral == mineral and s.stage == stage:
            return s
    return None
