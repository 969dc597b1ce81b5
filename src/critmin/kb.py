"""The knowledge-base query layer: every SELECT of published data lives here.

Each function asks the store (:mod:`critmin.store`, DuckDB views over the snapshot's
Parquet files) one question and returns the rows as a pandas DataFrame, without computing
anything: shares, HHI, reliance classes and every other figure are defined once in
:mod:`critmin.analysis` and applied by :mod:`critmin.api`, which the interfaces (CLI, REST
API, web pages, reports) call. Keeping the SQL in one module means a table or column
renamed by a reader change is found in one place, and no interface can read the snapshot
its own way.

Table names and columns are those of :mod:`critmin.schema`. A function that takes
``snapshot_dir`` reads that snapshot instead of the default one (for the build's own checks
and the tests); the rest read :func:`critmin.snapshot.default_dir`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from critmin import store


def _q(sql: str, params: list | tuple | None = None, snapshot_dir: Path | None = None) -> pd.DataFrame:
    return store.query(sql, params, snapshot_dir=snapshot_dir)


def have(snapshot_dir: Path | None = None) -> set[str]:
    """Names of the tables the snapshot has (a partly built one may lack some)."""
    from critmin.snapshot import load_manifest

    return set(load_manifest(snapshot_dir)["tables"])


def table(name: str, snapshot_dir: Path | None = None) -> pd.DataFrame:
    """A whole snapshot table (``name`` must be a table of :mod:`critmin.schema`)."""
    return store.table(name, snapshot_dir=snapshot_dir)


def vintages(table_name: str) -> list[int]:
    """Vintages (release years) present in a table, oldest first."""
    from critmin import schema

    if table_name not in schema.TABLES:
        raise KeyError(f"unknown table {table_name!r}")
    return [int(v) for v in _q(f"SELECT DISTINCT vintage FROM {table_name} ORDER BY vintage")["vintage"]]


# ---------------------------------------------------------------- catalogue and lists

def commodities() -> pd.DataFrame:
    """The commodity catalogue (table ``commodities``)."""
    return table("commodities")


def listed_ids(list_year: int) -> list[str]:
    """Commodity ids on the US critical-mineral list of ``list_year`` (as published: members, not groups)."""
    rows = _q("SELECT commodity_id FROM critical_lists WHERE list_year = ? AND on_list ORDER BY commodity_id", [list_year])
    return list(rows["commodity_id"])


def listed_minerals(list_year: int) -> pd.DataFrame:
    """The minerals of a list with their catalogue name, group and list memberships."""
    return _q(
        """SELECT l.commodity_id, c.name, c.group_id, c.on_list_2018, c.on_list_2022, c.on_list_2025
           FROM critical_lists l JOIN commodities c USING (commodity_id)
           WHERE l.list_year = ? AND l.on_list ORDER BY l.commodity_id""",
        [list_year],
    )


def countries() -> pd.DataFrame:
    """Every country code the snapshot uses, with its name and group flags."""
    return table("countries")


# ---------------------------------------------------------------- net import reliance

def nir_figure(vintage: int) -> pd.DataFrame:
    """The net-import-reliance figure of one MCS release, with the catalogue's name and lists."""
    return _q(
        """SELECT n.*, c.name, c.on_list_2018, c.on_list_2022, c.on_list_2025
           FROM nir n JOIN commodities c USING (commodity_id)
           WHERE n.vintage = ? ORDER BY n.rank NULLS LAST, n.commodity_id""",
        [vintage],
    )


def nir_vintages_of(commodity_ids: list[str]) -> list[int]:
    """The MCS releases whose reliance figure has a row of one of ``commodity_ids``."""
    rows = _q("SELECT DISTINCT vintage FROM nir WHERE commodity_id IN (SELECT unnest(?)) ORDER BY vintage",
              [list(commodity_ids)])
    return [int(v) for v in rows["vintage"]]


def salient_reliance(vintage: int | None = None, snapshot_dir: Path | None = None) -> pd.DataFrame:
    """Net import reliance of ``vintage - 1`` from a release's salient tables (every release
    when ``vintage`` is None): the commodity chapters (``nir_table = 'salient'``) and the
    critical-minerals table (``'critical_salient'``), one row per published cell."""
    where = " AND vintage = ?" if vintage is not None else ""
    params = [vintage] if vintage is not None else []
    present = have(snapshot_dir)
    parts = []
    if "salient" in present:
        parts.append(_q(
            f"""SELECT vintage, commodity_id, form, detail AS published_name, year, value, qualifier, low, high, raw,
                      source_id, 'salient' AS nir_table
               FROM salient WHERE statistic = 'nir' AND year = vintage - 1{where}""", params, snapshot_dir))
    if "critical_salient" in present:
        parts.append(_q(
            f"""SELECT vintage, commodity_id, form, published_name, year, value, qualifier, low, high, raw,
                      source_id, 'critical_salient' AS nir_table
               FROM critical_salient WHERE field = 'net_import_reliance' AND year = vintage - 1{where}""",
            params, snapshot_dir))
    cols = ["vintage", "commodity_id", "form", "published_name", "year", "value", "qualifier", "low", "high", "raw",
            "source_id", "nir_table"]
    parts = [x for x in parts if len(x)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)


