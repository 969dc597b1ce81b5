"""HS codes of critical-mineral products, mapped to critmin commodity ids.

The codes are six-digit subheadings of the Harmonized System, 2022 edition, and the
descriptions are our own short paraphrases of the subheading texts.

Source
------
World Customs Organization (WCO), *Harmonized Commodity Description and Coding System*,
2022 edition (HS 2022), Nomenclature, Sections V, VI, XIV, XV and XVI.
https://www.wcoomd.org/en/topics/nomenclature/instrument-and-tools/hs-nomenclature-2022-edition.aspx

Scope and judgment
------------------
The list covers the products argued over in the Section 232 investigations of processed
critical minerals and their derivative products: ores and concentrates, the oxides and
salts traded as intermediates, unwrought metals and powders, ferro-alloys, and
rare-earth permanent magnets. It is a research aid, not a tariff schedule:

* Some subheadings mix materials: 261590 holds niobium, tantalum *and* vanadium ores;
  811292/811299 hold gallium, germanium, indium, niobium and vanadium (in HS 2017 and
  earlier also hafnium and rhenium, which HS 2022 split off into 811231-811249). Such a
  code maps to every material it can hold; value cannot be split between them from trade
  data alone.
* 850511 (permanent magnets of metal) is mapped to rare earths because NdFeB and SmCo
  magnets dominate it by value, but it also holds AlNiCo and other metal magnets.
* 380110 (artificial graphite) maps to ``graphite`` although critmin's ``graphite`` entry
  is *natural* graphite: synthetic graphite competes with natural graphite in battery
  anodes. Filter on ``hs`` when the distinction matters.
* Codes from older HS revisions that fall under a heading dedicated to one material
  (8101 tungsten, 8105 cobalt, 8110 antimony, ...) are found through :data:`HEADINGS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Iterable

#: HS edition of :data:`HS_CODES`.
HS_EDITION = "HS2022"
HS_SOURCE = (
    "World Customs Organization, Harmonized Commodity Description and Coding System, 2022 edition "
    "(HS 2022), https://www.wcoomd.org/en/topics/nomenclature/instrument-and-tools/hs-nomenclature-2022-edition.aspx"
)

REE = "rare-earths"


@dataclass(frozen=True, slots=True)
class HsCode:
    """One HS subheading: its code, the commodities it can hold, a short description."""

    hs: str
    commodity_ids: tuple[str, ...]
    description: str


def _c(hs: str, ids: str | tuple[str, ...], description: str) -> HsCode:
    return HsCode(hs, (ids,) if isinstance(ids, str) else ids, description)


HS_CODES: dict[str, HsCode] = {
    c.hs: c
    for c in [
        # Chapter 25: earths and stone
        _c("250410", "graphite", "Natural graphite, powder or flakes"),
        _c("250490", "graphite", "Natural graphite, other forms"),
        _c("252921", "fluorspar", "Fluorspar, up to 97 % calcium fluoride"),
        _c("252922", "fluorspar", "Fluorspar, over 97 % calcium fluoride"),
        # Chapter 26: ores and concentrates
        _c("260200", "manganese", "Manganese ores and concentrates"),
        _c("260400", "nickel", "Nickel ores and concentrates"),
        _c("260500", "cobalt", "Cobalt ores and concentrates"),
        _c("260600", "bauxite", "Aluminium ores (bauxite) and concentrates"),
        _c("260900", "tin", "Tin ores and concentrates"),
        _c("261000", "chromium", "Chromium ores and concentrates"),
        _c("261100", "tungsten", "Tungsten ores and concentrates"),
        _c("261210", "uranium", "Uranium ores and concentrates"),
        _c("261220", "thorium", "Thorium ores and concentrates"),
        _c("261400", "titanium", "Titanium ores and concentrates"),
        _c("261510", ("zirconium", "hafnium"), "Zirconium ores and concentrates (zircon; hafnium is recovered from it)"),
        _c("261590", ("niobium", "tantalum", "vanadium"), "Niobium, tantalum or vanadium ores and concentrates"),
        _c("261710", "antimony", "Antimony ores and concentrates"),
        # Chapter 28: inorganic chemicals
        _c("280450", ("boron", "tellurium"), "Boron; tellurium"),
        _c("280461", "silicon", "Silicon, at least 99.99 % pure"),
        _c("280469", "silicon", "Silicon, other"),
        _c("280480", "arsenic", "Arsenic"),
        _c("280530", (REE, "scandium", "yttrium"), "Rare-earth metals, scandium and yttrium, mixed or alloyed or not"),
        _c("282200", "cobalt", "Cobalt oxides and hydroxides"),
        _c("282520", "lithium", "Lithium oxide and hydroxide"),
        _c("282530", "vanadium", "Vanadium oxides and hydroxides"),
        _c("282560", ("germanium", "zirconium"), "Germanium oxides and zirconium dioxide"),
        _c("282580", "antimony", "Antimony oxides"),
        _c("283324", "nickel", "Nickel sulphates"),
        _c("283691", "lithium", "Lithium carbonates"),
        _c("284180", "tungsten", "Tungstates (wolframates)"),
        _c("284610", "cerium", "Cerium compounds"),
        _c("284690", (REE, "scandium", "yttrium"), "Compounds of rare-earth metals, yttrium or scandium, other than cerium"),
        # Chapter 38: artificial graphite
        _c("380110", "graphite", "Artificial (synthetic) graphite"),
        # Chapter 71: platinum-group metals
        _c("711011", "platinum", "Platinum, unwrought or in powder"),
        _c("711019", "platinum", "Platinum, semi-manufactured"),
        _c("711021", "palladium", "Palladium, unwrought or in powder"),
        _c("711029", "palladium", "Palladium, semi-manufactured"),
        _c("711031", "rhodium", "Rhodium, unwrought or in powder"),
        _c("711039", "rhodium", "Rhodium, semi-manufactured"),
        _c("711041", ("iridium", "osmium", "ruthenium"), "Iridium, osmium and ruthenium, unwrought or in powder"),
        _c("711049", ("iridium", "osmium", "ruthenium"), "Iridium, osmium and ruthenium, semi-manufactured"),
        # Chapter 72: ferro-alloys
        _c("720211", "manganese", "Ferro-manganese, over 2 % carbon"),
        _c("720219", "manganese", "Ferro-manganese, other"),
        _c("720241", "chromium", "Ferro-chromium, over 4 % carbon"),
        _c("720249", "chromium", "Ferro-chromium, other"),
        _c("720280", "tungsten", "Ferro-tungsten and ferro-silico-tungsten"),
        _c("720291", "titanium", "Ferro-titanium and ferro-silico-titanium"),
        _c("720292", "vanadium", "Ferro-vanadium"),
        _c("720293", "niobium", "Ferro-niobium"),
        # Chapter 75 and 80: nickel, tin
        _c("750210", "nickel", "Nickel, unwrought, not alloyed"),
        _c("750220", "nickel", "Nickel alloys, unwrought"),
        _c("800110", "tin", "Tin, unwrought, not alloyed"),
        _c("800120", "tin", "Tin alloys, unwrought"),
        # Chapter 81: other base metals
        _c("810110", "tungsten", "Tungsten powders"),
        _c("810194", "tungsten", "Tungsten, unwrought, including simply sintered bars and rods"),
        _c("810196", "tungsten", "Tungsten wire"),
        _c("810197", "tungsten", "Tungsten waste and scrap"),
        _c("810199", "tungsten", "Tungsten articles, other"),
        _c("810320", "tantalum", "Tantalum, unwrought, including powders and simply sintered bars"),
        _c("810330", "tantalum", "Tantalum waste and scrap"),
        _c("810391", "tantalum", "Tantalum crucibles"),
        _c("810399", "tantalum", "Tantalum articles, other"),
        _c("810411", "magnesium", "Magnesium, unwrought, at least 99.8 % pure"),
        _c("810419", "magnesium", "Magnesium, unwrought, other"),
        _c("810520", "cobalt", "Cobalt mattes and intermediates; unwrought cobalt; powders"),
        _c("810530", "cobalt", "Cobalt waste and scrap"),
        _c("810590", "cobalt", "Cobalt articles, other"),
        _c("810610", "bismuth", "Bismuth, over 99.99 % pure"),
        _c("810690", "bismuth", "Bismuth, other"),
        _c("810820", "titanium", "Titanium, unwrought; powders"),
        _c("810830", "titanium", "Titanium waste and scrap"),
        _c("810890", "titanium", "Titanium articles, other"),
        _c("811010", "antimony", "Antimony, unwrought; powders"),
        _c("811020", "antimony", "Antimony waste and scrap"),
        _c("811090", "antimony", "Antimony articles, other"),
        _c("811100", "manganese", "Manganese and articles of it, including waste and scrap"),
        _c("811212", "beryllium", "Beryllium, unwrought; powders"),
        _c("811213", "beryllium", "Beryllium waste and scrap"),
        _c("811219", "beryllium", "Beryllium articles, other"),
        _c("811221", "chromium", "Chromium, unwrought; powders"),
        _c("811222", "chromium", "Chromium waste and scrap"),
        _c("811229", "chromium", "Chromium articles, other"),
        _c("811231", "hafnium", "Hafnium, unwrought; waste and scrap; powders"),
        _c("811239", "hafnium", "Hafnium articles, other"),
        _c("811241", "rhenium", "Rhenium, unwrought; waste and scrap; powders"),
        _c("811249", "rhenium", "Rhenium articles, other"),
        _c(
            "811292",
            ("gallium", "germanium", "indium", "niobium", "vanadium"),
            "Other base metals (gallium, germanium, indium, niobium, vanadium...), unwrought; waste and scrap; powders",
        ),
        _c(
            "811299",
            ("gallium", "germanium", "indium", "niobium", "vanadium"),
            "Other base metals (gallium, germanium, indium, niobium, vanadium...), articles",
        ),
        # Chapter 85: magnets
        _c("850511", REE, "Permanent magnets of metal (mostly NdFeB and SmCo; also AlNiCo)"),
    ]
}

#: Four-digit headings that hold a single material, for codes of other HS revisions.
HEADINGS: dict[str, tuple[str, ...]] = {
    "2504": ("graphite",),
    "2846": (REE, "scandium", "yttrium"),
    "7110": ("platinum-group-metals",),
    "8101": ("tungsten",),
    "8103": ("tantalum",),
    "8104": ("magnesium",),
    "8105": ("cobalt",),
    "8106": ("bismuth",),
    "8108": ("titanium",),
    "8110": ("antimony",),
}


def normalise_hs(code: object) -> str:
    """An HS code as text with the leading zero a spreadsheet or integer column dropped.

    HS codes have an even number of digits (2, 4, 6, 8, 10); an odd-length string of
    digits has lost its leading zero (``80510`` -> ``080510``). Anything that is not all
    digits (``TOTAL``, BACI's ``9999AA``) is returned stripped but otherwise as given.
    """
    text = str(code).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]  # a float-typed column
    if text.isdigit() and len(text) % 2 == 1:
        text = "0" + text
    return text


def commodities_for_hs(code: object) -> tuple[str, ...]:
    """Commodity ids an HS code can hold; ``()`` when it is not a critical-mineral code."""
    hs = normalise_hs(code)
    if hs[:6] in HS_CODES:
        return HS_CODES[hs[:6]].commodity_ids
    return HEADINGS.get(hs[:4], ())


@cache
def critical_hs_prefixes() -> frozenset[str]:
    """The six-digit codes of :data:`HS_CODES` and the headings of :data:`HEADINGS`."""
    return frozenset(HS_CODES) | frozenset(HEADINGS)


def hs_matcher(selection: Iterable[str]) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """Split a selection of HS codes or prefixes into sets of 2-, 4- and 6-digit entries.

    Raises
    ------
    ValueError
        An entry that is not 2, 4 or 6 digits.
    """
    by_len: dict[int, set[str]] = {2: set(), 4: set(), 6: set()}
    for raw in selection:
        code = normalise_hs(raw)
        if not code.isdigit() or len(code) not in by_len:
            raise ValueError(f"HS selection entry {raw!r} is not a 2-, 4- or 6-digit HS code")
        by_len[len(code)].add(code)
    return frozenset(by_len[2]), frozenset(by_len[4]), frozenset(by_len[6])
