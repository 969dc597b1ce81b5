"""EU critical raw materials assessment 2023 -> ``eu_crm_assessment``,
``eu_crm_supply_shares``, ``eu_crm_material_use``.

European Commission (DG GROW), *Study on the critical raw materials for the EU 2023 -
Final Report*, tables extracted by the repository erikemilsson/EU-Critical-Raw-Materials-
CRM-Reports-Datasets (SOURCES.md §7). Files in ``eu_crm2023/``:

``dimension_CRMsOverTime.csv`` (UTF-8, CRLF) -> ``eu_crm_assessment``
    ``Material,Year,SR,EI``: supply risk and economic importance of 71 materials in the
    assessments of 2011, 2014, 2017, 2020 and 2023. Each cell becomes a row with
    ``indicator`` ``SR`` or ``EI``; ``-`` (not assessed that year) becomes
    ``not_available``. One name is written with a line break inside quotes
    (``"Natural Teak\\nwood"``); ``source_row`` counts CSV records, header = 1.

``fact_GlobalSupplyShares_and_t.csv`` and ``fact_EUSupplyShares_and_t.csv`` (cp1252) ->
``eu_crm_supply_shares`` (scope ``global`` and ``eu_sourcing``)
    ``Material,Stage,Country,Share,t``: stage ``E`` (extraction) or ``P`` (processing);
    share as text ``55.6%``, ``<0.1%`` (kept as ``less_than`` with ``high`` 0.1), one
    ``6`` without a percent sign (Silicon metal, Germany, EU file), kept as 6 (percent);
    ``t`` the EU methodology's trade-related factor. Country names are the extraction's
    own, mapped by :func:`~critmin.vocab.countries.resolve_country` with aliases for
    ``Brasilia`` (Brazil, a Roundwood row), ``Brasil``, ``Libanon``, ``Turkyie``;
    ``Congo`` is the Republic of the Congo (the same materials also list
    ``Congo, D.R.``). An unknown country fails.

``fact_MaterialUseShares.csv`` (cp1252) -> ``eu_crm_material_use``
    ``Material,Application,Share,NACE sector,VA in million €``: end-use shares (``2%``,
    ``>0%`` kept as ``greater_than`` 0), the NACE sector and its value added. The
    ``Other`` applications have blank NACE sector and value added (kept null). Fifteen
    application names contain a line break inside quotes; whitespace is collapsed.

``dimension_ScreenedMatGroupings.csv`` (the REE/HREE/LREE/PGM groupings of the screened
materials) is not read: it only regroups names and has no figures.

Material names. The four files spell one material several ways ("Natural Rubber" and
"Natural rubber", "Baryte" and "Barytes", "Boron" and "Borate", "Kaolin clay" and
"Kaolin", "Phosphorus" and "Phosphorous", "HREEs" and "Heavy Rare earths Elements"), and
the EU sourcing file names the extraction stage of titanium "Titanium ores". Every
spelling goes to one ``material``, the name of the 2023 assessment (Annex 4,
``dimension_CRMsOverTime.csv``), by :data:`EU_MATERIAL_NAMES`, so that a material's
supply shares, EU sourcing and published scores meet (``source_row`` still points at the
publisher's spelling). Each material then maps to one critmin ``commodity_id`` and
``form`` by :data:`EU_MATERIALS` and :data:`EU_MATERIAL_FORMS`: two EU materials of one
commodity are told apart by their form (bentonite and kaolin clay are forms of clays, as
in USGS's Clays chapter; titanium metal is titanium in the form of sponge metal; HREEs and
LREEs are heavy and light rare earths), and no two materials share a commodity and form.
Keys are normalised (case-folded, whitespace and line breaks collapsed). Materials critmin
does not model (biotic materials, hydrogen, aggregates, limestone, phosphorus) are listed
in :data:`EU_UNMAPPED_MATERIALS` with the reason and keep ``commodity_id`` null; the rows
are kept. A name in neither dict fails.

A share or score that is not a number, bound or the codes above fails with file, row and
field; a file that does not end with a line break is reported as truncated.

Licence: CC BY 4.0 (Commission reuse policy); attribution also to the extraction
repository, which is CC BY 4.0.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

from critmin.errors import SourceError, UnmappedNameError
from critmin.sources.base import ReadResult, SourceInfo, frame, read_csv_rows, relative_to_data, require_file
from critmin.values import Parsed, Qualifier, parse_value, parsed_columns
from critmin.vocab.commodities import catalogue
from critmin.vocab.countries import resolve_country

SOURCE_ID = "eu-crm-2023"
FOLDER = "eu_crm2023"
ASSESSMENT_FILE = "dimension_CRMsOverTime.csv"
GLOBAL_FILE = "fact_GlobalSupplyShares_and_t.csv"
EU_FILE = "fact_EUSupplyShares_and_t.csv"
USE_FILE = "fact_MaterialUseShares.csv"
STAGES = {"E": "extraction", "P": "processing"}

#: EU CRM material name (normalised, see :func:`material_key`) -> critmin commodity id.
EU_MATERIALS: dict[str, str] = {
    "aluminium": "aluminum",
    "antimony": "antimony",
    "arsenic": "arsenic",
    "baryte": "barite",
    "barytes": "barite",
    "bauxite": "bauxite",
    "bentonite": "clays",  # a clay; USGS reports bentonite in its Clays chapter
    "beryllium": "beryllium",
    "bismuth": "bismuth",
    "borate": "boron",
    "boron": "boron",
    "cadmium": "cadmium",
    "cerium": "cerium",
    "chromium": "chromium",
    "cobalt": "cobalt",
    "coking coal": "metallurgical-coal",
    "copper": "copper",
    "diatomite": "diatomite",
    "dysprosium": "dysprosium",
    "erbium": "erbium",
    "europium": "europium",
    "feldspar": "feldspar",
    "fluorspar": "fluorspar",
    "gadolinium": "gadolinium",
    "gallium": "gallium",
    "germanium": "germanium",
    "gold": "gold",
    "gypsum": "gypsum",
    "hafnium": "hafnium",
    "helium": "helium",
    "holmium": "holmium",
    "hrees": "rare-earths",  # heavy rare earth elements, reported as a group
    "heavy rare earths elements": "rare-earths",
    "indium": "indium",
    "iridium": "iridium",
    "iron ore": "iron-ore",
    "kaolin": "clays",  # kaolin clay; USGS Clays chapter
    "kaolin clay": "clays",
    "krypton": "krypton",
    "lanthanum": "lanthanum",
    "lead": "lead",
    "lithium": "lithium",
    "lrees": "rare-earths",  # light rare earth elements, reported as a group
    "lutetium": "lutetium",
    "magnesite": "magnesium-compounds",  # the ore of magnesia; USGS Magnesium compounds chapter
    "magnesium": "magnesium",
    "manganese": "manganese",
    "molybdenum": "molybdenum",
    "natural graphite": "graphite",
    "neodymium": "neodymium",
    "neon": "neon",
    "nickel": "nickel",
    "niobium": "niobium",
    "pgms": "platinum-group-metals",
    "palladium": "palladium",
    "perlite": "perlite",
    "phosphate rock": "phosphate",
    "platinum": "platinum",
    "potash": "potash",
    "praseodymium": "praseodymium",
    "rhenium": "rhenium",
    "rhodium": "rhodium",
    "ruthenium": "ruthenium",
    "samarium": "samarium",
    "scandium": "scandium",
    "selenium": "selenium",
    "silica sand": "sand-gravel-industrial",  # industrial (silica) sand
    "silicon metal": "silicon",
    "silver": "silver",
    "strontium": "strontium",
    "sulphur": "sulfur",
    "talc": "talc",
    "tantalum": "tantalum",
    "tellurium": "tellurium",
    "terbium": "terbium",
    "thulium": "thulium",
    "tin": "tin",
    "titanium": "titanium",
    "titanium metal": "titanium",
    "titanium ores": "titanium",
    "tungsten": "tungsten",
    "vanadium": "vanadium",
    "xenon": "xenon",
    "ytterbium": "ytterbium",
    "yttrium": "yttrium",
    "zinc": "zinc",
    "zirconium": "zirconium",
}

#: Every published spelling (normalised) -> the material's name in the 2023 assessment.
#: Spellings not listed here are already that name (after whitespace is collapsed).
EU_MATERIAL_NAMES: dict[str, str] = {
    "barytes": "Baryte",
    "borate": "Boron",
    "kaolin": "Kaolin clay",
    "natural graphite": "Natural graphite",
    "natural rubber": "Natural Rubber",
    "natural teak wood": "Natural Teak wood",
    "phosphate rock": "Phosphate rock",
    "phosphorous": "Phosphorus",
    "heavy rare earths elements": "HREEs",
    "titanium ores": "Titanium",  # the EU sourcing file's name for titanium's extraction stage
}

#: The form of its commodity an EU material measures, where the commodity has more than
#: one EU material or the material is a part of it (normalised material name -> form, as
#: USGS names the form).
EU_MATERIAL_FORMS: dict[str, str] = {
    "bentonite": "Bentonite",
    "kaolin clay": "Kaolin",
    "titanium metal": "sponge metal",
    "hrees": "heavy rare earths",
    "lrees": "light rare earths",
}

#: EU CRM materials critmin deliberately does not map (commodity_id stays null), with why.
EU_UNMAPPED_MATERIALS: dict[str, str] = {
    "natural rubber": "biotic material",
    "natural cork": "biotic material",
    "natural teak wood": "biotic material",
    "sapele wood": "biotic material",
    "roundwood": "biotic material",
    "hydrogen": "an energy carrier, not a mineral",
    "aggregates": "construction aggregates (sand, gravel, crushed stone together): no single critmin commodity",
    "limestone": "the rock itself (feedstock of lime, cement and aggregates): no single critmin commodity",
    "phosphorus": "elemental phosphorus (P4), a processed product; critmin's phosphate is phosphate rock",
    "phosphorous": "misspelling of phosphorus in the EU files; elemental phosphorus (P4), see 'phosphorus'",
}

INFO = SourceInfo(
    source_id=SOURCE_ID,
    title="EU critical raw materials assessment 2023 (supply risk and economic importance 2011-2023, supply shares, end uses)",
    publisher="European Commission, DG GROW",
    citation=(
        "European Commission, Directorate-General for Internal Market, Industry, Entrepreneurship and SMEs, "
        "Study on the critical raw materials for the EU 2023 - Final report, "
        "Publications Office of the European Union, 2023 (op.europa.eu publication "
        "57318397-fdd4-11ed-a05c-01aa75ed71a1). Tables as extracted by erikemilsson, "
        "EU-Critical-Raw-Materials-CRM-Reports-Datasets (GitHub, commit 59383504ead25f91fe9c197a1e660f4813684f17), CC BY 4.0."
    ),
    licence="CC BY 4.0 (Commission reuse policy; extraction repository CC BY 4.0, attribute both)",
    vintage=2023,
    url="https://op.europa.eu/en/publication-detail/-/publication/57318397-fdd4-11ed-a05c-01aa75ed71a1",
    published="2023",
    notes="Shares are percent; '<0.1%' kept as a bound. Biotic and other non-mineral materials keep commodity_id null.",
)

_SPACE_RE = re.compile(r"\s+")


def material_key(name: str) -> str:
    """Normalised EU material name: case-folded, whitespace (line breaks too) collapsed."""
    return _SPACE_RE.sub(" ", name).strip().casefold()


def material_name(name: str) -> str:
    """The material's name in the 2023 assessment, for any of its published spellings."""
    collapsed = _SPACE_RE.sub(" ", name).strip()
    return EU_MATERIAL_NAMES.get(material_key(collapsed), collapsed)