def nir_published(commodity_id: str, vintage: int) -> pd.DataFrame:
    """A commodity's rows of one release's reliance figure (commodity-wide form first)."""
    return _q("SELECT year, form, value, qualifier, raw FROM nir WHERE commodity_id = ? AND vintage = ? "
              "ORDER BY form NULLS FIRST", [commodity_id, vintage])


# ---------------------------------------------------------------- production

def production(commodity_ids: list[str], measure: str | None = None) -> pd.DataFrame:
    """Rows of the ``production`` table of some commodities (one measure, or all)."""
    if measure is None:
        return _q("SELECT * FROM production WHERE commodity_id IN (SELECT unnest(?))", [list(commodity_ids)])
    return _q("SELECT * FROM production WHERE commodity_id IN (SELECT unnest(?)) AND measure = ?",
              [list(commodity_ids), measure])


def production_series(commodity_ids: list[str]) -> pd.DataFrame:
    """Which production series the snapshot has for some commodities: per stage and measure,
    the vintages and years, and the commodity the rows are reported under."""
    return _q(
        """SELECT stage, measure, list(DISTINCT vintage ORDER BY vintage) AS vintages,
                  list(DISTINCT year ORDER BY year) AS years, any_value(commodity_id) AS reported_as
           FROM production WHERE commodity_id IN (SELECT unnest(?)) GROUP BY stage, measure ORDER BY stage, measure""",
        [list(commodity_ids)],
    )


def wmd_production(commodity_id: str | None = None) -> pd.DataFrame:
    """World Mining Data production rows (of one commodity, or all)."""
    if commodity_id is None:
        return table("wmd_production")
    return _q("SELECT * FROM wmd_production WHERE commodity_id = ?", [commodity_id])


def usgs_production(commodity_id: str | None = None) -> pd.DataFrame:
    """USGS MCS production rows, every measure (of one commodity, or all)."""
    if commodity_id is None:
        return table("production")
    return _q("SELECT * FROM production WHERE commodity_id = ?", [commodity_id])


# ---------------------------------------------------------------- salient statistics

def salient_rows(commodity_id: str, vintage: int, year: int, statistic: str) -> pd.DataFrame:
    """One statistic of a commodity's salient table in one release and year, by detail."""
    return _q(
        "SELECT detail, form, value, qualifier, raw, unit, estimated, source_id, source_file, source_row "
        "FROM salient WHERE commodity_id = ? AND vintage = ? AND year = ? AND statistic = ? ORDER BY detail",
        [commodity_id, vintage, year, statistic])


# ---------------------------------------------------------------- US imports

def import_shares(commodity_ids: list[str]) -> pd.DataFrame:
    """USGS import-source shares of some commodities (``commodity``, ``partner``, ``share_pct``...)."""
    return _q(
        """SELECT commodity_id AS commodity, vintage, form, partner_iso3 AS partner, partner_name,
                  partner_kind, period, value AS share_pct, qualifier, low, high, raw, notes, source_id
           FROM import_shares WHERE commodity_id IN (SELECT unnest(?))
           ORDER BY source_id, form, partner_kind = 'other', value DESC NULLS LAST""",
        [list(commodity_ids)],
    )


def import_share_rows(commodity_id: str) -> pd.DataFrame:
    """A commodity's import-share rows as stored, newest release first."""
    return _q(
        "SELECT vintage, form, partner_iso3, partner_name, partner_kind, period, value, qualifier, raw, source_id "
        "FROM import_shares WHERE commodity_id = ? ORDER BY vintage DESC, source_id", [commodity_id])


def customs(commodity_ids: list[str]) -> pd.DataFrame:
    """USITC customs value of US imports for consumption of the HTS headings mapped to some commodities."""
    return _q(
        """SELECT hts, description, partner_iso3 AS partner, partner_name, year, period,
                  value AS customs_value_usd, qualifier, unit, source_id
           FROM trade
           WHERE flow = 'imports' AND measure = 'customs_value'
             AND list_has_any(commodity_ids, ?)
           ORDER BY hts, year, value DESC NULLS LAST""",
        [list(commodity_ids)],
    )


def customs_annual(snapshot_dir: Path | None = None) -> pd.DataFrame:
    """Every annual USITC customs value of US imports for consumption (for the reports)."""
    return _q(
        """SELECT flow, partner_iso3, partner_name, hts, description, commodity_ids, year, period, measure,
                  unit, value, qualifier, source_id
           FROM trade WHERE flow = 'imports' AND measure = 'customs_value' AND period = 'annual'""",
        snapshot_dir=snapshot_dir,
    )


