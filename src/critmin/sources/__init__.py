"""Readers, one per publisher format. See :mod:`critmin.sources.base` for the contract.

``READERS`` lists every reader the snapshot build runs, as ``module:function``; each
returns one manifest entry and its table fragments.
"""

from __future__ import annotations

READERS: tuple[str, ...] = (
    "critmin.sources.critical_lists:read_critical_lists",
    "critmin.sources.usgs_mcs_world:read_mcs2023_world",
    "critmin.sources.usgs_mcs_world:read_mcs2024_world",
    "critmin.sources.usgs_mcs_world:read_mcs2025_world",
    "critmin.sources.usgs_mcs_salient:read_mcs2023_salient",
    "critmin.sources.usgs_mcs_salient:read_mcs2024_salient",
    "critmin.sources.usgs_mcs_salient:read_mcs2025_salient",
    "critmin.sources.usgs_mcs2026:read_mcs2026",
    "critmin.sources.usgs_mcs_trends:read_mcs2023_trends",
    "critmin.sources.usgs_mcs_trends:read_mcs2024_trends",
    "critmin.sources.usgs_mcs_trends:read_mcs2025_trends",
    "critmin.sources.usgs_mcs_trends:read_mcs2026_trends",
    "critmin.sources.export_register:read_export_register",
    "critmin.sources.worldbank_wgi:read_wgi",
    "critmin.sources.usitc_dataweb:read_usitc",
    "critmin.sources.worldbank_prices:read_pinksheet",
    "critmin.sources.usgs_ds140:read_ds140",
    "critmin.sources.eu_crm:read_eu_crm",
    "critmin.sources.usgs_myb:read_myb_rare_earths",
    "critmin.sources.cepii_baci:read_baci",
    "critmin.sources.world_mining_data:read_wmd",
    "critmin.sources.busch2024_intensity:read_batpac",
    "critmin.sources.busch2024_deposits:read_busch2024_deposits",
)