def material_form(name: str) -> str:
    """The form of its commodity an EU material measures (``''``: the commodity as a whole)."""
    return EU_MATERIAL_FORMS.get(material_key(material_name(name)), "")


def material_commodity(name: str, *, file: Path | str, row: int) -> str | None:
    """critmin id of an EU material, ``None`` for a deliberately unmapped one; else fail."""
    key = material_key(name)
    if key in EU_MATERIALS:
        return EU_MATERIALS[key]
    if key in EU_UNMAPPED_MATERIALS:
        return None
    raise UnmappedNameError(
        file, "unmapped EU CRM material", row=row, field="Material", found=name,
        expected="a name in EU_MATERIALS or EU_UNMAPPED_MATERIALS (critmin.sources.eu_crm)",
    )


def read_eu_crm(data_dir: Path) -> ReadResult:
    """Read the EU CRM 2023 tables.

    Parameters
    ----------
    data_dir
        The raw-data folder (``../shared/data``) holding ``eu_crm2023/``.

    Returns
    -------
    ReadResult
        Fragments of ``eu_crm_assessment``, ``eu_crm_supply_shares`` and
        ``eu_crm_material_use``.
    """
    _check_map()
    data_dir = Path(data_dir)
    folder = data_dir / FOLDER
    skipped: Counter = Counter()
    paths = [folder / ASSESSMENT_FILE, folder / GLOBAL_FILE, folder / EU_FILE, folder / USE_FILE]
    tables = {
        "eu_crm_assessment": frame("eu_crm_assessment", read_assessment(paths[0], data_dir)),
        "eu_crm_supply_shares": frame(
            "eu_crm_supply_shares",
            read_supply_shares(paths[1], data_dir, "global") + read_supply_shares(paths[2], data_dir, "eu_sourcing"),
        ),
        "eu_crm_material_use": frame("eu_crm_material_use", read_material_use(paths[3], data_dir)),
    }
    return ReadResult(INFO, paths, tables, skipped)