# ---------------------------------------------------------------- prices

def prices(commodity_ids: list[str] | None = None, snapshot_dir: Path | None = None) -> pd.DataFrame:
    """Price series rows (of some commodities, or all), in series and period order."""
    order = " ORDER BY series_id, year, month NULLS FIRST"
    if commodity_ids is None:
        return _q("SELECT * FROM prices" + order, snapshot_dir=snapshot_dir)
    return _q("SELECT * FROM prices WHERE commodity_id IN (SELECT unnest(?))" + order, [list(commodity_ids)],
              snapshot_dir=snapshot_dir)


def latest_ds140_price(commodity_id: str) -> pd.DataFrame:
    """The latest numeric nominal USGS Data Series 140 unit value of a commodity (0 or 1 row)."""
    return _q(
        "SELECT series_id, series_label, unit, year, value, qualifier, raw FROM prices WHERE commodity_id = ? "
        "AND series_id LIKE 'ds140:%' AND basis = 'nominal' AND qualifier IN ('exact','estimated','revised') "
        "ORDER BY year DESC LIMIT 1", [commodity_id])


# ---------------------------------------------------------------- register, agreements

def export_controls_named() -> pd.DataFrame:
    """Export controls with the restricting country's name, latest first."""
    return _q(
        """SELECT e.*, c.name AS country_name
           FROM export_controls e LEFT JOIN countries c ON c.iso3 = e.country_iso3
           ORDER BY e.effective_date DESC NULLS LAST, e.announced_date DESC NULLS LAST, e.measure_id, e.commodity_id"""
    )


def agreements_named() -> pd.DataFrame:
    """US agreements with the partner's name and group flags, latest first."""
    return _q(
        """SELECT a.*, c.name AS country_name, c.g7, c.usmca, c.feoc
           FROM agreements a LEFT JOIN countries c ON c.iso3 = a.country_iso3
           ORDER BY a.signing_date DESC NULLS LAST, a.country_iso3"""
    )


def export_control_measures() -> pd.DataFrame:
    """One row per export-control measure (a measure covers several commodities): its
    country, published status and effective date."""
    return _q(
        """SELECT country_iso3, measure_id, any_value(status) AS status, any_value(effective_date) AS effective_date
           FROM export_controls GROUP BY country_iso3, measure_id"""
    )


def agreement_counts() -> dict[str, int]:
    """Agreements and distinct partner countries."""
    row = _q("SELECT count(*) AS n, count(DISTINCT country_iso3) AS partners FROM agreements").iloc[0]
    return {"agreements": int(row["n"]), "partners": int(row["partners"])}


def agreement_countries() -> set[str]:
    """Countries with a US critical-mineral agreement."""
    return set(_q("SELECT country_iso3 FROM agreements")["country_iso3"].dropna())


# ---------------------------------------------------------------- world trade (CEPII BACI)

TRADE_COLUMNS = ("year, hs6, exporter_code, exporter_iso3, exporter_kind, exporter_name, importer_code, importer_iso3, "
                 "importer_kind, importer_name, value_usd, quantity_kg, quantity_qualifier")


def world_trade(codes: list[str], year: int | None = None, importer_iso3: str | None = None) -> pd.DataFrame:
    """Bilateral flows of some HS1992 codes (one year, or all; one importer, or all)."""
    sql = f"SELECT {TRADE_COLUMNS} FROM world_trade WHERE hs6 IN (SELECT unnest(?))"
    params: list = [list(codes) or ["------"]]
    if year is not None:
        sql += " AND year = ?"
        params.append(int(year))
    if importer_iso3 is not None:
        sql += " AND importer_iso3 = ?"
        params.append(importer_iso3)
    return _q(sql, params)


def world_trade_last_year() -> int | None:
    """The latest year of the world-trade table (None when it has no rows)."""
    got = _q("SELECT max(year) AS year FROM world_trade")
    y = got["year"].iloc[0] if len(got) else None
    return None if y is None or pd.isna(y) else int(y)


def world_trade_year(year: int) -> pd.DataFrame:
    """Every flow of one year."""
    return _q("SELECT * FROM world_trade WHERE year = ?", [int(year)])


#: Years of an importer's flows read for GeoPolRisk on bilateral trade.
IMPORTS_SINCE = 2015


