"""Small hand-made tables shaped like the snapshot's, for the analysis tests."""

from __future__ import annotations

import pandas as pd

PRODUCTION_COLUMNS = ["vintage", "commodity_id", "form", "country_iso3", "country_name", "country_kind", "stage",
                      "measure", "series_label", "year", "value", "qualifier", "low", "high", "raw", "unit",
                      "estimated", "source_id"]


def prod_rows(commodity: str, stage: str, rows: list[tuple], *, vintage: int = 2026, year: int = 2024,
              label: str | None = None, unit: str = "metric tons", world: float | str | None = None) -> list[dict]:
    """``rows``: (iso3 or None, name, value or code, kind='country')."""
    label = label or ("Mine production" if stage == "mine" else "Refinery production")
    out = []
    items = list(rows)
    if world is not None:
        items.append((None, "World total (rounded)", world, "world"))
    for item in items:
        iso, name, val = item[:3]
        kind = item[3] if len(item) > 3 else "country"
        if isinstance(val, str):
            q, v = {"W": ("withheld", None), "NA": ("not_available", None), "XX": ("not_calculable", None)}[val]
        else:
            q, v = "exact", float(val)
        out.append({
            "vintage": vintage, "commodity_id": commodity, "form": "", "country_iso3": iso, "country_name": name,
            "country_kind": kind, "stage": stage, "measure": "production", "series_label": label, "year": year,
            "value": v, "qualifier": q, "low": v, "high": v, "raw": str(val), "unit": unit, "estimated": False,
            "source_id": f"usgs_mcs{vintage}",
        })
    return out


def production(*blocks: list[dict]) -> pd.DataFrame:
    rows = [r for b in blocks for r in b]
    return pd.DataFrame(rows, columns=PRODUCTION_COLUMNS)


def salient_rows(commodity: str, year: int, stats: dict[str, tuple], *, vintage: int = 2025) -> list[dict]:
    """``stats``: detail -> (statistic, value or code, unit)."""
    out = []
    for detail, (stat, val, unit) in stats.items():
        if isinstance(val, str):
            q, v = {"W": ("withheld", None), "NA": ("not_available", None), "E": ("net_exporter", None)}[val]
        else:
            q, v = "exact", float(val)
        out.append({"vintage": vintage, "commodity_id": commodity, "form": "", "year": year, "statistic": stat,
                    "detail": detail, "value": v, "qualifier": q, "low": v, "high": v, "raw": str(val), "unit": unit,
                    "source_id": f"usgs_mcs{vintage}_salient"})
    return out