def _check_map() -> None:
    known = catalogue()
    bad = {k: v for k, v in EU_MATERIALS.items() if v not in known}
    if bad:
        raise ValueError(f"EU_MATERIALS names unknown critmin commodity ids: {bad}")
    both = set(EU_MATERIALS) & set(EU_UNMAPPED_MATERIALS)
    if both:
        raise ValueError(f"EU material names both mapped and unmapped: {sorted(both)}")
    for problem in material_map_problems():
        raise ValueError(problem)


def material_map_problems() -> list[str]:
    """Spellings of one material mapped to different commodities, and materials sharing a
    commodity and form; an empty list when the map is consistent."""
    problems = []
    commodity_of: dict[str, str] = {}
    for key, cid in EU_MATERIALS.items():
        name = material_key(material_name(key))
        if commodity_of.setdefault(name, cid) != cid:
            problems.append(f"EU material {name!r} maps to {commodity_of[name]!r} and {cid!r} (spelling {key!r})")
    for key in EU_UNMAPPED_MATERIALS:
        if material_key(material_name(key)) in commodity_of:
            problems.append(f"EU material {material_name(key)!r} is both mapped and unmapped")
    owners: dict[tuple[str, str], str] = {}
    for name, cid in commodity_of.items():
        other = owners.setdefault((cid, material_form(name)), name)
        if other != name:
            problems.append(f"EU materials {other!r} and {name!r} both map to {cid!r} in form {material_form(name)!r}")
    return problems


