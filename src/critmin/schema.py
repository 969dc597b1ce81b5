"""The tables of the normalised snapshot: their columns, types and meaning.

Every reader in :mod:`critmin.sources` returns fragments of these tables; the build
(:mod:`critmin.snapshot`) checks each fragment against its schema before anything is
written, so a reader that drifts fails the build instead of writing a bad snapshot.

Conventions shared by all tables:

* ``commodity_id`` is a canonical id from :mod:`critmin.vocab.commodities`; ``form`` keeps
  the publisher's split ("compounds and metals", "refined"), empty when there is none.
* Countries are ISO3 in ``*_iso3`` columns; aggregates ("World total (rounded)",
  "Other countries") keep ``iso3`` null and say what they are in ``*_kind``
  (``world``, ``other``, ``group``, ``region``).
* Published values use five columns (see :mod:`critmin.values`): ``value`` (a number only
  when the publisher gave one), ``qualifier``, ``low``, ``high``, ``raw`` (the cell as
  published). A withheld or missing value is never 0.
* ``vintage`` is the publication year of the release (MCS 2026 -> 2026); ``year`` the year
  the figure is for.
* ``source_id`` names an entry of the manifest; ``source_file`` and ``source_row`` (1-based,
  header = row 1) point to the cell in the publisher's file, for provenance.
* Every table has a ``key``: the columns that identify one published figure. Two rows with
  the same key are an error, reported with both rows (per reader by
  :func:`critmin.sources.expectations.check_keys`, across readers by the build). A key column
  may be null (``form`` when there is no form); nulls compare equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STR = "string"
INT = "Int64"
FLOAT = "Float64"
BOOL = "boolean"
LIST = "list<string>"
DATE = "date"

VALUE_COLUMNS: dict[str, str] = {"value": FLOAT, "qualifier": STR, "low": FLOAT, "high": FLOAT, "raw": STR}
PROVENANCE: dict[str, str] = {"source_id": STR, "source_file": STR, "source_row": INT}


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: dict[str, str]
    key: tuple[str, ...] = field(default=())
    not_null: tuple[str, ...] = field(default=())


def _t(name: str, description: str, columns: dict[str, str], key=(), not_null=()) -> Table:
    return Table(name, description, columns, tuple(key), tuple(not_null))


TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        _t(
            "commodities",
            "Canonical commodities with list memberships and group members.",
            {
                "commodity_id": STR, "name": STR, "symbol": STR, "group_id": STR, "is_group": BOOL,
                "kind": STR, "mcs_chapter": STR, "members": LIST,
                "on_list_2018": BOOL, "on_list_2022": BOOL, "on_list_2025": BOOL, "note": STR,
            },
            key=("commodity_id",),
            not_null=("commodity_id", "name"),
        ),
        _t(
            "critical_lists",
            "US critical-mineral lists of 2018, 2022 and 2025: one row per list entry and year.",
            {
                "commodity_id": STR, "list_year": INT, "on_list": BOOL, "name_on_list": STR,
                "group": STR, "added": BOOL, "note": STR, **PROVENANCE,
            },
            key=("commodity_id", "list_year"),
            not_null=("commodity_id", "list_year", "on_list"),
        ),
        _t(
            "countries",
            "Countries seen in any source, with the groups critmin knows (G7, USMCA, FEOC, EU27).",
            {"iso3": STR, "name": STR, "g7": BOOL, "usmca": BOOL, "feoc": BOOL, "eu27": BOOL},
            key=("iso3",),
            not_null=("iso3", "name"),
        ),
        _t(
            "production",
            "World production, capacity and reserves by country, per commodity, stage and year "
            "(USGS MCS world tables). stage: mine | processing | unspecified; measure: "
            "production | capacity | reserves; series_label is the publisher's own label.",
            {
                "vintage": INT, "commodity_id": STR, "form": STR,
                "country_iso3": STR, "country_name": STR, "country_kind": STR, "country_detail": STR,
                "stage": STR, "measure": STR, "series_label": STR, "year": INT,
                **VALUE_COLUMNS, "estimated": BOOL, "unit": STR, "notes": STR, **PROVENANCE,
            },
            key=("vintage", "commodity_id", "form", "country_name", "country_detail", "stage", "measure", "series_label", "year"),
            not_null=("vintage", "commodity_id", "country_name", "country_kind", "stage", "measure", "year", "qualifier", "unit"),
        ),
        _t(
            "salient",
            "US salient statistics per commodity and year: statistic is one of production, "
            "imports, exports, consumption, price, stocks, employment, nir, other; detail is the "
            "publisher's column name or Statistics_detail.",
            {
                "vintage": INT, "commodity_id": STR, "form": STR, "year": INT, "statistic": STR,
                "detail": STR, **VALUE_COLUMNS, "estimated": BOOL, "unit": STR, "notes": STR, **PROVENANCE,
            },
            key=("vintage", "commodity_id", "form", "year", "statistic", "detail"),
            not_null=("vintage", "commodity_id", "year", "statistic", "detail", "qualifier"),
        ),
        _t(
            "nir",
            "US net import reliance as published in the MCS 'Net import reliance' figure (Fig. 2), "
            "with the major import sources in the publisher's order.",
            {
                "vintage": INT, "commodity_id": STR, "form": STR, "published_name": STR, "year": INT,
                "rank": INT, **VALUE_COLUMNS, "import_sources": LIST, "import_sources_iso3": LIST,
                "sources_period": STR, "notes": STR, **PROVENANCE,
            },
            key=("vintage", "commodity_id", "form", "year"),
            not_null=("vintage", "commodity_id", "published_name", "year", "qualifier"),
        ),
        _t(
            "import_shares",
            "US import sources with percentage shares (MCS 2026 Import Sources section and Fig. 3).",
            {
                "vintage": INT, "commodity_id": STR, "form": STR, "partner_iso3": STR, "partner_name": STR,
                "partner_kind": STR, "period": STR, **VALUE_COLUMNS, "notes": STR, **PROVENANCE,
            },
            key=("source_id", "vintage", "commodity_id", "form", "partner_name", "period"),
            not_null=("vintage", "commodity_id", "partner_name", "partner_kind", "period", "qualifier"),
        ),
        _t(
            "critical_salient",
            "MCS critical-minerals salient table (2025 T5, 2026 T7), long: one row per mineral and field "
            "(primary_production, secondary_production, apparent_consumption, net_import_reliance, "
            "leading_country_production, leading_country_share_pct, world_production).",
            {
                "vintage": INT, "commodity_id": STR, "form": STR, "published_name": STR, "year": INT,
                "year_label": STR, "field": STR, **VALUE_COLUMNS, "unit": STR,
                "primary_import_sources": LIST, "leading_country_iso3": STR, "notes": STR, **PROVENANCE,
            },
            key=("vintage", "commodity_id", "form", "field"),
            not_null=("vintage", "commodity_id", "field", "qualifier"),
        ),
        _t(
            "export_controls",
            "Export restrictions in force or historical: one row per measure and commodity covered.",
            {
                "measure_id": STR, "country_iso3": STR, "commodity_id": STR, "materials": STR,
                "control_type": STR, "year": INT, "announced_date": DATE, "effective_date": DATE,
                "status": STR, "scope_notes": STR, "source_url": STR, "verification_note": STR, **PROVENANCE,
            },
            key=("source_id", "measure_id", "commodity_id", "materials"),
            not_null=("measure_id", "country_iso3", "control_type"),
        ),
        _t(
            "agreements",
            "US critical-mineral agreements (MCS 2026 T5).",
            {
                "vintage": INT, "country_iso3": STR, "agreement": STR, "signing_date": DATE,
                "focus_area": STR, "source_url": STR, **PROVENANCE,
            },
            key=("vintage", "country_iso3", "agreement"),
            not_null=("country_iso3", "agreement"),
        ),
        _t(
            "governance",
            "Worldwide Governance Indicators: estimate (about -2.5..2.5) and percentile rank.",
            {
                "iso3": STR, "indicator": STR, "year": INT, "estimate": FLOAT, "std_err": FLOAT,
                "num_sources": INT, "pct_rank": FLOAT, "pct_rank_lower": FLOAT, "pct_rank_upper": FLOAT,
                "release": STR, **PROVENANCE,
            },
            key=("release", "iso3", "indicator", "year"),
            not_null=("iso3", "indicator", "year", "release"),
        ),
        _t(
            "trade",
            "US trade by partner and HTS heading (USITC DataWeb): flow imports | exports; "
            "period annual | ytd; measure customs_value | first_quantity | second_quantity.",
            {
                "flow": STR, "partner_iso3": STR, "partner_name": STR, "hts": STR, "description": STR,
                "commodity_ids": LIST, "year": INT, "period": STR, "measure": STR, "unit": STR,
                **VALUE_COLUMNS, **PROVENANCE,
            },
            key=("flow", "partner_name", "hts", "unit", "year", "period", "measure"),
            not_null=("flow", "partner_name", "hts", "year", "period", "measure", "qualifier"),
        ),
        _t(
            "prices",
            "Price series: World Bank monthly (nominal US$) and USGS annual unit values "
            "(nominal and 1998 dollars); basis nominal | real-1998.",
            {
                "commodity_id": STR, "series_id": STR, "series_label": STR, "unit": STR, "frequency": STR,
                "year": INT, "month": INT, **VALUE_COLUMNS, "basis": STR, **PROVENANCE,
            },
            key=("series_id", "year", "month"),
            not_null=("commodity_id", "series_id", "frequency", "year", "qualifier", "basis"),
        ),
        _t(
            "historical",
            "USGS Data Series 140 historical statistics (US production, trade, consumption, unit value).",
            {
                "commodity_id": STR, "series_id": STR, "measure": STR, "unit": STR, "year": INT,
                **VALUE_COLUMNS, "basis": STR, **PROVENANCE,
            },
            key=("series_id", "measure", "year"),
            not_null=("commodity_id", "measure", "year", "qualifier"),
        ),
        _t(
            "eu_crm_assessment",
            "EU critical raw materials assessments 2011-2023: supply risk (SR) and economic importance (EI).",
            {
                "material": STR, "commodity_id": STR, "form": STR, "year": INT, "indicator": STR, **VALUE_COLUMNS,
                **PROVENANCE,
            },
            key=("material", "year", "indicator"),
            not_null=("material", "year", "indicator", "qualifier"),
        ),
        _t(
            "eu_crm_supply_shares",
            "EU CRM 2023 supply shares by country: scope global | eu_sourcing, stage extraction | "
            "processing, share in percent (bounded where published as <0.1%), and the trade factor t.",
            {
                "material": STR, "commodity_id": STR, "form": STR, "scope": STR, "stage": STR, "country_iso3": STR,
                "country_name": STR, "country_kind": STR, **VALUE_COLUMNS, "trade_factor": FLOAT, **PROVENANCE,
            },
            key=("scope", "material", "stage", "country_name"),
            not_null=("material", "scope", "stage", "country_name", "qualifier"),
        ),
        _t(
            "eu_crm_material_use",
            "EU CRM 2023 end-use shares per material and application.",
            {
                "material": STR, "commodity_id": STR, "form": STR, "application": STR, **VALUE_COLUMNS,
                "nace_sector": STR, "value_added_meur": FLOAT, **PROVENANCE,
            },
            key=("material", "application", "nace_sector"),
            not_null=("material", "application", "qualifier"),
        ),
        _t(
            "bilateral_trade",
            "Bilateral trade flows between any two countries by HS code (UN Comtrade, CEPII BACI), "
            "loaded by the live-source loaders; value in US$, quantity in metric tons.",
            {
                "dataset": STR, "exporter_iso3": STR, "importer_iso3": STR, "hs": STR, "hs_revision": STR,
                "commodity_ids": LIST, "year": INT, "value_usd": FLOAT, "quantity_t": FLOAT,
                "quantity_qualifier": STR, **PROVENANCE,
            },
            key=("dataset", "exporter_iso3", "importer_iso3", "hs", "hs_revision", "year"),
            not_null=("dataset", "exporter_iso3", "importer_iso3", "hs", "year"),
        ),
        _t(
            "world_trade",
            "Bilateral trade between all countries in the HS1992 mineral products of CEPII BACI, "
            "1995-2024: one row per year, exporter, importer and HS6 code, as CEPII published it. "
            "value_usd is US dollars (FOB; CEPII's thousands of dollars to three decimals, stored "
            "exactly as whole dollars); quantity_kg kilograms (CEPII's metric tons to three "
            "decimals, stored exactly), null when not reported (quantity_qualifier 'missing', "
            "never 0). Countries are ISO3 with BACI's own "
            "numeric code kept; an aggregate without ISO3 (the Southern African Customs Union "
            "before 2000, Belgium-Luxembourg before 1999) keeps iso3 null and says what it is in "
            "*_kind. Read hs6 through critmin.vocab.hs6_concordance (mineral, stage, content factor).",
            {
                "year": INT, "exporter_code": INT, "exporter_iso3": STR, "exporter_kind": STR, "exporter_name": STR,
                "importer_code": INT, "importer_iso3": STR, "importer_kind": STR, "importer_name": STR,
                "hs6": STR, "value_usd": INT, "quantity_kg": INT, "quantity_qualifier": STR,
                "source_id": STR, "source_file": STR, "source_table": STR, "source_row": INT,
            },
            key=("year", "exporter_code", "importer_code", "hs6"),
            not_null=("year", "exporter_code", "exporter_kind", "importer_code", "importer_kind", "hs6",
                      "value_usd", "quantity_qualifier"),
        ),
        _t(
            "wmd_production",
            "World Mining Data (Austrian Federal Ministry of Finance) production by country, "
            "2018-2024, one row per sheet, country and year. stage mine | processing (plant "
            "output: aluminium, gallium, germanium, indium, selenium, tellurium, rhenium, cadmium) "
            "| unspecified; content_basis from the sheet name (Li2O, REO, ...). The sheet's "
            "'Total' row is kept as country_kind 'world'. A blank cell is qualifier 'missing'; "
            "data_source r -> exact, e -> estimated.",
            {
                "commodity_id": STR, "sheet": STR, "form": STR, "content_basis": STR, "stage": STR,
                "country_iso3": STR, "country_name": STR, "country_kind": STR, "year": INT,
                **VALUE_COLUMNS, "estimated": BOOL, "data_source": STR, "unit": STR, "notes": STR,
                "source_id": STR, "source_file": STR, "source_table": STR, "source_row": INT,
            },
            key=("sheet", "country_name", "year"),
            not_null=("commodity_id", "sheet", "stage", "country_name", "country_kind", "year", "qualifier", "unit"),
        ),
        _t(
            "myb_trade",
            "USGS Minerals Yearbook tables of US trade by country and HTS10 (rare earths 2022).",
            {
                "commodity_id": STR, "flow": STR, "table": STR, "hts": STR, "description": STR,
                "partner_iso3": STR, "partner_name": STR, "partner_kind": STR, "year": INT, "measure": STR,
                "unit": STR, **VALUE_COLUMNS, **PROVENANCE,
            },
            key=("table", "hts", "partner_name", "year", "measure"),
            not_null=("commodity_id", "flow", "partner_name", "year", "measure", "qualifier"),
        ),
        _t(
            "battery_contents",
            "Battery-pack mineral contents by chemistry: kg of element per kWh of pack energy (Argonne BatPaC 5.1 "
            "via Busch et al. 2024); commodity_id null for stainless steel (an alloy).",
            {
                "chemistry": STR, "material": STR, "commodity_id": STR, **VALUE_COLUMNS, "unit": STR, "basis": STR,
                "notes": STR, **PROVENANCE,
            },
            key=("chemistry", "material"),
            not_null=("chemistry", "material", "qualifier", "unit"),
        ),
        _t(
            "lithium_deposits",
            "Lithium deposits (Busch et al. 2024): location, status, grades (% Li), reserves and resources "
            "(kt Li), extraction costs (2022 USD per t Li, with and without royalty and tax), expansion cost "
            "(USD per t Li per year of capacity), opening cost (USD), production rates (kt Li per year) and the "
            "authors' depletion caps (kt Li per year; modelling caps, not capacities).",
            {
                "deposit_id": INT, "country_name": STR, "country_iso3": STR, "deposit_name": STR,
                "resource_type": STR, "resource_type_detail": STR, "latitude": FLOAT, "longitude": FLOAT,
                "status": STR, "status_delay": STR, "open_mine": BOOL, "cost_source": STR, "label_name": STR,
                "grade_reserve_pct_li": FLOAT, "grade_resource_pct_li": FLOAT, "grade_resource_inferred_pct_li": FLOAT,
                "reserve_kt_li": FLOAT, "resource_demonstrated_kt_li": FLOAT, "resource_inferred_kt_li": FLOAT,
                "all_resource_kt_li": FLOAT, "cost1_usd_per_t_li": FLOAT, "cost2_usd_per_t_li": FLOAT,
                "cost3_usd_per_t_li": FLOAT, "cost1_notax_usd_per_t_li": FLOAT, "cost2_notax_usd_per_t_li": FLOAT,
                "cost3_notax_usd_per_t_li": FLOAT, "max_prod_rate_cap_kt_li_per_year": FLOAT,
                "max_ramp_up_cap_kt_li_per_year": FLOAT, "cost_expansion_usd_per_t_li_per_year": FLOAT,
                "cost_opening_usd": FLOAT, "prod_rate_2022_kt_li": FLOAT, "prod_rate_2023_kt_li": FLOAT,
                "prod_rate_2025_kt_li": FLOAT, "prod_rate_2030_kt_li": FLOAT, "delay_years": FLOAT,
                "edb_score_transformed": FLOAT, "wgi_score_transformed": FLOAT, "wcr_score_transformed": FLOAT,
                "corporate_tax_rate": FLOAT, **PROVENANCE,
            },
            key=("deposit_id",),
            not_null=("deposit_id", "country_iso3", "deposit_name", "resource_type", "status", "cost_source"),
        ),
    ]
}