def world_exports_latest(snapshot_dir: Path | None = None) -> pd.DataFrame:
    """The latest year of every code's exports, summed by exporter (for export concentration)."""
    return _q(
        "SELECT t.year, t.hs6, t.exporter_iso3, t.exporter_kind, t.exporter_name, sum(t.value_usd) AS value_usd, "
        "any_value(t.source_id) AS source_id FROM world_trade t "
        "JOIN (SELECT hs6, max(year) AS year FROM world_trade GROUP BY hs6) m ON t.hs6 = m.hs6 AND t.year = m.year "
        "GROUP BY t.year, t.hs6, t.exporter_iso3, t.exporter_kind, t.exporter_name",
        snapshot_dir=snapshot_dir,
    )


def imports_of(importer: str, since: int = IMPORTS_SINCE, snapshot_dir: Path | None = None) -> pd.DataFrame:
    """One importer's flows since ``since`` (a bloc such as EU27: its members' imports, intra-bloc
    flows included here and removed by :func:`critmin.analysis.trade.importer_rows`)."""
    from critmin.analysis import trade as tr

    if importer in tr.BLOCS:
        members = sorted(tr.bloc_members(importer))
        marks = ", ".join("?" for _ in members)
        return _q(f"SELECT {TRADE_COLUMNS} FROM world_trade WHERE year >= ? AND (importer_iso3 IN ({marks}) "
                  "OR importer_code = 58)", [since, *members], snapshot_dir=snapshot_dir)
    return _q(f"SELECT {TRADE_COLUMNS} FROM world_trade WHERE year >= ? AND importer_iso3 = ?", [since, importer],
              snapshot_dir=snapshot_dir)


# ---------------------------------------------------------------- EU CRM, deposits, contents

def eu_processing_shares(commodity_id: str) -> pd.DataFrame:
    """EU CRM 2023 global processing-stage supply shares of a commodity."""
    return _q(
        "SELECT material, country_iso3, country_name, value, qualifier, raw FROM eu_crm_supply_shares "
        "WHERE commodity_id = ? AND scope = 'global' AND stage = 'processing'", [commodity_id])


def lithium_deposits() -> pd.DataFrame:
    """The Busch et al. (2024) lithium deposits."""
    return table("lithium_deposits")


def battery_contents() -> pd.DataFrame:
    """Battery-chemistry material contents (an empty frame with the columns when the snapshot lacks them)."""
    if "battery_contents" not in have():
        return pd.DataFrame(columns=["chemistry", "material", "commodity_id", "value", "notes", "source_row"])
    return table("battery_contents")


# ---------------------------------------------------------------- the analysis tables

#: Columns read per table by :func:`read_tables` (``None``: all).
TABLE_COLUMNS: dict[str, list[str] | None] = {
    "commodities": None,
    "production": ["vintage", "commodity_id", "form", "country_iso3", "country_name", "country_kind", "stage",
                   "measure", "series_label", "year", "value", "qualifier", "low", "high", "raw", "unit",
                   "estimated", "source_id"],
    "nir": None,
    "import_shares": None,
    "export_controls": None,
    "agreements": None,
    "governance": ["iso3", "indicator", "year", "estimate", "pct_rank", "release", "source_id"],
    "salient": ["vintage", "commodity_id", "form", "year", "statistic", "detail", "value", "qualifier", "low",
                "high", "raw", "unit", "source_id"],
    "critical_salient": None,
    "eu_crm_supply_shares": None,
    "eu_crm_assessment": None,
    "wmd_production": ["commodity_id", "sheet", "form", "content_basis", "stage", "country_iso3", "country_name",
                       "country_kind", "year", "value", "qualifier", "low", "high", "unit", "source_id"],
    "world_exports": None,
    "imports": None,
    "nir_salient": None,
}


def read_tables(names: list[str] | None = None, snapshot_dir: Path | None = None,
                importer: str = "USA") -> dict[str, pd.DataFrame]:
    """The tables :func:`critmin.analysis.inputs.build_inputs` and the reports take.

    A table the snapshot does not have comes back empty, with no columns, so a partly
    built snapshot still gives every answer it can. ``world_exports``
    (:func:`world_exports_latest`) and ``imports`` (``importer``'s flows,
    :func:`imports_of`) are read by aggregating queries over ``world_trade``;
    ``nir_salient`` is :func:`salient_reliance` of every release.
    """
    present = have(snapshot_dir)
    out = {}
    for name in names or list(TABLE_COLUMNS):
        if name in ("world_exports", "imports"):
            if "world_trade" not in present:
                out[name] = pd.DataFrame()
            elif name == "world_exports":
                out[name] = world_exports_latest(snapshot_dir)
            else:
                out[name] = imports_of(importer, snapshot_dir=snapshot_dir)
            continue
        if name == "nir_salient":
            out[name] = salient_reliance(snapshot_dir=snapshot_dir)
            continue
        if name not in present:
            out[name] = pd.DataFrame()
            continue
        cols = TABLE_COLUMNS.get(name)
        select = ", ".join(cols) if cols else "*"
        out[name] = _q(f"SELECT {select} FROM {name}", snapshot_dir=snapshot_dir)
    return out