def _require_final_newline(path: Path) -> None:
    with open(require_file(path), "rb") as fh:
        fh.seek(0, 2)
        if fh.tell() == 0:
            raise SourceError(path, "file is empty", row=1, expected="a header row")
        fh.seek(-1, 2)
        if fh.read(1) not in (b"\n", b"\r"):
            raise SourceError(path, "file does not end with a line break", expected="a complete file (is it truncated?)")


def parse_share(raw: str, *, file: Path, row: int, field: str) -> Parsed:
    """A percentage as published (``55.6%``, ``<0.1%``, ``>0%``, ``6``) -> value in percent."""
    text = raw.strip()
    number_text = text[:-1].rstrip() if text.endswith("%") else text
    parsed = parse_value(number_text)
    if parsed.qualifier not in (Qualifier.EXACT, Qualifier.LESS_THAN, Qualifier.GREATER_THAN, Qualifier.MISSING):
        raise SourceError(file, "not a share", row=row, field=field, found=raw, expected="a percentage such as '55.6%' or '<0.1%'")
    if parsed.qualifier is not Qualifier.MISSING:
        bounds = [b for b in (parsed.value, parsed.low, parsed.high) if b is not None]
        if any(b < 0 or b > 100 for b in bounds):
            raise SourceError(file, "share outside 0-100 %", row=row, field=field, found=raw, expected="a percentage between 0 and 100")
    return replace(parsed, raw=text)


def read_assessment(path: Path, data_dir: Path) -> list[dict[str, object]]:
    """``eu_crm_assessment`` rows: SR and EI per material and assessment year."""
    _require_final_newline(path)
    _, rows = read_csv_rows(path, "utf-8-sig", required=("Material", "Year", "SR", "EI"))
    source_file = relative_to_data(path, data_dir)
    out: list[dict[str, object]] = []
    seen: set[tuple[str, int]] = set()
    for n, r in rows:
        material = material_name(r["Material"])
        commodity = material_commodity(r["Material"], file=path, row=n)
        year_text = r["Year"]
        if not (year_text.isdigit() and len(year_text) == 4):
            raise SourceError(path, "not a year", row=n, field="Year", found=year_text, expected="an assessment year such as 2023")
        key = (material_key(material), int(year_text))
        if key in seen:
            raise SourceError(path, "material and year twice", row=n, found=key)
        seen.add(key)
        for indicator in ("SR", "EI"):
            raw = r[indicator]
            if raw == "-":
                parsed = Parsed(None, Qualifier.NOT_AVAILABLE, raw=raw)
            else:
                parsed = parse_value(raw)
                if parsed.qualifier not in (Qualifier.EXACT, Qualifier.MISSING):
                    raise SourceError(path, "not a score", row=n, field=indicator, found=raw, expected="a number or '-' (not assessed)")
            out.append(
                {
                    "material": material, "commodity_id": commodity, "form": material_form(material),
                    "year": int(year_text), "indicator": indicator,
                    **parsed_columns(parsed), "source_id": SOURCE_ID, "source_file": source_file, "source_row": n,
                }
            )
    if not out:
        raise SourceError(path, "no data rows", row=2, expected="one row per material and year")
    return out


def read_supply_shares(path: Path, data_dir: Path, scope: str) -> list[dict[str, object]]:
    """``eu_crm_supply_shares`` rows of one file (``scope`` global or eu_sourcing)."""
    _require_final_newline(path)
    _, rows = read_csv_rows(path, "cp1252", required=("Material", "Stage", "Country", "Share", "t"))
    source_file = relative_to_data(path, data_dir)
    out: list[dict[str, object]] = []
    countries: dict[str, object] = {}
    for n, r in rows:
        material = material_name(r["Material"])
        commodity = material_commodity(r["Material"], file=path, row=n)
        stage = STAGES.get(r["Stage"])
        if stage is None:
            raise SourceError(path, "unknown stage", row=n, field="Stage", found=r["Stage"], expected="E (extraction) or P (processing)")
        name = r["Country"]
        ref = countries.get(name)
        if ref is None:
            ref = resolve_country(name, file=path, row=n, field="Country")
            countries[name] = ref
        parsed = parse_share(r["Share"], file=path, row=n, field="Share")
        t_parsed = parse_value(r["t"])
        if t_parsed.qualifier not in (Qualifier.EXACT, Qualifier.MISSING):
            raise SourceError(path, "not a trade factor", row=n, field="t", found=r["t"], expected="a number such as 1.0 or 0.8")
        out.append(
            {
                "material": material, "commodity_id": commodity, "form": material_form(material), "scope": scope,
                "stage": stage,
                "country_iso3": ref.iso3, "country_name": ref.name, "country_kind": ref.kind,
                **parsed_columns(parsed), "trade_factor": t_parsed.value,
                "source_id": SOURCE_ID, "source_file": source_file, "source_row": n,
            }
        )
    if not out:
        raise SourceError(path, "no data rows", row=2, expected="one row per material, stage and country")
    return out


def read_material_use(path: Path, data_dir: Path) -> list[dict[str, object]]:
    """``eu_crm_material_use`` rows: end-use shares per material and application."""
    _require_final_newline(path)
    va_column = "VA in million €"
    _, rows = read_csv_rows(path, "cp1252", required=("Material", "Application", "Share", "NACE sector", va_column))
    source_file = relative_to_data(path, data_dir)
    out: list[dict[str, object]] = []
    for n, r in rows:
        material = material_name(r["Material"])
        commodity = material_commodity(r["Material"], file=path, row=n)
        application = _SPACE_RE.sub(" ", r["Application"]).strip()
        if not application:
            raise SourceError(path, "no application", row=n, field="Application", expected="an application name")
        parsed = parse_share(r["Share"], file=path, row=n, field="Share")
        va = parse_value(r[va_column])
        if va.qualifier not in (Qualifier.EXACT, Qualifier.MISSING):
            raise SourceError(path, "not a number", row=n, field=va_column, found=r[va_column], expected="value added in million euro, or blank")
        out.append(
            {
                "material": material, "commodity_id": commodity, "form": material_form(material),
                "application": application,
                **parsed_columns(parsed), "nace_sector": r["NACE sector"] or None, "value_added_meur": va.value,
                "source_id": SOURCE_ID, "source_file": source_file, "source_row": n,
            }
        )
    if not out:
        raise SourceError(path, "no data rows", row=2, expected="one row per material and application")
    return out
